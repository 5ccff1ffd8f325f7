#include "daemon/sim/device_byte_stream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "fusion/decode/decoder.h"

namespace ambi::sim {
namespace {

TEST(DeviceByteStreamTest, EulerAnglesOfKnownRotations) {
  const double h = std::sqrt(0.5);
  // 90 deg about z (yaw), 90 deg about x (roll), 30 deg about y (pitch).
  EXPECT_NEAR(EulerDegFromQuaternion({h, 0, 0, h}).z, 90.0, 1e-9);
  EXPECT_NEAR(EulerDegFromQuaternion({h, h, 0, 0}).x, 90.0, 1e-9);
  const double half = 15.0 * std::numbers::pi / 180.0;
  EXPECT_NEAR(EulerDegFromQuaternion({std::cos(half), 0, std::sin(half), 0}).y, 30.0, 1e-9);
}

TEST(DeviceByteStreamTest, WitMotionBytesDecodeBackWithinQuantization) {
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

TEST(DeviceByteStreamTest, GivesOneCycleAtATimeInTimeOrder) {
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
