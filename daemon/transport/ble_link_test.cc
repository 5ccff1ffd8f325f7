#include "daemon/transport/ble_link.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ambi::transport {
namespace {

using std::chrono::milliseconds;
using Level = ble_action::Log::Level;

constexpr char kDevicePath[] = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF";
constexpr char kNotifyPath[] = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF/service000c/char000d";
constexpr char kWritePath[] = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF/service000c/char000f";
constexpr char kNotifyUuid[] = "0000ffe4-0000-1000-8000-00805f9a34fb";
constexpr char kWriteUuid[] = "0000ffe9-0000-1000-8000-00805f9a34fb";

template <typename T>
const T* Find(const BleLinkActions& actions) {
  for (const BleLinkAction& action : actions) {
    if (const T* found = std::get_if<T>(&action)) return found;
  }
  return nullptr;
}

template <typename T>
int Count(const BleLinkActions& actions) {
  int count = 0;
  for (const BleLinkAction& action : actions) count += std::holds_alternative<T>(action) ? 1 : 0;
  return count;
}

// The index of the first action of type T, or -1.
template <typename T>
int IndexOf(const BleLinkActions& actions) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (std::holds_alternative<T>(actions[i])) return static_cast<int>(i);
  }
  return -1;
}

std::string Seconds(double seconds) { return std::to_string(seconds) + " s"; }

class BleLinkTest : public ::testing::Test {
 protected:
  static BleSourceConfig Config() {
    BleSourceConfig config;
    config.address = "aa:bb:cc:dd:ee:ff";
    config.connect_timeout_s = 30.0;
    config.services_timeout_s = 20.0;
    config.call_timeout_s = 10.0;
    config.discovery_timeout_s = 5.0;
    config.backoff.jitter_fraction = 0.0;  // delays exactly as the options say
    return config;
  }

  static std::vector<GattCharacteristicInfo> Characteristics() {
    return {{kNotifyPath, kNotifyUuid},
            {kWritePath, kWriteUuid},
            {"/org/bluez/hci0/dev_11_22_33_44_55_66/service000c/char000d", kNotifyUuid}};
  }

  BleLinkActions Handle(const BleLinkEvent& event) { return link_->Handle(event, now_); }
  std::uint64_t attempt() const { return link_->attempt(); }

  BleLinkActions Start() { return Handle(ble_event::StartRequested{}); }
  BleLinkActions ToConnecting() {
    Start();
    return Handle(ble_event::DeviceListed{attempt(), true});
  }
  BleLinkActions ToResolvingServices() {
    ToConnecting();
    return Handle(ble_event::Connected{attempt()});
  }
  BleLinkActions ToFindingCharacteristic() {
    ToResolvingServices();
    return Handle(ble_event::ServicesResolvedRead{attempt(), true});
  }
  BleLinkActions ToEnablingNotify() {
    ToFindingCharacteristic();
    return Handle(ble_event::CharacteristicsListed{attempt(), Characteristics()});
  }
  BleLinkActions ToStreaming() {
    ToEnablingNotify();
    return Handle(ble_event::NotifyStarted{attempt()});
  }
  BleLinkActions ToDiscovering() {
    Start();
    return Handle(ble_event::DeviceListed{attempt(), false});
  }
  // Fires the timer the last actions armed.
  BleLinkActions FireTimer(const BleLinkActions& armed) {
    if (const auto* watchdog = Find<ble_action::ArmWatchdog>(armed)) {
      now_ += watchdog->delay;
      return Handle(ble_event::TimerFired{watchdog->token});
    }
    const auto* retry = Find<ble_action::ScheduleRetry>(armed);
    EXPECT_NE(retry, nullptr) << "no timer armed";
    if (retry == nullptr) return {};
    now_ += retry->delay;
    return Handle(ble_event::TimerFired{retry->token});
  }

