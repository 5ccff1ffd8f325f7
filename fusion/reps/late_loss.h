#ifndef AMBI_FUSION_REPS_LATE_LOSS_H_
#define AMBI_FUSION_REPS_LATE_LOSS_H_

#include <cstdint>

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"

namespace ambi::fusion {

struct LateLossParams {
  // A loss found late is added back only up to this long: the same limit as a bridged gap (the
  // gyro's curve over the loss is a guess beyond it). Longer losses are counted for the rate only.
  double max_lost_s = 0.3;
};

// The rotation lost with 'missing' samples between 'before' and 'after' (an arrival-time
// stream's short loss found blocks later, SampleClock::late_loss_samples), one 'period_s' apart.
struct LostRotation {
  Quaternion rotation;  // body frame, as the filter would have integrated it
  Vec3 rotation_rad;    // the same as a rotation vector (for projecting on a movement axis)
};

// The gyro over the loss follows the parabola through 'earlier', 'before' and 'after' (as a
// bridged gap's, BridgeSampleCurved), 'bias_rad_s' removed. Bounded: no filled sample turns
// faster than the faster of 'before' and 'after', so a wrong curve (or a loss placed a few
// samples off) adds at most missing * period_s * that speed.
LostRotation RotationOfLostSamples(const ImuSample& earlier, const ImuSample& before,
                                   const ImuSample& after, std::int64_t missing, double period_s,
                                   const Vec3& bias_rad_s);

// Inserting the body-frame rotation r right after the orientation 'at_loss' (sensor-to-earth)
// turns every later orientation q into C * q with C = at_loss * r * at_loss^-1: with D =
// at_loss^-1 * q the rotation since the loss, at_loss * r * D = C * q. The earth-frame C is the
// same for every later sample.
Quaternion EarthCorrection(const Quaternion& at_loss, const Quaternion& lost);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_LATE_LOSS_H_
