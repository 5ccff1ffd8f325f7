#include "fusion/reps/late_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "fusion/core/rotation.h"

namespace ambi::fusion {
namespace {

constexpr double kPeriodS = 0.005;  // 200 Hz
constexpr double kRadToDeg = 180.0 / std::numbers::pi;

// The angle between two orientations, deg.
double AngleBetweenDeg(const Quaternion& a, const Quaternion& b) {
  const Quaternion d = Compose(Inverse(a), b);
  return 2.0 * std::acos(std::min(1.0, std::abs(d.w))) * kRadToDeg;
}

// A limb turning about a tilted axis with angular speed 'speed(t)' (rad/s) while it also rolls
// slowly about another axis: samples every period, and the true orientation after each.
struct Motion {
  std::vector<ImuSample> samples;
  std::vector<Quaternion> truth;  // after each sample
};

template <typename Speed>
Motion Turn(int count, Speed speed) {
  const Vec3 axis = {0.6, 0.0, 0.8};
  const Vec3 roll = {0.0, 1.0, 0.0};
  Motion m;
  Quaternion q;
  for (int i = 0; i < count; ++i) {
    const double t = i * kPeriodS;
    ImuSample s;
    s.time = TimeFromSeconds(t);
    s.gyro_rad_s = Add(Scale(axis, speed(t)), Scale(roll, 0.3));
    q = Normalised(Compose(q, FromRotationVector(Scale(s.gyro_rad_s, kPeriodS))));
    m.samples.push_back(s);
    m.truth.push_back(q);
  }
  return m;
}

// Integrates 'm' as the filter would without the samples [lost_first, lost_first + lost), the
// loss found 'found_after' samples after it; returns the orientation at the end. 'correct': once
// found, the integration is run again from the loss with the lost samples put back (as the
// pipeline runs its filter again).
Quaternion IntegrateWithLateLoss(const Motion& m, int lost_first, int lost, int found_after,
                                 bool correct) {
  auto step = [](const Quaternion& q, const Vec3& gyro_rad_s) {
    return Normalised(Compose(q, FromRotationVector(Scale(gyro_rad_s, kPeriodS))));
  };
  std::vector<Quaternion> after;  // orientation after each kept sample
  std::vector<const ImuSample*> kept;
  Quaternion q;
  const int found_at = lost_first + lost + found_after;
  for (int i = 0; i < static_cast<int>(m.samples.size()); ++i) {
    if (i >= lost_first && i < lost_first + lost) continue;
    q = step(q, m.samples[i].gyro_rad_s);
    kept.push_back(&m.samples[i]);
    after.push_back(q);
    if (correct && i == found_at) {
      const std::size_t first = static_cast<std::size_t>(lost_first);  // kept index after loss
      q = after[first - 1];
      for (int k = 1; k <= lost; ++k) {
        q = step(q, LostSample(*kept[first - 2], *kept[first - 1], *kept[first], k, lost, kPeriodS)
                        .gyro_rad_s);
      }
      for (std::size_t j = first; j < kept.size(); ++j) q = step(q, kept[j]->gyro_rad_s);
    }
  }
  return q;
}

// 5 samples (25 ms) lost at 3 rad/s (172 deg/s), found 40 samples (0.2 s) later: the loss took
// 4.3 deg; added back within 0.05 deg (rounding, and the slow roll's order).
TEST(LateLossTest, AConstantRotationLostAndFoundLateIsAddedBack) {
  const Motion m = Turn(200, [](double) { return 3.0; });
  const Quaternion truth = m.truth.back();
  const double without = AngleBetweenDeg(truth, IntegrateWithLateLoss(m, 80, 5, 40, false));
  const double with = AngleBetweenDeg(truth, IntegrateWithLateLoss(m, 80, 5, 40, true));
  EXPECT_GT(without, 4.0);
  EXPECT_LT(with, 0.05);
}

// A rep's speed rises and falls (half a sine, 0.8 s, peak 4 rad/s): 5 samples lost where it
// changes fastest and where it turns, each found 0.2 s later, added back within 0.1 deg.
TEST(LateLossTest, AVaryingRotationLostAndFoundLateIsAddedBack) {
  auto speed = [](double t) { return 4.0 * std::sin(std::numbers::pi * t / 0.8); };
  const Motion m = Turn(160, speed);
  const Quaternion truth = m.truth.back();
  for (int lost_first : {20, 75, 110}) {
    SCOPED_TRACE(lost_first);
    const double without =
        AngleBetweenDeg(truth, IntegrateWithLateLoss(m, lost_first, 5, 40, false));
    const double with = AngleBetweenDeg(truth, IntegrateWithLateLoss(m, lost_first, 5, 40, true));
    EXPECT_GT(without, 1.5);
    EXPECT_LT(with, 0.1);
  }
}

// The fill never turns faster than the faster of the samples around the loss: a noisy sample
// before it cannot make the added rotation larger than missing * period * that speed.
TEST(LateLossTest, TheAddedRotationIsBoundedByTheSpeedAroundTheLoss) {
  ImuSample earlier, before, after;
  earlier.gyro_rad_s = {0.0, 0.0, -20.0};  // a spike: the parabola would overshoot far
  before.gyro_rad_s = {0.0, 0.0, 1.0};
  after.gyro_rad_s = {0.0, 0.0, 2.0};
  earlier.time = TimeFromSeconds(0.0);
  before.time = TimeFromSeconds(kPeriodS);
  after.time = TimeFromSeconds(2 * kPeriodS);
  const Vec3 lost_rad = RotationOfLostSamples(earlier, before, after, 5, kPeriodS, Vec3{});
  EXPECT_LE(std::abs(lost_rad.z), 5 * kPeriodS * 2.0 + 1e-12);
  EXPECT_GE(lost_rad.z, 0.0);
}

}  // namespace
}  // namespace ambi::fusion