  // Expects 'actions' to end the attempt: discovery released, a retry scheduled, 'reason' kept.
  void ExpectAttemptEnded(const BleLinkActions& actions, const std::string& reason) {
    EXPECT_EQ(link_->state(), BleLinkState::kWaitingToRetry);
    EXPECT_EQ(link_->stats().last_error, reason);
    EXPECT_EQ(link_->stats().state, ByteSourceState::kConnecting);
    EXPECT_EQ(Count<ble_action::ReleaseDiscovery>(actions), 1);
    EXPECT_EQ(Count<ble_action::DropCharacteristic>(actions), 1);
    EXPECT_EQ(Count<ble_action::ScheduleRetry>(actions), 1);
  }

  void Reset(const BleSourceConfig& config) { link_.emplace(config); }

  SteadyTime now_ = SteadyTime() + std::chrono::hours(1);
  std::optional<BleLink> link_{std::in_place, Config()};
};

TEST_F(BleLinkTest, StartsStoppedAndRejectsABadConfig) {
  EXPECT_EQ(link_->state(), BleLinkState::kStopped);
  EXPECT_EQ(link_->stats().state, ByteSourceState::kStopped);
  EXPECT_EQ(link_->address(), "AA:BB:CC:DD:EE:FF");
  EXPECT_EQ(link_->device_path(), kDevicePath);
  BleSourceConfig bad = Config();
  bad.call_timeout_s = 0.0;
  EXPECT_THROW(BleLink{bad}, std::invalid_argument);
}

TEST_F(BleLinkTest, StartChecksWhetherBlueZKnowsTheDeviceUnderAWatchdog) {
  const BleLinkActions actions = Start();
  EXPECT_EQ(link_->state(), BleLinkState::kCheckingDevice);
  EXPECT_EQ(link_->stats().state, ByteSourceState::kConnecting);
  const auto* watchdog = Find<ble_action::ArmWatchdog>(actions);
  ASSERT_NE(watchdog, nullptr);
  // The call's own timeout, plus a margin so its reply normally comes first.
  EXPECT_GT(watchdog->delay, milliseconds(10000));
  const auto* check = Find<ble_action::CheckDevice>(actions);
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->timeout_s, Config().call_timeout_s);
  EXPECT_LT(IndexOf<ble_action::ArmWatchdog>(actions), IndexOf<ble_action::CheckDevice>(actions));

  const std::uint64_t started = attempt();
  EXPECT_TRUE(Start().empty());  // already running
  EXPECT_EQ(attempt(), started);
}

TEST_F(BleLinkTest, WithoutABusTheAttemptEndsWithTheBusError) {
  Start();
  const BleLinkActions actions =
      Handle(ble_event::BusUnavailable{attempt(), "cannot connect to the system D-Bus at x"});
  ExpectAttemptEnded(actions, "cannot connect to the system D-Bus at x");
  EXPECT_EQ(Count<ble_action::ReportLost>(actions), 0);  // it never connected
}

TEST_F(BleLinkTest, AKnownDeviceIsConnected) {
  const BleLinkActions actions = ToConnecting();
  EXPECT_EQ(link_->state(), BleLinkState::kConnecting);
  const auto* connect = Find<ble_action::CallConnect>(actions);
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->timeout_s, Config().connect_timeout_s);
  const auto* watchdog = Find<ble_action::ArmWatchdog>(actions);
  ASSERT_NE(watchdog, nullptr);
  EXPECT_GT(watchdog->delay, milliseconds(30000));
}

TEST_F(BleLinkTest, AnUnknownDeviceIsDiscoveredWithinTheDiscoveryTimeout) {
  const BleLinkActions actions = ToDiscovering();
  EXPECT_EQ(link_->state(), BleLinkState::kDiscovering);
  EXPECT_EQ(Count<ble_action::ClaimDiscovery>(actions), 1);
  const auto* watchdog = Find<ble_action::ArmWatchdog>(actions);
  ASSERT_NE(watchdog, nullptr);
  EXPECT_EQ(watchdog->delay, milliseconds(5000));  // no call of ours to outlast
  const auto* log = Find<ble_action::Log>(actions);
  ASSERT_NE(log, nullptr);
  EXPECT_NE(log->message.find(std::string("BlueZ has no object ") + kDevicePath),
            std::string::npos);
}

