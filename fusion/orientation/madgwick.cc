#include "fusion/orientation/madgwick.h"

#include <algorithm>
#include <cmath>

namespace ambi::fusion {
namespace {

// Written with scalars rather than Eigen: the update is a short dependent chain per sample, and
// plain doubles keep it free of temporaries and easy to compare term by term with the paper.

double SquaredNorm(const Vec3& v) { return v.x * v.x + v.y * v.y + v.z * v.z; }

double Norm(const Vec3& v) { return std::sqrt(SquaredNorm(v)); }

double Square(double v) { return v * v; }

bool IsZero(const Vec3& v) { return v.x == 0.0 && v.y == 0.0 && v.z == 0.0; }

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

MadgwickFilter::MadgwickFilter(const MadgwickParams& params)
    : params_(params),
      nominal_dt_s_(1.0 / params.nominal_rate_hz),
      max_dt_s_(params.max_dt_factor / params.nominal_rate_hz),
      mag_scale_(params.reference_missing_x2 ? 0.5 : 1.0),
      half_cos_reject_angle_(0.5 * std::cos(params.accel_reject_angle_rad)),
      accel_low_sq_(Square(std::max(0.0, params.gravity_m_s2 - params.accel_reject_m_s2))),
      accel_high_sq_(Square(params.gravity_m_s2 + params.accel_reject_m_s2)),
      rest_lp_k_nominal_(nominal_dt_s_ / (params.rest_filter_tau_s + nominal_dt_s_)),
      // |J^T f| is about 2x the angle error (rad) for gravity alone.
      step_floor_sq_(Square(2.0 * params.proportional_below_rad)),
      gradient_floor_sq_(step_floor_sq_ / 16.0),
      beta_over_floor_(params.proportional_below_rad > 0.0
                           ? params.production_beta / (2.0 * params.proportional_below_rad)
                           : 0.0),
      floor_gain_(4.0 * beta_over_floor_),
      rest_gyro_dev_sq_(Square(params.rest_gyro_dev_rad_s)),
      rest_gyro_max_sq_(Square(params.rest_gyro_max_rad_s)),
      rest_accel_dev_sq_(Square(params.rest_accel_dev_m_s2)),
      rest_accel_low_sq_(Square(params.gravity_m_s2 - params.rest_accel_dev_m_s2)),
      rest_accel_high_sq_(Square(params.gravity_m_s2 + params.rest_accel_dev_m_s2)),
      bias_k_nominal_(nominal_dt_s_ / params.bias_tau_s),
      // Two samples of margin keep the switch clear of rounding at the crossover.
      bias_mean_samples_(params.bias_tau_s / nominal_dt_s_ + 2.0),
      cos_restart_keep_tilt_(std::cos(params.restart_keep_tilt_rad)) {
  Reset();
}

void MadgwickFilter::RestartAfterGap() {
  MarkGap();
  if (params_.reference_mode) return;
  restart_pending_ = true;
  restart_rest_s_ = 0.0;
  restart_accel_sum_ = Vec3{};
  rejected_s_ = 0.0;
}

void MadgwickFilter::Reset() {
  restart_pending_ = false;
  restart_rest_s_ = 0.0;
  restart_accel_sum_ = Vec3{};
  q_ = Quaternion{};
  has_previous_time_ = false;
  previous_time_ = Time{};
  initialised_ = params_.reference_mode;
  elapsed_s_ = 0.0;
  gyro_lp_rad_s_ = Vec3{};
  accel_lp_m_s2_ = Vec3{};
  lp_valid_ = false;
  rest_s_ = 0.0;
  bias_samples_ = 0.0;
  bias_rad_s_ = Vec3{};
  rejected_s_ = 0.0;
  diagnostics_ = MadgwickDiagnostics{};
  diagnostics_.initialising = !params_.reference_mode;
}

void MadgwickFilter::MarkGap() { has_previous_time_ = false; }

void MadgwickFilter::set_sensor_to_earth(const Quaternion& sensor_to_earth) {
  const Quaternion& q = sensor_to_earth;
  const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  q_ = n > 0.0 ? Quaternion{q.w / n, q.x / n, q.y / n, q.z / n} : Quaternion{};
  initialised_ = true;
}

void MadgwickFilter::Update(const ImuSample& sample) {
  double dt_s = nominal_dt_s_;
  if (has_previous_time_) {
    const double step_s = ToSeconds(sample.time - previous_time_);
    if (step_s > 0.0 && step_s <= max_dt_s_) dt_s = step_s;
  }
  previous_time_ = sample.time;
  has_previous_time_ = true;
  UpdateWithDt(sample, dt_s);
}

void MadgwickFilter::UpdateWithDt(const ImuSample& sample, double dt_s) {
  const bool use_mag = params_.use_magnetometer && sample.has_mag && !IsZero(sample.mag_uT);
  const bool accel_valid = !IsZero(sample.accel_m_s2);
  diagnostics_.dt_s = dt_s;
  if (params_.reference_mode) {
    diagnostics_.beta = params_.beta;
    if (use_mag && accel_valid) {
      Correct<false, true>(sample, params_.beta, true, dt_s, sample.gyro_rad_s, 0.0, Vec3{});
    } else {
      Correct<false, false>(sample, params_.beta, accel_valid, dt_s, sample.gyro_rad_s, 0.0,
                            Vec3{});
    }
    return;
  }

  if (restart_pending_ && initialised_ && accel_valid) CheckRestart(sample, dt_s);
  if (!initialised_) {
    if (!accel_valid) return;  // nothing to initialise from yet
    InitialiseFromSample(sample, use_mag);
    initialised_ = true;
    elapsed_s_ = 0.0;
    diagnostics_.initialising = true;
    diagnostics_.beta = params_.startup_beta;
    UpdateRest(sample, dt_s, SquaredNorm(sample.accel_m_s2));
    return;
  }

  // |a| once per sample, shared by rest detection, rejection and the correction.
  const double a_sq = SquaredNorm(sample.accel_m_s2);
  const double inv_a = accel_valid ? 1.0 / std::sqrt(a_sq) : 0.0;
  UpdateRest(sample, dt_s, a_sq);
  const Vec3 gyro{sample.gyro_rad_s.x - bias_rad_s_.x, sample.gyro_rad_s.y - bias_rad_s_.y,
                  sample.gyro_rad_s.z - bias_rad_s_.z};

  elapsed_s_ += dt_s;
  const bool ramping = elapsed_s_ < params_.startup_s;
  double beta = params_.production_beta;
  if (ramping) {
    const double f = elapsed_s_ / params_.startup_s;
    beta = params_.startup_beta + f * (params_.production_beta - params_.startup_beta);
  }

  // Half the estimated earth-up in sensor coordinates (third row of R(q) / 2: one multiplication
  // less on the sample-to-sample chain); rejection and gradient share it.
  const Vec3 half_up{q_.x * q_.z - q_.w * q_.y, q_.w * q_.x + q_.y * q_.z,
                     0.5 - (q_.x * q_.x + q_.y * q_.y)};
  bool use_accel = accel_valid;
  bool rejected = false;
  if (use_accel && params_.reject_accel && !ramping) {
    const Vec3& a = sample.accel_m_s2;
    const double half_dot = a.x * half_up.x + a.y * half_up.y + a.z * half_up.z;
    rejected =
        a_sq < accel_low_sq_ || a_sq > accel_high_sq_ || half_dot * inv_a < half_cos_reject_angle_;
    if (rejected) {
      rejected_s_ += dt_s;
      if (rejected_s_ > params_.accel_reject_timeout_s) {
        // The estimate may be what is wrong: trust gravity again, with the startup gain.
        rejected = false;
        rejected_s_ = 0.0;
        elapsed_s_ = 0.0;
        beta = params_.startup_beta;
      }
    } else {
      rejected_s_ = 0.0;
    }
    use_accel = !rejected;
  }
  diagnostics_.initialising = ramping;
  diagnostics_.accel_rejected = rejected;
  diagnostics_.beta = beta;
  if (use_mag && use_accel) {
    Correct<true, true>(sample, beta, true, dt_s, gyro, inv_a, half_up);
  } else {
    Correct<true, false>(sample, beta, use_accel, dt_s, gyro, inv_a, half_up);
  }
}

// Inlined into UpdateWithDt: called once per sample, and a call would spill the sample state.
[[gnu::always_inline]] inline void MadgwickFilter::UpdateRest(const ImuSample& sample, double dt_s,
                                                              double accel_sq) {
  const Vec3& g = sample.gyro_rad_s;
  const Vec3& a = sample.accel_m_s2;
  if (!lp_valid_) {
    gyro_lp_rad_s_ = g;
    accel_lp_m_s2_ = a;
    lp_valid_ = true;
  } else {
    const double k =
        dt_s == nominal_dt_s_ ? rest_lp_k_nominal_ : dt_s / (params_.rest_filter_tau_s + dt_s);
    gyro_lp_rad_s_.x += k * (g.x - gyro_lp_rad_s_.x);
    gyro_lp_rad_s_.y += k * (g.y - gyro_lp_rad_s_.y);
    gyro_lp_rad_s_.z += k * (g.z - gyro_lp_rad_s_.z);
    accel_lp_m_s2_.x += k * (a.x - accel_lp_m_s2_.x);
    accel_lp_m_s2_.y += k * (a.y - accel_lp_m_s2_.y);
    accel_lp_m_s2_.z += k * (a.z - accel_lp_m_s2_.z);
  }
  const Vec3 dg{g.x - gyro_lp_rad_s_.x, g.y - gyro_lp_rad_s_.y, g.z - gyro_lp_rad_s_.z};
  const Vec3 da{a.x - accel_lp_m_s2_.x, a.y - accel_lp_m_s2_.y, a.z - accel_lp_m_s2_.z};
  // Squared norms against squared thresholds: no square root per sample.
  const bool still = SquaredNorm(dg) < rest_gyro_dev_sq_ && SquaredNorm(g) < rest_gyro_max_sq_ &&
                     SquaredNorm(da) < rest_accel_dev_sq_ && accel_sq > rest_accel_low_sq_ &&
                     accel_sq < rest_accel_high_sq_;
  rest_s_ = still ? rest_s_ + dt_s : 0.0;
  const bool at_rest = rest_s_ >= params_.rest_min_s;
  diagnostics_.at_rest = at_rest;
  if (at_rest && params_.estimate_bias) {
    // Running mean at first (fast first estimate), then an exponential average with bias_tau_s.
    bias_samples_ += 1.0;
    const double k = dt_s == nominal_dt_s_ && bias_samples_ > bias_mean_samples_
                         ? bias_k_nominal_
                         : std::max(1.0 / bias_samples_, dt_s / params_.bias_tau_s);
    const double bound = params_.bias_max_rad_s;
    bias_rad_s_.x = Clamp(bias_rad_s_.x + k * (g.x - bias_rad_s_.x), bound);
    bias_rad_s_.y = Clamp(bias_rad_s_.y + k * (g.y - bias_rad_s_.y), bound);
    bias_rad_s_.z = Clamp(bias_rad_s_.z + k * (g.z - bias_rad_s_.z), bound);
    diagnostics_.gyro_bias_rad_s = bias_rad_s_;  // Reset() clears both; only this changes them
  }
}

void MadgwickFilter::CheckRestart(const ImuSample& sample, double dt_s) {
  const Vec3& a = sample.accel_m_s2;
  const double gyro_sq = SquaredNorm(sample.gyro_rad_s);
  const double a_norm = Norm(a);
  const double a_error = std::abs(a_norm - params_.gravity_m_s2);
  if (gyro_sq < Square(params_.restart_rest_gyro_rad_s) &&
      a_error < params_.restart_rest_accel_error_m_s2) {
    // Still: the accelerometer is gravity. Averaged over restart_rest_s it fixes the tilt
    // whatever the pose carried over the gap.
    restart_rest_s_ += dt_s;
    restart_accel_sum_ = {restart_accel_sum_.x + a.x, restart_accel_sum_.y + a.y,
                          restart_accel_sum_.z + a.z};
    if (restart_rest_s_ >= params_.restart_rest_s) {
      SnapTilt(restart_accel_sum_, kAlwaysSnap);
      restart_pending_ = false;
    }
    return;
  }
  restart_rest_s_ = 0.0;
  restart_accel_sum_ = Vec3{};
  // Quiet but not still (a limb turning slowly, or at a turnaround): one sample's accelerometer
  // holds linear acceleration (5-25 deg of tilt in the CMU recordings), so it replaces the
  // carried pose only when that is clearly wrong. Otherwise the restart waits for stillness.
  if (gyro_sq < Square(params_.restart_max_gyro_rad_s) &&
      a_error < params_.restart_max_accel_error_m_s2 && SnapTilt(a, cos_restart_keep_tilt_)) {
    restart_pending_ = false;
  }
}

bool MadgwickFilter::SnapTilt(const Vec3& up_sensor, double cos_keep) {
  // Measured up, in earth coordinates through the current estimate: u_e = q u_s q*.
  const double inv_norm = 1.0 / Norm(up_sensor);
  const double ux = up_sensor.x * inv_norm;
  const double uy = up_sensor.y * inv_norm;
  const double uz = up_sensor.z * inv_norm;
  const double w = q_.w, x = q_.x, y = q_.y, z = q_.z;
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
  const Quaternion q = q_;
  q_ = Quaternion{
      r.w * q.w - r.x * q.x - r.y * q.y - r.z * q.z, r.w * q.x + r.x * q.w + r.y * q.z - r.z * q.y,
      r.w * q.y - r.x * q.z + r.y * q.w + r.z * q.x, r.w * q.z + r.x * q.y - r.y * q.x + r.z * q.w};
  ++diagnostics_.tilt_restarts;  // Reset() clears it with the rest of diagnostics_
  return true;
}

void MadgwickFilter::InitialiseFromSample(const ImuSample& sample, bool use_mag) {
  const Vec3& a = sample.accel_m_s2;
  const double a_norm = Norm(a);
  const double ux = a.x / a_norm;
  const double uy = a.y / a_norm;
  const double uz = a.z / a_norm;
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
      q_ = FromRows(rows);
      return;
    }
  }
  // Shortest rotation taking the measured up to earth z; heading is unobservable without mag.
  if (uz < -1.0 + 1e-9) {
    q_ = Quaternion{0.0, 1.0, 0.0, 0.0};
    return;
  }
  const double w = 1.0 + uz;
  const double n = std::sqrt(w * w + uy * uy + ux * ux);
  q_ = Quaternion{w / n, uy / n, -ux / n, 0.0};
}

