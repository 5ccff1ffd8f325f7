#ifndef AMBI_FUSION_CORE_ROTATION_H_
#define AMBI_FUSION_CORE_ROTATION_H_

#include <cmath>

#include "fusion/core/geometry.h"

namespace ambi::fusion {

// The few quaternion operations outside the orientation filter (Hamilton, unit quaternions).

// a then b in the body frame: (a * b).
inline Quaternion Compose(const Quaternion& a, const Quaternion& b) {
  return {
      a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
      a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}

// The inverse of a unit quaternion.
inline Quaternion Inverse(const Quaternion& q) { return {q.w, -q.x, -q.y, -q.z}; }

// The rotation by |v| rad about v.
inline Quaternion FromRotationVector(const Vec3& v_rad) {
  const double angle_rad = std::sqrt(Dot(v_rad, v_rad));
  if (angle_rad < 1e-12) return {1.0, 0.5 * v_rad.x, 0.5 * v_rad.y, 0.5 * v_rad.z};
  const double s = std::sin(0.5 * angle_rad) / angle_rad;
  return {std::cos(0.5 * angle_rad), v_rad.x * s, v_rad.y * s, v_rad.z * s};
}

// The rotation vector of q, the shorter way round (|v| <= pi): FromRotationVector's inverse.
inline Vec3 ToRotationVector(const Quaternion& q) {
  const double sign = q.w < 0.0 ? -1.0 : 1.0;
  const Vec3 half = {sign * q.x, sign * q.y, sign * q.z};
  const double sin_half = std::sqrt(Dot(half, half));
  if (sin_half < 1e-12) return Scale(half, 2.0);
  return Scale(half, 2.0 * std::atan2(sin_half, sign * q.w) / sin_half);
}

// Earth-up in the frame of a sensor whose sensor-to-earth orientation is q: the third row of the
// rotation matrix.
inline Vec3 UpInSensorFrame(const Quaternion& q) {
  return {2.0 * (q.x * q.z - q.w * q.y), 2.0 * (q.y * q.z + q.w * q.x),
          1.0 - 2.0 * (q.x * q.x + q.y * q.y)};
}

// A unit vector fixed in the world, in the frame of a sensor that turned at 'rate_rad_s' (sensor
// frame) for 'dt_s': the sensor frame turned by rate * dt, so the vector turns the other way.
// A sample's turn is small (under 0.1 rad): the rotation to second order, kept unit, is within
// 2e-4 rad of the exact one, and costs no trigonometry.
inline Vec3 CarryWorldVector(const Vec3& v, const Vec3& rate_rad_s, double dt_s) {
  const Vec3 turn = Scale(rate_rad_s, -dt_s);
  const Vec3 once = Cross(turn, v);
  const Vec3 out = Add(Add(v, once), Scale(Cross(turn, once), 0.5));
  return Scale(out, 1.0 / Norm(out));
}

// q scaled back to unit length (rounding over many products).
inline Quaternion Normalised(const Quaternion& q) {
  const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  return {q.w / n, q.x / n, q.y / n, q.z / n};
}

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_ROTATION_H_