TEST_F(BleLinkTest, TheDeviceAppearingWhileBeingCheckedCountsAsKnown) {
  Start();
  EXPECT_TRUE(Handle(ble_event::InterfacesAdded{kDevicePath, {"org.bluez.Device1"}}).empty());
  Handle(ble_event::DeviceListed{attempt(), false});
  EXPECT_EQ(link_->state(), BleLinkState::kConnecting);
}

TEST_F(BleLinkTest, ADiscoveredDeviceStopsTheScanBeforeConnect) {
  ToDiscovering();
  // Another device, or another interface of ours, changes nothing.
  EXPECT_TRUE(Handle(ble_event::InterfacesAdded{"/org/bluez/hci0/dev_11_22_33_44_55_66",
                                                {"org.bluez.Device1"}})
                  .empty());
  EXPECT_TRUE(
      Handle(ble_event::InterfacesAdded{kDevicePath, {"org.freedesktop.DBus.Properties"}}).empty());
  const BleLinkActions actions =
      Handle(ble_event::InterfacesAdded{kDevicePath, {"org.bluez.Device1"}});
  EXPECT_EQ(link_->state(), BleLinkState::kConnecting);
  ASSERT_GE(IndexOf<ble_action::ReleaseDiscovery>(actions), 0);
  EXPECT_LT(IndexOf<ble_action::ReleaseDiscovery>(actions),
            IndexOf<ble_action::CallConnect>(actions));
}

TEST_F(BleLinkTest, AFailedDiscoveryEndsTheAttemptNamingDeviceAndAdapter) {
  ToDiscovering();
  const BleLinkActions actions =
      Handle(ble_event::DiscoveryFailed{attempt(), "StartDiscovery() failed: NotReady"});
  ExpectAttemptEnded(actions,
                     "cannot discover device AA:BB:CC:DD:EE:FF on hci0: StartDiscovery() failed: "
                     "NotReady");
}

TEST_F(BleLinkTest, DiscoveryTimesOutSayingWhetherTheScanEverRan) {
  const BleLinkActions actions = FireTimer(ToDiscovering());
  ExpectAttemptEnded(actions,
                     "device AA:BB:CC:DD:EE:FF not found on hci0: discovery timed out "
                     "after " +
                         Seconds(5.0) + " before StartDiscovery() on it succeeded");
}

TEST_F(BleLinkTest, ARunningDiscoveryThatTimesOutAsksWhetherTheSensorIsOn) {
  const BleLinkActions discovering = ToDiscovering();
  Handle(ble_event::DiscoveryStarted{attempt()});
  const BleLinkActions actions = FireTimer(discovering);
  ExpectAttemptEnded(actions,
                     "device AA:BB:CC:DD:EE:FF not found on hci0: discovery timed out "
                     "after " +
                         Seconds(5.0) + " (no " + kDevicePath +
                         " appeared; is the sensor on and advertising?)");
}

TEST_F(BleLinkTest, AfterConnectTheServicesResolvedPropertyIsRead) {
  const BleLinkActions actions = ToResolvingServices();
  EXPECT_EQ(link_->state(), BleLinkState::kResolvingServices);
  ASSERT_NE(Find<ble_action::ReadServicesResolved>(actions), nullptr);
  EXPECT_GT(Find<ble_action::ArmWatchdog>(actions)->delay, milliseconds(20000));

  // Not resolved yet: the signal will tell.
  EXPECT_TRUE(Handle(ble_event::ServicesResolvedRead{attempt(), false}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kResolvingServices);
  const BleLinkActions found =
      Handle(ble_event::DevicePropertiesChanged{kDevicePath, std::nullopt, true});
  EXPECT_EQ(link_->state(), BleLinkState::kFindingCharacteristic);
  ASSERT_NE(Find<ble_action::ListCharacteristics>(found), nullptr);
}

TEST_F(BleLinkTest, ResolvedServicesReadAfterConnectLeadToTheCharacteristic) {
  const BleLinkActions actions = ToFindingCharacteristic();
  EXPECT_EQ(link_->state(), BleLinkState::kFindingCharacteristic);
  const auto* list = Find<ble_action::ListCharacteristics>(actions);
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->timeout_s, Config().call_timeout_s);
}

