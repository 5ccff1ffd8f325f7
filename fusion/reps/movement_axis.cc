#include "fusion/reps/movement_axis.h"

#include <Eigen/Dense>
#include <cmath>
#include <numbers>

namespace ambi::fusion {

void AddRotationMoment(RotationMoments& moments, const Vec3& w, double weight) {
  moments[0] += weight * w.x * w.x;
  moments[1] += weight * w.x * w.y;
  moments[2] += weight * w.x * w.z;
  moments[3] += weight * w.y * w.y;
  moments[4] += weight * w.y * w.z;
  moments[5] += weight * w.z * w.z;
}

Vec3 AxisRate(const MovementAxisParams& params, const Vec3& gyro_rad_s, const Vec3& up) {
  return params.tilt_only ? Sub(gyro_rad_s, Scale(up, Dot(gyro_rad_s, up))) : gyro_rad_s;
}

std::optional<PrincipalAxis> PrincipalAxisOf(const RotationMoments& k) {
  Eigen::Matrix3d m;
  m << k[0], k[1], k[2],  //
      k[1], k[3], k[4],   //
      k[2], k[4], k[5];
  const double trace = m.trace();
  if (!(trace > 0.0)) return std::nullopt;
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver;
  solver.computeDirect(m);
  // Eigenvalues are sorted ascending: the last one is the dominant axis.
  const Eigen::Vector3d e = solver.eigenvectors().col(2).normalized();
  return PrincipalAxis{Vec3{e.x(), e.y(), e.z()}, solver.eigenvalues()(2) / trace};
}

MovementAxisEstimator::MovementAxisEstimator(const MovementAxisParams& params) : params_(params) {}

void MovementAxisEstimator::Add(const Vec3& gyro_rad_s, double dt_s, const Vec3& up) {
  const double w2 = Dot(gyro_rad_s, gyro_rad_s);
  const double slow = params_.slow_motion_gyro_rad_s;
  if (w2 < slow * slow || !(dt_s > 0.0)) return;
  if (std::abs(dt_s - cached_dt_s_) > 1e-6) {  // dt rarely changes: keep exp() off the hot path
    cached_dt_s_ = dt_s;
    cached_decay_ = std::exp(-dt_s / params_.forget_s);
  }
  const double decay = cached_decay_;
  // Only the tilt counts (params): the rotation about the vertical is taken out of the moments,
  // while the motion gate and the rotation seen stay on the whole rate (the limb is moving).
  const Vec3 w = AxisRate(params_, gyro_rad_s, up);
  // Weighting by dt keeps the estimate independent of the sample rate.
  RotationMoments add{};
  AddRotationMoment(add, w, 1.0);
  const double rotation_deg = std::sqrt(w2) * dt_s * 180.0 / std::numbers::pi;
  for (int i = 0; i < 6; ++i) slow_moments_[i] = slow_moments_[i] * decay + add[i] * dt_s;
  slow_rotation_deg_ += rotation_deg;
  const double fast = params_.motion_gyro_rad_s;
  if (w2 < fast * fast) return;
  for (int i = 0; i < 6; ++i) moments_[i] = moments_[i] * decay + add[i] * dt_s;
  rotation_deg_ += rotation_deg;
}

bool MovementAxisEstimator::Recompute() {
  const bool fast = rotation_deg_ >= params_.lock_rotation_deg;
  if (!fast && slow_rotation_deg_ < params_.slow_lock_rotation_deg) return locked_;
  const std::optional<PrincipalAxis> principal = PrincipalAxisOf(fast ? moments_ : slow_moments_);
  if (!principal) return locked_;
  Vec3 axis = principal->axis;
  if (locked_ && Dot(axis, axis_) < 0.0) axis = Scale(axis, -1.0);
  axis_ = axis;
  planarity_ = principal->planarity;
  locked_ = true;
  return true;
}

void MovementAxisEstimator::Reset() { *this = MovementAxisEstimator(params_); }

}  // namespace ambi::fusion
