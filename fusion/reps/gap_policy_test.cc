#include "fusion/reps/gap_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace ambi::fusion {
namespace {

// A sample at 't_s' turning at 'gyro_y_rad_s' about the sensor's y axis.
ImuSample Turning(double t_s, double gyro_y_rad_s) {
  ImuSample sample;
  sample.time = TimeFromSeconds(t_s);
  sample.gyro_rad_s = {0, gyro_y_rad_s, 0};
  return sample;
}

TEST(GapPolicyTest, ShortGapsAreBridgedLongOnesCut) {
  GapPolicyParams params;
  params.bridge_max_s = 0.3;
  EXPECT_EQ(DecideGap(params, 0.06), GapAction::kBridge);
  EXPECT_EQ(DecideGap(params, 0.3), GapAction::kBridge);
  EXPECT_EQ(DecideGap(params, 0.31), GapAction::kCut);
  EXPECT_EQ(DecideGap(params, 2.0), GapAction::kCut);
}

TEST(GapPolicyTest, BridgeSamplesAreEvenlySpacedLinearInterpolation) {
  ImuSample before;
  before.time = TimeFromSeconds(1.0);
  before.gyro_rad_s = {0, 1, 0};
  before.accel_m_s2 = {0, 0, 9};
  before.has_mag = true;
  before.mag_uT = {10, 0, 0};
  ImuSample after;
  after.time = TimeFromSeconds(1.08);
  after.gyro_rad_s = {0, 3, 0};
  after.accel_m_s2 = {0, 4, 9};
  after.has_mag = false;
  // Three missing samples at 1.02, 1.04, 1.06.
  const ImuSample second = BridgeSample(before, after, 2, 3);
  EXPECT_NEAR(ToSeconds(second.time), 1.04, 1e-9);
  EXPECT_NEAR(second.gyro_rad_s.y, 2.0, 1e-12);
  EXPECT_NEAR(second.accel_m_s2.y, 2.0, 1e-12);
  EXPECT_FALSE(second.has_mag);  // not invented when one side has none
  after.has_mag = true;
  after.mag_uT = {20, 0, 0};
  const ImuSample first = BridgeSample(before, after, 1, 3);
  EXPECT_NEAR(ToSeconds(first.time), 1.02, 1e-9);
  EXPECT_TRUE(first.has_mag);
  EXPECT_NEAR(first.mag_uT.x, 12.5, 1e-12);
}

TEST(GapPolicyTest, ALossFoundLateIsFilledFromTheSamplesAroundTheLoss) {
  // 50 Hz; samples at 1.02-1.06 were lost. 'late' (truly at 1.08) was passed on at 1.02; the
  // loss shows at 'after' (1.10, passed on at 1.10). The bridged samples carry what was lost
  // (between 'before' and 'late') at times between 'late' and 'after'.
  const ImuSample before = Turning(1.0, 1);
  const ImuSample late = Turning(1.02, 5);
  const ImuSample after = Turning(1.10, 6);
  const ImuSample first = BridgeSampleFoundLate(before, late, after, 1, 3);
  const ImuSample third = BridgeSampleFoundLate(before, late, after, 3, 3);
  EXPECT_NEAR(ToSeconds(first.time), 1.04, 1e-9);
  EXPECT_NEAR(ToSeconds(third.time), 1.08, 1e-9);
  EXPECT_NEAR(first.gyro_rad_s.y, 2.0, 1e-12);
  EXPECT_NEAR(third.gyro_rad_s.y, 4.0, 1e-12);
}

TEST(GapPolicyTest, TwoLossesASampleApartAreEachFilledFromTheirOwnSides) {
  // 25 Hz; 1.04 was lost, 1.08 came ('late', passed on at 1.04), 1.12-1.20 were lost, 'after'
  // came at 1.24. Each loss is filled between its own neighbours, all at times after 'late'.
  const ImuSample before = Turning(1.0, 1);
  const ImuSample late = Turning(1.04, 3);
  const ImuSample after = Turning(1.24, 8);
  constexpr std::int64_t kMissing = 4;
  const double expected_gyro[kMissing] = {2.0, 4.25, 5.5, 6.75};
  for (std::int64_t k = 1; k <= kMissing; ++k) {
    const ImuSample filled = BridgeSampleTwoLosses(before, late, after, k, 1, kMissing);
    EXPECT_NEAR(ToSeconds(filled.time), 1.04 + 0.04 * static_cast<double>(k), 1e-9) << k;
    EXPECT_NEAR(filled.gyro_rad_s.y, expected_gyro[k - 1], 1e-12) << k;
  }
}

// A limb slowing into its turnaround: the angular velocity falls fast, then flattens (here
// exactly a parabola, w(t) = 4 (1.1 - t)^2 / 0.01 rad/s). The curved fill follows it where the
// straight line from 'before' to 'after' lies above it.
TEST(GapPolicyTest, TheGyroIsFilledAlongItsCurveThroughTheSampleBefore) {
  const auto w = [](double t) { return 4.0 * (1.1 - t) * (1.1 - t) / 0.01; };
  ImuSample earlier;
  earlier.time = TimeFromSeconds(0.98);
  earlier.gyro_rad_s = {0, w(0.98), 0};
  ImuSample before;
  before.time = TimeFromSeconds(1.0);
  before.gyro_rad_s = {0, w(1.0), 0};
  ImuSample after;
  after.time = TimeFromSeconds(1.1);
  after.gyro_rad_s = {0, w(1.1), 0};
  for (std::int64_t k = 1; k <= 4; ++k) {
    const ImuSample curved = BridgeSampleCurved(earlier, before, after, k, 4);
    const double t = 1.0 + 0.02 * static_cast<double>(k);
    EXPECT_NEAR(ToSeconds(curved.time), t, 1e-9);
    EXPECT_NEAR(curved.gyro_rad_s.y, w(t), 1e-9) << k;
    EXPECT_GT(BridgeSample(before, after, k, 4).gyro_rad_s.y, w(t) + 0.3) << k;
  }
  // Found late: the same curve through 'before', 'late' and 'after' at their true times.
  ImuSample late;
  late.time = TimeFromSeconds(1.02);  // truly at 1.08, passed on one period after 'before'
  late.gyro_rad_s = {0, w(1.08), 0};
  ImuSample after_late;
  after_late.time = TimeFromSeconds(1.10);  // truly at 1.10
  after_late.gyro_rad_s = {0, w(1.10), 0};
  for (std::int64_t k = 1; k <= 3; ++k) {
    const ImuSample filled = BridgeSampleFoundLate(before, late, after_late, k, 3);
    EXPECT_NEAR(filled.gyro_rad_s.y, w(1.0 + 0.02 * static_cast<double>(k)), 1e-9) << k;
  }
}

// A stepping shank's swing stops hard where the foot lands: -223 deg/s, then -57.6 a period
// later, then seven samples lost at 50 Hz, and -5 after them. The parabola through the three
// carries the slowing on past zero and turned the shank back up at 250 deg/s, a rise the limb
// never made. Where the three samples run one way the fill stays between them; where the
// middle one is a peak (a swing at full speed), the parabola's peak beyond it is kept.
TEST(GapPolicyTest, ACurvedFillNeverOvershootsSamplesThatRunOneWay) {
  constexpr double kRadPerDeg = 3.14159265358979 / 180.0;
  const auto parabola_deg_s = [](double w0, double w1, double w2, double t0, double t2, double t) {
    // Through (t0, w0), (0, w1), (t2, w2): Lagrange's weights.
    return w0 * t * (t - t2) / (t0 * (t0 - t2)) + w1 * (t - t0) * (t - t2) / (t0 * t2) +
           w2 * (t - t0) * t / ((t2 - t0) * t2);
  };
  {
    const ImuSample earlier = Turning(128.176, -223.0 * kRadPerDeg);
    const ImuSample before = Turning(128.196, -57.6 * kRadPerDeg);
    const ImuSample after = Turning(128.356, -5.0 * kRadPerDeg);
    double parabola_max_deg_s = -1e9;
    for (std::int64_t k = 1; k <= 7; ++k) {
      const double t = 0.02 * static_cast<double>(k);
      parabola_max_deg_s =
          std::max(parabola_max_deg_s, parabola_deg_s(-223.0, -57.6, -5.0, -0.02, 0.16, t));
      const double g_deg_s =
          BridgeSampleCurved(earlier, before, after, k, 7).gyro_rad_s.y / kRadPerDeg;
      EXPECT_GE(g_deg_s, -223.0 - 1e-9) << k;
      EXPECT_LE(g_deg_s, -5.0 + 1e-9) << k;
    }
    EXPECT_GT(parabola_max_deg_s, 200.0);  // what the fill would have been
  }
  {
    // The swing at full speed: -50, then -106 deg/s, five samples lost at 25 Hz, then 0.
    const ImuSample earlier = Turning(2.256, -50.0 * kRadPerDeg);
    const ImuSample before = Turning(2.296, -106.0 * kRadPerDeg);
    const ImuSample after = Turning(2.536, 0.0);
    for (std::int64_t k = 1; k <= 5; ++k) {
      const double t = 0.04 * static_cast<double>(k);
      EXPECT_NEAR(BridgeSampleCurved(earlier, before, after, k, 5).gyro_rad_s.y / kRadPerDeg,
                  parabola_deg_s(-50.0, -106.0, 0.0, -0.04, 0.24, t), 1e-9)
          << k;
    }
    EXPECT_LT(BridgeSampleCurved(earlier, before, after, 2, 5).gyro_rad_s.y / kRadPerDeg, -140.0);
  }
}

// A burst that reached the clock all at once (a link that stalled as it started) may be stamped a
// microsecond apart. A still wrist (gyro noise of 0.01 rad/s) then lost four samples at 50 Hz:
// the parabola through the two samples stamped together and the one after the gap turned it at
// 146 rad/s, and its detector locked its axis on that turn. Such a pair says nothing of a curve:
// the fill is the straight line.
TEST(GapPolicyTest, SamplesStampedTogetherCarryNoCurveAcrossAGap) {
  ImuSample earlier;
  earlier.time = TimeFromSeconds(0.587);
  earlier.gyro_rad_s = {-0.010, -0.011, -0.005};
  ImuSample before;
  before.time = earlier.time + std::chrono::microseconds(1);
  before.gyro_rad_s = {-0.004, -0.014, -0.007};
  ImuSample after;
  after.time = TimeFromSeconds(0.682);
  after.gyro_rad_s = {-0.008, -0.014, -0.002};
  for (std::int64_t k = 1; k <= 4; ++k) {
    const Vec3 filled = BridgeSampleCurved(earlier, before, after, k, 4).gyro_rad_s;
    const Vec3 line = BridgeSample(before, after, k, 4).gyro_rad_s;
    EXPECT_EQ(filled.x, line.x) << k;
    EXPECT_EQ(filled.y, line.y) << k;
    EXPECT_EQ(filled.z, line.z) << k;
  }
  // A period apart, the same three samples do carry their curve.
  earlier.time = before.time - std::chrono::milliseconds(20);
  EXPECT_NE(BridgeSampleCurved(earlier, before, after, 2, 4).gyro_rad_s.x,
            BridgeSample(before, after, 2, 4).gyro_rad_s.x);
}

// The clock may place a loss found late a few samples off: the sample taken as the first after
// the loss came before it. A curl rising (gyro 0, then -0.54 rad/s, then -1.65 one period after
// seven lost samples) was filled with a parabola through the wrong times, rising to +1.58 rad/s,
// a 12 deg fall inside a rise. The fill stays within the three samples' span on every axis.
TEST(GapPolicyTest, ALossPlacedWrongIsNeverFilledBeyondTheSamplesAroundIt) {
  ImuSample before;
  before.time = TimeFromSeconds(5.724);
  before.gyro_rad_s = {0.0, 0.0, 0.0};
  ImuSample late;
  late.time = TimeFromSeconds(5.744);
  late.gyro_rad_s = {-0.07, -0.54, 0.56};
  ImuSample after;
  after.time = TimeFromSeconds(5.907);
  after.gyro_rad_s = {-0.20, -1.65, 1.73};
  for (std::int64_t k = 1; k <= 7; ++k) {
    const Vec3 g = BridgeSampleFoundLate(before, late, after, k, 7).gyro_rad_s;
    EXPECT_LE(g.y, 0.0) << k;
    EXPECT_GE(g.y, -1.65) << k;
    EXPECT_GE(g.z, 0.0) << k;
    EXPECT_LE(g.z, 1.73) << k;
  }
}

TEST(GapPolicyTest, ACutRepCountsWhenFoundBackWithinTheReturnTolerance) {
  GapPolicyParams params;  // return_frac 0.35
  CutRepReturn cut;
  cut.excursion_deg = 100;
  cut.amplitude_deg = 0;
  cut.from_start_deg = 30;
  EXPECT_TRUE(CameBackDuringGap(params, cut));
  cut.from_start_deg = 40;
  EXPECT_FALSE(CameBackDuringGap(params, cut));
  // A rep whose turnaround came early is judged against the set's amplitude when larger.
  cut.excursion_deg = 6;
  cut.amplitude_deg = 8;
  cut.from_start_deg = 2.6;
  EXPECT_TRUE(CameBackDuringGap(params, cut));
}

TEST(GapPolicyTest, ACutRepWhoseStartWasNotSeenIsJudgedByItsDescent) {
  GapPolicyParams params;
  CutRepReturn cut;
  cut.excursion_deg = 20;
  cut.from_start_deg = 24;  // far from an untrusted start
  cut.start_unseen = true;
  cut.min_rom_deg = 8;
  cut.descent_from_peak_deg = 13;
  EXPECT_TRUE(CameBackDuringGap(params, cut));
  cut.descent_from_peak_deg = 5;
  EXPECT_FALSE(CameBackDuringGap(params, cut));
}

TEST(GapPolicyTest, ARiseGoesOnThroughAGapTooShortToComeDownAndRiseAgain) {
  GapPolicyParams params;
  CutRise rise;
  rise.rose_s = 0.7;
  rise.gap_s = 0.6;
  rise.from_start_deg = 31;  // found up, near where the rise was cut
  rise.start_deg = 5;
  EXPECT_TRUE(RiseWentOnThroughGap(params, rise));
  rise.from_start_deg = 4;  // found back at the start: the rep (if any) is lost in the gap
  EXPECT_FALSE(RiseWentOnThroughGap(params, rise));
  rise.from_start_deg = 31;
  rise.gap_s = 0.8;  // longer than the rise seen: it may have come down and risen again
  EXPECT_FALSE(RiseWentOnThroughGap(params, rise));
}

TEST(GapPolicyTest, RestPoseCarriesOverOnlyWhenTheLimbIsStillNearIt) {
  GapPolicyParams params;
  // Near: max(6 deg, 0.35 * 100 deg) = 35 deg.
  EXPECT_TRUE(RestPoseCarriesOver(params, 30, 0, 100, 6));
  EXPECT_FALSE(RestPoseCarriesOver(params, 40, 0, 100, 6));
  // Before the set has an amplitude the floor decides.
  EXPECT_TRUE(RestPoseCarriesOver(params, -5, 0, 0, 6));
  EXPECT_FALSE(RestPoseCarriesOver(params, 7, 0, 0, 6));
}

TEST(GapPolicyTest, AQuietSampleReadsUpFromItsAccelerometer) {
  GapPolicyParams params;
  // At rest, tilted: the unit accelerometer is earth-up.
  const std::optional<Vec3> up = QuietUp(params, {0.0, 6.0, 7.76}, {0.01, 0.0, -0.02});
  ASSERT_TRUE(up.has_value());
  EXPECT_NEAR(up->y, 6.0 / std::sqrt(36.0 + 7.76 * 7.76), 1e-12);
  EXPECT_NEAR(Dot(*up, *up), 1.0, 1e-12);
  // Turning (10 deg/s), or accelerating (|a| 0.5 m/s^2 off g): the accelerometer is not gravity.
  EXPECT_FALSE(QuietUp(params, {0.0, 6.0, 7.76}, {0.0, 0.175, 0.0}).has_value());
  EXPECT_FALSE(QuietUp(params, {0.0, 0.0, 10.3}, {0.0, 0.0, 0.0}).has_value());
}

}  // namespace
}  // namespace ambi::fusion
