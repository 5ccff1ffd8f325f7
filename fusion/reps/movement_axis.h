#ifndef AMBI_FUSION_REPS_MOVEMENT_AXIS_H_
#define AMBI_FUSION_REPS_MOVEMENT_AXIS_H_

#include <array>
#include <optional>

#include "fusion/core/geometry.h"

namespace ambi::fusion {

struct MovementAxisParams {
  // Only samples turning faster than this feed the estimate: at rest the gyro is noise and bias,
  // whose direction says nothing about the movement. Higher ignores slow reps; lower lets noise in.
  double motion_gyro_rad_s = 0.35;  // ~20 deg/s
  // Until the samples above motion_gyro_rad_s have turned lock_rotation_deg, those above this
  // teach the axis instead: a slow, small exercise (a 10-15 deg physiotherapy leg raise peaks at
  // 12-19 deg/s) may never turn faster than motion_gyro_rad_s. Still well above the gyro's noise
  // and a held limb's sway (1-2 deg/s). Once the faster samples suffice only they count, so a
  // brisker set keeps the axis the slower samples' wobble (a long hold's drift) would tilt.
  double slow_motion_gyro_rad_s = 0.17;  // ~10 deg/s
  // ... and the slower samples must have turned this much: they carry more of the hold's drift
  // and the noise, so they need more rotation to average it out. Two of a 12 deg rep's rises
  // and falls; a brisker rep's own fast samples lock first.
  double slow_lock_rotation_deg = 40.0;
  // Rotation (motion samples only) accumulated before the first estimate is trusted. Small enough
  // to lock during the first phase of a 30 deg rep, large enough to average a few samples.
  double lock_rotation_deg = 20.0;
  // Forgetting time constant, counted in motion time only (rest does not age the estimate), so
  // the axis follows a slow change of technique but is not swayed by one odd rep.
  double forget_s = 20.0;
  // Only the segment's tilt is the movement (from the exercise): the rotation about the vertical
  // is left out of the axis. Off: the dominant rotation, whatever its direction.
  bool tilt_only = false;

  bool operator==(const MovementAxisParams&) const = default;
};

// Weighted second moments of angular velocity, sum of weight * w w^T, stored as
// (xx, xy, xz, yy, yz, zz).
using RotationMoments = std::array<double, 6>;
void AddRotationMoment(RotationMoments& moments, const Vec3& w, double weight);

// The part of a gyro sample an axis is learned from: the whole rate or, with tilt_only, the
// rate less its rotation about the vertical ('up', unit, sensor frame).
Vec3 AxisRate(const MovementAxisParams& params, const Vec3& gyro_rad_s, const Vec3& up);

// The principal direction of 'moments' (unit, arbitrary sign) and the fraction of their energy
// about it; none when they hold no rotation.
struct PrincipalAxis {
  Vec3 axis;
  double planarity = 0.0;
};
std::optional<PrincipalAxis> PrincipalAxisOf(const RotationMoments& moments);

// The dominant rotation axis of a set in the sensor frame: the principal direction of the angular
// velocity over recent motion (largest eigenvector of the weighted sum of w w^T). For a hinge-like
// movement (curl, raise, squat shank, knee extension) this is the hinge axis as the sensor sees
// it, whatever way the sensor is strapped on. The sign is arbitrary here; the caller fixes it.
// Fixed size, no allocation. Not thread-safe.
class MovementAxisEstimator {
 public:
  explicit MovementAxisEstimator(const MovementAxisParams& params);

  // Adds one gyro sample held for 'dt_s'; 'up' is earth-up in the sensor frame (unit), used
  // only with tilt_only.
  void Add(const Vec3& gyro_rad_s, double dt_s, const Vec3& up = Vec3{0, 0, 1});
  // Recomputes the axis from the accumulated moments (a 3x3 eigen problem: call every few
  // samples, not every sample). Returns true when an axis is available.
  bool Recompute();

  bool locked() const { return locked_; }
  // Unit vector, sensor frame; sign kept consistent with the previous estimate.
  const Vec3& axis() const { return axis_; }
  // Fraction of the rotation energy about the axis (1 = pure hinge; 1/3 = no dominant axis).
  double planarity() const { return planarity_; }

  void Reset();

 private:
  MovementAxisParams params_;
  // Weighted sums of w w^T (xx, xy, xz, yy, yz, zz) and the rotation seen, over the samples
  // above motion_gyro_rad_s and over those above slow_motion_gyro_rad_s.
  RotationMoments moments_{};
  double rotation_deg_ = 0.0;
  RotationMoments slow_moments_{};
  double slow_rotation_deg_ = 0.0;
  bool locked_ = false;
  Vec3 axis_;
  double planarity_ = 0.0;
  double cached_dt_s_ = -1.0;
  double cached_decay_ = 1.0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_MOVEMENT_AXIS_H_
