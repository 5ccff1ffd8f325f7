#ifndef AMBI_FUSION_ORIENTATION_MADGWICK_H_
#define AMBI_FUSION_ORIENTATION_MADGWICK_H_

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

// Settings of the production orientation filter: what an engineer tunes. SI units; every
// trade-off is stated beside its field. The sample rate is not a setting: it is a property of the
// sensor and is given to the filter's constructor. The published algorithm, with its own gain,
// is MadgwickReference (madgwick_reference.h).
struct MadgwickSettings {
  // Gradient-descent gain (rad/s) after the startup ramp: the largest rate at which gravity (and
  // the magnetometer) pull the estimate, reached for errors above proportional_below_rad. Far
  // below the textbook 0.1 because the gyro bias is estimated: the correction then only has to
  // cancel noise and scale errors, and a low gain lets less linear acceleration in.
  double gain_rad_s = 0.02;
  // Startup: the orientation is initialised from gravity (and the magnetometer for heading) on the
  // first sample, then the gain ramps linearly from startup_gain_rad_s down to gain_rad_s over
  // startup_s. A high start gain settles the residual error of the one-sample initialisation
  // quickly; a long ramp tolerates motion at start at the cost of noise early on.
  double startup_gain_rad_s = 2.5;
  double startup_s = 1.0;
  // Below this error the correction is proportional to the error: a first-order filter with time
  // constant proportional_below_rad / gain_rad_s (15 s) instead of the normalised fixed-size step,
  // which chatters at gain * dt and passes accelerometer noise at full gain. Larger = smoother,
  // slower to pull small errors in; 0 = the published normalised step. BROAD tuning half
  // (docs/accuracy.md): 0.1 rad (5 s) -> 0.3 rad (15 s) lowers the inclination RMS; longer time
  // constants gain a little more there but lean on a laboratory-grade gyro our wearables do not
  // have.
  double proportional_below_rad = 0.3;
  bool use_magnetometer = true;  // when a sample has_mag
  // A timestamp step outside (0, max_dt_periods sample periods] is treated as absurd (clock jump,
  // lost samples): the update uses the nominal period instead of integrating a wrong rotation.
  double max_dt_periods = 5.0;

  // Rest detection: the sensor is at rest when, continuously for rest_min_s, the gyro and accel
  // stay within the thresholds of their low-pass values (time constant rest_filter_tau_s), the
  // gyro less the bias learned so far stays below rest_gyro_max_rad_s (so a slow smooth turn is
  // never "learned" as bias) and |accel| is near g. Tighter thresholds miss rest on noisy
  // sensors; looser ones learn slow motion as bias.
  double rest_filter_tau_s = 0.5;
  // The gyro is smoothed over this before it is compared: white noise averages out (by ~3 at
  // 100 Hz), a movement, which lasts tenths of seconds, does not. Compared sample by sample, a
  // sensor three times noisier than a typical one (0.7 deg/s per axis) broke every stretch of
  // stillness and never found rest, so its bias was never learned.
  double rest_gyro_smoothing_s = 0.04;
  // ... and the accelerometer over this, for the same reason: at four times a typical sensor's
  // noise its deviation from the low-pass broke every stretch of stillness.
  double rest_accel_smoothing_s = 0.04;
  double rest_gyro_dev_rad_s = 0.03;  // ~1.7 deg/s deviation from the low-pass gyro
  double rest_gyro_max_rad_s = 0.1;   // ~5.7 deg/s, less the learned bias
  // Until the filter has once seen rest about the bias it learned, the gyro may read up to this
  // at rest: a raw part's zero-rate offset is specified up to 10 deg/s, and with the limit above
  // alone such a sensor never rested and its bias was never learned. A slow turn about the
  // vertical taken for that first rest is unlearned at the next real one, which this still admits.
  double first_rest_gyro_max_rad_s = 0.2;  // ~11.5 deg/s, bias included
  // Deviation of the smoothed accel from its low-pass. Tighter than the |accel| band below: the
  // smoothed accel's noise is a third of the raw one's, and at 0.3 m/s^2 an arm swaying 3 deg at
  // 0.25 Hz with the weights in hand between sets passed for rest in parts of each cycle and
  // taught the bias its sway.
  double rest_accel_dev_m_s2 = 0.2;
  double rest_accel_norm_error_m_s2 = 0.3;  // | |accel| - g | at rest (raw accel)
  double rest_min_s = 0.5;
  // Gyro bias estimation, at rest only: the bias follows the low-pass gyro with time constant
  // bias_tau_s (first a running mean, so the first rest converges fast). Longer averages noise
  // better but adapts to temperature drift more slowly. Bounded to bias_max_rad_s per axis.
  bool estimate_bias = true;
  double bias_tau_s = 5.0;
  double bias_max_rad_s = 0.2;  // ~11.5 deg/s: larger is a fault, not a bias