TEST_F(BleLinkTest, ServicesResolvedWhileConnectIsPendingSkipsTheRead) {
  ToConnecting();
  // Flags flipping while Connect() is pending do not end the attempt.
  EXPECT_TRUE(Handle(ble_event::DevicePropertiesChanged{kDevicePath, false, true}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kConnecting);
  const BleLinkActions actions = Handle(ble_event::Connected{attempt()});
  EXPECT_EQ(link_->state(), BleLinkState::kFindingCharacteristic);
  EXPECT_EQ(Find<ble_action::ReadServicesResolved>(actions), nullptr);
}

TEST_F(BleLinkTest, AlreadyConnectedIsASuccessfulConnect) {
  ToConnecting();
  Handle(ble_event::CallFailed{attempt(), BleCall::kConnect, true,
                               "org.bluez.Error.AlreadyConnected",
                               "org.bluez.Error.AlreadyConnected: Already Connected"});
  EXPECT_EQ(link_->state(), BleLinkState::kResolvingServices);
}

TEST_F(BleLinkTest, ConnectToAForgottenDeviceDiscoversItOncePerAttempt) {
  ToConnecting();
  const std::string unknown = "org.freedesktop.DBus.Error.UnknownObject";
  BleLinkActions actions = Handle(
      ble_event::CallFailed{attempt(), BleCall::kConnect, true, unknown, unknown + ": gone"});
  EXPECT_EQ(link_->state(), BleLinkState::kDiscovering);
  EXPECT_EQ(Count<ble_action::ClaimDiscovery>(actions), 1);

  Handle(ble_event::InterfacesAdded{kDevicePath, {"org.bluez.Device1"}});
  ASSERT_EQ(link_->state(), BleLinkState::kConnecting);
  const std::string absent = "org.bluez.Error.DoesNotExist";
  actions =
      Handle(ble_event::CallFailed{attempt(), BleCall::kConnect, true, absent, absent + ": no"});
  ExpectAttemptEnded(actions,
                     std::string("Connect() on ") + kDevicePath + " failed: " + absent + ": no");
}

TEST_F(BleLinkTest, AFailedConnectEndsTheAttempt) {
  ToConnecting();
  BleLinkActions actions = Handle(ble_event::CallFailed{
      attempt(), BleCall::kConnect, true, "org.bluez.Error.Failed", "org.bluez.Error.Failed: x"});
  ExpectAttemptEnded(
      actions, std::string("Connect() on ") + kDevicePath + " failed: org.bluez.Error.Failed: x");

  FireTimer(actions);
  Handle(ble_event::DeviceListed{attempt(), true});
  actions = Handle(ble_event::CallFailed{attempt(), BleCall::kConnect, false,
                                         "org.freedesktop.DBus.Error.UnknownObject", "not sent"});
  // A call that could not be sent is no sign of a forgotten device.
  ExpectAttemptEnded(actions,
                     std::string("cannot call Connect() on ") + kDevicePath + ": not sent");
}

TEST_F(BleLinkTest, EveryCallFailureNamesTheCall) {
  struct Case {
    BleCall call;
    bool sent;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {BleCall::kCheckDevice, true,
       std::string("GetManagedObjects() failed while looking for ") + kDevicePath + ": E"},
      {BleCall::kCheckDevice, false, "cannot call GetManagedObjects(): E"},
      {BleCall::kReadServicesResolved, true,
       std::string("reading ServicesResolved of ") + kDevicePath + " failed: E"},
      {BleCall::kReadServicesResolved, false, "cannot read ServicesResolved: E"},
      {BleCall::kListCharacteristics, true, "GetManagedObjects() failed: E"},
      {BleCall::kListCharacteristics, false, "cannot call GetManagedObjects(): E"},
      {BleCall::kStartNotify, true, std::string("StartNotify() on ") + kNotifyPath + " failed: E"},
      {BleCall::kStartNotify, false,
       std::string("cannot call StartNotify() on ") + kNotifyPath + ": E"},
  };
  for (const Case& c : cases) {
    Reset(Config());
    switch (c.call) {
      case BleCall::kCheckDevice:
        Start();
        break;
      case BleCall::kReadServicesResolved:
        ToResolvingServices();
        break;
      case BleCall::kListCharacteristics:
        ToFindingCharacteristic();
        break;
      default:
        ToEnablingNotify();
        break;
    }
    const BleLinkActions actions =
        Handle(ble_event::CallFailed{attempt(), c.call, c.sent, "org.bluez.Error.Failed", "E"});
    SCOPED_TRACE(c.expected);
    ExpectAttemptEnded(actions, c.expected);
  }
}

TEST_F(BleLinkTest, AFailureOfAStepAlreadyLeftIsIgnored) {
  ToFindingCharacteristic();
  EXPECT_TRUE(Handle(ble_event::CallFailed{attempt(), BleCall::kConnect, true,
                                           "org.bluez.Error.Failed", "late"})
                  .empty());
  EXPECT_EQ(link_->state(), BleLinkState::kFindingCharacteristic);
}

TEST_F(BleLinkTest, TheNotifyCharacteristicIsTheOneUnderThisDevice) {
  const BleLinkActions actions = ToEnablingNotify();
  EXPECT_EQ(link_->state(), BleLinkState::kEnablingNotify);
  const auto* start = Find<ble_action::StartNotify>(actions);
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->path, kNotifyPath);
  EXPECT_EQ(start->timeout_s, Config().call_timeout_s);
}

