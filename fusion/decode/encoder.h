#ifndef AMBI_FUSION_DECODE_ENCODER_H_
#define AMBI_FUSION_DECODE_ENCODER_H_

#include <cstdint>
#include <vector>

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"

namespace ambi::fusion {

// The inverse of Decoder: the bytes a device would send for one sample. Used by the simulator
// (which drives pseudo-terminals with them), by CSV import (kAmbiSample) and by tests.
// Values beyond a protocol's range saturate as the device would.

struct WitMotionSerialEncodeOptions {
  bool include_angle = true;      // 0x53 frame (the devices send it by default; decoders skip it)
  double mag_uT_per_count = 0.0;  // 0: no 0x54 frame
  double temperature_c = 25.0;
};

// Appends the 0x51 accel, 0x52 gyro, [0x53 angle], [0x54 mag] frames of one output cycle.
// 'euler_deg' (roll, pitch, yaw) fills the angle frame.
void AppendWitMotionSerialFrames(const ImuSample& sample, const Vec3& euler_deg,
                                 const WitMotionSerialEncodeOptions& options,
                                 std::vector<std::uint8_t>* out);

// Appends one 20-byte 0x55 0x61 BLE data frame.
void AppendWitMotionBleFrame(const ImuSample& sample, const Vec3& euler_deg,
                             std::vector<std::uint8_t>* out);

// Appends one kAmbiSample frame (sample with its device timestamp, full precision).
void AppendAmbiSampleFrame(const ImuSample& sample, std::vector<std::uint8_t>* out);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_DECODE_ENCODER_H_
