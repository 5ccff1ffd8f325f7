#include "fusion/decode/encoder.h"

#include <array>
#include <cmath>
#include <cstring>

#include "fusion/decode/wire_format.h"

namespace ambi::fusion {
namespace {

// Rounds to the nearest count and saturates, as a device's full-scale range does. NaN reads 0.
std::int16_t SaturatingCounts(double value, double per_count) {
  const double counts = std::round(value / per_count);
  if (!(counts == counts)) return 0;
  if (counts >= 32767.0) return 32767;
  if (counts <= -32768.0) return -32768;
  return static_cast<std::int16_t>(counts);
}

void PutVec3Counts(const Vec3& v, double per_count, std::uint8_t* p) {
  wire::WriteI16(SaturatingCounts(v.x, per_count), p);
  wire::WriteI16(SaturatingCounts(v.y, per_count), p + 2);
  wire::WriteI16(SaturatingCounts(v.z, per_count), p + 4);
}

void AppendWitSerialFrame(std::uint8_t type, const Vec3& v, double per_count, std::int16_t d3,
                          std::vector<std::uint8_t>* out) {
  std::array<std::uint8_t, wire::kWitSerialFrameBytes> frame{};
  frame[0] = wire::kWitSync;
  frame[1] = type;
  PutVec3Counts(v, per_count, frame.data() + 2);
  wire::WriteI16(d3, frame.data() + 8);
  frame[10] = wire::WitSerialChecksum(frame.data());
  out->insert(out->end(), frame.begin(), frame.end());
}

void PutF64(double value, std::uint8_t* p) { std::memcpy(p, &value, sizeof(value)); }

void PutF64x3(const Vec3& v, std::uint8_t* p) {
  PutF64(v.x, p);
  PutF64(v.y, p + 8);
  PutF64(v.z, p + 16);
}

}  // namespace

void AppendWitMotionSerialFrames(const ImuSample& sample, const Vec3& euler_deg,
                                 const WitMotionSerialEncodeOptions& options,
                                 std::vector<std::uint8_t>* out) {
  const std::int16_t temperature =
      SaturatingCounts(options.temperature_c, wire::kWitTemperaturePerCount_c);
  AppendWitSerialFrame(wire::kWitAccel, sample.accel_m_s2, wire::kWitAccelPerCount_m_s2,
                       temperature, out);
  AppendWitSerialFrame(wire::kWitGyro, sample.gyro_rad_s, wire::kWitGyroPerCount_rad_s, temperature,
                       out);
  if (options.include_angle) {
    AppendWitSerialFrame(wire::kWitAngle, euler_deg, wire::kWitAnglePerCount_deg, 0, out);
  }
  if (options.mag_uT_per_count != 0.0 && sample.has_mag) {
    AppendWitSerialFrame(wire::kWitMag, sample.mag_uT, options.mag_uT_per_count, temperature, out);
  }
}

void AppendWitMotionBleFrame(const ImuSample& sample, const Vec3& euler_deg,
                             std::vector<std::uint8_t>* out) {
  std::array<std::uint8_t, wire::kWitBleFrameBytes> frame{};
  frame[0] = wire::kWitSync;
  frame[1] = wire::kWitBleData;
  PutVec3Counts(sample.accel_m_s2, wire::kWitAccelPerCount_m_s2, frame.data() + 2);
  PutVec3Counts(sample.gyro_rad_s, wire::kWitGyroPerCount_rad_s, frame.data() + 8);
  PutVec3Counts(euler_deg, wire::kWitAnglePerCount_deg, frame.data() + 14);
  out->insert(out->end(), frame.begin(), frame.end());
}

void AppendAmbiSampleFrame(const ImuSample& sample, std::vector<std::uint8_t>* out) {
  std::array<std::uint8_t, wire::kAmbiMaxFrameBytes> frame{};
  const std::size_t payload =
      sample.has_mag ? wire::kAmbiPayloadBytesWithMag : wire::kAmbiPayloadBytes;
  frame[0] = wire::kAmbiSync0;
  frame[1] = wire::kAmbiSync1;
  frame[2] = wire::kAmbiVersion;
  frame[3] = sample.has_mag ? wire::kAmbiFlagHasMag : 0;
  frame[4] = static_cast<std::uint8_t>(payload);
  const std::int64_t t_ns = ToNanoseconds(sample.time);
  std::memcpy(frame.data() + 5, &t_ns, sizeof(t_ns));
  PutF64x3(sample.accel_m_s2, frame.data() + 13);
  PutF64x3(sample.gyro_rad_s, frame.data() + 37);
  if (sample.has_mag) PutF64x3(sample.mag_uT, frame.data() + 61);
  const std::size_t frame_bytes = wire::kAmbiHeaderBytes + payload + wire::kAmbiChecksumBytes;
  const std::uint16_t sum = wire::Fletcher16(frame.data() + 2, frame_bytes - 4);
  frame[frame_bytes - 2] = static_cast<std::uint8_t>(sum & 0xFF);
  frame[frame_bytes - 1] = static_cast<std::uint8_t>(sum >> 8);
  out->insert(out->end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(frame_bytes));
}

}  // namespace ambi::fusion
