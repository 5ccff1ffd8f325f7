#include "daemon/app/athlete_spec.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "daemon/sim/demo_roster.h"
#include "daemon/sim/pty_simulator.h"
#include "daemon/transport/asio.h"

namespace ambi::app {
namespace {

namespace fs = std::filesystem;

config::DaemonConfig TwoTransportConfig() {
  config::DaemonConfig config;
  config.automatic_sets = false;
  config::AthleteConfig alice;
  alice.name = "alice";
  alice.exercise = "biceps_curl";
  config::DeviceConfig left;
  left.name = "alice-left_wrist";
  left.placement = {fusion::Side::kLeft, fusion::Limb::kWrist};
  left.path = "/dev/ttyUSB0";
  left.rate_hz = 50.0;
  left.mag_uT_per_count = 0.15;
  config::DeviceConfig right;
  right.name = "alice-right_wrist";
  right.placement = {fusion::Side::kRight, fusion::Limb::kWrist};
  right.transport = config::TransportKind::kBle;
  right.protocol = fusion::Protocol::kWitMotionBle;
  right.address = "AA:BB:CC:DD:EE:FF";
  alice.devices = {left, right};
  config.athletes.push_back(alice);
  return config;
}

TEST(AthleteSpecTest, ConfiguredDevicesKeepTheirSettingsInEveryView) {
  const std::vector<AthleteSpec> athletes = AthletesFromConfig(TwoTransportConfig());
  ASSERT_EQ(athletes.size(), 1u);
  const AthleteSpec& alice = athletes[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.exercise, "biceps_curl");
  EXPECT_FALSE(alice.automatic_sets);
  ASSERT_EQ(alice.sensors.size(), 2u);

  const fusion::SensorConfig pipeline = alice.sensors[0].ToSensorConfig();
  EXPECT_EQ(pipeline.placement.side, fusion::Side::kLeft);
  EXPECT_EQ(pipeline.nominal_rate_hz, 50.0);
  EXPECT_EQ(pipeline.witmotion_mag_uT_per_count, 0.15);

  const v1::SensorInfo serial = alice.sensors[0].ToSensorInfo(1);
  EXPECT_EQ(serial.sensor_id(), 1u);
  EXPECT_EQ(serial.device_model(), "WitMotion serial");
  EXPECT_EQ(serial.address(), "/dev/ttyUSB0");
  EXPECT_EQ(serial.side(), v1::SIDE_LEFT);
  EXPECT_EQ(serial.protocol(), v1::PROTOCOL_WITMOTION_SERIAL);
  const v1::SensorInfo ble = alice.sensors[1].ToSensorInfo(2);
  EXPECT_EQ(ble.device_model(), "WitMotion BLE");
  EXPECT_EQ(ble.address(), "AA:BB:CC:DD:EE:FF");
  EXPECT_EQ(ble.protocol(), v1::PROTOCOL_WITMOTION_BLE);

  v1::DeviceInfo listed;
  alice.sensors[1].DescribeDevice("alice", &listed);
  EXPECT_EQ(listed.name(), "alice-right_wrist");
  EXPECT_EQ(listed.athlete(), "alice");
  EXPECT_EQ(listed.limb(), v1::LIMB_WRIST);
}

TEST(AthleteSpecTest, ACaptureDescribesItsAthleteAndSensors) {
  v1::CaptureHeader header;
  header.set_exercise("squat");
  v1::SensorInfo* sensor = header.add_sensors();
  sensor->set_sensor_id(1);
  sensor->set_side(v1::SIDE_RIGHT);
  sensor->set_limb(v1::LIMB_ANKLE);
  sensor->set_protocol(v1::PROTOCOL_AMBI_SAMPLE);
  sensor->set_nominal_rate_hz(200.0);
  std::string error;
  const std::optional<AthleteSpec> athlete =
      AthleteFromCapture(header, "/data/x.capture", true, &error);
  ASSERT_TRUE(athlete) << error;
  EXPECT_EQ(athlete->name, "replay");  // the header names nobody
  EXPECT_EQ(athlete->exercise, "squat");
  ASSERT_EQ(athlete->sensors.size(), 1u);
  EXPECT_EQ(athlete->sensors[0].device.name, "replay-right_ankle");
  EXPECT_EQ(athlete->sensors[0].device.path, "/data/x.capture");
  EXPECT_EQ(athlete->sensors[0].ToSensorConfig().nominal_rate_hz, 200.0);

  sensor->set_side(v1::SIDE_UNSPECIFIED);
  EXPECT_FALSE(AthleteFromCapture(header, "/data/x.capture", true, &error));
  EXPECT_NE(error.find("/data/x.capture"), std::string::npos);
  EXPECT_NE(error.find("sensor 1"), std::string::npos);
}

TEST(AthleteSpecTest, TheSimulatedRosterIsSerialDevicesOnPseudoTerminals) {
  char pattern[] = "/tmp/ambi-spec-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  asio::io_context io;
  sim::PtySimulatorOptions options;
  options.link_dir = dir;
  sim::PtySimulator simulator(io, options);
  config::DaemonConfig settings = TwoTransportConfig();  // its athletes are replaced
  std::string error;
  const auto athletes = AthletesFromSimulator(sim::DemoRoster(), settings, &simulator, &error);
  ASSERT_TRUE(athletes) << error;
  ASSERT_EQ(athletes->size(), sim::DemoRoster().size());
  for (const AthleteSpec& athlete : *athletes) {
    EXPECT_FALSE(athlete.automatic_sets);  // daemon-wide settings still apply
    ASSERT_FALSE(athlete.sensors.empty());
    for (const SensorSpec& sensor : athlete.sensors) {
      EXPECT_EQ(sensor.model, "ambi-sim (pseudo-terminal)");
      EXPECT_EQ(sensor.device.transport, config::TransportKind::kSerial);
      EXPECT_EQ(fs::path(sensor.device.path).parent_path(), fs::path(dir));
      EXPECT_TRUE(fs::exists(sensor.device.path)) << sensor.device.path;
    }
  }
  simulator.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ambi::app
