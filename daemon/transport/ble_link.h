#ifndef AMBI_DAEMON_TRANSPORT_BLE_LINK_H_
#define AMBI_DAEMON_TRANSPORT_BLE_LINK_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/transport/ble_bluez_names.h"
#include "daemon/transport/ble_source_config.h"
#include "daemon/transport/byte_source.h"
#include "daemon/transport/reconnect_backoff.h"
#include "daemon/transport/witmotion_commands.h"

namespace ambi::transport {

// The steps of one BLE device link (see BleLink).
enum class BleLinkState {
  kStopped,                // not started, or stopped
  kCheckingDevice,         // GetManagedObjects() sent: does BlueZ know the device?
  kDiscovering,            // discovery claimed, waiting for the device's InterfacesAdded
  kConnecting,             // Device1.Connect() sent
  kResolvingServices,      // connected, waiting for ServicesResolved
  kFindingCharacteristic,  // GetManagedObjects() sent: where is the notify characteristic?
  kEnablingNotify,         // StartNotify() sent
  kStreaming,              // notifications flow
  kWaitingToRetry,         // the attempt ended; the retry timer runs
};

const char* ToString(BleLinkState state);

// The D-Bus calls of an attempt, for CallFailed.
enum class BleCall {
  kCheckDevice,           // ObjectManager.GetManagedObjects(), for the device
  kConnect,               // Device1.Connect()
  kReadServicesResolved,  // Properties.Get(Device1, ServicesResolved)
  kListCharacteristics,   // ObjectManager.GetManagedObjects(), for the characteristics
  kStartNotify,           // GattCharacteristic1.StartNotify()
};

// What happens to a link: the owner's requests, the outcomes of the calls the link asked for
// (they carry the 'attempt' the call was made for, BleLink::attempt() when it was carried out, so
// a late reply of an ended attempt is ignored), BlueZ's signals, and the timer.
namespace ble_event {

struct StartRequested {};
struct StopRequested {};
// No system bus connection to make the attempt's calls on ('reason' says why).
struct BusUnavailable {
  std::uint64_t attempt = 0;
  std::string reason;
};
// The reply to CheckDevice: whether BlueZ has an org.bluez.Device1 object for the device.
struct DeviceListed {
  std::uint64_t attempt = 0;
  bool known = false;
};
struct DiscoveryStarted {
  std::uint64_t attempt = 0;
};
// Discovery could not start, or stopped being ours.
struct DiscoveryFailed {
  std::uint64_t attempt = 0;
  std::string reason;
};
// The successful reply to Connect().
struct Connected {
  std::uint64_t attempt = 0;
};
// The reply to ReadServicesResolved.
struct ServicesResolvedRead {
  std::uint64_t attempt = 0;
  bool resolved = false;
};
// The reply to ListCharacteristics: every GattCharacteristic1 object BlueZ has, with its UUID.
struct CharacteristicsListed {
  std::uint64_t attempt = 0;
  std::vector<GattCharacteristicInfo> characteristics;
};
// The successful reply to StartNotify().
struct NotifyStarted {
  std::uint64_t attempt = 0;
};
// A call failed: its error reply ('sent'), or it could not even be sent (then 'error' is the
// local exception's text). 'error_name' is the D-Bus error name when there is one.
struct CallFailed {
  std::uint64_t attempt = 0;
  BleCall call = BleCall::kCheckDevice;
  bool sent = true;
  std::string error_name;
  std::string error;  // "org.bluez.Error.Failed: le-connection-abort-by-local"
};
// Writing the rate commands failed locally (they expect no reply).
struct RateWriteFailed {
  std::uint64_t attempt = 0;
  std::string error;
};
// ObjectManager.InterfacesAdded / InterfacesRemoved of 'path'.
struct InterfacesAdded {
  std::string path;
  std::vector<std::string> interfaces;
};
struct InterfacesRemoved {
  std::string path;
  std::vector<std::string> interfaces;
};
// PropertiesChanged of org.bluez.Device1 on 'path'; only the properties that changed are set.
struct DevicePropertiesChanged {
  std::string path;
  std::optional<bool> connected;
  std::optional<bool> services_resolved;
};
// PropertiesChanged of a GattCharacteristic1's Value on 'path', stamped on arrival.
struct NotificationBytes {
  std::string path;
  SteadyTime arrival;
  std::vector<std::uint8_t> bytes;
};
// The bus connection went away or bluetoothd left it.
struct BusLost {
  std::string reason;
};
// The timer armed by ArmWatchdog / ScheduleRetry with this 'token' expired.
struct TimerFired {
  std::uint64_t token = 0;
};

}  // namespace ble_event

using BleLinkEvent =
    std::variant<ble_event::StartRequested, ble_event::StopRequested, ble_event::BusUnavailable,
                 ble_event::DeviceListed, ble_event::DiscoveryStarted, ble_event::DiscoveryFailed,
                 ble_event::Connected, ble_event::ServicesResolvedRead,
                 ble_event::CharacteristicsListed, ble_event::NotifyStarted, ble_event::CallFailed,
                 ble_event::RateWriteFailed, ble_event::InterfacesAdded,
                 ble_event::InterfacesRemoved, ble_event::DevicePropertiesChanged,
                 ble_event::NotificationBytes, ble_event::BusLost, ble_event::TimerFired>;

// What the link asks its owner to do, in order. A call's outcome goes back as an event carrying
// BleLink::attempt(). Its owner stops carrying out a list as soon as attempt() changes under it
// (a callback stopped or restarted the link): the rest was meant for the attempt that ended.
namespace ble_action {

// Get the bus connection and the device's proxies, listen to the device's signals (all before the
// call, so nothing slips between), then GetManagedObjects(): DeviceListed, or BusUnavailable.
struct CheckDevice {
  double timeout_s = 0.0;
};
// BleBus::ClaimDiscovery on the link's adapter: DiscoveryStarted or DiscoveryFailed.
struct ClaimDiscovery {};
// Drop the discovery claim, if any.
struct ReleaseDiscovery {};
struct CallConnect {
  double timeout_s = 0.0;
};
// Properties.Get(Device1, ServicesResolved): ServicesResolvedRead.
struct ReadServicesResolved {
  double timeout_s = 0.0;
};
// GetManagedObjects(): CharacteristicsListed.
struct ListCharacteristics {
  double timeout_s = 0.0;
};
struct StartNotify {
  std::string path;
  double timeout_s = 0.0;
};
// WriteValue(command, {type: command}) on 'path' for each command, in order, no reply expected.
struct WriteRate {
  std::string path;
  std::vector<WitMotionCommand> commands;
};
// Device1.Disconnect(), no reply expected: a stuck Connect() is cancelled so BlueZ stops trying.
struct SendDisconnect {};
// GattCharacteristic1.StopNotify() on 'path', best effort, no reply expected.
struct StopNotify {
  std::string path;
};
// Forget the characteristic's proxy (its calls belong to the attempt that ended).
struct DropCharacteristic {};
// Stop listening and drop every proxy and the connection.
struct CloseBus {};
// (Re)arm the one timer: TimerFired{token} after 'delay'. Replaces any armed timer.
struct ArmWatchdog {
  std::uint64_t token = 0;
  std::chrono::milliseconds delay{0};
};
struct ScheduleRetry {
  std::uint64_t token = 0;
  std::chrono::milliseconds delay{0};
};
struct CancelTimer {};
// ByteSourceCallbacks::on_connected / on_lost / on_bytes.
struct ReportConnected {
  SteadyTime time;
  std::string detail;
};
struct ReportLost {
  SteadyTime time;
  std::string reason;
};
struct DeliverBytes {
  SteadyTime arrival;
  std::vector<std::uint8_t> bytes;
};
struct Log {
  enum class Level { kDebug, kInfo, kWarn };
  Level level = Level::kInfo;
  std::string message;  // without the address, which the owner adds
};

}  // namespace ble_action

using BleLinkAction =
    std::variant<ble_action::CheckDevice, ble_action::ClaimDiscovery, ble_action::ReleaseDiscovery,
                 ble_action::CallConnect, ble_action::ReadServicesResolved,
                 ble_action::ListCharacteristics, ble_action::StartNotify, ble_action::WriteRate,
                 ble_action::SendDisconnect, ble_action::StopNotify, ble_action::DropCharacteristic,
                 ble_action::CloseBus, ble_action::ArmWatchdog, ble_action::ScheduleRetry,
                 ble_action::CancelTimer, ble_action::ReportConnected, ble_action::ReportLost,
                 ble_action::DeliverBytes, ble_action::Log>;
using BleLinkActions = std::vector<BleLinkAction>;

// The logic of one BLE device link through BlueZ, without I/O: events in, actions out. No D-Bus,
// no Asio, no clock (the time of each event is passed in), so every transition is unit-tested.
//
// Each attempt: is the device known to BlueZ? -> if not, LE discovery until its InterfacesAdded
// (at most discovery_timeout_s) -> Connect() -> ServicesResolved (read, and watched) -> the notify
// characteristic looked up by UUID -> StartNotify() -> optional rate command -> connected.
// Connect() failing with UnknownObject/DoesNotExist (the device forgotten since the check) also
// leads to discovery, once per attempt. Every step has a watchdog; a failed call, a watchdog, the
// device or characteristic removed, Connected/ServicesResolved turning false after Connect(), or a
// lost bus ends the attempt (reported as lost if it had connected) and a new one starts after a
// backoff. Nothing is cached across attempts. Not thread-safe.
class BleLink {
 public:
  // 'config' must have passed ValidatedBleSourceConfig (throws std::invalid_argument otherwise).
  explicit BleLink(const BleSourceConfig& config);

