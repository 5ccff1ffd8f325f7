#include "daemon/transport/ble_bus.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <utility>

namespace ambi::transport {
namespace {

constexpr auto kBusRetryPeriod = std::chrono::seconds(1);

constexpr char kPropertiesChangedMatch[] =
    "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',"
    "member='PropertiesChanged',path_namespace='/org/bluez'";
// InterfacesAdded and InterfacesRemoved: objects (devices found by discovery, GATT objects after
// a connect) coming and going.
constexpr char kObjectManagerMatch[] =
    "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager'";
// bluetoothd going away sends no PropertiesChanged: its notifications just stop.
constexpr char kBluezOwnerChangedMatch[] =
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    "member='NameOwnerChanged',arg0='org.bluez'";

constexpr char kBluezService[] = "org.bluez";
constexpr char kAdapterInterface[] = "org.bluez.Adapter1";
constexpr char kDeviceInterface[] = "org.bluez.Device1";
constexpr char kCharacteristicInterface[] = "org.bluez.GattCharacteristic1";

// StartDiscovery/StopDiscovery are local to bluetoothd and answer at once; a source's own
// discovery_timeout_s bounds how long it waits in any case.
constexpr auto kDiscoveryCallTimeout = std::chrono::seconds(10);
// BlueZ's answer to a second StartDiscovery() of the same client: discovery is running, for us.
constexpr char kInProgressError[] = "org.bluez.Error.InProgress";

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

// Decodes InterfacesAdded or InterfacesRemoved; nullopt for another ObjectManager member.
std::optional<BluezSignal> DecodeObjectManagerSignal(sdbus::Message& message, SteadyTime arrival) {
  BluezSignal signal;
  signal.arrival = arrival;
  sdbus::ObjectPath path;
  const std::string member = message.getMemberName();
  if (member == "InterfacesAdded") {
    signal.kind = BluezSignal::Kind::kInterfacesAdded;
    std::map<std::string, std::map<std::string, sdbus::Variant>> interfaces;
    message >> path >> interfaces;
    for (const auto& [name, properties] : interfaces) signal.added_interfaces.push_back(name);
  } else if (member == "InterfacesRemoved") {
    signal.kind = BluezSignal::Kind::kInterfacesRemoved;
    message >> path >> signal.removed_interfaces;
  } else {
    return std::nullopt;
  }
  signal.path = path;
  return signal;
}

std::string ErrorText(const sdbus::Error& error) {
  return error.getName() + ": " + error.getMessage();
}

// Starts the bus thread after spdlog's default logger exists. The thread logs through it, and
// spdlog builds it lazily behind a guard inside its uninstrumented library, so ThreadSanitizer
// would not see that a logger built later on another thread was built before its use here;
// a thread's start is an order it sees.
template <class Run>
std::thread StartWithLogger(Run run) {
  (void)spdlog::default_logger_raw();
  return std::thread(std::move(run));
}

}  // namespace

BleBus::BleBus() : thread_(StartWithLogger([this] { Run(); })) {}

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

std::unique_ptr<BleBus::DiscoveryClaim> BleBus::ClaimDiscovery(std::string adapter,
                                                               DiscoveryHandler handler) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(discovery_handlers_mutex_);
    id = next_discovery_claim_id_++;
    discovery_handlers_[id] = std::move(handler);
  }
  BleDiscoveryClaims::Actions actions;
  {
    std::lock_guard lock(discovery_mutex_);
    actions = discovery_claims_.Claim(id, adapter);
  }
  Perform(std::move(actions));
  return std::unique_ptr<DiscoveryClaim>(new DiscoveryClaim(this, id));
}

BleBus::DiscoveryClaim::~DiscoveryClaim() { bus_->ReleaseDiscovery(id_); }

void BleBus::ReleaseDiscovery(std::uint64_t id) {
  {
    // Perform holds this lock while a handler runs, so taking it waits for a running handler.
    std::lock_guard lock(discovery_handlers_mutex_);
    discovery_handlers_.erase(id);
  }
  BleDiscoveryClaims::Actions actions;
  {
    std::lock_guard lock(discovery_mutex_);
    actions = discovery_claims_.Release(id);
  }
  Perform(std::move(actions));
}

