#include "tools/sim/session_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>

#include "fusion/decode/decoder.h"
#include "tools/sim/device_byte_stream.h"
#include "tools/sim/limb_simulator.h"
#include "tools/sim/presets.h"

namespace ambi::sim {
namespace {

TEST(SessionWriterTest, CsvHasTheSharedLayoutAndValues) {
  SessionSpec spec = *MakePreset("curl-mag");
  spec.left.rep_count = spec.right.rep_count = 2;
  const SimulatedSession session = Simulate(spec);
  std::ostringstream out;
  WriteSensorCsv(session.sensors[0], out);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "t_s,ax,ay,az,gx,gy,gz,mx,my,mz");
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (rows == 10) {
      double v[10];
      ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1],
                            &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]),
                10);
      const fusion::ImuSample& s = session.sensors[0].samples[10];
      EXPECT_NEAR(v[0], fusion::ToSeconds(s.time), 1e-6);
      EXPECT_NEAR(v[1], s.accel_m_s2.x, 1e-5 * 10);
      EXPECT_NEAR(v[5], s.gyro_rad_s.y, 1e-6 + 1e-5 * std::abs(s.gyro_rad_s.y));
      EXPECT_NEAR(v[9], s.mag_uT.z, 1e-3);
    }
    ++rows;
  }
  EXPECT_EQ(rows, session.sensors[0].samples.size());
}

TEST(SessionWriterTest, SessionDirectoryHasCsvPerSensorAndParsableTruth) {
  SessionSpec spec = *MakePreset("curl-asym10");
  spec.left.rep_count = spec.right.rep_count = 3;
  const SimulatedSession session = Simulate(spec);
  const auto dir = std::filesystem::path(testing::TempDir()) / "ambi_sim_writer_test";
  std::filesystem::remove_all(dir);
  WriteCsvSession(session, dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "left_wrist.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "right_wrist.csv"));
  std::ifstream truth_file(dir / "ground_truth.json");
  const nlohmann::json truth = nlohmann::json::parse(truth_file);
  EXPECT_EQ(truth["preset"], "curl-asym10");
  EXPECT_EQ(truth["exercise"], "curl");
  EXPECT_NEAR(truth["commanded"]["rom_diff_pct_right_vs_left"].get<double>(), -10.0, 1e-9);
  ASSERT_EQ(truth["sides"].size(), 2u);
  EXPECT_EQ(truth["sides"][1]["placement"], "right_wrist");
  EXPECT_EQ(truth["sides"][1]["reps"].size(), 3u);
  EXPECT_DOUBLE_EQ(truth["sides"][1]["reps"][2]["rom_deg"].get<double>(),
                   session.truth.right.reps[2].rom_deg);
  std::filesystem::remove_all(dir);
}

TEST(SessionWriterTest, EulerAnglesOfKnownRotations) {
  const double h = std::sqrt(0.5);
  // 90 deg about z (yaw), 90 deg about x (roll), 30 deg about y (pitch).
  EXPECT_NEAR(EulerDegFromQuaternion({h, 0, 0, h}).z, 90.0, 1e-9);
  EXPECT_NEAR(EulerDegFromQuaternion({h, h, 0, 0}).x, 90.0, 1e-9);
  const double half = 15.0 * std::numbers::pi / 180.0;
  EXPECT_NEAR(EulerDegFromQuaternion({std::cos(half), 0, std::sin(half), 0}).y, 30.0, 1e-9);
}

TEST(SessionWriterTest, WitMotionBytesDecodeBackWithinQuantization) {
  SessionSpec spec = *MakePreset("curl");
  spec.left.rep_count = spec.right.rep_count = 1;
  const SessionPlan plan = PlanSession(spec);
  SensorSampler sampler(spec, plan, fusion::Side::kLeft);
  std::vector<std::uint8_t> bytes;
  std::vector<fusion::ImuSample> sent;
  SimSample s;
  while (sampler.Next(&s)) {
    AppendWitMotionSerial(s, {}, &bytes);
    sent.push_back(s.imu);
  }
  fusion::Decoder decoder(fusion::DecoderParams{});
  std::vector<fusion::ImuSample> got;
  decoder.Feed(bytes, fusion::Time{}, [&](const fusion::ImuSample& x) { got.push_back(x); });
  // The last cycle closes when the next would open; allow it to be pending.
  ASSERT_GE(got.size() + 1, sent.size());
  const double accel_lsb = 16.0 * 9.80665 / 32768.0;
  const double gyro_lsb = 2000.0 / 32768.0 * std::numbers::pi / 180.0;
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_NEAR(got[k].accel_m_s2.x, sent[k].accel_m_s2.x, accel_lsb);
    EXPECT_NEAR(got[k].accel_m_s2.z, sent[k].accel_m_s2.z, accel_lsb);
    EXPECT_NEAR(got[k].gyro_rad_s.y, sent[k].gyro_rad_s.y, gyro_lsb);
  }
}

TEST(SessionWriterTest, DeviceByteStreamGivesOneCycleAtATimeInTimeOrder) {
  SessionSpec spec = *MakePreset("curl-mag");
  spec.left.rep_count = spec.right.rep_count = 1;
  const SessionPlan plan = PlanSession(spec);
  fusion::WitMotionSerialEncodeOptions wit;
  wit.mag_uT_per_count = 0.15;
  DeviceByteStream stream(spec, plan, fusion::Side::kRight, fusion::Protocol::kWitMotionSerial,
                          wit);
  EXPECT_EQ(stream.placement().side, fusion::Side::kRight);
  std::vector<std::uint8_t> bytes;
  double t = 0.0;
  double previous = -1.0;
  std::size_t cycles = 0;
  while (stream.Next(&bytes, &t)) {
    ASSERT_EQ(bytes.size(), 4u * 11u);  // accel, gyro, angle, mag frames
    ASSERT_EQ(bytes[0], 0x55);
    ASSERT_GT(t, previous);
    previous = t;
    ++cycles;
  }
  EXPECT_EQ(cycles, Simulate(spec).sensors[1].samples.size());
}

}  // namespace
}  // namespace ambi::sim
