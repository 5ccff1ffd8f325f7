#include "fusion/reps/late_loss.h"

#include <algorithm>
#include <cmath>

#include "fusion/core/rotation.h"
#include "fusion/reps/gap_policy.h"

namespace ambi::fusion {

LostRotation RotationOfLostSamples(const ImuSample& earlier, const ImuSample& before,
                                   const ImuSample& after, std::int64_t missing, double period_s,
                                   const Vec3& bias_rad_s) {
  // At their true times: the samples after the loss went on at the clock's period, so 'after'
  // came missing + 1 periods after 'before'.
  ImuSample e = earlier;
  ImuSample b = before;
  ImuSample a = after;
  const Duration period = DurationFromSeconds(period_s);
  e.time = b.time - period;
  a.time = b.time + DurationFromSeconds(static_cast<double>(missing + 1) * period_s);
  const double max_speed_sq =
      std::max(Dot(b.gyro_rad_s, b.gyro_rad_s), Dot(a.gyro_rad_s, a.gyro_rad_s));
  LostRotation lost;
  for (std::int64_t k = 1; k <= missing; ++k) {
    Vec3 w = BridgeSampleCurved(e, b, a, k, missing).gyro_rad_s;
    const double speed_sq = Dot(w, w);
    if (speed_sq > max_speed_sq) w = Scale(w, std::sqrt(max_speed_sq / speed_sq));
    const Vec3 step_rad = Scale(Sub(w, bias_rad_s), period_s);
    lost.rotation = Compose(lost.rotation, FromRotationVector(step_rad));
    lost.rotation_rad = Add(lost.rotation_rad, step_rad);
  }
  lost.rotation = Normalised(lost.rotation);
  return lost;
}

Quaternion EarthCorrection(const Quaternion& at_loss, const Quaternion& lost) {
  return Normalised(Compose(Compose(at_loss, lost), Inverse(at_loss)));
}

}  // namespace ambi::fusion
