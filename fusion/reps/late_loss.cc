#include "fusion/reps/late_loss.h"

#include <algorithm>
#include <cmath>

#include "fusion/reps/gap_policy.h"

namespace ambi::fusion {

ImuSample LostSample(const ImuSample& earlier, const ImuSample& before, const ImuSample& after,
                     std::int64_t k, std::int64_t missing, double period_s) {
  ImuSample e = earlier;
  ImuSample b = before;
  ImuSample a = after;
  e.time = b.time - DurationFromSeconds(period_s);
  a.time = b.time + DurationFromSeconds(static_cast<double>(missing + 1) * period_s);
  ImuSample lost = BridgeSampleCurved(e, b, a, k, missing);
  const double max_speed_sq =
      std::max(Dot(b.gyro_rad_s, b.gyro_rad_s), Dot(a.gyro_rad_s, a.gyro_rad_s));
  const double speed_sq = Dot(lost.gyro_rad_s, lost.gyro_rad_s);
  if (speed_sq > max_speed_sq) {
    lost.gyro_rad_s = Scale(lost.gyro_rad_s, std::sqrt(max_speed_sq / speed_sq));
  }
  return lost;
}

Vec3 RotationOfLostSamples(const ImuSample& earlier, const ImuSample& before,
                           const ImuSample& after, std::int64_t missing, double period_s,
                           const Vec3& bias_rad_s) {
  Vec3 lost_rad;
  for (std::int64_t k = 1; k <= missing; ++k) {
    const Vec3 w = LostSample(earlier, before, after, k, missing, period_s).gyro_rad_s;
    lost_rad = Add(lost_rad, Scale(Sub(w, bias_rad_s), period_s));
  }
  return lost_rad;
}

}  // namespace ambi::fusion