TEST_F(BleLinkTest, AMissingCharacteristicEndsTheAttemptListingTheOnesThere) {
  ToFindingCharacteristic();
  std::vector<GattCharacteristicInfo> listed = Characteristics();
  listed.erase(listed.begin());  // this device's notify characteristic
  const BleLinkActions actions = Handle(ble_event::CharacteristicsListed{attempt(), listed});
  ExpectAttemptEnded(actions, std::string("no GATT characteristic ") + kNotifyUuid + " under " +
                                  kDevicePath + " (characteristics there: " + kWriteUuid + ")");
}

TEST_F(BleLinkTest, NotificationsOnAnnounceTheLink) {
  const BleLinkActions actions = ToStreaming();
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);
  EXPECT_EQ(link_->stats().state, ByteSourceState::kConnected);
  EXPECT_EQ(Count<ble_action::CancelTimer>(actions), 1);  // no watchdog while streaming
  const auto* connected = Find<ble_action::ReportConnected>(actions);
  ASSERT_NE(connected, nullptr);
  EXPECT_EQ(connected->time, now_);
  EXPECT_EQ(connected->detail, std::string("BLE AA:BB:CC:DD:EE:FF via hci0, ") + kNotifyPath);
  EXPECT_EQ(Find<ble_action::WriteRate>(actions), nullptr);  // rate_hz 0 keeps the device's
  EXPECT_EQ(link_->stats().reconnects, 0u);
}

TEST_F(BleLinkTest, AlreadyNotifyingIsASuccessfulStartNotify) {
  ToEnablingNotify();
  const BleLinkActions actions = Handle(ble_event::CallFailed{
      attempt(), BleCall::kStartNotify, true, "org.bluez.Error.AlreadyConnected", "already"});
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);
  EXPECT_EQ(Count<ble_action::ReportConnected>(actions), 1);
}

TEST_F(BleLinkTest, NotificationBytesAreDeliveredAndCounted) {
  ToStreaming();
  const SteadyTime arrival = now_ - milliseconds(3);
  const BleLinkActions actions =
      Handle(ble_event::NotificationBytes{kNotifyPath, arrival, {0x55, 0x61, 0x01}});
  const auto* bytes = Find<ble_action::DeliverBytes>(actions);
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->arrival, arrival);
  EXPECT_EQ(bytes->bytes, (std::vector<std::uint8_t>{0x55, 0x61, 0x01}));
  EXPECT_EQ(link_->stats().bytes, 3u);
  // Another characteristic's values are not ours.
  EXPECT_TRUE(Handle(ble_event::NotificationBytes{kWritePath, arrival, {1, 2}}).empty());
  EXPECT_EQ(link_->stats().bytes, 3u);
}

