#include "fusion/reps/rotation_centre.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "fusion/core/rotation.h"

namespace ambi::fusion {
namespace {

// Index of (row, col), row <= col, in the packed upper triangle of an n x n matrix.
constexpr int Packed(int n, int row, int col) { return row * n - row * (row - 1) / 2 + col - row; }

Eigen::Vector3d ToEigen(const Vec3& v) { return {v.x, v.y, v.z}; }

// [v]x: the matrix that takes u to v x u.
Eigen::Matrix3d SkewMatrix(const Eigen::Vector3d& v) {
  Eigen::Matrix3d m;
  m << 0.0, -v.z(), v.y(), v.z(), 0.0, -v.x(), -v.y(), v.x(), 0.0;
  return m;
}

}  // namespace

RotationCentreFit::RotationCentreFit(const RotationCentreParams& params, double nominal_rate_hz)
    : params_(params),
      half_span_(
          std::clamp(static_cast<int>(std::lround(params.rate_half_span_s * nominal_rate_hz)), 1,
                     kMaxHalfSpan)) {}

void RotationCentreFit::Start(const Vec3& up) {
  recent_count_ = 0;
  up_ = up;
  ata_.fill(0.0);
  atb_.fill(0.0);
  btb_ = 0.0;
  excitation_sum_ = 0.0;
  equations_ = 0;
}

void RotationCentreFit::Add(double dt_s, const Vec3& gyro_rad_s, const Vec3& accel_m_s2,
                            bool measured) {
  if (recent_count_ > 0) {
    const Recent& previous =
        recent_[static_cast<std::size_t>((recent_count_ - 1) % recent_.size())];
    up_ = CarryWorldVector(up_, Scale(fusion::Add(previous.gyro_rad_s, gyro_rad_s), 0.5), dt_s);
  }
  recent_[static_cast<std::size_t>(recent_count_ % recent_.size())] = {dt_s, gyro_rad_s, accel_m_s2,
                                                                       up_, measured};
  ++recent_count_;
  if (recent_count_ >= 2 * half_span_ + 1) FitMiddle();
}

void RotationCentreFit::FitMiddle() {
  const int window = 2 * half_span_ + 1;
  const int first = recent_count_ - window;
  auto at = [&](int n) -> const Recent& {
    return recent_[static_cast<std::size_t>(n % static_cast<int>(recent_.size()))];
  };
  double span_s = 0.0;
  for (int n = first; n < recent_count_; ++n) {
    if (!at(n).measured) return;
    if (n > first) span_s += at(n).dt_s;
  }
  if (!(span_s > 0.0)) return;
  const Recent& mid = at(first + half_span_);
  const Eigen::Vector3d w = ToEigen(mid.gyro_rad_s);
  const Eigen::Vector3d dw =
      (ToEigen(at(recent_count_ - 1).gyro_rad_s) - ToEigen(at(first).gyro_rad_s)) / span_s;
  const Eigen::Vector3d up = ToEigen(mid.up);
  // accel - g up = (alpha x r + omega x (omega x r)) + s up: rows [ [alpha]x + [omega]x^2 | up ].
  Eigen::Matrix<double, 3, kUnknowns> a;
  a.leftCols<3>() = SkewMatrix(dw) + SkewMatrix(w) * SkewMatrix(w);
  a.col(3) = up;
  const Eigen::Vector3d b = ToEigen(mid.accel_m_s2) - params_.gravity_m_s2 * up;
  const Eigen::Matrix<double, kUnknowns, kUnknowns> ata = a.transpose() * a;
  const Eigen::Matrix<double, kUnknowns, 1> atb = a.transpose() * b;
  for (int row = 0; row < kUnknowns; ++row) {
    for (int col = row; col < kUnknowns; ++col) ata_[Packed(kUnknowns, row, col)] += ata(row, col);
    atb_[static_cast<std::size_t>(row)] += atb(row);
  }
  btb_ += b.squaredNorm();
  excitation_sum_ += dw.squaredNorm() + w.squaredNorm() * w.squaredNorm();
  ++equations_;
}

std::optional<double> RotationCentreFit::LeverM(const Vec3& axis) const {
  const std::optional<Vec3> offset = OffsetM(axis);
  if (!offset) return std::nullopt;
  return Norm(*offset);
}

std::optional<Vec3> RotationCentreFit::OffsetM(const Vec3& axis_unit) const {
  if (equations_ < 2 * kUnknowns) return std::nullopt;
  if (std::sqrt(excitation_sum_ / equations_) < params_.min_excitation_rad_s2) return std::nullopt;

  Eigen::Matrix<double, kUnknowns, kUnknowns> ata;
  Eigen::Matrix<double, kUnknowns, 1> atb;
  for (int row = 0; row < kUnknowns; ++row) {
    for (int col = row; col < kUnknowns; ++col) {
      ata(row, col) = ata(col, row) = ata_[Packed(kUnknowns, row, col)];
    }
    atb(row) = atb_[static_cast<std::size_t>(row)];
  }
  // A hinge leaves r along its axis unseen: a small ridge keeps that part at zero instead of
  // letting noise set it.
  const double ridge = 1e-9 * ata.trace();
  const Eigen::LDLT<Eigen::Matrix<double, kUnknowns, kUnknowns>> solver(
      ata + ridge * Eigen::Matrix<double, kUnknowns, kUnknowns>::Identity());
  if (solver.info() != Eigen::Success) return std::nullopt;
  const Eigen::Matrix<double, kUnknowns, 1> x = solver.solve(atb);
  const Eigen::Vector3d axis = ToEigen(axis_unit).normalized();
  if (!axis.allFinite()) return std::nullopt;
  const Eigen::Vector3d r = x.head<3>();
  const Eigen::Vector3d across = r - axis * axis.dot(r);
  const double lever_m = across.norm();
  if (!(lever_m > 0.0)) return std::nullopt;

  const double residual = std::max(0.0, btb_ - 2.0 * x.dot(atb) + x.dot(ata * x));
  const double variance = residual / (3.0 * equations_ - kUnknowns);
  Eigen::Matrix<double, kUnknowns, 1> direction = Eigen::Matrix<double, kUnknowns, 1>::Zero();
  direction.head<3>() = across / lever_m;
  const double lever_variance = variance * direction.dot(solver.solve(direction));
  if (!(std::sqrt(lever_variance) <= params_.max_relative_error * lever_m)) return std::nullopt;
  return Vec3{across.x(), across.y(), across.z()};
}

}  // namespace ambi::fusion
