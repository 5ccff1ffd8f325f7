#include "fusion/orientation/madgwick_reference.h"

#include <cmath>

#include "fusion/orientation/madgwick_gradient.h"

namespace ambi::fusion {
namespace {

bool IsZero(const Vec3& v) { return v.x == 0.0 && v.y == 0.0 && v.z == 0.0; }

}  // namespace

MadgwickReference::MadgwickReference(const MadgwickReferenceSettings& settings,
                                     double sample_rate_hz)
    : settings_(settings),
      nominal_dt_s_(1.0 / sample_rate_hz),
      max_dt_s_(settings.max_dt_periods / sample_rate_hz),
      mag_scale_(settings.missing_x2 ? 0.5 : 1.0) {}

void MadgwickReference::Reset() {
  q_ = Quaternion{};
  has_previous_time_ = false;
  previous_time_ = Time{};
  last_dt_s_ = 0.0;
}

void MadgwickReference::set_sensor_to_earth(const Quaternion& sensor_to_earth) {
  const Quaternion& q = sensor_to_earth;
  const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  q_ = n > 0.0 ? Quaternion{q.w / n, q.x / n, q.y / n, q.z / n} : Quaternion{};
}

void MadgwickReference::Update(const ImuSample& sample, double lost_in_step_s) {
  double dt_s = nominal_dt_s_;
  if (has_previous_time_) {
    const double step_s = ToSeconds(sample.time - previous_time_) - lost_in_step_s;
    if (step_s > 0.0 && step_s <= max_dt_s_) dt_s = step_s;
  }
  previous_time_ = sample.time;
  has_previous_time_ = true;
  UpdateWithDt(sample, dt_s);
}

// The published arithmetic, with the objective carried at half its size (f / 2, so the gradient
// is h = J^T f / 4) and the gyro rate at twice: scaling by powers of two is exact in floating
// point, so the result is bit-identical to the textbook form.
void MadgwickReference::UpdateWithDt(const ImuSample& sample, double dt_s) {
  last_dt_s_ = dt_s;
  const bool use_accel = !IsZero(sample.accel_m_s2);
  const bool use_mag =
      use_accel && settings_.use_magnetometer && sample.has_mag && !IsZero(sample.mag_uT);
  const double q0 = q_.w;
  const double q1 = q_.x;
  const double q2 = q_.y;
  const double q3 = q_.z;
  const double gx = sample.gyro_rad_s.x;
  const double gy = sample.gyro_rad_s.y;
  const double gz = sample.gyro_rad_s.z;

  // Gyro rate of the quaternion, times 2: qdot = 1/2 q (0, w). qd0 is kept negated (exact).
  double neg_qd0 = q1 * gx + q2 * gy + q3 * gz;
  double qd1 = q0 * gx + q2 * gz - q3 * gy;
  double qd2 = q0 * gy - q1 * gz + q3 * gx;
  double qd3 = q0 * gz + q1 * gy - q2 * gx;

  if (use_accel) {
    const Vec3& acc = sample.accel_m_s2;
    const double half_inv_a = 0.5 * (1.0 / Norm(acc));
    const double ax = acc.x * half_inv_a;  // half the measured up
    const double ay = acc.y * half_inv_a;
    const double az = acc.z * half_inv_a;

    // Objective (halved): predicted earth-up in the sensor frame minus the measured one.
    const double f1 = (q1 * q3 - q0 * q2) - ax;
    const double f2 = (q0 * q1 + q2 * q3) - ay;
    const double f3 = (0.5 - (q1 * q1 + q2 * q2)) - az;
    madgwick_gradient::QuarterGradient h =
        madgwick_gradient::FromGravity(q0, q1, q2, q3, f1, f2, f3);

    if (use_mag) {
      const Vec3& mag = sample.mag_uT;
      const double inv_m = 1.0 / Norm(mag);
      const double mx = mag.x * inv_m;
      const double my = mag.y * inv_m;
      const double mz = mag.z * inv_m;
      madgwick_gradient::AddMagnetic(q0, q1, q2, q3, mx, my, mz, mag_scale_, h);
    }

    // The normalised step of fixed size gain (rad/s) joins qdot before integration, as published.
    const double h_norm2 = h.h0 * h.h0 + h.h1 * h.h1 + h.h2 * h.h2 + h.h3 * h.h3;
    if (h_norm2 > 0.0) {
      const double k = settings_.gain_rad_s / std::sqrt(h_norm2);
      neg_qd0 += 2.0 * (k * h.h0);
      qd1 -= 2.0 * (k * h.h1);
      qd2 -= 2.0 * (k * h.h2);
      qd3 -= 2.0 * (k * h.h3);
    }
  }

  const double half_dt_s = 0.5 * dt_s;
  const double n0 = q0 - neg_qd0 * half_dt_s;
  const double n1 = q1 + qd1 * half_dt_s;
  const double n2 = q2 + qd2 * half_dt_s;
  const double n3 = q3 + qd3 * half_dt_s;
  const double inv_n = 1.0 / std::sqrt(n0 * n0 + n1 * n1 + n2 * n2 + n3 * n3);
  q_ = Quaternion{n0 * inv_n, n1 * inv_n, n2 * inv_n, n3 * inv_n};
}

}  // namespace ambi::fusion