  // Accelerometer rejection (off by default): the accel correction is skipped while | |a| - g |
  // exceeds accel_reject_m_s2 or the angle between measured and estimated gravity exceeds
  // accel_reject_angle_rad. After accel_reject_timeout_s of continuous rejection it is accepted
  // again (with the startup gain for recovery), so a wrong estimate cannot lock itself out. Off
  // because the normalised gradient step already bounds what one sample can do (gain * dt), so at
  // a low gain linear acceleration tilts the estimate little, while rejecting starves the filter
  // of gravity in sustained motion (22 % of BROAD's fast-rotation samples) and the angle test
  // keeps only samples that agree with the estimate. BROAD tuning half 1.91 -> 1.64 deg (6-axis)
  // with it off; simulated reps lose no accuracy (docs/accuracy.md).
  bool reject_accel = false;
  double gravity_m_s2 = 9.80665;
  double accel_reject_m_s2 = 2.5;
  double accel_reject_angle_rad = 0.3;  // ~17 deg
  double accel_reject_timeout_s = 2.0;

  // RestartAfterGap: the limb may have moved during the gap, so the tilt carried over it is
  // checked against gravity, without touching the heading. Once the limb has been still
  // (gyro below restart_rest_gyro_rad_s, | |a| - g | below restart_rest_accel_error_m_s2) for
  // restart_rest_s, the tilt is set from the mean accelerometer of that stillness: a clean
  // measurement of gravity. Before that, a quiet sample (restart_max_*: a limb turning slowly or
  // at a turnaround) corrects the tilt only when the carried one is more than
  // restart_keep_tilt_rad away from it: such a sample still holds linear acceleration (CMU
  // recordings: 5-25 deg, a few up to 45), and snapping to it made the segment angle jump by as
  // much in one sample.
  double restart_rest_gyro_rad_s = 0.1;  // ~6 deg/s
  double restart_rest_accel_error_m_s2 = 0.3;
  double restart_rest_s = 0.1;
  double restart_max_gyro_rad_s = 0.5;  // ~30 deg/s
  double restart_max_accel_error_m_s2 = 1.5;
  // A compromise: larger keeps more real-data poses (CMU count error 7 at 30 deg, 6 at 40), but
  // simulated dropouts that moved the limb far need the early correction (ROM error of the rep
  // after the gap 29.8 deg at 30, 41.5 at 40). A kept pose less far off is corrected at the next
  // stillness, or by the normal gain.
  double restart_keep_tilt_rad = 0.52;  // ~30 deg
  // CheckTiltAfterBridge: the tilt carried across a bridged gap is within 1-2 deg unless the
  // gap hid a fast turn (a shank landing from a step: 20 deg), while a limb that looks still
  // for restart_rest_s may still hold 3-4 deg of its own acceleration in the accelerometer (an
  // arm slowing into a lateral raise's turnaround; simulated rep ROM errors 0.4 -> 4 deg when
  // every such stillness snapped). Only a larger difference is the bridge's.
  double bridge_keep_tilt_rad = 0.14;  // ~8 deg
};

