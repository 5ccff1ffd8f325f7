#ifndef AMBI_FUSION_ORIENTATION_ORIENTATION_FILTER_H_
#define AMBI_FUSION_ORIENTATION_ORIENTATION_FILTER_H_

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/rotation.h"
#include "fusion/orientation/madgwick.h"
#include "fusion/orientation/madgwick_reference.h"

namespace ambi::fusion {

enum class OrientationAlgorithm {
  kMadgwick,           // production: MadgwickFilter
  kMadgwickReference,  // the published algorithm: MadgwickReference (for comparisons)
};

// Which orientation filter a sensor runs, and the settings of each. Only the selected
// algorithm's settings are used: each has its own gain.
struct OrientationSettings {
  OrientationAlgorithm algorithm = OrientationAlgorithm::kMadgwick;
  MadgwickSettings madgwick;
  MadgwickReferenceSettings reference;
};

// The orientation stage of the pipeline: the selected filter behind one interface. A branch per
// sample on a constant is cheaper than a virtual call and keeps both filters by value (no
// allocation). Not thread-safe.
class OrientationFilter {
 public:
  OrientationFilter(const OrientationSettings& settings, double sample_rate_hz)
      : reference_mode_(settings.algorithm == OrientationAlgorithm::kMadgwickReference),
        madgwick_(settings.madgwick, sample_rate_hz),
        reference_(settings.reference, sample_rate_hz) {}

  // 'lost_in_step_s': see MadgwickFilter::Update.
  void Update(const ImuSample& sample, double lost_in_step_s = 0.0) {
    if (reference_mode_) {
      reference_.Update(sample, lost_in_step_s);
    } else {
      madgwick_.Update(sample, lost_in_step_s);
    }
  }
  // The one path for every gap (lost samples, clock jump, sensor lost and back): see
  // MadgwickFilter::RestartAfterGap.
  void RestartAfterGap() {
    if (reference_mode_) {
      reference_.RestartAfterGap();
    } else {
      madgwick_.RestartAfterGap();
    }
  }
  // MadgwickFilter::CheckTiltAfterBridge (the reference filter has no tilt check).
  void CheckTiltAfterBridge() {
    if (!reference_mode_) madgwick_.CheckTiltAfterBridge();
  }
  void CancelTiltCheck() {
    if (!reference_mode_) madgwick_.CancelTiltCheck();
  }
  bool tilt_check_pending() const { return !reference_mode_ && madgwick_.tilt_check_pending(); }
  // One sample over an explicit step, leaving the time of the last sample as it was: a sample
  // lost and put back later (SessionPipeline::AddLateLoss), between two that are one period
  // apart in session time.
  void UpdateWithDt(const ImuSample& sample, double dt_s) {
    if (reference_mode_) {
      reference_.UpdateWithDt(sample, dt_s);
    } else {
      madgwick_.UpdateWithDt(sample, dt_s);
    }
  }
  // The gyro bias the filter subtracts (zero for the reference filter, which estimates none).
  Vec3 gyro_bias_rad_s() const {
    return reference_mode_ ? Vec3{} : madgwick_.state().gyro_bias_rad_s;
  }
  const Quaternion& sensor_to_earth() const {
    return reference_mode_ ? reference_.sensor_to_earth() : madgwick_.sensor_to_earth();
  }
  // The production filter (its state and diagnostics); unused in reference mode.
  const MadgwickFilter& madgwick() const { return madgwick_; }

 private:
  bool reference_mode_;
  MadgwickFilter madgwick_;
  MadgwickReference reference_;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ORIENTATION_ORIENTATION_FILTER_H_
