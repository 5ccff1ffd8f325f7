#ifndef AMBI_FUSION_CORE_GEOMETRY_H_
#define AMBI_FUSION_CORE_GEOMETRY_H_

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
