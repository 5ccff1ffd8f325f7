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

// The k-th (1-based) of 'missing' samples lost between 'before' and 'after' (an arrival-time
// stream's short loss found blocks later), one 'period_s' apart at their true times: the samples
// after the loss went on at the clock's period, so in session time 'after' is one period after
// 'before'. The gyro follows the parabola through 'earlier', 'before' and 'after' (as a bridged
// gap's, BridgeSampleCurved), bounded: no filled sample turns faster than the faster of 'before'
// and 'after', so a wrong curve (or a loss placed a few samples off) adds at most
// missing * period_s * that speed. Accelerometer and magnetometer are interpolated.
ImuSample LostSample(const ImuSample& earlier, const ImuSample& before, const ImuSample& after,
                     std::int64_t k, std::int64_t missing, double period_s);

// The rotation of those samples' gyro, 'bias_rad_s' removed, as a rotation vector (rad, sensor
// frame): what the rep detector adds to its gyro angles (RepDetector::AddLostRotation). The
// orientation takes them as samples (SessionPipeline::AddLateLoss runs the filter again).
Vec3 RotationOfLostSamples(const ImuSample& earlier, const ImuSample& before,
                           const ImuSample& after, std::int64_t missing, double period_s,
                           const Vec3& bias_rad_s);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_LATE_LOSS_H_
