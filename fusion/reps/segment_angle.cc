#include "fusion/reps/segment_angle.h"

#include <cmath>
#include <numbers>

#include "fusion/core/atan2.h"

namespace ambi::fusion {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;
// Below this the reference gravity is parallel to the axis: no plane to measure in.
constexpr double kParallelNorm = 1e-9;
// A helper direction is not used when the axis is this close to it (|cos| of the angle).
constexpr double kHelperParallelCos = 0.9;

}  // namespace

void SegmentAngle::SetAxis(const Vec3& axis, bool first) {
  axis_ = axis;
  const Vec3 reference = Sub(reference_gravity_, Scale(axis_, Dot(reference_gravity_, axis_)));
  const double norm = Norm(reference);
  double limit_deg = params_.vertical_axis_deg;
  if (!first) {
    limit_deg += source_ == AngleSource::kGravity ? -params_.vertical_axis_margin_deg
                                                  : params_.vertical_axis_margin_deg;
  }
  source_ = norm > std::sin(limit_deg / kRadToDeg) && !params_.gyro_only ? AngleSource::kGravity
                                                                         : AngleSource::kGyro;
  if (norm > kParallelNorm) {
    reference_ = Scale(reference, 1.0 / norm);
  } else {
    // Any unit vector perpendicular to the axis: the angle is then integrated, not measured.
    const Vec3 helper = std::abs(axis_.x) < kHelperParallelCos ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
    const Vec3 perpendicular = Cross(axis_, helper);
    reference_ = Scale(perpendicular, 1.0 / Norm(perpendicular));
  }
  binormal_ = Cross(axis_, reference_);
}

double SegmentAngle::SpeedDegS(const Vec3& gyro_rad_s) const {
  return Dot(gyro_rad_s, axis_) * kRadToDeg;
}

double SegmentAngle::Angle(const Vec3& gravity, double speed_deg_s, bool has_previous,
                           double previous_deg, double previous_speed_deg_s, double dt_s) const {
  if (source_ == AngleSource::kGravity) {
    // A rotation of the sensor by +angle about the axis turns gravity by -angle in its frame.
    double angle = -Atan2(Dot(gravity, binormal_), Dot(gravity, reference_)) * kRadToDeg;
    // The turn that keeps it within half a turn of the previous angle (none, but for a limb
    // turned past upside down: std::round is a library call, so not at every sample).
    if (has_previous && std::abs(previous_deg - angle) >= 180.0) {
      angle += 360.0 * std::round((previous_deg - angle) / 360.0);
    }
    return angle;
  }
  if (!has_previous) return 0.0;
  return previous_deg + 0.5 * (speed_deg_s + previous_speed_deg_s) * dt_s;
}

}  // namespace ambi::fusion
