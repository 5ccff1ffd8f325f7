#ifndef AMBI_FUSION_ORIENTATION_MADGWICK_H_
#define AMBI_FUSION_ORIENTATION_MADGWICK_H_

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

// Settings of the orientation filter. SI units. See madgwick.cc for the trade-offs.
struct MadgwickParams {
  // Reference mode: the published algorithm exactly (start at identity, fixed beta, no bias
  // estimation, no startup ramp, no acceleration rejection). Reproduces the reference vectors.
  bool reference_mode = false;
  // The 9-axis reference code holds b instead of 2b in its magnetic term ("missing x2").
  // false (the default) is the corrected form; true reproduces the published code.
  bool reference_missing_x2 = false;
  bool use_magnetometer = true;  // when a sample has_mag
  double beta = 0.1;             // gradient-descent gain (rad/s)
  // Production mode only (ignored in reference mode); the defaults are documented in madgwick.cc.
  double startup_beta = 2.5;     // gain at start, ramped down to beta over startup_s
  double startup_s = 1.0;
  // ... bias estimation and acceleration rejection settings: see madgwick.h once implemented.
  double nominal_rate_hz = 100.0;  // dt of the first sample, and the fallback when dt is absurd
};

// Diagnostics, returned as values.
struct MadgwickDiagnostics {
  bool initialising = false;
  bool at_rest = false;
  bool accel_rejected = false;  // the accelerometer was ignored for this update
  Vec3 gyro_bias_rad_s;
};

// Madgwick gradient-descent AHRS, 6- or 9-axis, with variable dt from sample timestamps.
// Orientation is sensor-to-earth, earth NWU. Fixed size, no allocation. Not thread-safe.
class MadgwickFilter {
 public:
  explicit MadgwickFilter(const MadgwickParams& params);

  // Updates with one sample; dt comes from the previous sample's time.
  void Update(const ImuSample& sample);
  // Updates with an explicit dt (the reference vectors use a fixed 0.01 s).
  void UpdateWithDt(const ImuSample& sample, double dt_s);

  // Forgets the previous time (after a gap): the next Update uses the nominal dt.
  void MarkGap();
  void Reset();

  const Quaternion& sensor_to_earth() const;
  MadgwickDiagnostics diagnostics() const;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ORIENTATION_MADGWICK_H_
