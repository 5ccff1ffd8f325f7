#include "daemon/transport/ble_link.h"

#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>

namespace ambi::transport {
namespace {

constexpr char kDeviceInterface[] = "org.bluez.Device1";
constexpr char kCharacteristicInterface[] = "org.bluez.GattCharacteristic1";
// Connect() on a device that is already connected is a success for us.
constexpr char kAlreadyConnectedError[] = "org.bluez.Error.AlreadyConnected";
// What Connect() fails with when BlueZ has no object for the device (never seen, or forgotten):
// the first from D-Bus itself for a path nobody serves, the second from BlueZ.
constexpr const char* kDeviceAbsentErrors[] = {"org.freedesktop.DBus.Error.UnknownObject",
                                               "org.bluez.Error.DoesNotExist"};
// A step's watchdog fires this long after the D-Bus call's own timeout, so a call normally ends
// through its reply and the watchdog only covers a reply that never comes.
constexpr auto kWatchdogMargin = std::chrono::milliseconds(500);

std::chrono::milliseconds Milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

// "20", "0.3": seconds as people write them, for logs.
std::string SecondsText(double seconds) {
  std::ostringstream text;
  text << seconds;
  return text.str();
}

bool SaysDeviceAbsent(const std::string& error_name) {
  for (const char* name : kDeviceAbsentErrors) {
    if (error_name == name) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& names, const char* name) {
  for (const std::string& candidate : names) {
    if (candidate == name) return true;
  }
  return false;
}

// What the watchdog of 'state' was waiting for, for its message.
const char* AwaitedBy(BleLinkState state) {
  switch (state) {
    case BleLinkState::kCheckingDevice:
      return "GetManagedObjects() (is the device known)";
    case BleLinkState::kDiscovering:
      return "the device to be discovered";
    case BleLinkState::kConnecting:
      return "Connect()";
    case BleLinkState::kResolvingServices:
      return "ServicesResolved";
    case BleLinkState::kFindingCharacteristic:
      return "GetManagedObjects()";
    case BleLinkState::kEnablingNotify:
      return "StartNotify()";
    default:
      return "nothing";
  }
}

std::uint64_t BackoffSeed(const BleSourceConfig& config, const std::string& address) {
  return config.backoff_seed != 0 ? config.backoff_seed : std::hash<std::string>{}(address);
}

std::vector<WitMotionCommand> RateCommands(const BleSourceConfig& config) {
  if (config.rate_hz == 0) return {};
  return WitBleRateCommands(config.model, config.rate_hz);
}

}  // namespace

const char* ToString(BleLinkState state) {
  switch (state) {
    case BleLinkState::kStopped:
      return "stopped";
    case BleLinkState::kCheckingDevice:
      return "checking device";
    case BleLinkState::kDiscovering:
      return "discovering";
    case BleLinkState::kConnecting:
      return "connecting";
    case BleLinkState::kResolvingServices:
      return "resolving services";
    case BleLinkState::kFindingCharacteristic:
      return "finding characteristic";
    case BleLinkState::kEnablingNotify:
      return "enabling notify";
    case BleLinkState::kStreaming:
      return "streaming";
    case BleLinkState::kWaitingToRetry:
      return "waiting to retry";
  }
  return "?";
}

BleLink::BleLink(const BleSourceConfig& config)
    : config_(ValidatedBleSourceConfig(config)),
      address_(*NormalizeBleAddress(config_.address)),
      device_path_(BluezDevicePath(config_.adapter, config_.address)),
      rate_commands_(RateCommands(config_)),
      backoff_(config_.backoff, BackoffSeed(config_, address_)) {}

BleLinkActions BleLink::Handle(const BleLinkEvent& event, SteadyTime now) {
  now_ = now;
  actions_.clear();
  std::visit([this](const auto& e) { On(e); }, event);
  return std::move(actions_);
}

ByteSourceStats BleLink::stats() const {
  ByteSourceStats stats;
  switch (state_) {
    case BleLinkState::kStopped:
      stats.state = ByteSourceState::kStopped;
      break;
    case BleLinkState::kStreaming:
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

bool BleLink::Stale(std::uint64_t attempt) const {
  return attempt != attempt_ || state_ == BleLinkState::kStopped;
}

bool BleLink::Attempting() const {
  return state_ != BleLinkState::kStopped && state_ != BleLinkState::kWaitingToRetry;
}

void BleLink::Log(ble_action::Log::Level level, std::string message) {
  actions_.push_back(ble_action::Log{level, std::move(message)});
}

void BleLink::On(const ble_event::StartRequested&) {
  if (state_ != BleLinkState::kStopped) return;
  backoff_.Reset();
  BeginAttempt();
}

void BleLink::On(const ble_event::StopRequested&) {
  if (state_ == BleLinkState::kStopped) return;
  const bool was_streaming = state_ == BleLinkState::kStreaming;
  state_ = BleLinkState::kStopped;
  ++attempt_;
  armed_timer_ = 0;
  actions_.push_back(ble_action::CancelTimer{});
  actions_.push_back(ble_action::ReleaseDiscovery{});
  if (was_streaming) actions_.push_back(ble_action::StopNotify{characteristic_path_});
  actions_.push_back(ble_action::CloseBus{});
  characteristic_path_.clear();
}

void BleLink::BeginAttempt() {
  ++attempt_;
  services_resolved_seen_ = false;
  device_added_seen_ = false;
  discovered_this_attempt_ = false;
  characteristic_path_.clear();
  // BlueZ only has a device object once it has seen the device (paired, cached or discovered);
  // Connect() on a path it does not serve can only fail.
  Enter(BleLinkState::kCheckingDevice, config_.call_timeout_s);
  actions_.push_back(ble_action::CheckDevice{config_.call_timeout_s});
}

void BleLink::On(const ble_event::BusUnavailable& event) {
  if (Stale(event.attempt)) return;
  EndAttempt(event.reason);
}

void BleLink::On(const ble_event::DeviceListed& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kCheckingDevice) return;
  // InterfacesAdded that came while the call was under way counts too: the owner listened
  // before the call, so the device cannot slip between the two.
  if (event.known || device_added_seen_) {
    Connect();
  } else {
    Discover("BlueZ has no object " + device_path_);
  }
}

void BleLink::Discover(const std::string& why) {
  discovered_this_attempt_ = true;
  discovery_running_ = false;
  Log(ble_action::Log::Level::kInfo, why + "; discovering LE devices on " + config_.adapter +
                                         " for up to " + SecondsText(config_.discovery_timeout_s) +
                                         " s");
  Enter(BleLinkState::kDiscovering, config_.discovery_timeout_s);
  actions_.push_back(ble_action::ClaimDiscovery{});
}

void BleLink::On(const ble_event::DiscoveryStarted& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kDiscovering) return;
  discovery_running_ = true;
}

void BleLink::On(const ble_event::DiscoveryFailed& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kDiscovering) return;
  EndAttempt("cannot discover device " + address_ + " on " + config_.adapter + ": " + event.reason);
}

void BleLink::On(const ble_event::InterfacesAdded& event) {
  if (!Attempting()) return;
  if (event.path != device_path_ || !Contains(event.interfaces, kDeviceInterface)) return;
  if (state_ == BleLinkState::kCheckingDevice) {
    device_added_seen_ = true;
  } else if (state_ == BleLinkState::kDiscovering) {
    Log(ble_action::Log::Level::kInfo, "discovered on " + config_.adapter);
    // Scanning while connecting slows the connection down on many controllers.
    actions_.push_back(ble_action::ReleaseDiscovery{});
    Connect();
  }
}

void BleLink::Connect() {
  Enter(BleLinkState::kConnecting, config_.connect_timeout_s);
  actions_.push_back(ble_action::CallConnect{config_.connect_timeout_s});
}

void BleLink::On(const ble_event::Connected& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kConnecting) return;
  Enter(BleLinkState::kResolvingServices, config_.services_timeout_s);
  if (services_resolved_seen_) {
    FindCharacteristic();
    return;
  }
  // The signal may have come before the owner listened; the property tells the current state.
  actions_.push_back(ble_action::ReadServicesResolved{config_.call_timeout_s});
}

