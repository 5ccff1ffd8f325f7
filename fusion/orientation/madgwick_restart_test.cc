// MadgwickFilter::RestartAfterGap: what the tilt does after a gap (a limb that did not move keeps
// its pose, a limb found still somewhere else is corrected in tilt only, heading kept).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fusion/core/rotation.h"
#include "fusion/orientation/madgwick.h"

namespace ambi::fusion {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kG = 9.80665;
constexpr double kDt = 0.01;
constexpr double kDegToRad = kPi / 180.0;

Quaternion AxisAngle(Vec3 axis, double angle_rad) {
  const double n = std::sqrt(axis.x * axis.x + axis.y * axis.y + axis.z * axis.z);
  const double s = std::sin(0.5 * angle_rad) / n;
  return {std::cos(0.5 * angle_rad), axis.x * s, axis.y * s, axis.z * s};
}

double AngleDeg(const Vec3& a, const Vec3& b) {
  const double dot = a.x * b.x + a.y * b.y + a.z * b.z;
  const double n =
      std::sqrt((a.x * a.x + a.y * a.y + a.z * a.z) * (b.x * b.x + b.y * b.y + b.z * b.z));
  return std::acos(std::clamp(dot / n, -1.0, 1.0)) / kDegToRad;
}

double InclinationErrorDeg(const Quaternion& truth, const Quaternion& estimate) {
  return AngleDeg(UpInSensorFrame(truth), UpInSensorFrame(estimate));
}

double AttitudeErrorDeg(const Quaternion& a, const Quaternion& b) {
  const double dot = std::abs(a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z);
  return 2.0 * std::acos(std::min(1.0, dot)) / kDegToRad;
}

// A 6-axis sample whose accelerometer reads 'up' (sensor frame, unit) times g.
ImuSample Sample(int k, const Vec3& up, const Vec3& gyro_rad_s = {}) {
  ImuSample s;
  s.time = TimeFromSeconds(k * kDt);
  s.accel_m_s2 = {kG * up.x, kG * up.y, kG * up.z};
  s.gyro_rad_s = gyro_rad_s;
  return s;
}

// A filter settled at 'pose' (past the startup ramp), and the index of its next sample.
struct Settled {
  MadgwickFilter filter{MadgwickSettings{}, 1.0 / kDt};
  int next = 0;
  explicit Settled(const Quaternion& pose) {
    for (; next < 300; ++next) filter.Update(Sample(next, UpInSensorFrame(pose)));
  }
};

const Quaternion kPose = AxisAngle({0.3, -1.0, 0.2}, 70.0 * kDegToRad);
const Vec3 kNorth{1.0, 0.0, 0.0};

// A limb that did not move in the gap, whose first sample after it is quiet but carries linear
// acceleration (here 20 deg of tilt): the old restart snapped to it, a 20 deg jump in one sample.
TEST(MadgwickRestart, QuietSampleWithLinearAccelerationKeepsCarriedPose) {
  Settled s(kPose);
  ASSERT_LT(InclinationErrorDeg(kPose, s.filter.sensor_to_earth()), 0.1);
  s.filter.RestartAfterGap();
  const Quaternion tilted = Compose(AxisAngle(kNorth, 20.0 * kDegToRad), kPose);
  const int k = s.next + 100;  // 1 s gap
  s.filter.Update(Sample(k, UpInSensorFrame(tilted), {0.3, 0.0, 0.0}));
  // 0.3 rad/s for 10 ms turns the estimate by 0.17 deg; nothing else may move it.
  EXPECT_LT(InclinationErrorDeg(kPose, s.filter.sensor_to_earth()), 0.5);
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 0);
}

// The limb was put down 20 deg away during the gap and is found still: the tilt is corrected
// once it has been still for restart_rest_s, by a rotation about a horizontal axis only, so the
// heading carried over the gap is kept and the whole attitude lands on the true one (up to the
// filter's own 6-axis heading offset, which must not change).
TEST(MadgwickRestart, StillLimbFoundElsewhereIsCorrectedInTiltOnly) {
  Settled s(kPose);
  s.filter.RestartAfterGap();
  const Quaternion heading_offset = Compose(s.filter.sensor_to_earth(), Inverse(kPose));
  ASSERT_GT(AttitudeErrorDeg(heading_offset, Quaternion{}), 1.0);  // the check below can fail
  const Quaternion moved = Compose(AxisAngle(kNorth, 20.0 * kDegToRad), kPose);
  const Quaternion expected = Compose(heading_offset, moved);
  int k = s.next + 100;
  for (int i = 0; i < 5; ++i) s.filter.Update(Sample(k++, UpInSensorFrame(moved)));
  // Not yet: five samples are shorter than restart_rest_s, and 20 deg is within the carried
  // pose's benefit of the doubt (restart_keep_tilt_rad).
  EXPECT_GT(InclinationErrorDeg(moved, s.filter.sensor_to_earth()), 15.0);
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 0);
  for (int i = 0; i < 10; ++i) s.filter.Update(Sample(k++, UpInSensorFrame(moved)));
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 1);
  EXPECT_LT(AttitudeErrorDeg(expected, s.filter.sensor_to_earth()), 0.1);
  // Nothing more happens at later rest.
  for (int i = 0; i < 100; ++i) s.filter.Update(Sample(k++, UpInSensorFrame(moved)));
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 1);
  EXPECT_LT(AttitudeErrorDeg(expected, s.filter.sensor_to_earth()), 0.1);
}

