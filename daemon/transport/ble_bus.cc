#include "daemon/transport/ble_bus.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <utility>

namespace ambi::daemon {
namespace {

constexpr auto kBusRetryPeriod = std::chrono::seconds(1);

constexpr char kPropertiesChangedMatch[] =
    "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',"
    "member='PropertiesChanged',path_namespace='/org/bluez'";
constexpr char kInterfacesRemovedMatch[] =
    "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager',"
    "member='InterfacesRemoved'";
// bluetoothd going away sends no PropertiesChanged: its notifications just stop.
constexpr char kBluezOwnerChangedMatch[] =
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    "member='NameOwnerChanged',arg0='org.bluez'";

constexpr char kDeviceInterface[] = "org.bluez.Device1";
constexpr char kCharacteristicInterface[] = "org.bluez.GattCharacteristic1";

std::string SystemBusAddress() {
  const char* address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return address != nullptr ? address : "unix:path=/run/dbus/system_bus_socket (default)";
}

bool CoversPath(const std::string& prefix, const std::string& path) {
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

template <typename T>
std::optional<T> VariantAs(const std::map<std::string, sdbus::Variant>& properties,
                           const std::string& name) {
  const auto it = properties.find(name);
  if (it == properties.end() || !it->second.containsValueOfType<T>()) return std::nullopt;
  return it->second.get<T>();
}

// Decodes a PropertiesChanged message; nullopt when it is malformed or irrelevant.
std::optional<BluezSignal> DecodePropertiesChanged(sdbus::Message& message, SteadyTime arrival) {
  BluezSignal signal;
  signal.kind = BluezSignal::Kind::kPropertiesChanged;
  signal.arrival = arrival;
  signal.path = message.getPath();
  std::map<std::string, sdbus::Variant> changed;
  std::vector<std::string> invalidated;
  message >> signal.interface >> changed >> invalidated;
  if (signal.interface == kDeviceInterface) {
    signal.connected = VariantAs<bool>(changed, "Connected");
    signal.services_resolved = VariantAs<bool>(changed, "ServicesResolved");
    if (!signal.connected && !signal.services_resolved) return std::nullopt;
  } else if (signal.interface == kCharacteristicInterface) {
    signal.value = VariantAs<std::vector<std::uint8_t>>(changed, "Value");
    if (!signal.value) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return signal;
}

BluezSignal DecodeInterfacesRemoved(sdbus::Message& message, SteadyTime arrival) {
  BluezSignal signal;
  signal.kind = BluezSignal::Kind::kInterfacesRemoved;
  signal.arrival = arrival;
  sdbus::ObjectPath path;
  message >> path >> signal.removed_interfaces;
  signal.path = path;
  return signal;
}

}  // namespace

BleBus::BleBus() : thread_([this] { Run(); }) {}

BleBus::~BleBus() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Safe from any thread; the loop also notices when it is entered after this call.
    if (connection_) connection_->leaveEventLoop();
  }
  wake_.notify_all();
  thread_.join();
}

BleBus::Connection BleBus::connection() const {
  std::lock_guard lock(mutex_);
  return Connection{connection_, generation_, connection_ ? std::string() : error_};
}

std::unique_ptr<BleBus::Subscription> BleBus::Subscribe(std::string path_prefix, Handler handler) {
  std::lock_guard lock(subscribers_mutex_);
  const std::uint64_t id = next_subscriber_id_++;
  subscribers_.push_back(Subscriber{id, std::move(path_prefix), std::move(handler)});
  return std::unique_ptr<Subscription>(new Subscription(this, id));
}

BleBus::Subscription::~Subscription() { bus_->Unsubscribe(id_); }

void BleBus::Unsubscribe(std::uint64_t id) {
  // Dispatch holds this lock while a handler runs, so taking it waits for a running handler.
  std::lock_guard lock(subscribers_mutex_);
  std::erase_if(subscribers_, [id](const Subscriber& s) { return s.id == id; });
}

void BleBus::Dispatch(const BluezSignal& signal) {
  std::lock_guard lock(subscribers_mutex_);
  for (const Subscriber& subscriber : subscribers_) {
    if (signal.kind == BluezSignal::Kind::kBusLost ||
        signal.kind == BluezSignal::Kind::kBluezGone ||
        CoversPath(subscriber.path_prefix, signal.path)) {
      subscriber.handler(signal);
    }
  }
}

void BleBus::Run() {
  while (true) {
    std::shared_ptr<sdbus::IConnection> connection;
    std::string failure;
    try {
      connection = sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& e) {
      failure = "cannot connect to the system D-Bus at " + SystemBusAddress() + ": " + e.what();
    }
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    if (!connection) {
      if (error_ != failure) spdlog::warn("ble: {}", failure);
      error_ = failure;
      wake_.wait_for(lock, kBusRetryPeriod, [this] { return stopping_; });
      if (stopping_) return;
      continue;
    }
    lock.unlock();

    const std::string reason = ServeConnection(connection);

    lock.lock();
    connection_.reset();  // users keep the old object alive until they drop their proxies
    error_ = "system D-Bus connection lost: " + reason;
    if (stopping_) return;
    lock.unlock();
    spdlog::warn("ble: {}", error_);
    BluezSignal lost;
    lost.kind = BluezSignal::Kind::kBusLost;
    lost.arrival = std::chrono::steady_clock::now();
    lost.detail = "system D-Bus connection lost: " + reason;
    Dispatch(lost);
    lock.lock();
    wake_.wait_for(lock, kBusRetryPeriod, [this] { return stopping_; });
    if (stopping_) return;
  }
}

std::string BleBus::ServeConnection(const std::shared_ptr<sdbus::IConnection>& connection) {
  sdbus::Slot properties_slot;
  sdbus::Slot removed_slot;
  sdbus::Slot owner_slot;
  try {
    properties_slot = connection->addMatch(kPropertiesChangedMatch, [this](sdbus::Message& m) {
      const SteadyTime arrival = std::chrono::steady_clock::now();
      try {
        if (std::optional<BluezSignal> signal = DecodePropertiesChanged(m, arrival)) {
          Dispatch(*signal);
        }
      } catch (const sdbus::Error& e) {
        spdlog::debug("ble: malformed PropertiesChanged on {}: {}", m.getPath(), e.what());
      }
    });
    removed_slot = connection->addMatch(kInterfacesRemovedMatch, [this](sdbus::Message& m) {
      const SteadyTime arrival = std::chrono::steady_clock::now();
      try {
        Dispatch(DecodeInterfacesRemoved(m, arrival));
      } catch (const sdbus::Error& e) {
        spdlog::debug("ble: malformed InterfacesRemoved: {}", e.what());
      }
    });
    owner_slot = connection->addMatch(kBluezOwnerChangedMatch, [this](sdbus::Message& m) {
      BluezSignal signal;
      signal.kind = BluezSignal::Kind::kBluezGone;
      signal.arrival = std::chrono::steady_clock::now();
      try {
        std::string name;
        std::string old_owner;
        std::string new_owner;
        m >> name >> old_owner >> new_owner;
        if (name != "org.bluez" || !new_owner.empty()) return;
        signal.detail = "BlueZ (org.bluez) left the system bus";
      } catch (const sdbus::Error& e) {
        spdlog::debug("ble: malformed NameOwnerChanged: {}", e.what());
        return;
      }
      Dispatch(signal);
    });
  } catch (const sdbus::Error& e) {
    return std::string("cannot subscribe to BlueZ signals: ") + e.what();
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return "stopping";
    connection_ = connection;
    ++generation_;
    error_.clear();
  }
  spdlog::info("ble: connected to the system D-Bus at {}", SystemBusAddress());
  std::string reason = "event loop ended";
  try {
    connection->enterEventLoop();
  } catch (const sdbus::Error& e) {
    reason = e.what();
  }
  return reason;
}

}  // namespace ambi::daemon