void BleBus::ResetDiscovery(const std::string& reason) {
  BleDiscoveryClaims::Actions actions;
  {
    std::lock_guard lock(discovery_mutex_);
    actions = discovery_claims_.Reset(reason);
  }
  Perform(std::move(actions));
}

void BleBus::Perform(BleDiscoveryClaims::Actions actions) {
  // A call that cannot be sent fails at once, and that outcome may call for more actions.
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const BleDiscoveryAction action = actions[i];
    BleDiscoveryClaims::Actions next;
    switch (action.kind) {
      case BleDiscoveryAction::Kind::kNotify: {
        std::lock_guard lock(discovery_handlers_mutex_);
        const auto it = discovery_handlers_.find(action.claim);
        if (it != discovery_handlers_.end()) it->second(action.failure);
        break;
      }
      case BleDiscoveryAction::Kind::kStart:
        if (std::optional<std::string> failure = SendStartDiscovery(action.adapter, action.call)) {
          std::lock_guard lock(discovery_mutex_);
          next = discovery_claims_.OnStarted(action.adapter, action.call, failure);
        }
        break;
      case BleDiscoveryAction::Kind::kStop:
        if (std::optional<std::string> failure = SendStopDiscovery(action.adapter, action.call)) {
          spdlog::warn("ble: {}", *failure);
          std::lock_guard lock(discovery_mutex_);
          next = discovery_claims_.OnStopped(action.adapter, action.call);
        }
        break;
    }
    actions.insert(actions.end(), next.begin(), next.end());
  }
}

std::shared_ptr<sdbus::IProxy> BleBus::AdapterProxy(const std::string& adapter,
                                                    std::string& error) {
  const Connection bus = connection();
  if (!bus.connection) {
    error = bus.error;
    return nullptr;
  }
  {
    std::lock_guard lock(adapter_proxies_mutex_);
    const auto it = adapter_proxies_.find(adapter);
    if (it != adapter_proxies_.end() && it->second.generation == bus.generation) {
      return it->second.proxy;
    }
  }
  AdapterProxyEntry entry{bus.generation, bus.connection, nullptr};
  try {
    entry.proxy = sdbus::createProxy(*bus.connection, kBluezService, "/org/bluez/" + adapter);
  } catch (const sdbus::Error& e) {
    error = "cannot make a proxy of adapter " + adapter + ": " + e.what();
    return nullptr;
  }
  std::shared_ptr<sdbus::IProxy> proxy = entry.proxy;
  AdapterProxyEntry replaced;  // destroyed after the lock is released (it calls into sdbus)
  {
    std::lock_guard lock(adapter_proxies_mutex_);
    AdapterProxyEntry& slot = adapter_proxies_[adapter];
    replaced = std::move(slot);
    slot = std::move(entry);
  }
  return proxy;
}

