#include "fusion/reps/rotation_centre.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace ambi::fusion {
namespace {

constexpr double kG = 9.80665;
constexpr double kDeg = std::numbers::pi / 180.0;
constexpr Vec3 kPivotAxis{0.0, 1.0, 0.0};

struct Swing {
  double lever_m = 0.25;
  double angle_rad = 0.0;
  double out_s = 1.0;   // minimum-jerk move out
  double hold_s = 0.3;  // still at the far point
  double back_s = 1.5;  // and back
  double rate_hz = 100.0;
  double gyro_noise_rad_s = 0.0;  // white, per axis
  double accel_noise_m_s2 = 0.0;  // white, per axis
  // Samples lost from lost_from_s for lost_s are put back with the gyro interpolated between the
  // two either side and the accelerometer of the one before (it knows nothing of the motion),
  // told to the fit as not measured if lost_told.
  double lost_from_s = 0.0;
  double lost_s = 0.0;
  bool lost_told = true;
};

// A segment turning about a fixed horizontal pivot (sensor y) while the sensor hangs 'lever_m'
// below it, its frame aligned with the segment (x along it, down at rest). Feeds every sample.
void FeedSwing(RotationCentreFit& fit, const Swing& swing) {
  auto min_jerk = [](double s) {  // position, velocity, acceleration in s
    s = std::clamp(s, 0.0, 1.0);
    return std::array<double, 3>{s * s * s * (10 - 15 * s + 6 * s * s),
                                 30 * s * s * (1 - s) * (1 - s), 60 * s * (1 - s) * (1 - 2 * s)};
  };
  std::mt19937 rng(7);
  std::normal_distribution<double> gaussian(0.0, 1.0);
  const double total_s = swing.out_s + swing.hold_s + swing.back_s;
  const int n = static_cast<int>(total_s * swing.rate_hz);
  struct Sample {
    Vec3 gyro_rad_s;
    Vec3 accel_m_s2;
    Vec3 up;
  };
  std::vector<Sample> samples;
  for (int k = 0; k <= n; ++k) {
    const double t = k / swing.rate_hz;
    double theta = swing.angle_rad, w = 0.0, dw = 0.0;
    if (t < swing.out_s) {
      const auto m = min_jerk(t / swing.out_s);
      theta = swing.angle_rad * m[0];
      w = swing.angle_rad * m[1] / swing.out_s;
      dw = swing.angle_rad * m[2] / (swing.out_s * swing.out_s);
    } else if (t >= swing.out_s + swing.hold_s) {
      const auto m = min_jerk((t - swing.out_s - swing.hold_s) / swing.back_s);
      theta = swing.angle_rad * (1 - m[0]);
      w = -swing.angle_rad * m[1] / swing.back_s;
      dw = -swing.angle_rad * m[2] / (swing.back_s * swing.back_s);
    }
    // r = (lever, 0, 0), omega = (0, w, 0): alpha x r + omega x (omega x r).
    const Vec3 linear{-w * w * swing.lever_m, 0.0, -dw * swing.lever_m};
    const Vec3 up{-std::cos(theta), 0.0, -std::sin(theta)};
    const Vec3 accel{linear.x + kG * up.x + swing.accel_noise_m_s2 * gaussian(rng),
                     linear.y + kG * up.y + swing.accel_noise_m_s2 * gaussian(rng),
                     linear.z + kG * up.z + swing.accel_noise_m_s2 * gaussian(rng)};
    const Vec3 gyro{swing.gyro_noise_rad_s * gaussian(rng),
                    w + swing.gyro_noise_rad_s * gaussian(rng),
                    swing.gyro_noise_rad_s * gaussian(rng)};
    samples.push_back({gyro, accel, up});
  }
  const auto lost_first = static_cast<int>(std::lround(swing.lost_from_s * swing.rate_hz));
  const int lost_end = lost_first + static_cast<int>(std::lround(swing.lost_s * swing.rate_hz));
  auto at = [&](int k) -> Sample& { return samples[static_cast<std::size_t>(k)]; };
  for (int k = lost_first; k < lost_end; ++k) {
    const double f = static_cast<double>(k - lost_first + 1) / (lost_end - lost_first + 1);
    at(k).gyro_rad_s =
        Add(Scale(at(lost_first - 1).gyro_rad_s, 1.0 - f), Scale(at(lost_end).gyro_rad_s, f));
    at(k).accel_m_s2 = at(lost_first - 1).accel_m_s2;
  }
  for (int k = 0; k <= n; ++k) {
    if (k == 0) fit.Start(at(k).up);
    const bool measured = !swing.lost_told || k < lost_first || k >= lost_end;
    fit.Add(k == 0 ? 0.0 : 1.0 / swing.rate_hz, at(k).gyro_rad_s, at(k).accel_m_s2, measured);
  }
}

TEST(RotationCentreFitTest, TellsACurlAboutTheElbowFromAReachAboutTheShoulder) {
  RotationCentreFit curl({}, 100.0);
  FeedSwing(curl, {.lever_m = 0.25, .angle_rad = 130 * kDeg});
  ASSERT_TRUE(curl.LeverM(kPivotAxis));
  EXPECT_NEAR(*curl.LeverM(kPivotAxis), 0.25, 0.005);
  // The offset is the sensor's position from the centre: along the segment, sensor x.
  const std::optional<Vec3> offset = curl.OffsetM(kPivotAxis);
  ASSERT_TRUE(offset);
  EXPECT_NEAR(offset->x, 0.25, 0.005);
  EXPECT_NEAR(offset->y, 0.0, 1e-6);
  EXPECT_NEAR(offset->z, 0.0, 0.005);
  RotationCentreFit reach({}, 50.0);
  FeedSwing(
      reach,
      {.lever_m = 0.55, .angle_rad = 42 * kDeg, .hold_s = 0.5, .back_s = 2.0, .rate_hz = 50.0});
  ASSERT_TRUE(reach.LeverM(kPivotAxis));
  EXPECT_NEAR(*reach.LeverM(kPivotAxis), 0.55, 0.01);
}

TEST(RotationCentreFitTest, GyroNoiseDoesNotShrinkTheLeverOfASlowReach) {
  // The preset sensor's noise: 0.004 rad/s and 0.03 m/s^2 per sample at 100 Hz. A rate of turn
  // taken between neighbours reads the reach's lever a sixth short.
  const Swing reach{.lever_m = 0.55,
                    .angle_rad = 42 * kDeg,
                    .hold_s = 0.5,
                    .back_s = 2.0,
                    .gyro_noise_rad_s = 0.004,
                    .accel_noise_m_s2 = 0.03};
  RotationCentreFit fit({}, 100.0);
  FeedSwing(fit, reach);
  ASSERT_TRUE(fit.LeverM(kPivotAxis));
  EXPECT_NEAR(*fit.LeverM(kPivotAxis), 0.55, 0.03);
}

TEST(RotationCentreFitTest, SaysNothingOfAMotionTooSlowToTell) {
  RotationCentreFit slow({}, 100.0);
  FeedSwing(slow,
            {.lever_m = 0.4, .angle_rad = 5 * kDeg, .out_s = 1.5, .hold_s = 0.5, .back_s = 1.5});
  EXPECT_FALSE(slow.LeverM(kPivotAxis));
  RotationCentreFit none({}, 100.0);
  none.Start({0.0, 0.0, 1.0});
  EXPECT_FALSE(none.LeverM(kPivotAxis));
}

TEST(RotationCentreFitTest, StartForgetsThePreviousMovement) {
  RotationCentreFit fit({}, 100.0);
  FeedSwing(fit, {.lever_m = 0.55, .angle_rad = 60 * kDeg});
  FeedSwing(fit, {.lever_m = 0.25, .angle_rad = 120 * kDeg});  // FeedSwing calls Start
  ASSERT_TRUE(fit.LeverM(kPivotAxis));
  EXPECT_NEAR(*fit.LeverM(kPivotAxis), 0.25, 0.005);
}

TEST(RotationCentreFitTest, FitsNoEquationOverSamplesThatWereNotMeasured) {
  // A curl losing 0.2 s as it speeds up, at 50 Hz: the samples put back carry earth-up on (the
  // gyro across them is interpolated) but no equation whose rate of turn spans them is fitted.
  const Swing lossy{.lever_m = 0.25,
                    .angle_rad = 130 * kDeg,
                    .rate_hz = 50.0,
                    .lost_from_s = 0.15,
                    .lost_s = 0.2};
  RotationCentreFit told({}, 50.0);
  FeedSwing(told, lossy);
  ASSERT_TRUE(told.LeverM(kPivotAxis));
  EXPECT_NEAR(*told.LeverM(kPivotAxis), 0.25, 0.005);
  // The same stand-ins taken as measured pull the lever a tenth short (0.224 m).
  Swing untold = lossy;
  untold.lost_told = false;
  RotationCentreFit fitted_anyway({}, 50.0);
  FeedSwing(fitted_anyway, untold);
  ASSERT_TRUE(fitted_anyway.LeverM(kPivotAxis));
  EXPECT_LT(*fitted_anyway.LeverM(kPivotAxis), 0.235);
}

}  // namespace
}  // namespace ambi::fusion