// Everything the filter carries from one sample to the next. A plain value: read it with
// MadgwickFilter::state(), store it, and set it back with set_state() to resume exactly.
struct MadgwickState {
  Quaternion sensor_to_earth;   // earth NWU, Hamilton (w,x,y,z)
  Vec3 gyro_bias_rad_s;         // subtracted from the gyro before integration
  bool initialised = false;     // set from the first valid sample (gravity, magnetometer)
  double ramp_elapsed_s = 0.0;  // since start (or since recovery), for the gain ramp
  bool has_previous_time = false;
  Time previous_time;
  // Rest detection and bias.
  Vec3 gyro_lp_rad_s;
  Vec3 gyro_smoothed_rad_s;  // over rest_gyro_smoothing_s
  Vec3 accel_smoothed_m_s2;  // over rest_accel_smoothing_s
  Vec3 accel_lp_m_s2;
  bool lp_valid = false;
  double rest_s = 0.0;        // continuous stillness so far
  double bias_samples = 0.0;  // rest samples averaged so far (running mean before bias_tau_s)
  // The gyro summed over the current still stretch and not yet averaged into the bias: the
  // rest_min_s that qualify a stretch as rest are part of it (see UpdateRest).
  Vec3 still_gyro_sum_rad_s;
  double still_samples = 0.0;
  // Every sample of the current still stretch was quiet about the bias held at that sample.
  bool stretch_about_bias = false;
  // A whole stretch of rest was quiet about the bias held before it: that bias is the sensor's,
  // and first_rest_gyro_max_rad_s no longer applies.
  bool bias_confirmed = false;
  double rejected_s = 0.0;  // continuous accelerometer rejection so far
  // A pending restart after a gap (RestartAfterGap).
  bool restart_pending = false;
  bool restart_when_still_only = false;  // after a bridged gap (CheckTiltAfterBridge)
  double restart_rest_s = 0.0;           // stillness seen while the restart is pending
  Vec3 restart_accel_sum;                // accelerometer summed over that stillness
};

// Derived once from the settings and the sample rate (gains per nominal step, squared thresholds
// compared with squared norms so that no square root is taken per sample). Not settable: change
// the settings and build a new filter.
struct MadgwickCoefficients {
  MadgwickCoefficients(const MadgwickSettings& settings, double sample_rate_hz);

  double nominal_dt_s;
  double max_dt_s;
  double half_cos_reject_angle;  // compared with the halved up estimate
  double accel_low_sq;
  double accel_high_sq;
  double rest_lp_k_nominal;
  double rest_smoothing_k_nominal;
  double rest_accel_smoothing_k_nominal;
  double step_floor_sq;
  double gradient_floor_sq;  // the same floor for the quarter gradient Correct carries
  double floor_gain;         // the proportional gain of gain_rad_s, for the quarter gradient
  double rest_gyro_dev_sq;
  double rest_gyro_max_sq;
  double first_rest_gyro_max_sq;
  double rest_accel_dev_sq;
  double rest_accel_low_sq;
  double rest_accel_high_sq;
  // Bias gain at the nominal dt, and the rest-sample count past which the running mean's 1/n is
  // surely below it (the exponential average alone applies: no division per sample).
  double bias_k_nominal;
  double bias_mean_samples;
  double restart_rest_gyro_sq;
  double restart_max_gyro_sq;
  double cos_restart_keep_tilt;
  double cos_bridge_keep_tilt;
};

// Diagnostics of the last update, returned as values.
struct MadgwickDiagnostics {
  bool initialising = false;  // in the startup gain ramp
  bool at_rest = false;
  // The accelerometer is still and the gyro steady, but the gyro reads more than rest allows: a
  // slow steady turn about the vertical, or, when it lasts, an offset too large to learn.
  bool still_but_turning = false;
  bool accel_rejected = false;  // the accelerometer was ignored for this update
  double gain_rad_s = 0.0;      // gain used in the last update
  int tilt_restarts = 0;        // gaps after which the tilt was snapped to gravity
  bool tilt_snapped = false;    // this update snapped the tilt
  Quaternion last_tilt_snap;    // the rotation the last snap applied (earth side: q' = r q)
  double dt_s = 0.0;            // dt used in the last update
};

