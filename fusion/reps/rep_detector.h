#ifndef AMBI_FUSION_REPS_REP_DETECTOR_H_
#define AMBI_FUSION_REPS_REP_DETECTOR_H_

#include <optional>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"

namespace ambi::fusion {

struct RepDetectorParams {
  Phase first_phase = Phase::kConcentric;  // from the exercise catalog
  double nominal_rate_hz = 100.0;          // fixes buffer capacities
  // Thresholds (rest detection, minimum ROM, hysteresis as a fraction of the set's amplitude,
  // minimum rep duration, ...) are documented where they are defined.
};

// What the detector says after each sample.
struct RepDetectorOutput {
  std::optional<Rep> rep;        // a rep that ended with this sample (placement/set/index unset)
  bool moving = false;           // the limb is not at rest
  double segment_angle_deg = 0;  // angle about the movement axis, from the rest pose
  double segment_speed_deg_s = 0;
};

// One limb segment: its angle about the set's dominant movement axis (independent of how the
// sensor is strapped on), rest/motion, and rep start, turnaround and end with hysteresis that
// adapts to the set's amplitude. Fixed capacity, no allocation per sample. Not thread-safe.
class RepDetector {
 public:
  explicit RepDetector(const RepDetectorParams& params);

  // 'sample' with the fused 'sensor_to_earth' orientation after that sample.
  RepDetectorOutput Update(const ImuSample& sample, const Quaternion& sensor_to_earth);

  // Samples are missing up to 'time': a rep in progress is discarded, never invented.
  void MarkGap(Time time);
  // A new set begins: forget the movement axis and amplitude learned so far.
  void Reset();
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_REP_DETECTOR_H_
