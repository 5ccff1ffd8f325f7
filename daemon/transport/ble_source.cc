#include "daemon/transport/ble_source.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "daemon/transport/ble_bluez_names.h"

namespace ambi::daemon {
namespace {

constexpr char kBluezService[] = "org.bluez";
constexpr char kDeviceInterface[] = "org.bluez.Device1";
constexpr char kCharacteristicInterface[] = "org.bluez.GattCharacteristic1";
constexpr char kPropertiesInterface[] = "org.freedesktop.DBus.Properties";
constexpr char kObjectManagerInterface[] = "org.freedesktop.DBus.ObjectManager";
// Connect() on a device that is already connected is a success for us.
constexpr char kAlreadyConnectedError[] = "org.bluez.Error.AlreadyConnected";
// What Connect() fails with when BlueZ has no object for the device (never seen, or forgotten):
// the first from D-Bus itself for a path nobody serves, the second from BlueZ.
constexpr const char* kDeviceAbsentErrors[] = {"org.freedesktop.DBus.Error.UnknownObject",
                                               "org.bluez.Error.DoesNotExist"};
// The io-side watchdog of a step fires this long after the D-Bus call's own timeout, so a call
// normally ends through its reply and the watchdog only covers a reply that never comes.
constexpr auto kWatchdogMargin = std::chrono::milliseconds(500);

using ManagedObjects =
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>>;

std::chrono::milliseconds Milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

std::string ErrorText(const sdbus::Error& error) {
  return error.getName() + ": " + error.getMessage();
}

// True when 'failure' (ErrorText of a Connect() reply) says the device object does not exist.
bool SaysDeviceAbsent(const std::string& failure) {
  for (const char* name : kDeviceAbsentErrors) {
    const std::string prefix = std::string(name) + ":";
    if (failure.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

void CheckPositive(double value, const char* field) {
  if (!(value > 0.0)) {
    throw std::invalid_argument(std::string("BLE source config: ") + field + " must be > 0, got " +
                                std::to_string(value));
  }
}

void CheckUuid(const std::string& uuid, const char* field) {
  // A full 128-bit UUID, or a form whose 16-bit part is known.
  const bool full =
      uuid.size() == 36 && uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-';
  if (!full && !BleUuid16(uuid)) {
    throw std::invalid_argument(std::string("BLE source config: ") + field + " '" + uuid +
                                "' is neither a 128-bit UUID nor a 16-bit one like ffe4");
  }
}

}  // namespace

// The state machine of one device. Owned by BleSource through a shared_ptr; everything that
// runs on the D-Bus thread holds only a weak_ptr and posts to the io thread, so the Link is only
// ever destroyed on the io thread and never while one of its D-Bus callbacks runs.
class BleSource::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::io_context& io, std::shared_ptr<BleBus> bus, BleSourceConfig config,
       ByteSourceCallbacks callbacks)
      : io_(io),
        bus_(std::move(bus)),
        config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        device_path_(BluezDevicePath(config_.adapter, config_.address)),
        address_(*NormalizeBleAddress(config_.address)),
        backoff_(config_.backoff, config_.backoff_seed != 0 ? config_.backoff_seed
                                                            : std::hash<std::string>{}(address_)),
        timer_(io) {
    if (!bus_) throw std::invalid_argument("BLE source " + address_ + ": no BleBus given");
    if (config_.rate_hz != 0) rate_commands_ = WitBleRateCommands(config_.model, config_.rate_hz);
  }

  ~Link() { Stop(); }

  void Start() {
    if (step_ != Step::kIdle && step_ != Step::kStopped) return;
    backoff_.Reset();
    BeginAttempt();
  }

  void Stop() {
    if (step_ == Step::kStopped || step_ == Step::kIdle) {
      step_ = Step::kStopped;
      return;
    }
    const bool was_streaming = step_ == Step::kStreaming;
    step_ = Step::kStopped;
    ++attempt_;
    timer_.cancel();
    discovery_claim_.reset();
    subscription_.reset();  // waits for a handler running on the D-Bus thread
    if (was_streaming && characteristic_proxy_) {
      try {
        characteristic_proxy_->callMethod("StopNotify")
            .onInterface(kCharacteristicInterface)
            .dontExpectReply();
      } catch (const sdbus::Error& e) {
        spdlog::debug("ble {}: StopNotify not sent: {}", address_, e.what());
      }
    }
    DropProxies();
  }

  ByteSourceStats stats() const {
    ByteSourceStats stats;
    switch (step_) {
      case Step::kIdle:
      case Step::kStopped:
        stats.state = ByteSourceState::kStopped;
        break;
      case Step::kStreaming:
        stats.state = ByteSourceState::kConnected;
        break;
      default:
        stats.state = ByteSourceState::kConnecting;
        break;
    }
    stats.bytes = bytes_;
    stats.reconnects = reconnects_;
    stats.last_error = last_error_;
    return stats;
  }

  const std::string& address() const { return address_; }

 private:
  enum class Step {
    kIdle,
    kCheckingDevice,     // GetManagedObjects() sent: does BlueZ know the device?
    kDiscovering,        // discovery claimed, waiting for the device's InterfacesAdded
    kConnecting,         // Device1.Connect() sent
    kResolvingServices,  // connected, waiting for ServicesResolved
    kFindingCharacteristic,
    kEnablingNotify,  // StartNotify() sent
    kStreaming,
    kBackoff,
    kStopped,
  };

  static const char* StepName(Step step) {
    switch (step) {
      case Step::kCheckingDevice:
        return "GetManagedObjects() (is the device known)";
      case Step::kDiscovering:
        return "the device to be discovered";
      case Step::kConnecting:
        return "Connect()";
      case Step::kResolvingServices:
        return "ServicesResolved";
      case Step::kFindingCharacteristic:
        return "GetManagedObjects()";
      case Step::kEnablingNotify:
        return "StartNotify()";
      default:
        return "nothing";
    }
  }

  // How every D-Bus callback (on the D-Bus thread) reaches the link: post(action) runs
  // action(link) on the io thread, only if the link still exists and the attempt this was made
  // for is still the current one and the link is not stopped. The captured weak_ptr (not 'this')
  // is what makes a late reply harmless.
  auto PosterForThisAttempt() {
    return [weak = weak_from_this(), &io = io_, attempt = attempt_](auto action) {
      asio::post(io, [weak, attempt, action = std::move(action)] {
        const std::shared_ptr<Link> self = weak.lock();
        if (!self || self->attempt_ != attempt || self->step_ == Step::kStopped) return;
        action(*self);
      });
    };
  }

  // The reply handler of a call whose only outcome is success or an error.
  auto ReplyHandler(void (Link::*on_reply)(std::optional<std::string>)) {
    return [post = PosterForThisAttempt(), on_reply](const sdbus::Error* error) {
      std::optional<std::string> failure;
      if (error != nullptr) {
        failure = error->getName() == kAlreadyConnectedError ? std::string() : ErrorText(*error);
        if (failure->empty()) failure.reset();
      }
      post([on_reply, failure = std::move(failure)](Link& self) { (self.*on_reply)(failure); });
    };
  }

  void BeginAttempt() {
    ++attempt_;
    services_resolved_seen_ = false;
    device_added_seen_ = false;
    discovered_this_attempt_ = false;
    characteristic_path_.clear();
    characteristic_proxy_.reset();
    const BleBus::Connection bus = bus_->connection();
    if (!bus.connection) {
      step_ = Step::kBackoff;
      EndAttempt(bus.error);
      return;
    }
    if (bus.generation != bus_generation_ || !device_proxy_) {
      DropProxies();
      connection_ = bus.connection;
      bus_generation_ = bus.generation;
      device_proxy_ = sdbus::createProxy(*connection_, kBluezService, device_path_);
      root_proxy_ = sdbus::createProxy(*connection_, kBluezService, "/");
    }
    if (!subscription_) {
      subscription_ = bus_->Subscribe(
          device_path_, [weak = weak_from_this(), &io = io_](const BluezSignal& signal) {
            asio::post(io, [weak, signal] {
              if (const std::shared_ptr<Link> self = weak.lock()) self->OnSignal(signal);
            });
          });
    }
    CheckDevice();
  }

  // BlueZ only has a device object once it has seen the device (paired, cached or discovered);
  // Connect() on a path it does not serve can only fail.
  void CheckDevice() {
    EnterStep(Step::kCheckingDevice, config_.call_timeout_s);
    try {
      root_proxy_->callMethodAsync("GetManagedObjects")
          .onInterface(kObjectManagerInterface)
          .withTimeout(Milliseconds(config_.call_timeout_s))
          .uponReplyInvoke([post = PosterForThisAttempt(), device_path = device_path_](
                               const sdbus::Error* error, const ManagedObjects& objects) {
            std::optional<std::string> failure;
            bool known = false;
            if (error != nullptr) {
              failure = ErrorText(*error);
            } else {
              const auto it = objects.find(sdbus::ObjectPath(device_path));
              known = it != objects.end() && it->second.count(kDeviceInterface) != 0;
            }
            post([failure, known](Link& self) { self.OnDeviceChecked(failure, known); });
          });
    } catch (const sdbus::Error& e) {
      EndAttempt(std::string("cannot call GetManagedObjects(): ") + e.what());
    }
  }

  void OnDeviceChecked(const std::optional<std::string>& failure, bool known) {
    if (step_ != Step::kCheckingDevice) return;
    if (failure) {
      EndAttempt("GetManagedObjects() failed while looking for " + device_path_ + ": " + *failure);
      return;
    }
    // InterfacesAdded that came while the call was under way counts too: the subscription was
    // made before the call, so the device cannot slip between the two.
    if (known || device_added_seen_) {
      Connect();
    } else {
      Discover("BlueZ has no object " + device_path_);
    }
  }

  void Discover(const std::string& why) {
    discovered_this_attempt_ = true;
    discovery_running_ = false;
    spdlog::info("ble {}: {}; discovering LE devices on {} for up to {} s", address_, why,
                 config_.adapter, config_.discovery_timeout_s);
    EnterStep(Step::kDiscovering, config_.discovery_timeout_s);
    discovery_claim_ = bus_->ClaimDiscovery(
        config_.adapter,
        [post = PosterForThisAttempt()](const std::optional<std::string>& failure) {
          post([failure](Link& self) { self.OnDiscoveryStatus(failure); });
        });
  }

  void OnDiscoveryStatus(const std::optional<std::string>& failure) {
    if (step_ != Step::kDiscovering) return;
    if (failure) {
      EndAttempt("cannot discover device " + address_ + " on " + config_.adapter + ": " + *failure);
      return;
    }
    discovery_running_ = true;
  }

  void OnDeviceAdded() {
    if (step_ == Step::kCheckingDevice) {
      device_added_seen_ = true;
    } else if (step_ == Step::kDiscovering) {
      spdlog::info("ble {}: discovered on {}", address_, config_.adapter);
      // Scanning while connecting slows the connection down on many controllers.
      discovery_claim_.reset();
      Connect();
    }
  }

  void Connect() {
    EnterStep(Step::kConnecting, config_.connect_timeout_s);
    try {
      device_proxy_->callMethodAsync("Connect")
          .onInterface(kDeviceInterface)
          .withTimeout(Milliseconds(config_.connect_timeout_s))
          .uponReplyInvoke(ReplyHandler(&Link::OnConnectReply));
    } catch (const sdbus::Error& e) {
      EndAttempt("cannot call Connect() on " + device_path_ + ": " + e.what());
    }
  }

  void OnConnectReply(std::optional<std::string> failure) {
    if (step_ != Step::kConnecting) return;
    if (failure) {
      // Forgotten since the check (a BlueZ restart, a temporary device expiring): find it again,
      // but only once per attempt.
      if (SaysDeviceAbsent(*failure) && !discovered_this_attempt_) {
        Discover("Connect() on " + device_path_ + " failed: " + *failure);
        return;
      }
      EndAttempt("Connect() on " + device_path_ + " failed: " + *failure);
      return;
    }
    EnterStep(Step::kResolvingServices, config_.services_timeout_s);
    if (services_resolved_seen_) {
      FindCharacteristic();
      return;
    }
    // The signal may have come before we listened; the property tells the current state.
    try {
      device_proxy_->callMethodAsync("Get")
          .onInterface(kPropertiesInterface)
          .withArguments(std::string(kDeviceInterface), std::string("ServicesResolved"))
          .withTimeout(Milliseconds(config_.call_timeout_s))
          .uponReplyInvoke(
              [post = PosterForThisAttempt()](const sdbus::Error* error, sdbus::Variant value) {
                std::optional<std::string> read_failure;
                bool resolved = false;
                if (error != nullptr) {
                  read_failure = ErrorText(*error);
                } else if (value.containsValueOfType<bool>()) {
                  resolved = value.get<bool>();
                } else {
                  read_failure = "ServicesResolved is not a boolean";
                }
                post([read_failure, resolved](Link& self) {
                  self.OnServicesResolvedRead(read_failure, resolved);
                });
              });
    } catch (const sdbus::Error& e) {
      EndAttempt(std::string("cannot read ServicesResolved: ") + e.what());
    }
  }

  void OnServicesResolvedRead(const std::optional<std::string>& failure, bool resolved) {
    if (step_ != Step::kResolvingServices) return;
    if (failure) {
      EndAttempt("reading ServicesResolved of " + device_path_ + " failed: " + *failure);
      return;
    }
    if (resolved) FindCharacteristic();
    // else: the PropertiesChanged signal will move us on, or the step times out.
  }

  void FindCharacteristic() {
    EnterStep(Step::kFindingCharacteristic, config_.call_timeout_s);
    try {
      root_proxy_->callMethodAsync("GetManagedObjects")
          .onInterface(kObjectManagerInterface)
          .withTimeout(Milliseconds(config_.call_timeout_s))
          .uponReplyInvoke([post = PosterForThisAttempt()](const sdbus::Error* error,
                                                           const ManagedObjects& objects) {
            // Reduce the reply to plain data here, on the D-Bus thread.
            std::optional<std::string> failure;
            std::vector<GattCharacteristicInfo> characteristics;
            if (error != nullptr) {
              failure = ErrorText(*error);
            } else {
              for (const auto& [path, interfaces] : objects) {
                const auto it = interfaces.find(kCharacteristicInterface);
                if (it == interfaces.end()) continue;
                const auto uuid = it->second.find("UUID");
                if (uuid == it->second.end() || !uuid->second.containsValueOfType<std::string>()) {
                  continue;
                }
                characteristics.push_back({path, uuid->second.get<std::string>()});
              }
            }
            post([failure, characteristics = std::move(characteristics)](Link& self) {
              self.OnCharacteristicsListed(failure, characteristics);
            });
          });
    } catch (const sdbus::Error& e) {
      EndAttempt(std::string("cannot call GetManagedObjects(): ") + e.what());
    }
  }

  void OnCharacteristicsListed(const std::optional<std::string>& failure,
                               const std::vector<GattCharacteristicInfo>& characteristics) {
    if (step_ != Step::kFindingCharacteristic) return;
    if (failure) {
      EndAttempt("GetManagedObjects() failed: " + *failure);
      return;
    }
    const std::optional<std::string> notify_path =
        FindGattCharacteristic(characteristics, device_path_, config_.notify_uuid);
    if (!notify_path) {
      std::string seen;
      for (const GattCharacteristicInfo& info : characteristics) {
        if (info.path.rfind(device_path_ + "/", 0) == 0)
          seen += (seen.empty() ? "" : ", ") + info.uuid;
      }
      EndAttempt("no GATT characteristic " + config_.notify_uuid + " under " + device_path_ +
                 " (characteristics there: " + (seen.empty() ? "none" : seen) + ")");
      return;
    }
    write_path_.clear();
    if (!rate_commands_.empty()) {
      write_path_ =
          FindGattCharacteristic(characteristics, device_path_, config_.write_uuid).value_or("");
    }
    characteristic_path_ = *notify_path;
    characteristic_proxy_ = sdbus::createProxy(*connection_, kBluezService, characteristic_path_);
    EnterStep(Step::kEnablingNotify, config_.call_timeout_s);
    try {
      characteristic_proxy_->callMethodAsync("StartNotify")
          .onInterface(kCharacteristicInterface)
          .withTimeout(Milliseconds(config_.call_timeout_s))
          .uponReplyInvoke(ReplyHandler(&Link::OnStartNotifyReply));
    } catch (const sdbus::Error& e) {
      EndAttempt("cannot call StartNotify() on " + characteristic_path_ + ": " + e.what());
    }
  }

  void OnStartNotifyReply(std::optional<std::string> failure) {
    if (step_ != Step::kEnablingNotify && step_ != Step::kStreaming) return;
    if (failure) {
      EndAttempt("StartNotify() on " + characteristic_path_ + " failed: " + *failure);
      return;
    }
    if (step_ == Step::kEnablingNotify) Announce();
    if (step_ == Step::kStreaming) SendRateCommands();
  }

  void SendRateCommands() {
    if (rate_commands_.empty()) return;
    if (write_path_.empty()) {
      last_error_ = "rate " + std::to_string(config_.rate_hz) + " Hz not set: no write " +
                    "characteristic " + config_.write_uuid + " under " + device_path_;
      return;
    }
    try {
      auto write_proxy = sdbus::createProxy(*connection_, kBluezService, write_path_);
      const std::map<std::string, sdbus::Variant> options = {
          {"type", sdbus::Variant(std::string("command"))}};
      // Write-without-response commands; the device applies them in order.
      for (const WitMotionCommand& command : rate_commands_) {
        write_proxy->callMethod("WriteValue")
            .onInterface(kCharacteristicInterface)
            .withArguments(std::vector<std::uint8_t>(command.begin(), command.end()), options)
            .dontExpectReply();
      }
    } catch (const sdbus::Error& e) {
      last_error_ = "rate " + std::to_string(config_.rate_hz) + " Hz not set: " + e.what();
    }
  }

  void Announce() {
    timer_.cancel();
    step_ = Step::kStreaming;
    if (connected_before_) ++reconnects_;
    connected_before_ = true;
    backoff_.OnConnected(std::chrono::steady_clock::now());
    spdlog::info("ble {}: notifications on from {}", address_, characteristic_path_);
    if (callbacks_.on_connected) {
      callbacks_.on_connected(
          std::chrono::steady_clock::now(),
          "BLE " + address_ + " via " + config_.adapter + ", " + characteristic_path_);
    }
  }

  void OnSignal(const BluezSignal& signal) {
    if (step_ == Step::kStopped || step_ == Step::kIdle || step_ == Step::kBackoff) return;
    switch (signal.kind) {
      case BluezSignal::Kind::kBusLost:
      case BluezSignal::Kind::kBluezGone:
        EndAttempt(signal.detail);
        return;
      case BluezSignal::Kind::kInterfacesAdded:
        if (signal.path == device_path_ && Contains(signal.added_interfaces, kDeviceInterface)) {
          OnDeviceAdded();
        }
        return;
      case BluezSignal::Kind::kInterfacesRemoved:
        OnInterfacesRemoved(signal);
        return;
      case BluezSignal::Kind::kPropertiesChanged:
        if (signal.value) {
          OnValue(signal);
        } else if (signal.path == device_path_) {
          OnDeviceChanged(signal);
        }
        return;
    }
  }

  void OnValue(const BluezSignal& signal) {
    if (signal.path != characteristic_path_) return;
    // Notifications may overtake StartNotify()'s reply: they prove it worked.
    if (step_ == Step::kEnablingNotify) {
      Announce();
      if (step_ != Step::kStreaming) return;  // on_connected stopped us
    }
    if (step_ != Step::kStreaming) return;
    bytes_ += signal.value->size();
    if (callbacks_.on_bytes) callbacks_.on_bytes(signal.arrival, *signal.value);
  }

  void OnDeviceChanged(const BluezSignal& signal) {
    // Before Connect() the device's flags are someone else's business.
    if (step_ == Step::kCheckingDevice || step_ == Step::kDiscovering) return;
    if (signal.services_resolved == true) {
      if (step_ == Step::kConnecting) services_resolved_seen_ = true;
      if (step_ == Step::kResolvingServices) FindCharacteristic();
    }
    // While Connect() is pending the flags may still flip; after it they mean the link is gone.
    if (step_ == Step::kConnecting) return;
    if (signal.connected == false) {
      EndAttempt("device " + address_ + " disconnected (Connected=false)");
    } else if (signal.services_resolved == false) {
      EndAttempt("device " + address_ + " services no longer resolved (ServicesResolved=false)");
    }
  }

  static bool Contains(const std::vector<std::string>& names, const char* name) {
    for (const std::string& candidate : names) {
      if (candidate == name) return true;
    }
    return false;
  }

  void OnInterfacesRemoved(const BluezSignal& signal) {
    // Before Connect() a removal changes nothing: Connect() finds out, or discovery goes on.
    if (step_ == Step::kCheckingDevice || step_ == Step::kDiscovering) return;
    if (signal.path == device_path_ && Contains(signal.removed_interfaces, kDeviceInterface)) {
      EndAttempt("device " + address_ + " removed by BlueZ");
    } else if (!characteristic_path_.empty() && signal.path == characteristic_path_ &&
               Contains(signal.removed_interfaces, kCharacteristicInterface)) {
      EndAttempt("characteristic " + characteristic_path_ + " removed by BlueZ");
    }
  }

  // Starts 'step' with an io-side watchdog of 'timeout_s' (plus a margin when a D-Bus call's
  // own timeout should normally end the step first; discovery has no such call).
  void EnterStep(Step step, double timeout_s) {
    step_ = step;
    timer_.expires_after(Milliseconds(timeout_s) + (step == Step::kDiscovering
                                                        ? std::chrono::milliseconds(0)
                                                        : kWatchdogMargin));
    timer_.async_wait([weak = weak_from_this(), attempt = attempt_, step,
                       timeout_s](const boost::system::error_code& ec) {
      if (ec) return;
      const std::shared_ptr<Link> self = weak.lock();
      if (!self || self->attempt_ != attempt || self->step_ != step) return;
      // A stuck Connect() or resolution is cancelled so BlueZ does not keep trying on its own.
      if (step == Step::kConnecting || step == Step::kResolvingServices) self->SendDisconnect();
      if (step == Step::kDiscovering) {
        self->EndAttempt(self->DiscoveryTimeoutText(timeout_s));
        return;
      }
      self->EndAttempt(std::string("timed out after ") + std::to_string(timeout_s) +
                       " s waiting for " + StepName(step) + " of " + self->device_path_);
    });
  }

  std::string DiscoveryTimeoutText(double timeout_s) const {
    const std::string waited = "discovery timed out after " + std::to_string(timeout_s) + " s";
    if (!discovery_running_) {
      return "device " + address_ + " not found on " + config_.adapter + ": " + waited +
             " before StartDiscovery() on it succeeded";
    }
    return "device " + address_ + " not found on " + config_.adapter + ": " + waited + " (no " +
           device_path_ + " appeared; is the sensor on and advertising?)";
  }

  void SendDisconnect() {
    try {
      device_proxy_->callMethod("Disconnect").onInterface(kDeviceInterface).dontExpectReply();
    } catch (const sdbus::Error& e) {
      spdlog::debug("ble {}: Disconnect not sent: {}", address_, e.what());
    }
  }

  // Ends the current attempt: reports the loss if it had connected, then retries after the
  // backoff. Replies and signals of the ended attempt are ignored from here on.
  void EndAttempt(const std::string& reason) {
    const bool was_streaming = step_ == Step::kStreaming;
    ++attempt_;
    step_ = Step::kBackoff;
    discovery_claim_.reset();  // the next attempt claims again if it needs to
    characteristic_path_.clear();
    characteristic_proxy_.reset();
    last_error_ = reason;
    if (was_streaming) {
      const SteadyTime now = std::chrono::steady_clock::now();
      backoff_.OnLost(now);
      spdlog::warn("ble {}: lost: {}", address_, reason);
      if (callbacks_.on_lost) callbacks_.on_lost(now, reason);
      if (step_ != Step::kBackoff) return;  // the callback stopped (or restarted) us
    } else {
      spdlog::debug("ble {}: attempt failed: {}", address_, reason);
    }
    timer_.expires_after(backoff_.NextDelay());
    timer_.async_wait(
        [weak = weak_from_this(), attempt = attempt_](const boost::system::error_code& ec) {
          if (ec) return;
          const std::shared_ptr<Link> self = weak.lock();
          if (!self || self->attempt_ != attempt || self->step_ != Step::kBackoff) return;
          self->BeginAttempt();
        });
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
  const BleSourceConfig config_;
  const ByteSourceCallbacks callbacks_;
  const std::string device_path_;
  const std::string address_;
  std::vector<WitMotionCommand> rate_commands_;
  ReconnectBackoff backoff_;
  asio::steady_timer timer_;

  Step step_ = Step::kIdle;
  std::uint64_t attempt_ = 0;
  bool services_resolved_seen_ = false;
  bool device_added_seen_ = false;        // InterfacesAdded of the device during kCheckingDevice
  bool discovered_this_attempt_ = false;  // at most one discovery per attempt
  bool discovery_running_ = false;        // the claim was granted (for the timeout's message)
  bool connected_before_ = false;
  std::string characteristic_path_;
  std::string write_path_;

  // Declared after bus_ so they go first; connection_ outlives the proxies built on it.
  std::shared_ptr<sdbus::IConnection> connection_;
  std::uint64_t bus_generation_ = 0;
  std::unique_ptr<sdbus::IProxy> device_proxy_;
  std::unique_ptr<sdbus::IProxy> root_proxy_;
  std::unique_ptr<sdbus::IProxy> characteristic_proxy_;
  std::unique_ptr<BleBus::Subscription> subscription_;
  std::unique_ptr<BleBus::DiscoveryClaim> discovery_claim_;

  std::uint64_t bytes_ = 0;
  std::uint32_t reconnects_ = 0;
  std::string last_error_;
};

namespace {

BleSourceConfig Validated(BleSourceConfig config) {
  BluezDevicePath(config.adapter, config.address);  // throws for a bad address or adapter
  CheckUuid(config.notify_uuid, "notify_uuid");
  if (config.rate_hz != 0) {
    CheckUuid(config.write_uuid, "write_uuid");
    WitBleRateCommands(config.model, config.rate_hz);  // throws for an unsupported rate
  }
  CheckPositive(config.connect_timeout_s, "connect_timeout_s");
  CheckPositive(config.services_timeout_s, "services_timeout_s");
  CheckPositive(config.call_timeout_s, "call_timeout_s");
  CheckPositive(config.discovery_timeout_s, "discovery_timeout_s");
  try {
    ReconnectBackoff check(config.backoff);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("BLE source config: backoff: ") + e.what());
  }
  return config;
}

}  // namespace

ReconnectBackoffOptions BleReconnectBackoffOptions() {
  ReconnectBackoffOptions options;
  options.initial_delay = std::chrono::milliseconds(500);
  options.max_delay = std::chrono::milliseconds(10000);
  options.stable_after = std::chrono::milliseconds(10000);
  options.jitter_fraction = 0.2;
  return options;
}

BleSource::BleSource(asio::io_context& io, std::shared_ptr<BleBus> bus, BleSourceConfig config,
                     ByteSourceCallbacks callbacks)
    : link_(std::make_shared<Link>(io, std::move(bus), Validated(std::move(config)),
                                   std::move(callbacks))) {}

BleSource::~BleSource() { link_->Stop(); }

void BleSource::Start() { link_->Start(); }

void BleSource::Stop() { link_->Stop(); }

ByteSourceStats BleSource::stats() const { return link_->stats(); }

std::string BleSource::address() const { return link_->address(); }

}  // namespace ambi::daemon
