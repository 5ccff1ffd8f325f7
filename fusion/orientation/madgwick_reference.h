#ifndef AMBI_FUSION_ORIENTATION_MADGWICK_REFERENCE_H_
#define AMBI_FUSION_ORIENTATION_MADGWICK_REFERENCE_H_

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

// Settings of the published algorithm. Its gain is its own: the production filter's gain
// (MadgwickSettings::gain_rad_s) is a different quantity, tuned with bias estimation on.
struct MadgwickReferenceSettings {
  // Gradient-descent gain (rad/s), the paper's beta: the fixed rate at which gravity (and the
  // magnetometer) pull the estimate. 0.1 is the published code's default.
  double gain_rad_s = 0.1;
  bool use_magnetometer = true;  // when a sample has_mag
  // The 9-axis published code holds b instead of 2b in its magnetic term ("missing x2").
  // false (the default) is the corrected form; true reproduces the published code.
  bool missing_x2 = false;
  // A timestamp step outside (0, max_dt_periods sample periods] uses the nominal period.
  double max_dt_periods = 5.0;
};

// Madgwick's published gradient-descent AHRS exactly (6- and 9-axis): starts at identity, fixed
// gain, no bias estimation, no startup ramp, no accelerometer rejection. Kept as the reference the
// production filter is measured against; reproduces the recorded vectors in
// ../shared/data/madgwick_vectors to rounding. Same frames as MadgwickFilter. Fixed size, no
// allocation. Not thread-safe.
class MadgwickReference {
 public:
  MadgwickReference(const MadgwickReferenceSettings& settings, double sample_rate_hz);

  // Updates with one sample; dt comes from the previous sample's time, less 'lost_in_step_s'
  // (as MadgwickFilter::Update).
  void Update(const ImuSample& sample, double lost_in_step_s = 0.0);
  // Updates with an explicit dt (the published code uses a fixed 1 / rate).
  void UpdateWithDt(const ImuSample& sample, double dt_s);
  // The next Update uses the nominal dt. The published algorithm has nothing else to restart.
  void RestartAfterGap() { has_previous_time_ = false; }
  void Reset();

  const Quaternion& sensor_to_earth() const { return q_; }
  // Overrides the orientation (normalised; a zero quaternion becomes identity).
  void set_sensor_to_earth(const Quaternion& sensor_to_earth);
  double last_dt_s() const { return last_dt_s_; }
  const MadgwickReferenceSettings& settings() const { return settings_; }

 private:
  MadgwickReferenceSettings settings_;
  double nominal_dt_s_;
  double max_dt_s_;
  double mag_scale_;  // 1 for the corrected 2b form, 0.5 for the published "missing x2"
  Quaternion q_;
  bool has_previous_time_ = false;
  Time previous_time_;
  double last_dt_s_ = 0.0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ORIENTATION_MADGWICK_REFERENCE_H_