TEST_F(BleLinkTest, NotificationsOvertakingStartNotifysReplyAnnounceTheLinkOnce) {
  ToEnablingNotify();
  BleLinkActions actions = Handle(ble_event::NotificationBytes{kNotifyPath, now_, {1, 2}});
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);
  ASSERT_GE(IndexOf<ble_action::ReportConnected>(actions), 0);
  EXPECT_LT(IndexOf<ble_action::ReportConnected>(actions),
            IndexOf<ble_action::DeliverBytes>(actions));
  actions = Handle(ble_event::NotifyStarted{attempt()});
  EXPECT_EQ(Count<ble_action::ReportConnected>(actions), 0);
}

TEST_F(BleLinkTest, TheRateIsWrittenAfterNotificationsAreOn) {
  BleSourceConfig config = Config();
  config.rate_hz = 50;
  Reset(config);
  const BleLinkActions actions = ToStreaming();
  const auto* write = Find<ble_action::WriteRate>(actions);
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->path, kWritePath);
  EXPECT_EQ(write->commands, WitBleRateCommands(config.model, 50));
  EXPECT_LT(IndexOf<ble_action::ReportConnected>(actions), IndexOf<ble_action::WriteRate>(actions));

  Handle(ble_event::RateWriteFailed{attempt(), "no buffer"});
  EXPECT_EQ(link_->stats().last_error, "rate 50 Hz not set: no buffer");
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);  // the stream goes on
}

TEST_F(BleLinkTest, WithoutAWriteCharacteristicTheRateIsReportedNotSet) {
  BleSourceConfig config = Config();
  config.rate_hz = 50;
  Reset(config);
  ToFindingCharacteristic();
  Handle(ble_event::CharacteristicsListed{attempt(), {{kNotifyPath, kNotifyUuid}}});
  const BleLinkActions actions = Handle(ble_event::NotifyStarted{attempt()});
  EXPECT_EQ(Find<ble_action::WriteRate>(actions), nullptr);
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);
  EXPECT_EQ(link_->stats().last_error, std::string("rate 50 Hz not set: no write characteristic ") +
                                           kWriteUuid + " under " + kDevicePath);
}

