#ifndef AMBI_FUSION_CORE_GEOMETRY_H_
#define AMBI_FUSION_CORE_GEOMETRY_H_

#include <cmath>

namespace ambi::fusion {

// Plain value types for the public API of the core. Eigen stays inside the stages' .cc files so
// that the daemon, the proto converters and the clients never compile Eigen headers.

// A 3-vector in the frame and unit its name says (accel_m_s2, gyro_rad_s, mag_uT).
struct Vec3 {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
  friend bool operator==(const Vec3&, const Vec3&) = default;
};

// The few vector operations the stages need on Vec3 itself (Eigen stays inside the stages).
inline double Dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 Scale(const Vec3& a, double s) { return {a.x * s, a.y * s, a.z * s}; }
inline Vec3 Add(const Vec3& a, const Vec3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline Vec3 Sub(const Vec3& a, const Vec3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline double Norm(const Vec3& a) { return std::sqrt(Dot(a, a)); }
inline Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

// Hamilton quaternion (w, x, y, z). Used as sensor-to-earth orientation:
// v_earth = q * v_sensor * conj(q), earth frame NWU (x north, y west, z up).
struct Quaternion {
  double w = 1.0;
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
  friend bool operator==(const Quaternion&, const Quaternion&) = default;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_GEOMETRY_H_
