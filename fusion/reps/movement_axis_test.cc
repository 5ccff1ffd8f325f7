#include "fusion/reps/movement_axis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

namespace ambi::fusion {
namespace {

TEST(MovementAxisTest, FindsTheHingeAxisThroughNoiseAndOffAxisWobble) {
  const Vec3 truth = {0.48, -0.6, 0.64};  // unit
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  MovementAxisEstimator estimator({});
  for (int i = 0; i < 500; ++i) {
    const double rate = 3.0 * std::sin(i * 0.05);  // rad/s, both directions
    estimator.Add(
        {truth.x * rate + noise(rng), truth.y * rate + noise(rng), truth.z * rate + noise(rng)},
        0.01);
  }
  ASSERT_TRUE(estimator.Recompute());
  const Vec3& a = estimator.axis();
  const double dot = std::abs(a.x * truth.x + a.y * truth.y + a.z * truth.z);
  EXPECT_GT(dot, std::cos(1.0 * std::numbers::pi / 180));
  EXPECT_GT(estimator.planarity(), 0.95);
}

TEST(MovementAxisTest, NotLockedBeforeEnoughRotationAndIgnoresRest) {
  MovementAxisEstimator estimator({});
  for (int i = 0; i < 1000; ++i) estimator.Add({0.05, 0.0, 0.0}, 0.01);  // below motion level
  EXPECT_FALSE(estimator.Recompute());
  // 1 rad/s for 0.3 s = 17 deg < 20 deg.
  for (int i = 0; i < 30; ++i) estimator.Add({0.0, 1.0, 0.0}, 0.01);
  EXPECT_FALSE(estimator.Recompute());
  for (int i = 0; i < 10; ++i) estimator.Add({0.0, 1.0, 0.0}, 0.01);
  ASSERT_TRUE(estimator.Recompute());
  EXPECT_NEAR(std::abs(estimator.axis().y), 1.0, 1e-9);
}

TEST(MovementAxisTest, SignStaysConsistentAcrossUpdates) {
  MovementAxisEstimator estimator({});
  for (int i = 0; i < 50; ++i) estimator.Add({0.0, 0.0, 1.0}, 0.01);
  ASSERT_TRUE(estimator.Recompute());
  const double first = estimator.axis().z;
  for (int i = 0; i < 200; ++i) estimator.Add({0.0, 0.1, -1.0}, 0.01);
  ASSERT_TRUE(estimator.Recompute());
  EXPECT_GT(first * estimator.axis().z, 0.0);
}

TEST(MovementAxisTest, TiltOnlyLeavesTheTwistAboutTheVerticalOut) {
  // Earth-up along sensor x; the segment twists about it three times as fast as it tilts about
  // sensor z (a calf raise's shank). The dominant rotation is the twist; the tilt is what counts.
  const Vec3 up = {1.0, 0.0, 0.0};
  MovementAxisParams tilt_params;
  tilt_params.tilt_only = true;
  MovementAxisEstimator tilt(tilt_params);
  MovementAxisEstimator any({});
  for (int i = 0; i < 500; ++i) {
    const double twist = 3.0 * std::sin(i * 0.07);  // rad/s
    const double tip = 1.0 * std::sin(i * 0.03);
    tilt.Add({twist, 0.0, tip}, 0.01, up);
    any.Add({twist, 0.0, tip}, 0.01, up);
  }
  ASSERT_TRUE(tilt.Recompute());
  ASSERT_TRUE(any.Recompute());
  EXPECT_NEAR(std::abs(tilt.axis().z), 1.0, 1e-6);
  EXPECT_NEAR(std::abs(any.axis().x), 1.0, 1e-3);
}

TEST(MovementAxisTest, TiltOnlyStillLocksOnTheWholeRotationSeen) {
  // The motion gate and the rotation that locks the axis count the twist too: the limb moves.
  MovementAxisParams params;
  params.tilt_only = true;
  MovementAxisEstimator estimator(params);
  for (int i = 0; i < 40; ++i) estimator.Add({1.0, 0.0, 0.1}, 0.01, {1.0, 0.0, 0.0});
  ASSERT_TRUE(estimator.Recompute());  // 23 deg of rotation, 2.3 of it tilt
  EXPECT_NEAR(std::abs(estimator.axis().z), 1.0, 1e-9);
}

}  // namespace
}  // namespace ambi::fusion