// The objective is carried at half its textbook size (f / 2), so the gradient is h = J^T f / 4,
// and the gyro rate at twice (the 1/2 of qdot moves into dt / 2): scaling by powers of two is
// exact in floating point, so the result is bit-identical to the textbook arithmetic with fewer
// multiplications per sample.
template <bool kProduction, bool kMag>
[[gnu::always_inline]] inline void MadgwickFilter::Correct(const ImuSample& sample, double beta,
                                                           bool use_accel, double dt_s,
                                                           const Vec3& gyro_rad_s,
                                                           double inv_accel_norm,
                                                           const Vec3& half_up) {
  const double q0 = q_.w;
  const double q1 = q_.x;
  const double q2 = q_.y;
  const double q3 = q_.z;
  const double gx = gyro_rad_s.x;
  const double gy = gyro_rad_s.y;
  const double gz = gyro_rad_s.z;

  // Gyro rate of the quaternion, times 2: qdot = 1/2 q (0, w). qd0 is kept negated (exact).
  double neg_qd0 = q1 * gx + q2 * gy + q3 * gz;
  double qd1 = q0 * gx + q2 * gz - q3 * gy;
  double qd2 = q0 * gy - q1 * gz + q3 * gx;
  double qd3 = q0 * gz + q1 * gy - q2 * gx;
  const double half_dt_s = 0.5 * dt_s;
  double c = 0.0;  // gradient gain times dt, for the quarter gradient
  double h0 = 0.0, h1 = 0.0, h2 = 0.0, h3 = 0.0;

  if (use_accel) {
    const Vec3& acc = sample.accel_m_s2;
    const double inv_a = kProduction ? inv_accel_norm : 1.0 / Norm(acc);
    const double half_inv_a = 0.5 * inv_a;
    const double ax = acc.x * half_inv_a;  // half the measured up
    const double ay = acc.y * half_inv_a;
    const double az = acc.z * half_inv_a;

    // Objective (halved): predicted earth-up in the sensor frame minus the measured one.
    const double f1 = (kProduction ? half_up.x : q1 * q3 - q0 * q2) - ax;
    const double f2 = (kProduction ? half_up.y : q0 * q1 + q2 * q3) - ay;
    const double f3 = (kProduction ? half_up.z : 0.5 - (q1 * q1 + q2 * q2)) - az;
    h0 = q1 * f2 - q2 * f1;
    h1 = q3 * f1 + q0 * f2 - 2.0 * q1 * f3;
    h2 = q3 * f2 - q0 * f1 - 2.0 * q2 * f3;
    h3 = q1 * f1 + q2 * f2;

    if constexpr (kMag) {
      const Vec3& mag = sample.mag_uT;
      const double inv_m = 1.0 / Norm(mag);
      const double mx = mag.x * inv_m;
      const double my = mag.y * inv_m;
      const double mz = mag.z * inv_m;
      // Field in the earth frame h = q m q*; the reference field keeps its horizontal magnitude
      // along north and its vertical part: b = (|h_xy|, 0, h_z).
      const double hx = (1.0 - 2.0 * (q2 * q2 + q3 * q3)) * mx + 2.0 * (q1 * q2 - q0 * q3) * my +
                        2.0 * (q1 * q3 + q0 * q2) * mz;
      const double hy = 2.0 * (q1 * q2 + q0 * q3) * mx + (1.0 - 2.0 * (q1 * q1 + q3 * q3)) * my +
                        2.0 * (q2 * q3 - q0 * q1) * mz;
      const double hz = 2.0 * (q1 * q3 - q0 * q2) * mx + 2.0 * (q2 * q3 + q0 * q1) * my +
                        (1.0 - 2.0 * (q1 * q1 + q2 * q2)) * mz;
      const double bx = mag_scale_ * std::sqrt(hx * hx + hy * hy);
      const double bz = mag_scale_ * hz;
      // Objective: b rotated into the sensor frame minus the measured field.
      const double fb1 =
          bx * (1.0 - 2.0 * (q2 * q2 + q3 * q3)) + 2.0 * bz * (q1 * q3 - q0 * q2) - mx;
      const double fb2 = 2.0 * bx * (q1 * q2 - q0 * q3) + 2.0 * bz * (q0 * q1 + q2 * q3) - my;
      const double fb3 =
          2.0 * bx * (q0 * q2 + q1 * q3) + bz * (1.0 - 2.0 * (q1 * q1 + q2 * q2)) - mz;
      h0 += 0.25 *
            (-2.0 * bz * q2 * fb1 + (-2.0 * bx * q3 + 2.0 * bz * q1) * fb2 + 2.0 * bx * q2 * fb3);
      h1 += 0.25 * (2.0 * bz * q3 * fb1 + (2.0 * bx * q2 + 2.0 * bz * q0) * fb2 +
                    (2.0 * bx * q3 - 4.0 * bz * q1) * fb3);
      h2 += 0.25 * ((-4.0 * bx * q2 - 2.0 * bz * q0) * fb1 + (2.0 * bx * q1 + 2.0 * bz * q3) * fb2 +
                    (2.0 * bx * q0 - 4.0 * bz * q2) * fb3);
      h3 += 0.25 * ((-4.0 * bx * q3 + 2.0 * bz * q1) * fb1 +
                    (-2.0 * bx * q0 + 2.0 * bz * q2) * fb2 + 2.0 * bx * q1 * fb3);
    }

    // |J^T f|^2 / 16; the gains below are for h, i.e. four times the textbook ones.
    const double h_norm2 = h0 * h0 + h1 * h1 + h2 * h2 + h3 * h3;
    double k = 0.0;
    if constexpr (kProduction) {
      // Normalised step (the published form) for large errors; below the floor the step is
      // proportional to the error, which ends the chatter of a fixed-size step near convergence
      // and keeps the square root off the common path.
      if (h_norm2 > gradient_floor_sq_) {
        k = beta / std::sqrt(h_norm2);
      } else if (step_floor_sq_ > 0.0) {
        k = beta == params_.production_beta ? floor_gain_
                                            : 4.0 * (beta / std::sqrt(step_floor_sq_));
      }
      c = k * dt_s;
    } else if (h_norm2 > 0.0) {
      k = beta / std::sqrt(h_norm2);
      // The published order: the step joins qdot before integration.
      neg_qd0 += 2.0 * (k * h0);
      qd1 -= 2.0 * (k * h1);
      qd2 -= 2.0 * (k * h2);
      qd3 -= 2.0 * (k * h3);
    }
  }

  double n0, n1, n2, n3;
  if constexpr (kProduction) {
    // (q + dt qdot_gyro) - (dt k) grad: the gyro part is computed while the gradient is.
    n0 = (q0 - neg_qd0 * half_dt_s) - c * h0;
    n1 = (q1 + qd1 * half_dt_s) - c * h1;
    n2 = (q2 + qd2 * half_dt_s) - c * h2;
    n3 = (q3 + qd3 * half_dt_s) - c * h3;
  } else {
    n0 = q0 - neg_qd0 * half_dt_s;
    n1 = q1 + qd1 * half_dt_s;
    n2 = q2 + qd2 * half_dt_s;
    n3 = q3 + qd3 * half_dt_s;
  }
  const double n_sq = n0 * n0 + n1 * n1 + n2 * n2 + n3 * n3;
  double inv_n;
  if (kProduction && std::abs(n_sq - 1.0) < 1e-3) {
    // One Newton step of 1/sqrt from 1: |q|^2 stays within 1e-3 of 1 at realistic rates, so the
    // residual is below 1e-6 and is removed again next update. Saves a sqrt and a division.
    inv_n = 1.5 - 0.5 * n_sq;
  } else {
    inv_n = 1.0 / std::sqrt(n_sq);
  }
  q_ = Quaternion{n0 * inv_n, n1 * inv_n, n2 * inv_n, n3 * inv_n};
}

}  // namespace ambi::fusion