void BleLink::On(const ble_event::ServicesResolvedRead& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kResolvingServices) return;
  if (event.resolved) FindCharacteristic();
  // else: the PropertiesChanged signal will move us on, or the step times out.
}

void BleLink::FindCharacteristic() {
  Enter(BleLinkState::kFindingCharacteristic, config_.call_timeout_s);
  actions_.push_back(ble_action::ListCharacteristics{config_.call_timeout_s});
}

void BleLink::On(const ble_event::CharacteristicsListed& event) {
  if (Stale(event.attempt) || state_ != BleLinkState::kFindingCharacteristic) return;
  const std::optional<std::string> notify_path =
      FindGattCharacteristic(event.characteristics, device_path_, config_.notify_uuid);
  if (!notify_path) {
    std::string seen;
    for (const GattCharacteristicInfo& info : event.characteristics) {
      if (info.path.rfind(device_path_ + "/", 0) == 0) {
        seen += (seen.empty() ? "" : ", ") + info.uuid;
      }
    }
    EndAttempt("no GATT characteristic " + config_.notify_uuid + " under " + device_path_ +
               " (characteristics there: " + (seen.empty() ? "none" : seen) + ")");
    return;
  }
  write_path_.clear();
  if (!rate_commands_.empty()) {
    write_path_ = FindGattCharacteristic(event.characteristics, device_path_, config_.write_uuid)
                      .value_or("");
  }
  characteristic_path_ = *notify_path;
  Enter(BleLinkState::kEnablingNotify, config_.call_timeout_s);
  actions_.push_back(ble_action::StartNotify{characteristic_path_, config_.call_timeout_s});
}

