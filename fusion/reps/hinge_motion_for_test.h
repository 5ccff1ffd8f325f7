#ifndef AMBI_FUSION_REPS_HINGE_MOTION_FOR_TEST_H_
#define AMBI_FUSION_REPS_HINGE_MOTION_FOR_TEST_H_

// Test-only: closed-form hinge motions (a segment turning about one axis fixed in the earth and
// in the sensor) and the exact samples and orientation an ideal sensor would give.

#include <cmath>
#include <numbers>
#include <vector>

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/rotation.h"

namespace ambi::fusion::hinge {

inline constexpr double kDegToRad = std::numbers::pi / 180.0;

inline Quaternion FromAxisAngle(const Vec3& axis, double angle_rad) {
  const double n = std::sqrt(axis.x * axis.x + axis.y * axis.y + axis.z * axis.z);
  const double s = std::sin(angle_rad / 2) / n;
  return {std::cos(angle_rad / 2), axis.x * s, axis.y * s, axis.z * s};
}
// q v q*
inline Vec3 Rotate(const Quaternion& q, const Vec3& v) {
  const Quaternion r = Compose(Compose(q, {0, v.x, v.y, v.z}), Inverse(q));
  return {r.x, r.y, r.z};
}

// One piece of the angle profile: from the current angle to 'to_deg' over 'duration_s' along a
// half cosine (zero speed at both ends); to_deg equal to the current angle is a hold.
struct Piece {
  double to_deg;
  double duration_s;
};

// Reps of 'rom_deg': rest, then per rep rise (rise_s), hold (hold_s), fall (fall_s), rest (rest_s).
inline std::vector<Piece> Reps(int count, double rom_deg, double rise_s, double hold_s,
                               double fall_s, double rest_s, double first_rest_s = 1.5) {
  std::vector<Piece> pieces = {{0.0, first_rest_s}};
  for (int i = 0; i < count; ++i) {
    pieces.push_back({rom_deg, rise_s});
    if (hold_s > 0) pieces.push_back({rom_deg, hold_s});
    pieces.push_back({0.0, fall_s});
    if (rest_s > 0) pieces.push_back({0.0, rest_s});
  }
  return pieces;
}

struct HingeSample {
  ImuSample sample;
  Quaternion sensor_to_earth;
  double angle_deg;
};

// The angle (deg) and its rate (deg/s) at time 't' of a profile that follows 'pieces' from
// 'start_deg', holding the last piece's angle after its end.
struct AngleAt {
  double angle_deg;
  double rate_deg_s;
};
inline AngleAt PiecesAt(const std::vector<Piece>& pieces, double t, double start_deg = 0.0) {
  double from = start_deg;
  double t0 = 0;
  for (const Piece& p : pieces) {
    if (t < t0 + p.duration_s) {
      const double u = (t - t0) / p.duration_s;
      return {from + (p.to_deg - from) * 0.5 * (1 - std::cos(std::numbers::pi * u)),
              (p.to_deg - from) * 0.5 * std::numbers::pi / p.duration_s *
                  std::sin(std::numbers::pi * u)};
    }
    from = p.to_deg;
    t0 += p.duration_s;
  }
  return {from, 0.0};
}

inline double TotalSeconds(const std::vector<Piece>& pieces) {
  double total_s = 0;
  for (const Piece& p : pieces) total_s += p.duration_s;
  return total_s;
}

// Samples at 'rate_hz' for 'total_s' of a segment whose angle follows 'profile' (t -> AngleAt)
// about the earth axis 'hinge_earth'; 'mount' is the sensor-to-earth orientation at angle 0 (how
// the sensor is strapped on). Body rate = axis_sensor * angle rate, exactly.
template <typename Profile>
std::vector<HingeSample> MakeHingeFrom(const Profile& profile, double total_s, double rate_hz,
                                       const Quaternion& mount, Vec3 hinge_earth = {0, 1, 0}) {
  const double n = std::sqrt(hinge_earth.x * hinge_earth.x + hinge_earth.y * hinge_earth.y +
                             hinge_earth.z * hinge_earth.z);
  hinge_earth = {hinge_earth.x / n, hinge_earth.y / n, hinge_earth.z / n};
  const Vec3 axis_sensor = Rotate(Inverse(mount), hinge_earth);
  std::vector<HingeSample> out;
  const auto count = static_cast<long>(std::floor(total_s * rate_hz));
  for (long i = 0; i < count; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const AngleAt at = profile(t);
    const Quaternion q = Compose(FromAxisAngle(hinge_earth, at.angle_deg * kDegToRad), mount);
    const double rate = at.rate_deg_s;
    HingeSample s;
    s.sample.time = TimeFromSeconds(t);
    s.sample.gyro_rad_s = {axis_sensor.x * rate * kDegToRad, axis_sensor.y * rate * kDegToRad,
                           axis_sensor.z * rate * kDegToRad};
    s.sample.accel_m_s2 = Rotate(Inverse(q), {0, 0, 9.80665});
    s.sensor_to_earth = q;
    s.angle_deg = at.angle_deg;
    out.push_back(s);
  }
  return out;
}

// ... whose angle follows 'pieces' (starting at start_deg).
inline std::vector<HingeSample> MakeHinge(const std::vector<Piece>& pieces, double rate_hz,
                                          const Quaternion& mount, Vec3 hinge_earth = {0, 1, 0},
                                          double start_deg = 0.0) {
  return MakeHingeFrom([&](double t) { return PiecesAt(pieces, t, start_deg); },
                       TotalSeconds(pieces), rate_hz, mount, hinge_earth);
}

}  // namespace ambi::fusion::hinge

#endif  // AMBI_FUSION_REPS_HINGE_MOTION_FOR_TEST_H_