TEST_F(BleLinkTest, EveryWayOfLosingAStreamingLinkIsReported) {
  struct Case {
    BleLinkEvent event;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {ble_event::DevicePropertiesChanged{kDevicePath, false, std::nullopt},
       "device AA:BB:CC:DD:EE:FF disconnected (Connected=false)"},
      {ble_event::DevicePropertiesChanged{kDevicePath, std::nullopt, false},
       "device AA:BB:CC:DD:EE:FF services no longer resolved (ServicesResolved=false)"},
      {ble_event::InterfacesRemoved{kDevicePath, {"org.bluez.Device1"}},
       "device AA:BB:CC:DD:EE:FF removed by BlueZ"},
      {ble_event::InterfacesRemoved{kNotifyPath, {"org.bluez.GattCharacteristic1"}},
       std::string("characteristic ") + kNotifyPath + " removed by BlueZ"},
      {ble_event::BusLost{"BlueZ (org.bluez) left the system bus"},
       "BlueZ (org.bluez) left the system bus"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    Reset(Config());
    ToStreaming();
    const BleLinkActions actions = Handle(c.event);
    ExpectAttemptEnded(actions, c.reason);
    const auto* lost = Find<ble_action::ReportLost>(actions);
    ASSERT_NE(lost, nullptr);
    EXPECT_EQ(lost->reason, c.reason);
    EXPECT_EQ(lost->time, now_);
    EXPECT_LT(IndexOf<ble_action::ReportLost>(actions),
              IndexOf<ble_action::ScheduleRetry>(actions));
    EXPECT_EQ(Count<ble_action::StopNotify>(actions), 0);  // the link is gone already
  }
}

TEST_F(BleLinkTest, SignalsIrrelevantToTheStepChangeNothing) {
  Start();
  // Before Connect() the device's flags and removals are someone else's business.
  EXPECT_TRUE(Handle(ble_event::DevicePropertiesChanged{kDevicePath, false, false}).empty());
  EXPECT_TRUE(Handle(ble_event::InterfacesRemoved{kDevicePath, {"org.bluez.Device1"}}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kCheckingDevice);

  ToStreaming();
  EXPECT_TRUE(Handle(ble_event::DevicePropertiesChanged{"/org/bluez/hci0/dev_11_22_33_44_55_66",
                                                        false, std::nullopt})
                  .empty());
  EXPECT_TRUE(
      Handle(ble_event::InterfacesRemoved{kDevicePath, {"org.bluez.GattService1"}}).empty());
  EXPECT_TRUE(Handle(ble_event::DevicePropertiesChanged{kDevicePath, true, true}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kStreaming);

  // While waiting to retry, nothing but the timer matters.
  const BleLinkActions lost = Handle(ble_event::BusLost{"gone"});
  EXPECT_TRUE(Handle(ble_event::BusLost{"gone again"}).empty());
  EXPECT_TRUE(Handle(ble_event::NotificationBytes{kNotifyPath, now_, {1}}).empty());
  EXPECT_EQ(link_->stats().last_error, "gone");
}

TEST_F(BleLinkTest, TheRetryTimerStartsANewAttemptAndRepliesOfTheOldOneAreIgnored) {
  ToConnecting();
  const std::uint64_t old_attempt = attempt();
  const BleLinkActions ended = Handle(ble_event::BusLost{"gone"});
  EXPECT_TRUE(Handle(ble_event::Connected{old_attempt}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kWaitingToRetry);

  const BleLinkActions retry = FireTimer(ended);
  EXPECT_EQ(link_->state(), BleLinkState::kCheckingDevice);
  EXPECT_NE(Find<ble_action::CheckDevice>(retry), nullptr);
  EXPECT_TRUE(Handle(ble_event::DeviceListed{old_attempt, true}).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kCheckingDevice);
  // The retry timer, fired twice (its cancellation raced its expiry), starts nothing more.
  const auto* scheduled = Find<ble_action::ScheduleRetry>(ended);
  EXPECT_TRUE(Handle(ble_event::TimerFired{scheduled->token}).empty());
}

TEST_F(BleLinkTest, AWatchdogOfAStepLeftIsIgnored) {
  const BleLinkActions checking = Start();
  Handle(ble_event::DeviceListed{attempt(), true});
  EXPECT_TRUE(FireTimer(checking).empty());
  EXPECT_EQ(link_->state(), BleLinkState::kConnecting);
}

TEST_F(BleLinkTest, StuckConnectOrResolutionIsCancelledWhenItsWatchdogFires) {
  BleLinkActions actions = FireTimer(ToConnecting());
  EXPECT_EQ(Count<ble_action::SendDisconnect>(actions), 1);
  ExpectAttemptEnded(
      actions, "timed out after " + Seconds(30.0) + " waiting for Connect() of " + kDevicePath);

  Reset(Config());
  actions = FireTimer(ToResolvingServices());
  EXPECT_EQ(Count<ble_action::SendDisconnect>(actions), 1);
  ExpectAttemptEnded(actions, "timed out after " + Seconds(20.0) +
                                  " waiting for ServicesResolved of " + kDevicePath);
}

TEST_F(BleLinkTest, TheOtherWatchdogsEndTheAttemptNamingTheStep) {
  BleLinkActions actions = FireTimer(Start());
  EXPECT_EQ(Count<ble_action::SendDisconnect>(actions), 0);
  ExpectAttemptEnded(actions, "timed out after " + Seconds(10.0) +
                                  " waiting for GetManagedObjects() (is the device known) of " +
                                  kDevicePath);

  Reset(Config());
  actions = FireTimer(ToFindingCharacteristic());
  ExpectAttemptEnded(actions, "timed out after " + Seconds(10.0) +
                                  " waiting for GetManagedObjects() of " + kDevicePath);

  Reset(Config());
  actions = FireTimer(ToEnablingNotify());
  ExpectAttemptEnded(
      actions, "timed out after " + Seconds(10.0) + " waiting for StartNotify() of " + kDevicePath);
}

TEST_F(BleLinkTest, StopTurnsNotificationsOffAndSilencesEverything) {
  ToStreaming();
  const BleLinkActions actions = Handle(ble_event::StopRequested{});
  EXPECT_EQ(link_->state(), BleLinkState::kStopped);
  EXPECT_EQ(link_->stats().state, ByteSourceState::kStopped);
  EXPECT_EQ(IndexOf<ble_action::CancelTimer>(actions), 0);
  const auto* stop_notify = Find<ble_action::StopNotify>(actions);
  ASSERT_NE(stop_notify, nullptr);
  EXPECT_EQ(stop_notify->path, kNotifyPath);
  EXPECT_EQ(Count<ble_action::ReleaseDiscovery>(actions), 1);
  EXPECT_EQ(IndexOf<ble_action::CloseBus>(actions), static_cast<int>(actions.size()) - 1);
  EXPECT_EQ(Count<ble_action::ReportLost>(actions), 0);  // the owner asked for it

  EXPECT_TRUE(Handle(ble_event::NotificationBytes{kNotifyPath, now_, {1}}).empty());
  EXPECT_TRUE(Handle(ble_event::BusLost{"gone"}).empty());
  EXPECT_TRUE(Handle(ble_event::StopRequested{}).empty());

  // Start() works again, from the first step.
  EXPECT_NE(Find<ble_action::CheckDevice>(Start()), nullptr);
}

TEST_F(BleLinkTest, StopBeforeStreamingSendsNoStopNotify) {
  ToConnecting();
  const BleLinkActions actions = Handle(ble_event::StopRequested{});
  EXPECT_EQ(Count<ble_action::StopNotify>(actions), 0);
  EXPECT_EQ(Count<ble_action::CloseBus>(actions), 1);
  EXPECT_TRUE(Handle(ble_event::Connected{attempt()}).empty());  // stopped: nothing is current
}

TEST_F(BleLinkTest, RetriesBackOffAndAStableConnectionResetsTheDelay) {
  const ReconnectBackoffOptions backoff = Config().backoff;
  // Failed attempts: the delay doubles.
  Start();
  BleLinkActions actions = Handle(ble_event::BusUnavailable{attempt(), "no bus"});
  EXPECT_EQ(Find<ble_action::ScheduleRetry>(actions)->delay, backoff.initial_delay);
  FireTimer(actions);
  actions = Handle(ble_event::BusUnavailable{attempt(), "no bus"});
  EXPECT_EQ(Find<ble_action::ScheduleRetry>(actions)->delay, 2 * backoff.initial_delay);

  // A connection that dies at once keeps the delay growing...
  FireTimer(actions);
  Handle(ble_event::DeviceListed{attempt(), true});
  Handle(ble_event::Connected{attempt()});
  Handle(ble_event::ServicesResolvedRead{attempt(), true});
  Handle(ble_event::CharacteristicsListed{attempt(), Characteristics()});
  Handle(ble_event::NotifyStarted{attempt()});
  actions = Handle(ble_event::BusLost{"gone"});
  EXPECT_EQ(Find<ble_action::ScheduleRetry>(actions)->delay, 4 * backoff.initial_delay);

  // ... one that lived 'stable_after' starts again from the first delay, and counts as a
  // reconnect.
  FireTimer(actions);
  Handle(ble_event::DeviceListed{attempt(), true});
  Handle(ble_event::Connected{attempt()});
  Handle(ble_event::ServicesResolvedRead{attempt(), true});
  Handle(ble_event::CharacteristicsListed{attempt(), Characteristics()});
  Handle(ble_event::NotifyStarted{attempt()});
  EXPECT_EQ(link_->stats().reconnects, 1u);
  now_ += backoff.stable_after;
  actions = Handle(ble_event::BusLost{"gone"});
  EXPECT_EQ(Find<ble_action::ScheduleRetry>(actions)->delay, backoff.initial_delay);
}

TEST_F(BleLinkTest, StatesHaveNames) {
  EXPECT_STREQ(ToString(BleLinkState::kStopped), "stopped");
  EXPECT_STREQ(ToString(BleLinkState::kWaitingToRetry), "waiting to retry");
}

}  // namespace
}  // namespace ambi::transport