  // The actions 'event', happening at 'now', calls for.
  [[nodiscard]] BleLinkActions Handle(const BleLinkEvent& event, SteadyTime now);

  BleLinkState state() const { return state_; }
  // Changes whenever an attempt begins or ends and on stop; call outcomes carry it.
  std::uint64_t attempt() const { return attempt_; }
  ByteSourceStats stats() const;
  const std::string& address() const { return address_; }
  const std::string& device_path() const { return device_path_; }
  const BleSourceConfig& config() const { return config_; }

 private:
  void On(const ble_event::StartRequested&);
  void On(const ble_event::StopRequested&);
  void On(const ble_event::BusUnavailable& event);
  void On(const ble_event::DeviceListed& event);
  void On(const ble_event::DiscoveryStarted& event);
  void On(const ble_event::DiscoveryFailed& event);
  void On(const ble_event::Connected& event);
  void On(const ble_event::ServicesResolvedRead& event);
  void On(const ble_event::CharacteristicsListed& event);
  void On(const ble_event::NotifyStarted& event);
  void On(const ble_event::CallFailed& event);
  void On(const ble_event::RateWriteFailed& event);
  void On(const ble_event::InterfacesAdded& event);
  void On(const ble_event::InterfacesRemoved& event);
  void On(const ble_event::DevicePropertiesChanged& event);
  void On(const ble_event::NotificationBytes& event);
  void On(const ble_event::BusLost& event);
  void On(const ble_event::TimerFired& event);

