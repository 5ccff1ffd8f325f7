#ifndef AMBI_FUSION_REPS_SEGMENT_ANGLE_H_
#define AMBI_FUSION_REPS_SEGMENT_ANGLE_H_

#include "fusion/core/geometry.h"

namespace ambi::fusion {

struct SegmentAngleParams {
  // When the movement axis is within this angle of vertical, gravity cannot see rotation about
  // it; the angle is then integrated from the gyro (it drifts, but only within a rep matters).
  double vertical_axis_deg = 20.0;
  // Hysteresis on that choice once made: an axis wavering about the limit would otherwise flip
  // the angle between the two measurements, which differ by the gyro's drift.
  double vertical_axis_margin_deg = 5.0;
  // Always integrate the gyro (the exercise's reps are smaller than the fused tilt's error).
  bool gyro_only = false;

  bool operator==(const SegmentAngleParams&) const = default;
};

// How the segment angle is measured.
enum class AngleSource : unsigned char {
  kGravity,  // rotation of gravity about the axis: absolute, drift-free
  kGyro,     // gyro integrated about the axis: the axis is near vertical
};

// Part 1 of rep segmentation: the angle of one limb segment about the set's movement axis.
//
// The movement axis (sensor frame, from MovementAxisEstimator) and a reference gravity direction
// fix a plane; the angle is the rotation of the current gravity (earth-up in the sensor frame)
// about the axis, measured from the reference, with the sign that a rotation of the sensor by
// +angle about the axis reads +angle. Exact for a hinge whose axis is not vertical; when it is
// near vertical (AngleSource::kGyro) the angle is the trapezoidal integral of the gyro about the
// axis. Pure value type: no buffer, no allocation.
class SegmentAngle {
 public:
  explicit SegmentAngle(const SegmentAngleParams& params) : params_(params) {}

  // Fixes the zero of the angle: gravity (unit, sensor frame) at the pose measured as 0.
  void SetReferenceGravity(const Vec3& gravity) { reference_gravity_ = gravity; }
  // Sets the axis (unit, sensor frame). 'first': a new lock, the gravity/gyro choice is made
  // without hysteresis; otherwise it changes only past the margin.
  void SetAxis(const Vec3& axis, bool first);

  // Angular speed about the axis, deg/s.
  double SpeedDegS(const Vec3& gyro_rad_s) const;
  // The angle at a sample with earth-up 'gravity' (unit, sensor frame) and 'speed_deg_s' about
  // the axis, following the previous sample's angle and speed held for 'dt_s' (unwrapped so a
  // 140 deg curl from any reference never jumps by 360). Without a previous sample
  // ('has_previous' false) a gyro angle starts at 0.
  double Angle(const Vec3& gravity, double speed_deg_s, bool has_previous, double previous_deg,
               double previous_speed_deg_s, double dt_s) const;

  const Vec3& axis() const { return axis_; }
  AngleSource source() const { return source_; }

 private:
  SegmentAngleParams params_;
  Vec3 axis_{0, 0, 1};
  Vec3 reference_{1, 0, 0};  // unit, perpendicular to axis_: the zero of the angle
  Vec3 binormal_{0, 1, 0};   // axis_ x reference_
  Vec3 reference_gravity_{0, 0, 1};
  AngleSource source_ = AngleSource::kGravity;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_SEGMENT_ANGLE_H_