// A carried pose far off what a quiet sample shows (an arm found hanging after the gap) cannot
// be linear acceleration: corrected at once, tilt only.
TEST(MadgwickRestart, FarOffQuietSampleIsCorrectedAtOnce) {
  Settled s(kPose);
  s.filter.RestartAfterGap();
  const Quaternion moved = Compose(AxisAngle({0.0, 1.0, 0.0}, 60.0 * kDegToRad), kPose);
  s.filter.Update(Sample(s.next + 100, UpInSensorFrame(moved), {0.2, 0.0, 0.0}));
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 1);
  EXPECT_LT(InclinationErrorDeg(moved, s.filter.sensor_to_earth()), 0.5);
}

// A fast sample after the gap is not used however far off it is; the restart stays pending
// until the limb is seen still.
TEST(MadgwickRestart, FastSampleAfterGapIsNotUsed) {
  Settled s(kPose);
  s.filter.RestartAfterGap();
  const Quaternion moved = Compose(AxisAngle({0.0, 1.0, 0.0}, 60.0 * kDegToRad), kPose);
  const Quaternion before = s.filter.sensor_to_earth();
  // dt 0: no gyro step and no correction step, so only a restart could move the estimate.
  s.filter.UpdateWithDt(Sample(s.next + 100, UpInSensorFrame(moved), {2.0, 0.0, 0.0}), 0.0);
  EXPECT_LT(AttitudeErrorDeg(before, s.filter.sensor_to_earth()), 1e-4);  // renormalisation
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 0);
  for (int i = 0; i < 15; ++i) s.filter.UpdateWithDt(Sample(0, UpInSensorFrame(moved)), kDt);
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 1);
  EXPECT_LT(InclinationErrorDeg(moved, s.filter.sensor_to_earth()), 0.1);
}

// After a bridged gap that missed 20 deg of a turn (a shank landing from a step): a quiet sample
// far off never snaps the tilt (it may be a moving limb's acceleration), the sample times go on,
// and once the limb is still the tilt is set from gravity and the rotation made is told.
TEST(MadgwickRestart, BridgedGapThatMissedATurnIsCorrectedOnceStill) {
  Settled s(kPose);
  s.filter.CheckTiltAfterBridge();
  EXPECT_TRUE(s.filter.tilt_check_pending());
  const Quaternion moved = Compose(AxisAngle(kNorth, 20.0 * kDegToRad), kPose);
  int k = s.next;
  // Quiet (0.3 rad/s), |a| = g, 45 deg off: after a cut gap this snaps at once (beyond
  // restart_keep_tilt_rad, FarOffQuietSampleIsCorrectedAtOnce).
  const Quaternion far = Compose(AxisAngle(kNorth, 45.0 * kDegToRad), kPose);
  s.filter.Update(Sample(k++, UpInSensorFrame(far), {0.3, 0.0, 0.0}));
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 0);
  EXPECT_LT(InclinationErrorDeg(kPose, s.filter.sensor_to_earth()), 0.5);
  s.filter.Update(Sample(k++, UpInSensorFrame(moved)));
  EXPECT_NEAR(s.filter.diagnostics().dt_s, kDt, 1e-9);  // the times go on, unlike after a cut gap
  for (int i = 0; i < 15; ++i) s.filter.Update(Sample(k++, UpInSensorFrame(moved)));
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 1);
  EXPECT_FALSE(s.filter.tilt_check_pending());
  EXPECT_LT(InclinationErrorDeg(moved, s.filter.sensor_to_earth()), 0.5);
  // The rotation told is the snap made: the 20 deg the bridge missed.
  const Quaternion snap = s.filter.diagnostics().last_tilt_snap;
  EXPECT_NEAR(AttitudeErrorDeg(snap, Quaternion{}), 20.0, 1.0);
}

// A bridged gap whose carried tilt the still limb shows within bridge_keep_tilt_rad: kept. A limb
// that looks still may hold a few degrees of its own acceleration; the bridge is rarely that far
// off. The check ends with nothing to give back.
TEST(MadgwickRestart, BridgedGapWithTheTiltRightKeepsIt) {
  Settled s(kPose);
  s.filter.CheckTiltAfterBridge();
  const Quaternion near = Compose(AxisAngle(kNorth, 4.0 * kDegToRad), kPose);
  int k = s.next;
  for (int i = 0; i < 15; ++i) s.filter.Update(Sample(k++, UpInSensorFrame(near)));
  EXPECT_FALSE(s.filter.tilt_check_pending());
  EXPECT_EQ(s.filter.diagnostics().tilt_restarts, 0);
  // Only the gain's own pull (0.2 deg in 0.15 s), no snap of 4 deg.
  EXPECT_LT(InclinationErrorDeg(kPose, s.filter.sensor_to_earth()), 0.5);
}

}  // namespace
}  // namespace ambi::fusion
