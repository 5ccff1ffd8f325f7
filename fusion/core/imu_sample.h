#ifndef AMBI_FUSION_CORE_IMU_SAMPLE_H_
#define AMBI_FUSION_CORE_IMU_SAMPLE_H_

#include "fusion/core/geometry.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

// Standard gravity: the |accel| a still sensor reads, and the g of sensors that count in g.
inline constexpr double kStandardGravity_m_s2 = 9.80665;

// One inertial sample in SI units, sensor frame. Every stage after decoding sees only this.
struct ImuSample {
  Time time;        // device time where the protocol has it, else smoothed arrival time
  Vec3 accel_m_s2;  // specific force; reads +9.81 along earth-up at rest
  Vec3 gyro_rad_s;  // angular rate
  Vec3 mag_uT;      // valid only when has_mag
  bool has_mag = false;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_IMU_SAMPLE_H_