std::optional<std::string> BleBus::SendStartDiscovery(const std::string& adapter,
                                                      std::uint64_t call) {
  const std::string where = "/org/bluez/" + adapter;
  std::string error;
  const std::shared_ptr<sdbus::IProxy> proxy = AdapterProxy(adapter, error);
  if (!proxy) return "cannot start discovery on " + where + ": " + error;
  spdlog::info("ble: starting LE discovery on {}", where);
  // Only LE devices: on a dual-mode adapter this also avoids BR/EDR inquiry slowing the scan.
  const std::map<std::string, sdbus::Variant> filter = {
      {"Transport", sdbus::Variant(std::string("le"))}};
  try {
    proxy->callMethodAsync("SetDiscoveryFilter")
        .onInterface(kAdapterInterface)
        .withArguments(filter)
        .withTimeout(kDiscoveryCallTimeout)
        .uponReplyInvoke([this, adapter, call, where](const sdbus::Error* filter_error) {
          if (filter_error != nullptr) {
            OnDiscoveryStarted(adapter, call,
                               "SetDiscoveryFilter(Transport=le) on " + where +
                                   " failed: " + ErrorText(*filter_error));
            return;
          }
          std::string proxy_error;
          const std::shared_ptr<sdbus::IProxy> adapter_proxy = AdapterProxy(adapter, proxy_error);
          if (!adapter_proxy) {
            OnDiscoveryStarted(adapter, call,
                               "cannot start discovery on " + where + ": " + proxy_error);
            return;
          }
          try {
            adapter_proxy->callMethodAsync("StartDiscovery")
                .onInterface(kAdapterInterface)
                .withTimeout(kDiscoveryCallTimeout)
                .uponReplyInvoke([this, adapter, call, where](const sdbus::Error* start_error) {
                  std::optional<std::string> failure;
                  if (start_error != nullptr && start_error->getName() != kInProgressError) {
                    failure =
                        "StartDiscovery() on " + where + " failed: " + ErrorText(*start_error);
                  }
                  OnDiscoveryStarted(adapter, call, failure);
                });
          } catch (const sdbus::Error& e) {
            OnDiscoveryStarted(adapter, call,
                               "cannot call StartDiscovery() on " + where + ": " + e.what());
          }
        });
  } catch (const sdbus::Error& e) {
    return "cannot call SetDiscoveryFilter() on " + where + ": " + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> BleBus::SendStopDiscovery(const std::string& adapter,
                                                     std::uint64_t call) {
  const std::string where = "/org/bluez/" + adapter;
  std::string error;
  const std::shared_ptr<sdbus::IProxy> proxy = AdapterProxy(adapter, error);
  if (!proxy) return "cannot stop discovery on " + where + ": " + error;
  spdlog::info("ble: stopping LE discovery on {}", where);
  try {
    proxy->callMethodAsync("StopDiscovery")
        .onInterface(kAdapterInterface)
        .withTimeout(kDiscoveryCallTimeout)
        .uponReplyInvoke([this, adapter, call, where](const sdbus::Error* stop_error) {
          std::optional<std::string> failure;
          if (stop_error != nullptr) {
            failure = "StopDiscovery() on " + where + " failed: " + ErrorText(*stop_error);
          }
          OnDiscoveryStopped(adapter, call, failure);
        });
  } catch (const sdbus::Error& e) {
    return "cannot call StopDiscovery() on " + where + ": " + e.what();
  }
  return std::nullopt;
}

void BleBus::OnDiscoveryStarted(const std::string& adapter, std::uint64_t call,
                                const std::optional<std::string>& failure) {
  if (failure) spdlog::warn("ble: {}", *failure);
  BleDiscoveryClaims::Actions actions;
  {
    std::lock_guard lock(discovery_mutex_);
    actions = discovery_claims_.OnStarted(adapter, call, failure);
  }
  Perform(std::move(actions));
}

void BleBus::OnDiscoveryStopped(const std::string& adapter, std::uint64_t call,
                                const std::optional<std::string>& failure) {
  // Either way the discovery is no longer ours: BlueZ refuses to stop only what it does not run.
  if (failure) spdlog::warn("ble: {}", *failure);
  BleDiscoveryClaims::Actions actions;
  {
    std::lock_guard lock(discovery_mutex_);
    actions = discovery_claims_.OnStopped(adapter, call);
  }
  Perform(std::move(actions));
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
    ResetDiscovery(lost.detail);
    Dispatch(lost);
    lock.lock();
    wake_.wait_for(lock, kBusRetryPeriod, [this] { return stopping_; });
    if (stopping_) return;
  }
}

std::string BleBus::ServeConnection(const std::shared_ptr<sdbus::IConnection>& connection) {
  sdbus::Slot properties_slot;
  sdbus::Slot object_manager_slot;
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
    object_manager_slot = connection->addMatch(kObjectManagerMatch, [this](sdbus::Message& m) {
      const SteadyTime arrival = std::chrono::steady_clock::now();
      try {
        if (std::optional<BluezSignal> signal = DecodeObjectManagerSignal(m, arrival)) {
          Dispatch(*signal);
        }
      } catch (const sdbus::Error& e) {
        spdlog::debug("ble: malformed ObjectManager signal: {}", e.what());
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
      ResetDiscovery(signal.detail);  // a new bluetoothd knows nothing of our discovery
      Dispatch(signal);
    });
  } catch (const sdbus::Error& e) {
    return std::string("cannot subscribe to BlueZ signals: ") + e.what();
  }
  // Discovery started on an earlier connection ended with it; done before the new connection is
  // published so that no claim on the new one gets caught by the reset.
  ResetDiscovery("a new system D-Bus connection replaced the one discovery was started on");
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

}  // namespace ambi::transport
