#include "fusion/orientation/madgwick.h"

#include <algorithm>
#include <cmath>

#include "fusion/orientation/madgwick_gradient.h"

namespace ambi::fusion {
namespace {

// Written with scalars rather than Eigen: the update is a short dependent chain per sample, and
// plain doubles keep it free of temporaries and easy to compare term by term with the paper.

double SquaredNorm(const Vec3& v) { return v.x * v.x + v.y * v.y + v.z * v.z; }

double Square(double v) { return v * v; }

bool IsZero(const Vec3& v) { return v.x == 0.0 && v.y == 0.0 && v.z == 0.0; }

// |q|^2 within this of 1 counts as unit: the update's one-step renormalisation leaves far less.
constexpr double kUnitTolerance = 1e-6;

// A cosine no angle reaches: SnapTilt then always rotates.
constexpr double kAlwaysSnap = 2.0;

double Clamp(double value, double bound) { return std::clamp(value, -bound, bound); }

// Rotation matrix (rows: earth axes in sensor coordinates) to quaternion, Shepperd's method:
// pick the largest diagonal combination so the square root never sees a tiny argument.
Quaternion FromRows(const double r[3][3]) {
  const double trace = r[0][0] + r[1][1] + r[2][2];
  Quaternion q;
  if (trace > 0.0) {
    const double s = 2.0 * std::sqrt(1.0 + trace);
    q = {0.25 * s, (r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s};
  } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
    const double s = 2.0 * std::sqrt(1.0 + r[0][0] - r[1][1] - r[2][2]);
    q = {(r[2][1] - r[1][2]) / s, 0.25 * s, (r[0][1] + r[1][0]) / s, (r[0][2] + r[2][0]) / s};
  } else if (r[1][1] > r[2][2]) {
    const double s = 2.0 * std::sqrt(1.0 + r[1][1] - r[0][0] - r[2][2]);
    q = {(r[0][2] - r[2][0]) / s, (r[0][1] + r[1][0]) / s, 0.25 * s, (r[1][2] + r[2][1]) / s};
  } else {
    const double s = 2.0 * std::sqrt(1.0 + r[2][2] - r[0][0] - r[1][1]);
    q = {(r[1][0] - r[0][1]) / s, (r[0][2] + r[2][0]) / s, (r[1][2] + r[2][1]) / s, 0.25 * s};
  }
  if (q.w < 0.0) q = {-q.w, -q.x, -q.y, -q.z};
  return q;
}

}  // namespace

MadgwickCoefficients::MadgwickCoefficients(const MadgwickSettings& s, double sample_rate_hz)
    : nominal_dt_s(1.0 / sample_rate_hz),
      max_dt_s(s.max_dt_periods / sample_rate_hz),
      half_cos_reject_angle(0.5 * std::cos(s.accel_reject_angle_rad)),
      accel_low_sq(Square(std::max(0.0, s.gravity_m_s2 - s.accel_reject_m_s2))),
      accel_high_sq(Square(s.gravity_m_s2 + s.accel_reject_m_s2)),
      rest_lp_k_nominal(nominal_dt_s / (s.rest_filter_tau_s + nominal_dt_s)),
      rest_smoothing_k_nominal(nominal_dt_s / (s.rest_gyro_smoothing_s + nominal_dt_s)),
      rest_accel_smoothing_k_nominal(nominal_dt_s / (s.rest_accel_smoothing_s + nominal_dt_s)),
      // |J^T f| is about 2x the angle error (rad) for gravity alone.
      step_floor_sq(Square(2.0 * s.proportional_below_rad)),
      gradient_floor_sq(step_floor_sq / 16.0),
      // 4 gain / (2 floor): the proportional gain for the quarter gradient.
      floor_gain(s.proportional_below_rad > 0.0
                     ? 4.0 * (s.gain_rad_s / (2.0 * s.proportional_below_rad))
                     : 0.0),
      rest_gyro_dev_sq(Square(s.rest_gyro_dev_rad_s)),
      rest_gyro_max_sq(Square(s.rest_gyro_max_rad_s)),
      first_rest_gyro_max_sq(Square(s.first_rest_gyro_max_rad_s)),
      rest_accel_dev_sq(Square(s.rest_accel_dev_m_s2)),
      rest_accel_low_sq(Square(s.gravity_m_s2 - s.rest_accel_norm_error_m_s2)),
      rest_accel_high_sq(Square(s.gravity_m_s2 + s.rest_accel_norm_error_m_s2)),
      bias_k_nominal(nominal_dt_s / s.bias_tau_s),
      // Two samples of margin keep the switch clear of rounding at the crossover.
      bias_mean_samples(s.bias_tau_s / nominal_dt_s + 2.0),
      restart_rest_gyro_sq(Square(s.restart_rest_gyro_rad_s)),
      restart_max_gyro_sq(Square(s.restart_max_gyro_rad_s)),
      cos_restart_keep_tilt(std::cos(s.restart_keep_tilt_rad)),
      cos_bridge_keep_tilt(std::cos(s.bridge_keep_tilt_rad)) {}

MadgwickFilter::MadgwickFilter(const MadgwickSettings& settings, double sample_rate_hz)
    : settings_(settings),
      sample_rate_hz_(sample_rate_hz),
      coefficients_(settings, sample_rate_hz) {
  Reset();
}

void MadgwickFilter::RestartAfterGap() {
  state_.has_previous_time = false;
  state_.rejected_s = 0.0;
  BeginTiltCheck(/*when_still_only=*/false);
}

void MadgwickFilter::CheckTiltAfterBridge() {
  if (state_.restart_pending) return;  // a cut gap's check, or one already pending
  BeginTiltCheck(/*when_still_only=*/true);
}

void MadgwickFilter::BeginTiltCheck(bool when_still_only) {
  MadgwickState& st = state_;
  st.restart_pending = true;
  st.restart_when_still_only = when_still_only;
  st.restart_rest_s = 0.0;
  st.restart_accel_sum = Vec3{};
}

void MadgwickFilter::Reset() {
  state_ = MadgwickState{};
  diagnostics_ = MadgwickDiagnostics{};
  diagnostics_.initialising = true;
}

void MadgwickFilter::set_state(const MadgwickState& state) {
  state_ = state;
  // A state read with state() is within the update's renormalisation tolerance and is taken bit
  // for bit (resuming exactly); anything further from unit length is normalised.
  const Quaternion& q = state.sensor_to_earth;
  const double n_sq = q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z;
  if (std::abs(n_sq - 1.0) < kUnitTolerance) return;
  const double n = std::sqrt(n_sq);
  state_.sensor_to_earth = n > 0.0 ? Quaternion{q.w / n, q.x / n, q.y / n, q.z / n} : Quaternion{};
}

void MadgwickFilter::Update(const ImuSample& sample, double lost_in_step_s) {
  double dt_s = coefficients_.nominal_dt_s;
  if (state_.has_previous_time) {
    const double step_s = ToSeconds(sample.time - state_.previous_time) - lost_in_step_s;
    if (step_s > 0.0 && step_s <= coefficients_.max_dt_s) dt_s = step_s;
  }
  state_.previous_time = sample.time;
  state_.has_previous_time = true;
  UpdateWithDt(sample, dt_s);
}

void MadgwickFilter::UpdateWithDt(const ImuSample& sample, double dt_s) {
  const MadgwickSettings& set = settings_;
  const MadgwickCoefficients& co = coefficients_;
  MadgwickState& st = state_;
  const bool use_mag = set.use_magnetometer && sample.has_mag && !IsZero(sample.mag_uT);
  const bool accel_valid = !IsZero(sample.accel_m_s2);
  diagnostics_.dt_s = dt_s;
  diagnostics_.tilt_snapped = false;

  if (st.restart_pending && st.initialised && accel_valid) CheckRestart(sample, dt_s);
  if (!st.initialised) {
    if (!accel_valid) return;  // nothing to initialise from yet
    InitialiseFromSample(sample, use_mag);
    st.initialised = true;
    st.ramp_elapsed_s = 0.0;
    diagnostics_.initialising = true;
    diagnostics_.gain_rad_s = set.startup_gain_rad_s;
    UpdateRest(sample, dt_s, SquaredNorm(sample.accel_m_s2));
    return;
  }

  // |a| once per sample, shared by rest detection, rejection and the correction.
  const double a_sq = SquaredNorm(sample.accel_m_s2);
  const double inv_a = accel_valid ? 1.0 / std::sqrt(a_sq) : 0.0;
  UpdateRest(sample, dt_s, a_sq);
  const Vec3& bias = st.gyro_bias_rad_s;
  const Vec3 gyro{sample.gyro_rad_s.x - bias.x, sample.gyro_rad_s.y - bias.y,
                  sample.gyro_rad_s.z - bias.z};

  st.ramp_elapsed_s += dt_s;
  const bool ramping = st.ramp_elapsed_s < set.startup_s;
  double gain = set.gain_rad_s;
  if (ramping) {
    const double f = st.ramp_elapsed_s / set.startup_s;
    gain = set.startup_gain_rad_s + f * (set.gain_rad_s - set.startup_gain_rad_s);
  }

  // Half the estimated earth-up in sensor coordinates (third row of R(q) / 2: one multiplication
  // less on the sample-to-sample chain); rejection and gradient share it.
  const Quaternion& q = st.sensor_to_earth;
  const Vec3 half_up{q.x * q.z - q.w * q.y, q.w * q.x + q.y * q.z, 0.5 - (q.x * q.x + q.y * q.y)};
  bool use_accel = accel_valid;
  bool rejected = false;
  if (use_accel && set.reject_accel && !ramping) {
    const Vec3& a = sample.accel_m_s2;
    const double half_dot = a.x * half_up.x + a.y * half_up.y + a.z * half_up.z;
    rejected = a_sq < co.accel_low_sq || a_sq > co.accel_high_sq ||
               half_dot * inv_a < co.half_cos_reject_angle;
    if (rejected) {
      st.rejected_s += dt_s;
      if (st.rejected_s > set.accel_reject_timeout_s) {
        // The estimate may be what is wrong: trust gravity again, with the startup gain.
        rejected = false;
        st.rejected_s = 0.0;
        st.ramp_elapsed_s = 0.0;
        gain = set.startup_gain_rad_s;
      }
    } else {
      st.rejected_s = 0.0;
    }
    use_accel = !rejected;
  }
  diagnostics_.initialising = ramping;
  diagnostics_.accel_rejected = rejected;
  diagnostics_.gain_rad_s = gain;
  if (use_mag && use_accel) {
    Correct<true>(sample, gain, true, dt_s, gyro, inv_a, half_up);
  } else {
    Correct<false>(sample, gain, use_accel, dt_s, gyro, inv_a, half_up);
  }
}

// Inlined into UpdateWithDt: called once per sample, and a call would spill the sample state.
[[gnu::always_inline]] inline void MadgwickFilter::UpdateRest(const ImuSample& sample, double dt_s,
                                                              double accel_sq) {
  const MadgwickCoefficients& co = coefficients_;
  MadgwickState& st = state_;
  const Vec3& g = sample.gyro_rad_s;
  const Vec3& a = sample.accel_m_s2;
  Vec3& gs = st.gyro_smoothed_rad_s;
  Vec3& as = st.accel_smoothed_m_s2;
  if (!st.lp_valid) {
    st.gyro_lp_rad_s = g;
    gs = g;
    st.accel_lp_m_s2 = a;
    as = a;
    st.lp_valid = true;
  } else {
    const bool nominal = dt_s == co.nominal_dt_s;
    const double k = nominal ? co.rest_lp_k_nominal : dt_s / (settings_.rest_filter_tau_s + dt_s);
    const double ks =
        nominal ? co.rest_smoothing_k_nominal : dt_s / (settings_.rest_gyro_smoothing_s + dt_s);
    const double ka = nominal ? co.rest_accel_smoothing_k_nominal
                              : dt_s / (settings_.rest_accel_smoothing_s + dt_s);
    gs.x += ks * (g.x - gs.x);
    gs.y += ks * (g.y - gs.y);
    gs.z += ks * (g.z - gs.z);
    as.x += ka * (a.x - as.x);
    as.y += ka * (a.y - as.y);
    as.z += ka * (a.z - as.z);
    st.gyro_lp_rad_s.x += k * (gs.x - st.gyro_lp_rad_s.x);
    st.gyro_lp_rad_s.y += k * (gs.y - st.gyro_lp_rad_s.y);
    st.gyro_lp_rad_s.z += k * (gs.z - st.gyro_lp_rad_s.z);
    st.accel_lp_m_s2.x += k * (as.x - st.accel_lp_m_s2.x);
    st.accel_lp_m_s2.y += k * (as.y - st.accel_lp_m_s2.y);
    st.accel_lp_m_s2.z += k * (as.z - st.accel_lp_m_s2.z);
  }
  const Vec3& glp = st.gyro_lp_rad_s;
  const Vec3& alp = st.accel_lp_m_s2;
  const Vec3 dg{gs.x - glp.x, gs.y - glp.y, gs.z - glp.z};
  const Vec3 da{as.x - alp.x, as.y - alp.y, as.z - alp.z};
  const Vec3 unbiased = Sub(gs, st.gyro_bias_rad_s);
  // Squared norms against squared thresholds: no square root per sample.
  const bool about_bias = SquaredNorm(unbiased) < co.rest_gyro_max_sq;
  const bool gyro_quiet =
      about_bias || (!st.bias_confirmed && SquaredNorm(gs) < co.first_rest_gyro_max_sq);
  const bool steady = SquaredNorm(dg) < co.rest_gyro_dev_sq &&
                      SquaredNorm(da) < co.rest_accel_dev_sq && accel_sq > co.rest_accel_low_sq &&
                      accel_sq < co.rest_accel_high_sq;
  const bool still = steady && gyro_quiet;
  diagnostics_.still_but_turning = steady && !gyro_quiet;
  if (still) {
    st.stretch_about_bias = (st.rest_s == 0.0 || st.stretch_about_bias) && about_bias;
    st.rest_s += dt_s;
    st.still_gyro_sum_rad_s.x += g.x;
    st.still_gyro_sum_rad_s.y += g.y;
    st.still_gyro_sum_rad_s.z += g.z;
    st.still_samples += 1.0;
  } else {
    st.rest_s = 0.0;
    st.still_gyro_sum_rad_s = {};
    st.still_samples = 0.0;
  }
  const bool at_rest = st.rest_s >= settings_.rest_min_s;
  diagnostics_.at_rest = at_rest;
  if (at_rest && settings_.estimate_bias) {
    st.bias_confirmed = st.bias_confirmed || st.stretch_about_bias;
    // A rest the unconfirmed bias is far from says that bias was learned from motion (a slow
    // turn about the vertical): the mean starts again from this rest.
    if (!st.bias_confirmed && !about_bias) st.bias_samples = 0.0;
    // The samples of the stretch not yet averaged in: at its first rest sample all of it, since
    // the stillness that qualified it is rest too (one noisy sample alone made the first
    // estimate, 2 deg/s off on a noisy sensor); then each sample as it comes. A running mean at
    // first (fast first estimate), then an exponential average with bias_tau_s.
    const double n = st.still_samples;
    st.bias_samples += n;
    const bool one_sample = n == 1.0;  // the usual case: no division
    const Vec3& sum = st.still_gyro_sum_rad_s;
    const Vec3 mean = one_sample ? g : Vec3{sum.x / n, sum.y / n, sum.z / n};
    const double k =
        one_sample && dt_s == co.nominal_dt_s && st.bias_samples > co.bias_mean_samples
            ? co.bias_k_nominal
            : std::max(n / st.bias_samples, std::min(1.0, n * dt_s / settings_.bias_tau_s));
    st.still_gyro_sum_rad_s = {};
    st.still_samples = 0.0;
    const double bound = settings_.bias_max_rad_s;
    Vec3& bias = st.gyro_bias_rad_s;
    bias.x = Clamp(bias.x + k * (mean.x - bias.x), bound);
    bias.y = Clamp(bias.y + k * (mean.y - bias.y), bound);
    bias.z = Clamp(bias.z + k * (mean.z - bias.z), bound);
  }
}

void MadgwickFilter::CheckRestart(const ImuSample& sample, double dt_s) {
  MadgwickState& st = state_;
  const Vec3& a = sample.accel_m_s2;
  // Still and quiet are judged on the gyro less the learned bias, as rest is.
  const double gyro_sq = SquaredNorm(Sub(sample.gyro_rad_s, st.gyro_bias_rad_s));
  const double a_norm = Norm(a);
  const double a_error = std::abs(a_norm - settings_.gravity_m_s2);
  if (gyro_sq < coefficients_.restart_rest_gyro_sq &&
      a_error < settings_.restart_rest_accel_error_m_s2) {
    // Still: the accelerometer is gravity. Averaged over restart_rest_s it fixes the tilt
    // whatever the pose carried over the gap.
    st.restart_rest_s += dt_s;
    st.restart_accel_sum = {st.restart_accel_sum.x + a.x, st.restart_accel_sum.y + a.y,
                            st.restart_accel_sum.z + a.z};
    if (st.restart_rest_s >= settings_.restart_rest_s) {
      SnapTilt(st.restart_accel_sum,
               st.restart_when_still_only ? coefficients_.cos_bridge_keep_tilt : kAlwaysSnap);
      st.restart_pending = false;
    }
    return;
  }
  st.restart_rest_s = 0.0;
  st.restart_accel_sum = Vec3{};
  // Quiet but not still (a limb turning slowly, or at a turnaround): one sample's accelerometer
  // holds linear acceleration (5-25 deg of tilt in the CMU recordings), so it replaces the
  // carried pose only when that is clearly wrong. Otherwise the restart waits for stillness.
  if (!st.restart_when_still_only && gyro_sq < coefficients_.restart_max_gyro_sq &&
      a_error < settings_.restart_max_accel_error_m_s2 &&
      SnapTilt(a, coefficients_.cos_restart_keep_tilt)) {
    st.restart_pending = false;
  }
}

bool MadgwickFilter::SnapTilt(const Vec3& up_sensor, double cos_keep) {
  // Measured up, in earth coordinates through the current estimate: u_e = q u_s q*.
  const double inv_norm = 1.0 / Norm(up_sensor);
  const double ux = up_sensor.x * inv_norm;
  const double uy = up_sensor.y * inv_norm;
  const double uz = up_sensor.z * inv_norm;
  const Quaternion q = state_.sensor_to_earth;
  const double w = q.w, x = q.x, y = q.y, z = q.z;
  const double ex =
      (1.0 - 2.0 * (y * y + z * z)) * ux + 2.0 * (x * y - w * z) * uy + 2.0 * (x * z + w * y) * uz;
  const double ey =
      2.0 * (x * y + w * z) * ux + (1.0 - 2.0 * (x * x + z * z)) * uy + 2.0 * (y * z - w * x) * uz;
  const double ez =
      2.0 * (x * z - w * y) * ux + 2.0 * (y * z + w * x) * uy + (1.0 - 2.0 * (x * x + y * y)) * uz;
  if (ez >= cos_keep) return false;
  // The shortest rotation about a horizontal axis taking u_e to earth up, applied on the earth
  // side (q' = r q): only the tilt changes; the heading carried over the gap is kept, as is the
  // gyro bias learned so far.
  Quaternion r{0.0, 1.0, 0.0, 0.0};  // upside down: half a turn about north
  if (ez > -1.0 + 1e-9) {
    const double rw = 1.0 + ez;
    const double n = std::sqrt(rw * rw + ey * ey + ex * ex);
    r = Quaternion{rw / n, ey / n, -ex / n, 0.0};
  }
  state_.sensor_to_earth = Quaternion{
      r.w * q.w - r.x * q.x - r.y * q.y - r.z * q.z, r.w * q.x + r.x * q.w + r.y * q.z - r.z * q.y,
      r.w * q.y - r.x * q.z + r.y * q.w + r.z * q.x, r.w * q.z + r.x * q.y - r.y * q.x + r.z * q.w};
  ++diagnostics_.tilt_restarts;  // Reset() clears it with the rest of diagnostics_
  diagnostics_.tilt_snapped = true;
  diagnostics_.last_tilt_snap = r;
  return true;
}

void MadgwickFilter::InitialiseFromSample(const ImuSample& sample, bool use_mag) {
  const Vec3& a = sample.accel_m_s2;
  const double a_norm = Norm(a);
  const double ux = a.x / a_norm;
  const double uy = a.y / a_norm;
  const double uz = a.z / a_norm;
  Quaternion& q = state_.sensor_to_earth;
  if (use_mag) {
    const Vec3& m = sample.mag_uT;
    // West = up x m (the field points north and down); north = west x up.
    double wx = uy * m.z - uz * m.y;
    double wy = uz * m.x - ux * m.z;
    double wz = ux * m.y - uy * m.x;
    const double w_norm = std::sqrt(wx * wx + wy * wy + wz * wz);
    if (w_norm > 1e-6 * Norm(m) && w_norm > 0.0) {
      wx /= w_norm;
      wy /= w_norm;
      wz /= w_norm;
      const double rows[3][3] = {
          {wy * uz - wz * uy, wz * ux - wx * uz, wx * uy - wy * ux},
          {wx, wy, wz},
          {ux, uy, uz},
      };
      q = FromRows(rows);
      return;
    }
  }
  // Shortest rotation taking the measured up to earth z; heading is unobservable without mag.
  if (uz < -1.0 + 1e-9) {
    q = Quaternion{0.0, 1.0, 0.0, 0.0};
    return;
  }
  const double w = 1.0 + uz;
  const double n = std::sqrt(w * w + uy * uy + ux * ux);
  q = Quaternion{w / n, uy / n, -ux / n, 0.0};
}

// The objective is carried at half its textbook size (f / 2), so the gradient is h = J^T f / 4,
// and the gyro rate at twice (the 1/2 of qdot moves into dt / 2): scaling by powers of two is
// exact in floating point, so the result is bit-identical to the textbook arithmetic with fewer
// multiplications per sample.
template <bool kMag>
[[gnu::always_inline]] inline void MadgwickFilter::Correct(const ImuSample& sample,
                                                           double gain_rad_s, bool use_accel,
                                                           double dt_s, const Vec3& gyro_rad_s,
                                                           double inv_accel_norm,
                                                           const Vec3& half_up) {
  const double q0 = state_.sensor_to_earth.w;
  const double q1 = state_.sensor_to_earth.x;
  const double q2 = state_.sensor_to_earth.y;
  const double q3 = state_.sensor_to_earth.z;
  const double gx = gyro_rad_s.x;
  const double gy = gyro_rad_s.y;
  const double gz = gyro_rad_s.z;

  // Gyro rate of the quaternion, times 2: qdot = 1/2 q (0, w). qd0 is kept negated (exact).
  const double neg_qd0 = q1 * gx + q2 * gy + q3 * gz;
  const double qd1 = q0 * gx + q2 * gz - q3 * gy;
  const double qd2 = q0 * gy - q1 * gz + q3 * gx;
  const double qd3 = q0 * gz + q1 * gy - q2 * gx;
  const double half_dt_s = 0.5 * dt_s;
  double c = 0.0;  // gradient gain times dt, for the quarter gradient
  madgwick_gradient::QuarterGradient h;

  if (use_accel) {
    const Vec3& acc = sample.accel_m_s2;
    const double half_inv_a = 0.5 * inv_accel_norm;
    const double ax = acc.x * half_inv_a;  // half the measured up
    const double ay = acc.y * half_inv_a;
    const double az = acc.z * half_inv_a;

    // Objective (halved): predicted earth-up in the sensor frame minus the measured one.
    const double f1 = half_up.x - ax;
    const double f2 = half_up.y - ay;
    const double f3 = half_up.z - az;
    h = madgwick_gradient::FromGravity(q0, q1, q2, q3, f1, f2, f3);

    if constexpr (kMag) {
      const Vec3& mag = sample.mag_uT;
      const double inv_m = 1.0 / Norm(mag);
      const double mx = mag.x * inv_m;
      const double my = mag.y * inv_m;
      const double mz = mag.z * inv_m;
      madgwick_gradient::AddMagnetic(q0, q1, q2, q3, mx, my, mz, 1.0, h);
    }

    // |J^T f|^2 / 16; the gains below are for h, i.e. four times the textbook ones. The
    // normalised step (the published form) for large errors; below the floor the step is
    // proportional to the error, which ends the chatter of a fixed-size step near convergence and
    // keeps the square root off the common path.
    const double h_norm2 = h.h0 * h.h0 + h.h1 * h.h1 + h.h2 * h.h2 + h.h3 * h.h3;
    double k = 0.0;
    if (h_norm2 > coefficients_.gradient_floor_sq) {
      k = gain_rad_s / std::sqrt(h_norm2);
    } else if (coefficients_.step_floor_sq > 0.0) {
      k = gain_rad_s == settings_.gain_rad_s
              ? coefficients_.floor_gain
              : 4.0 * (gain_rad_s / std::sqrt(coefficients_.step_floor_sq));
    }
    c = k * dt_s;
  }

  // (q + dt qdot_gyro) - (dt k) grad: the gyro part is computed while the gradient is.
  const double n0 = (q0 - neg_qd0 * half_dt_s) - c * h.h0;
  const double n1 = (q1 + qd1 * half_dt_s) - c * h.h1;
  const double n2 = (q2 + qd2 * half_dt_s) - c * h.h2;
  const double n3 = (q3 + qd3 * half_dt_s) - c * h.h3;
  const double n_sq = n0 * n0 + n1 * n1 + n2 * n2 + n3 * n3;
  double inv_n;
  if (std::abs(n_sq - 1.0) < 1e-3) {
    // One Newton step of 1/sqrt from 1: |q|^2 stays within 1e-3 of 1 at realistic rates, so the
    // residual is below 1e-6 and is removed again next update. Saves a sqrt and a division.
    inv_n = 1.5 - 0.5 * n_sq;
  } else {
    inv_n = 1.0 / std::sqrt(n_sq);
  }
  state_.sensor_to_earth = Quaternion{n0 * inv_n, n1 * inv_n, n2 * inv_n, n3 * inv_n};
}

}  // namespace ambi::fusion
