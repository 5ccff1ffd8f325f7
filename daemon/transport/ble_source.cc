#include "daemon/transport/ble_source.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/transport/ble_link.h"

namespace ambi::transport {
namespace {

constexpr char kBluezService[] = "org.bluez";
constexpr char kDeviceInterface[] = "org.bluez.Device1";
constexpr char kCharacteristicInterface[] = "org.bluez.GattCharacteristic1";
constexpr char kPropertiesInterface[] = "org.freedesktop.DBus.Properties";
constexpr char kObjectManagerInterface[] = "org.freedesktop.DBus.ObjectManager";

using ManagedObjects =
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>>;

std::chrono::milliseconds Milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// 'error' as the link's event: a reply's error ('sent'), or a call that could not be sent.
ble_event::CallFailed Failure(std::uint64_t attempt, BleCall call, const sdbus::Error& error,
                              bool sent) {
  return ble_event::CallFailed{attempt, call, sent, error.getName(),
                               sent ? error.getName() + ": " + error.getMessage() : error.what()};
}

bool HasDevice(const ManagedObjects& objects, const std::string& device_path) {
  const auto it = objects.find(sdbus::ObjectPath(device_path));
  return it != objects.end() && it->second.count(kDeviceInterface) != 0;
}

std::vector<GattCharacteristicInfo> Characteristics(const ManagedObjects& objects) {
  std::vector<GattCharacteristicInfo> characteristics;
  for (const auto& [path, interfaces] : objects) {
    const auto it = interfaces.find(kCharacteristicInterface);
    if (it == interfaces.end()) continue;
    const auto uuid = it->second.find("UUID");
    if (uuid == it->second.end() || !uuid->second.containsValueOfType<std::string>()) continue;
    characteristics.push_back({path, uuid->second.get<std::string>()});
  }
  return characteristics;
}

BleLinkEvent EventOf(const BluezSignal& signal) {
  switch (signal.kind) {
    case BluezSignal::Kind::kBusLost:
    case BluezSignal::Kind::kBluezGone:
      return ble_event::BusLost{signal.detail};
    case BluezSignal::Kind::kInterfacesAdded:
      return ble_event::InterfacesAdded{signal.path, signal.added_interfaces};
    case BluezSignal::Kind::kInterfacesRemoved:
      return ble_event::InterfacesRemoved{signal.path, signal.removed_interfaces};
    case BluezSignal::Kind::kPropertiesChanged:
      break;
  }
  if (signal.value) return ble_event::NotificationBytes{signal.path, signal.arrival, *signal.value};
  return ble_event::DevicePropertiesChanged{signal.path, signal.connected,
                                            signal.services_resolved};
}

}  // namespace

// The D-Bus side of one device: BleLink's decisions carried out with sdbus-c++ and an Asio timer.
// Owned by BleSource through a shared_ptr; everything that runs on the D-Bus thread holds only a
// weak_ptr and posts to the io thread, so the Link is only ever destroyed on the io thread and
// never while one of its D-Bus callbacks runs.
class BleSource::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::io_context& io, std::shared_ptr<BleBus> bus, const BleSourceConfig& config,
       ByteSourceCallbacks callbacks)
      : io_(io), bus_(std::move(bus)), callbacks_(std::move(callbacks)), link_(config), timer_(io) {
    if (!bus_) throw std::invalid_argument("BLE source " + link_.address() + ": no BleBus given");
  }

  ~Link() { Feed(ble_event::StopRequested{}); }

  void Feed(const BleLinkEvent& event) {
    const BleLinkActions actions = link_.Handle(event, std::chrono::steady_clock::now());
    const std::uint64_t attempt = link_.attempt();
    for (const BleLinkAction& action : actions) {
      // A callback (or a call that failed at once) stopped, ended or restarted the attempt: the
      // rest was meant for the attempt that is gone.
      if (link_.attempt() != attempt) return;
      std::visit([this](const auto& a) { Do(a); }, action);
    }
  }

  ByteSourceStats stats() const { return link_.stats(); }
  const std::string& address() const { return link_.address(); }

 private:
  // Hands 'event' from the D-Bus thread to the link on the io thread, if the link still exists.
  // The captured weak_ptr (not 'this') is what makes a late reply harmless.
  auto Poster() {
    return [weak = weak_from_this(), &io = io_](BleLinkEvent event) {
      asio::post(io, [weak, event = std::move(event)] {
        if (const std::shared_ptr<Link> self = weak.lock()) self->Feed(event);
      });
    };
  }

  void Do(const ble_action::CheckDevice& action) {
    const std::uint64_t attempt = link_.attempt();
    const BleBus::Connection bus = bus_->connection();
    if (!bus.connection) {
      Feed(ble_event::BusUnavailable{attempt, bus.error});
      return;
    }
    try {
      if (bus.generation != bus_generation_ || !device_proxy_) {
        DropProxies();
        connection_ = bus.connection;
        bus_generation_ = bus.generation;
        device_proxy_ = sdbus::createProxy(*connection_, kBluezService, link_.device_path());
        root_proxy_ = sdbus::createProxy(*connection_, kBluezService, "/");
      }
      if (!subscription_) {
        subscription_ = bus_->Subscribe(
            link_.device_path(), [post = Poster()](const BluezSignal& s) { post(EventOf(s)); });
      }
      root_proxy_->callMethodAsync("GetManagedObjects")
          .onInterface(kObjectManagerInterface)
          .withTimeout(Milliseconds(action.timeout_s))
          .uponReplyInvoke([post = Poster(), attempt, device_path = link_.device_path()](
                               const sdbus::Error* error, const ManagedObjects& objects) {
            if (error != nullptr) {
              post(Failure(attempt, BleCall::kCheckDevice, *error, true));
            } else {
              post(ble_event::DeviceListed{attempt, HasDevice(objects, device_path)});
            }
          });
    } catch (const sdbus::Error& e) {
      Feed(Failure(attempt, BleCall::kCheckDevice, e, false));
    }
  }

  void Do(const ble_action::ClaimDiscovery&) {
    discovery_claim_ = bus_->ClaimDiscovery(
        link_.config().adapter,
        [post = Poster(), attempt = link_.attempt()](const std::optional<std::string>& failure) {
          if (failure) {
            post(ble_event::DiscoveryFailed{attempt, *failure});
          } else {
            post(ble_event::DiscoveryStarted{attempt});
          }
        });
  }

  void Do(const ble_action::ReleaseDiscovery&) { discovery_claim_.reset(); }

  // The reply handler of a call whose only outcome is success or an error.
  auto ReplyHandler(BleCall call, BleLinkEvent success) {
    return [post = Poster(), attempt = link_.attempt(), call,
            success = std::move(success)](const sdbus::Error* error) {
      if (error != nullptr) {
        post(Failure(attempt, call, *error, true));
      } else {
        post(success);
      }
    };
  }

  void Do(const ble_action::CallConnect& action) {
    const std::uint64_t attempt = link_.attempt();
    try {
      device_proxy_->callMethodAsync("Connect")
          .onInterface(kDeviceInterface)
          .withTimeout(Milliseconds(action.timeout_s))
          .uponReplyInvoke(ReplyHandler(BleCall::kConnect, ble_event::Connected{attempt}));
    } catch (const sdbus::Error& e) {
      Feed(Failure(attempt, BleCall::kConnect, e, false));
    }
  }

  void Do(const ble_action::ReadServicesResolved& action) {
    const std::uint64_t attempt = link_.attempt();
    try {
      device_proxy_->callMethodAsync("Get")
          .onInterface(kPropertiesInterface)
          .withArguments(std::string(kDeviceInterface), std::string("ServicesResolved"))
          .withTimeout(Milliseconds(action.timeout_s))
          .uponReplyInvoke(
              [post = Poster(), attempt](const sdbus::Error* error, sdbus::Variant value) {
                if (error != nullptr) {
                  post(Failure(attempt, BleCall::kReadServicesResolved, *error, true));
                } else if (value.containsValueOfType<bool>()) {
                  post(ble_event::ServicesResolvedRead{attempt, value.get<bool>()});
                } else {
                  post(ble_event::CallFailed{attempt, BleCall::kReadServicesResolved, true, "",
                                             "ServicesResolved is not a boolean"});
                }
              });
    } catch (const sdbus::Error& e) {
      Feed(Failure(attempt, BleCall::kReadServicesResolved, e, false));
    }
  }

  void Do(const ble_action::ListCharacteristics& action) {
    const std::uint64_t attempt = link_.attempt();
    try {
      root_proxy_->callMethodAsync("GetManagedObjects")
          .onInterface(kObjectManagerInterface)
          .withTimeout(Milliseconds(action.timeout_s))
          .uponReplyInvoke(
              [post = Poster(), attempt](const sdbus::Error* error, const ManagedObjects& objects) {
                if (error != nullptr) {
                  post(Failure(attempt, BleCall::kListCharacteristics, *error, true));
                } else {
                  // Reduced to plain data here, on the D-Bus thread.
                  post(ble_event::CharacteristicsListed{attempt, Characteristics(objects)});
                }
              });
    } catch (const sdbus::Error& e) {
      Feed(Failure(attempt, BleCall::kListCharacteristics, e, false));
    }
  }

  void Do(const ble_action::StartNotify& action) {
    const std::uint64_t attempt = link_.attempt();
    try {
      characteristic_proxy_ = sdbus::createProxy(*connection_, kBluezService, action.path);
      characteristic_proxy_->callMethodAsync("StartNotify")
          .onInterface(kCharacteristicInterface)
          .withTimeout(Milliseconds(action.timeout_s))
          .uponReplyInvoke(ReplyHandler(BleCall::kStartNotify, ble_event::NotifyStarted{attempt}));
    } catch (const sdbus::Error& e) {
      Feed(Failure(attempt, BleCall::kStartNotify, e, false));
    }
  }

  void Do(const ble_action::WriteRate& action) {
    try {
      auto write_proxy = sdbus::createProxy(*connection_, kBluezService, action.path);
      const std::map<std::string, sdbus::Variant> options = {
          {"type", sdbus::Variant(std::string("command"))}};
      // Write-without-response commands; the device applies them in order.
      for (const WitMotionCommand& command : action.commands) {
        write_proxy->callMethod("WriteValue")
            .onInterface(kCharacteristicInterface)
            .withArguments(std::vector<std::uint8_t>(command.begin(), command.end()), options)
            .dontExpectReply();
      }
    } catch (const sdbus::Error& e) {
      Feed(ble_event::RateWriteFailed{link_.attempt(), e.what()});
    }
  }

  void Do(const ble_action::SendDisconnect&) {
    if (!device_proxy_) return;
    try {
      device_proxy_->callMethod("Disconnect").onInterface(kDeviceInterface).dontExpectReply();
    } catch (const sdbus::Error& e) {
      spdlog::debug("ble {}: Disconnect not sent: {}", address(), e.what());
    }
  }

  void Do(const ble_action::StopNotify&) {
    if (!characteristic_proxy_) return;
    try {
      characteristic_proxy_->callMethod("StopNotify")
          .onInterface(kCharacteristicInterface)
          .dontExpectReply();
    } catch (const sdbus::Error& e) {
      spdlog::debug("ble {}: StopNotify not sent: {}", address(), e.what());
    }
  }

  void Do(const ble_action::DropCharacteristic&) { characteristic_proxy_.reset(); }

  void Do(const ble_action::CloseBus&) {
    subscription_.reset();  // waits for a handler running on the D-Bus thread
    DropProxies();
  }

  void Arm(std::uint64_t token, std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([weak = weak_from_this(), token](const boost::system::error_code& ec) {
      if (ec) return;
      if (const std::shared_ptr<Link> self = weak.lock()) self->Feed(ble_event::TimerFired{token});
    });
  }

  void Do(const ble_action::ArmWatchdog& action) { Arm(action.token, action.delay); }
  void Do(const ble_action::ScheduleRetry& action) { Arm(action.token, action.delay); }
  void Do(const ble_action::CancelTimer&) { timer_.cancel(); }

  void Do(const ble_action::ReportConnected& action) {
    if (callbacks_.on_connected) callbacks_.on_connected(action.time, action.detail);
  }

  void Do(const ble_action::ReportLost& action) {
    if (callbacks_.on_lost) callbacks_.on_lost(action.time, action.reason);
  }

  void Do(const ble_action::DeliverBytes& action) {
    if (callbacks_.on_bytes) callbacks_.on_bytes(action.arrival, action.bytes);
  }

  void Do(const ble_action::Log& action) {
    switch (action.level) {
      case ble_action::Log::Level::kDebug:
        spdlog::debug("ble {}: {}", address(), action.message);
        break;
      case ble_action::Log::Level::kInfo:
        spdlog::info("ble {}: {}", address(), action.message);
        break;
      case ble_action::Log::Level::kWarn:
        spdlog::warn("ble {}: {}", address(), action.message);
        break;
    }
  }

  void DropProxies() {
    characteristic_proxy_.reset();
    device_proxy_.reset();
    root_proxy_.reset();
    connection_.reset();  // after the proxies that use it
    bus_generation_ = 0;
  }

  asio::io_context& io_;
  const std::shared_ptr<BleBus> bus_;
  const ByteSourceCallbacks callbacks_;
  BleLink link_;
  asio::steady_timer timer_;

  // Declared after bus_ so they go first; connection_ outlives the proxies built on it.
  std::shared_ptr<sdbus::IConnection> connection_;
  std::uint64_t bus_generation_ = 0;
  std::unique_ptr<sdbus::IProxy> device_proxy_;
  std::unique_ptr<sdbus::IProxy> root_proxy_;
  std::unique_ptr<sdbus::IProxy> characteristic_proxy_;
  std::unique_ptr<BleBus::Subscription> subscription_;
  std::unique_ptr<BleBus::DiscoveryClaim> discovery_claim_;
};

BleSource::BleSource(asio::io_context& io, std::shared_ptr<BleBus> bus, BleSourceConfig config,
                     ByteSourceCallbacks callbacks)
    : link_(std::make_shared<Link>(io, std::move(bus), ValidatedBleSourceConfig(std::move(config)),
                                   std::move(callbacks))) {}

BleSource::~BleSource() { link_->Feed(ble_event::StopRequested{}); }

void BleSource::Start() { link_->Feed(ble_event::StartRequested{}); }

void BleSource::Stop() { link_->Feed(ble_event::StopRequested{}); }

ByteSourceStats BleSource::stats() const { return link_->stats(); }

std::string BleSource::address() const { return link_->address(); }

}  // namespace ambi::transport