void BleLink::On(const ble_event::NotifyStarted& event) {
  if (Stale(event.attempt)) return;
  if (state_ != BleLinkState::kEnablingNotify && state_ != BleLinkState::kStreaming) return;
  // Notifications may have overtaken the reply and announced the link already.
  if (state_ == BleLinkState::kEnablingNotify) Announce();
  SendRateCommands();
}

void BleLink::SendRateCommands() {
  if (rate_commands_.empty()) return;
  if (write_path_.empty()) {
    last_error_ = "rate " + std::to_string(config_.rate_hz) + " Hz not set: no write " +
                  "characteristic " + config_.write_uuid + " under " + device_path_;
    return;
  }
  actions_.push_back(ble_action::WriteRate{write_path_, rate_commands_});
}

void BleLink::On(const ble_event::RateWriteFailed& event) {
  if (Stale(event.attempt)) return;
  last_error_ = "rate " + std::to_string(config_.rate_hz) + " Hz not set: " + event.error;
}

std::string BleLink::FailureText(const ble_event::CallFailed& event) const {
  switch (event.call) {
    case BleCall::kCheckDevice:
      return event.sent ? "GetManagedObjects() failed while looking for " + device_path_ + ": " +
                              event.error
                        : "cannot call GetManagedObjects(): " + event.error;
    case BleCall::kConnect:
      return event.sent ? "Connect() on " + device_path_ + " failed: " + event.error
                        : "cannot call Connect() on " + device_path_ + ": " + event.error;
    case BleCall::kReadServicesResolved:
      return event.sent ? "reading ServicesResolved of " + device_path_ + " failed: " + event.error
                        : "cannot read ServicesResolved: " + event.error;
    case BleCall::kListCharacteristics:
      return event.sent ? "GetManagedObjects() failed: " + event.error
                        : "cannot call GetManagedObjects(): " + event.error;
    case BleCall::kStartNotify:
      return event.sent
                 ? "StartNotify() on " + characteristic_path_ + " failed: " + event.error
                 : "cannot call StartNotify() on " + characteristic_path_ + ": " + event.error;
  }
  return event.error;
}

void BleLink::On(const ble_event::CallFailed& event) {
  if (Stale(event.attempt)) return;
  const bool already_connected = event.sent && event.error_name == kAlreadyConnectedError;
  switch (event.call) {
    case BleCall::kCheckDevice:
      if (state_ != BleLinkState::kCheckingDevice) return;
      break;
    case BleCall::kConnect:
      if (state_ != BleLinkState::kConnecting) return;
      if (already_connected) {
        On(ble_event::Connected{event.attempt});
        return;
      }
      // Forgotten since the check (a BlueZ restart, a temporary device expiring): find it again,
      // but only once per attempt.
      if (event.sent && SaysDeviceAbsent(event.error_name) && !discovered_this_attempt_) {
        Discover(FailureText(event));
        return;
      }
      break;
    case BleCall::kReadServicesResolved:
      if (state_ != BleLinkState::kResolvingServices) return;
      break;
    case BleCall::kListCharacteristics:
      if (state_ != BleLinkState::kFindingCharacteristic) return;
      break;
    case BleCall::kStartNotify:
      if (state_ != BleLinkState::kEnablingNotify && state_ != BleLinkState::kStreaming) return;
      if (already_connected) {
        On(ble_event::NotifyStarted{event.attempt});
        return;
      }
      break;
  }
  EndAttempt(FailureText(event));
}

void BleLink::Announce() {
  armed_timer_ = 0;
  actions_.push_back(ble_action::CancelTimer{});
  state_ = BleLinkState::kStreaming;
  if (connected_before_) ++reconnects_;
  connected_before_ = true;
  backoff_.OnConnected(now_);
  Log(ble_action::Log::Level::kInfo, "notifications on from " + characteristic_path_);
  actions_.push_back(ble_action::ReportConnected{
      now_, "BLE " + address_ + " via " + config_.adapter + ", " + characteristic_path_});
}

void BleLink::On(const ble_event::NotificationBytes& event) {
  if (!Attempting() || event.path != characteristic_path_) return;
  // Notifications may overtake StartNotify()'s reply: they prove it worked.
  if (state_ == BleLinkState::kEnablingNotify) Announce();
  if (state_ != BleLinkState::kStreaming) return;
  bytes_ += event.bytes.size();
  actions_.push_back(ble_action::DeliverBytes{event.arrival, event.bytes});
}