// Production Madgwick AHRS, 6- or 9-axis, with variable dt from sample timestamps: the gradient
// step of Madgwick's filter plus initialisation from gravity/magnetometer, a startup gain ramp,
// gyro bias estimation at rest, accelerometer rejection during fast motion and a tilt check after
// a gap. Orientation is sensor-to-earth (v_earth = q v_sensor q*), earth NWU, Hamilton (w,x,y,z);
// the gyro is integrated as qdot = 1/2 q (0, w). Fixed size, no allocation, no clock reads. Not
// thread-safe.
class MadgwickFilter {
 public:
  MadgwickFilter(const MadgwickSettings& settings, double sample_rate_hz);

  // Updates with one sample; dt comes from the previous sample's time, less 'lost_in_step_s'
  // (samples lost before and put back elsewhere: SessionPipeline::AddLateLoss; negative where
  // the clock shortened the step, ClockUpdate::shortened_step).
  void Update(const ImuSample& sample, double lost_in_step_s = 0.0);
  // Updates with an explicit dt.
  void UpdateWithDt(const ImuSample& sample, double dt_s);

  // After a gap in the data (lost samples, a clock jump, the sensor lost and back): the next
  // Update uses the nominal dt, and since the limb may have moved anywhere the tilt carried over
  // the gap is corrected from gravity once the limb is seen still, or earlier if a quiet sample
  // shows it clearly wrong (see restart_rest_s). Only the tilt changes, by a rotation about a
  // horizontal earth axis: the heading carried over the gap and the gyro bias are kept, and a
  // limb that did not move in the gap sees no jump.
  void RestartAfterGap();
  // After a short gap bridged by interpolation, which may have missed part of a fast turn: the
  // tilt is set from gravity once the limb is seen still, as after RestartAfterGap, but a quiet
  // sample never snaps it (the carried tilt is rarely far off, and a moving limb's
  // accelerometer is) and the sample times go on (the bridge filled the gap). The caller gives
  // the correction back to the samples since the gap (diagnostics().tilt_snapped, last_tilt_snap).
  void CheckTiltAfterBridge();
  // A tilt check pending is given up: the snap could no longer be given back.
  void CancelTiltCheck() { state_.restart_pending = false; }
  // A tilt check is pending (RestartAfterGap, CheckTiltAfterBridge).
  bool tilt_check_pending() const { return state_.restart_pending; }
  // Back to the state after construction (identity, no bias, startup again).
  void Reset();

  const Quaternion& sensor_to_earth() const { return state_.sensor_to_earth; }
  const MadgwickState& state() const { return state_; }
  // Resumes from a saved state exactly (a quaternion not of unit length is normalised; a zero
  // one becomes identity).
  void set_state(const MadgwickState& state);
  MadgwickDiagnostics diagnostics() const { return diagnostics_; }
  const MadgwickSettings& settings() const { return settings_; }
  const MadgwickCoefficients& coefficients() const { return coefficients_; }
  double sample_rate_hz() const { return sample_rate_hz_; }

 private:
  // One gradient-descent step plus gyro integration. kMag adds the magnetometer term (a
  // compile-time choice keeps the 6-axis path free of it). half_up: half the estimated earth-up
  // in sensor coordinates (third row of R(q)), shared with the accelerometer rejection.
  template <bool kMag>
  void Correct(const ImuSample& sample, double gain_rad_s, bool use_accel, double dt_s,
               const Vec3& gyro_rad_s, double inv_accel_norm, const Vec3& half_up);
  void InitialiseFromSample(const ImuSample& sample, bool use_mag);
  // A tilt check starts (restart_pending); 'when_still_only': only stillness may snap it.
  void BeginTiltCheck(bool when_still_only);
  // A pending restart: is the limb still, or the carried tilt clearly wrong? (see
  // restart_rest_s).
  void CheckRestart(const ImuSample& sample, double dt_s);
  // Rotates the estimate about a horizontal earth axis so that 'up_sensor' (any length) maps to
  // earth up, unless their angle's cosine is at least 'cos_keep'. Returns whether it rotated.
  bool SnapTilt(const Vec3& up_sensor, double cos_keep);
  void UpdateRest(const ImuSample& sample, double dt_s, double accel_sq);

  MadgwickSettings settings_;
  double sample_rate_hz_;
  MadgwickCoefficients coefficients_;
  MadgwickState state_;
  MadgwickDiagnostics diagnostics_;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ORIENTATION_MADGWICK_H_