  // True when an outcome of 'attempt' is stale: another attempt began, or the link stopped.
  bool Stale(std::uint64_t attempt) const;
  // True while an attempt is in a step that BlueZ's signals can affect.
  bool Attempting() const;

  void BeginAttempt();
  void Discover(const std::string& why);
  void Connect();
  void FindCharacteristic();
  void Announce();
  void SendRateCommands();
  void EndAttempt(const std::string& reason);
  // Enters 'state' with a watchdog of 'timeout_s' (plus a margin when a D-Bus call's own timeout
  // should normally end the step first).
  void Enter(BleLinkState state, double timeout_s);
  // A new token for the one timer, which replaces the one armed before.
  std::uint64_t ArmTimer();
  std::string DiscoveryTimeoutText() const;
  std::string FailureText(const ble_event::CallFailed& event) const;
  void Log(ble_action::Log::Level level, std::string message);

  const BleSourceConfig config_;
  const std::string address_;
  const std::string device_path_;
  const std::vector<WitMotionCommand> rate_commands_;
  ReconnectBackoff backoff_;

  BleLinkState state_ = BleLinkState::kStopped;
  std::uint64_t attempt_ = 0;
  std::uint64_t last_timer_ = 0;          // the token of the latest timer armed
  std::uint64_t armed_timer_ = 0;         // the token of the timer that counts; 0: none
  double step_timeout_s_ = 0.0;           // the watchdog's, for its message
  bool services_resolved_seen_ = false;   // ServicesResolved=true while Connect() was pending
  bool device_added_seen_ = false;        // InterfacesAdded of the device while checking
  bool discovered_this_attempt_ = false;  // at most one discovery per attempt
  bool discovery_running_ = false;        // the claim was granted (for the timeout's message)
  bool connected_before_ = false;
  std::string characteristic_path_;
  std::string write_path_;

  std::uint64_t bytes_ = 0;
  std::uint32_t reconnects_ = 0;
  std::string last_error_;

  // Filled by Handle's callees, returned by Handle.
  SteadyTime now_{};
  BleLinkActions actions_;
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_LINK_H_