void BleLink::On(const ble_event::DevicePropertiesChanged& event) {
  if (!Attempting() || event.path != device_path_) return;
  // Before Connect() the device's flags are someone else's business.
  if (state_ == BleLinkState::kCheckingDevice || state_ == BleLinkState::kDiscovering) return;
  if (event.services_resolved == true) {
    if (state_ == BleLinkState::kConnecting) services_resolved_seen_ = true;
    if (state_ == BleLinkState::kResolvingServices) FindCharacteristic();
  }
  // While Connect() is pending the flags may still flip; after it they mean the link is gone.
  if (state_ == BleLinkState::kConnecting) return;
  if (event.connected == false) {
    EndAttempt("device " + address_ + " disconnected (Connected=false)");
  } else if (event.services_resolved == false) {
    EndAttempt("device " + address_ + " services no longer resolved (ServicesResolved=false)");
  }
}

void BleLink::On(const ble_event::InterfacesRemoved& event) {
  if (!Attempting()) return;
  // Before Connect() a removal changes nothing: Connect() finds out, or discovery goes on.
  if (state_ == BleLinkState::kCheckingDevice || state_ == BleLinkState::kDiscovering) return;
  if (event.path == device_path_ && Contains(event.interfaces, kDeviceInterface)) {
    EndAttempt("device " + address_ + " removed by BlueZ");
  } else if (!characteristic_path_.empty() && event.path == characteristic_path_ &&
             Contains(event.interfaces, kCharacteristicInterface)) {
    EndAttempt("characteristic " + characteristic_path_ + " removed by BlueZ");
  }
}

void BleLink::On(const ble_event::BusLost& event) {
  if (!Attempting()) return;
  EndAttempt(event.reason);
}

std::uint64_t BleLink::ArmTimer() {
  armed_timer_ = ++last_timer_;
  return armed_timer_;
}

void BleLink::Enter(BleLinkState state, double timeout_s) {
  state_ = state;
  step_timeout_s_ = timeout_s;
  const std::chrono::milliseconds margin =
      state == BleLinkState::kDiscovering ? std::chrono::milliseconds(0) : kWatchdogMargin;
  actions_.push_back(ble_action::ArmWatchdog{ArmTimer(), Milliseconds(timeout_s) + margin});
}

void BleLink::On(const ble_event::TimerFired& event) {
  if (event.token == 0 || event.token != armed_timer_) return;
  armed_timer_ = 0;
  if (state_ == BleLinkState::kWaitingToRetry) {
    BeginAttempt();
    return;
  }
  if (!Attempting() || state_ == BleLinkState::kStreaming) return;
  // A stuck Connect() or resolution is cancelled so BlueZ does not keep trying on its own.
  if (state_ == BleLinkState::kConnecting || state_ == BleLinkState::kResolvingServices) {
    actions_.push_back(ble_action::SendDisconnect{});
  }
  if (state_ == BleLinkState::kDiscovering) {
    EndAttempt(DiscoveryTimeoutText());
    return;
  }
  EndAttempt(std::string("timed out after ") + std::to_string(step_timeout_s_) + " s waiting for " +
             AwaitedBy(state_) + " of " + device_path_);
}

std::string BleLink::DiscoveryTimeoutText() const {
  const std::string waited = "discovery timed out after " + std::to_string(step_timeout_s_) + " s";
  if (!discovery_running_) {
    return "device " + address_ + " not found on " + config_.adapter + ": " + waited +
           " before StartDiscovery() on it succeeded";
  }
  return "device " + address_ + " not found on " + config_.adapter + ": " + waited + " (no " +
         device_path_ + " appeared; is the sensor on and advertising?)";
}

void BleLink::EndAttempt(const std::string& reason) {
  const bool was_streaming = state_ == BleLinkState::kStreaming;
  ++attempt_;
  state_ = BleLinkState::kWaitingToRetry;
  actions_.push_back(ble_action::ReleaseDiscovery{});  // the next attempt claims again if need be
  actions_.push_back(ble_action::DropCharacteristic{});
  characteristic_path_.clear();
  last_error_ = reason;
  if (was_streaming) {
    backoff_.OnLost(now_);
    Log(ble_action::Log::Level::kWarn, "lost: " + reason);
    actions_.push_back(ble_action::ReportLost{now_, reason});
  } else {
    Log(ble_action::Log::Level::kDebug, "attempt failed: " + reason);
  }
  actions_.push_back(ble_action::ScheduleRetry{ArmTimer(), backoff_.NextDelay()});
}

}  // namespace ambi::transport
