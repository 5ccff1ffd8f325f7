#ifndef AMBI_FUSION_DECODE_WIRE_FORMAT_H_
#define AMBI_FUSION_DECODE_WIRE_FORMAT_H_

// Byte layouts of the protocols, shared by Decoder and the encoders. Inline because they sit on
// the per-sample path.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numbers>

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"

namespace ambi::fusion::wire {

static_assert(std::endian::native == std::endian::little,
              "the frame helpers copy little-endian fields directly");

// ---- WitMotion serial: 0x55 TYPE D0L D0H D1L D1H D2L D2H D3L D3H SUM ----
inline constexpr std::uint8_t kWitSync = 0x55;
inline constexpr std::size_t kWitSerialFrameBytes = 11;
inline constexpr std::uint8_t kWitTime = 0x50;
inline constexpr std::uint8_t kWitAccel = 0x51;
inline constexpr std::uint8_t kWitGyro = 0x52;
inline constexpr std::uint8_t kWitAngle = 0x53;
inline constexpr std::uint8_t kWitMag = 0x54;
inline constexpr std::uint8_t kWitQuaternion = 0x59;
// Accel full scale 16 g, gyro 2000 deg/s, angle 180 deg, all over int16 (raw / 32768).
inline constexpr double kWitAccelPerCount_m_s2 = 16.0 * kStandardGravity_m_s2 / 32768.0;
inline constexpr double kWitGyroPerCount_rad_s = 2000.0 / 32768.0 * std::numbers::pi / 180.0;
inline constexpr double kWitAnglePerCount_deg = 180.0 / 32768.0;
inline constexpr double kWitTemperaturePerCount_c = 0.01;

// The WitMotion family uses types 0x50..0x5F; other bytes after 0x55 are not a frame start.
constexpr bool IsWitSerialType(std::uint8_t type) { return (type & 0xF0) == 0x50; }

// Low byte of the sum of bytes 0..9.
// Written out: GCC keeps the 10-byte loop as a loop, which cost a third of the decode time.
inline std::uint8_t WitSerialChecksum(const std::uint8_t* f) {
  const unsigned sum =
      ((f[0] + f[1]) + (f[2] + f[3])) + ((f[4] + f[5]) + (f[6] + f[7])) + (f[8] + f[9]);
  return static_cast<std::uint8_t>(sum);
}

inline std::int16_t ReadI16(const std::uint8_t* p) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
}

inline void WriteI16(std::int16_t value, std::uint8_t* p) {
  const auto u = static_cast<std::uint16_t>(value);
  p[0] = static_cast<std::uint8_t>(u & 0xFF);
  p[1] = static_cast<std::uint8_t>(u >> 8);
}

inline Vec3 ScaledI16x3(const std::uint8_t* p, double scale) {
  return Vec3{ReadI16(p) * scale, ReadI16(p + 2) * scale, ReadI16(p + 4) * scale};
}

inline Vec3 WitAccelFromFrame(const std::uint8_t* frame) {
  return ScaledI16x3(frame + 2, kWitAccelPerCount_m_s2);
}
inline Vec3 WitGyroFromFrame(const std::uint8_t* frame) {
  return ScaledI16x3(frame + 2, kWitGyroPerCount_rad_s);
}
inline Vec3 WitMagFromFrame(const std::uint8_t* frame, double uT_per_count) {
  return ScaledI16x3(frame + 2, uT_per_count);
}

// ---- WitMotion BLE: 0x55 0x61 then nine int16 LE (accel, gyro, angle); no checksum ----
inline constexpr std::size_t kWitBleFrameBytes = 20;
inline constexpr std::uint8_t kWitBleData = 0x61;
inline constexpr std::uint8_t kWitBleRegisters = 0x71;  // register read reply, same length

inline void WitBleDecode(const std::uint8_t* frame, ImuSample* sample) {
  sample->accel_m_s2 = ScaledI16x3(frame + 2, kWitAccelPerCount_m_s2);
  sample->gyro_rad_s = ScaledI16x3(frame + 8, kWitGyroPerCount_rad_s);
  sample->has_mag = false;
}

// ---- kAmbiSample: ambi's own frame, one full-precision SI sample with device time ----
//
//   offset  bytes  field
//   0       1      sync 0xA5
//   1       1      sync 0x5A
//   2       1      version, 1
//   3       1      flags: bit 0 has_mag; other bits 0
//   4       1      payload length N: 56 without mag, 80 with mag
//   5       8      t_ns, int64 LE, device (or session) time in nanoseconds
//   13      48     accel_m_s2 x y z, gyro_rad_s x y z, float64 LE (IEEE 754)
//   61      24     mag_uT x y z, float64 LE (only when has_mag)
//   5+N     2      Fletcher-16 over bytes 2 .. 4+N: sum1 byte, then sum2 byte
//
// 63 bytes without mag, 87 with. The header bytes are checked one by one, so garbage is
// rejected early; Fletcher-16 (RFC 1146) was chosen over CRC-16 because it costs about one add
// per byte and still catches every single-byte error and most bursts.
inline constexpr std::uint8_t kAmbiSync0 = 0xA5;
inline constexpr std::uint8_t kAmbiSync1 = 0x5A;
inline constexpr std::uint8_t kAmbiVersion = 1;
inline constexpr std::uint8_t kAmbiFlagHasMag = 0x01;
inline constexpr std::size_t kAmbiHeaderBytes = 5;
inline constexpr std::size_t kAmbiPayloadBytes = 8 + 6 * 8;
inline constexpr std::size_t kAmbiPayloadBytesWithMag = 8 + 9 * 8;
inline constexpr std::size_t kAmbiChecksumBytes = 2;
inline constexpr std::size_t kAmbiFrameBytes =
    kAmbiHeaderBytes + kAmbiPayloadBytes + kAmbiChecksumBytes;
inline constexpr std::size_t kAmbiMaxFrameBytes =
    kAmbiHeaderBytes + kAmbiPayloadBytesWithMag + kAmbiChecksumBytes;

// Whether the first 'n' (<= kAmbiHeaderBytes) bytes of 'frame' can start a valid frame.
inline bool AmbiHeaderPrefixValid(const std::uint8_t* frame, std::size_t n) {
  if (n > 1 && frame[1] != kAmbiSync1) return false;
  if (n > 2 && frame[2] != kAmbiVersion) return false;
  if (n > 3 && (frame[3] & ~kAmbiFlagHasMag) != 0) return false;
  if (n > 4) {
    const std::size_t expected =
        (frame[3] & kAmbiFlagHasMag) != 0 ? kAmbiPayloadBytesWithMag : kAmbiPayloadBytes;
    if (frame[4] != expected) return false;
  }
  return n == 0 || frame[0] == kAmbiSync0;
}

// Total frame length from a valid header.
inline std::size_t AmbiFrameBytes(const std::uint8_t* frame) {
  return kAmbiHeaderBytes + frame[4] + kAmbiChecksumBytes;
}

// Fletcher-16 of 'size' bytes (size <= 100, so the modulo can wait until the end).
inline std::uint16_t Fletcher16(const std::uint8_t* data, std::size_t size) {
  std::uint32_t sum1 = 0;
  std::uint32_t sum2 = 0;
  std::size_t i = 0;
  // Four bytes per step: sum2 gains 4 * sum1 plus the bytes weighted 4, 3, 2, 1. Same value as
  // the byte loop, with a quarter of its dependency chain.
  for (; i + 4 <= size; i += 4) {
    const std::uint32_t b0 = data[i], b1 = data[i + 1], b2 = data[i + 2], b3 = data[i + 3];
    sum2 += 4 * sum1 + 4 * b0 + 3 * b1 + 2 * b2 + b3;
    sum1 += (b0 + b1) + (b2 + b3);
  }
  for (; i < size; ++i) {
    sum1 += data[i];
    sum2 += sum1;
  }
  sum1 %= 255;
  sum2 %= 255;
  return static_cast<std::uint16_t>(sum1 | (sum2 << 8));
}

inline bool AmbiChecksumValid(const std::uint8_t* frame, std::size_t frame_bytes) {
  const std::uint16_t sum = Fletcher16(frame + 2, frame_bytes - 2 - kAmbiChecksumBytes);
  const std::uint8_t* check = frame + frame_bytes - kAmbiChecksumBytes;
  return check[0] == (sum & 0xFF) && check[1] == (sum >> 8);
}

inline double ReadF64(const std::uint8_t* p) {
  double value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

inline Vec3 ReadF64x3(const std::uint8_t* p) {
  return Vec3{ReadF64(p), ReadF64(p + 8), ReadF64(p + 16)};
}

// Decodes a frame already checked by AmbiHeaderPrefixValid and AmbiChecksumValid.
inline void AmbiDecode(const std::uint8_t* frame, ImuSample* sample) {
  std::int64_t t_ns;
  std::memcpy(&t_ns, frame + 5, sizeof(t_ns));
  sample->time = TimeFromNanoseconds(t_ns);
  sample->accel_m_s2 = ReadF64x3(frame + 13);
  sample->gyro_rad_s = ReadF64x3(frame + 37);
  sample->has_mag = (frame[3] & kAmbiFlagHasMag) != 0;
  sample->mag_uT = sample->has_mag ? ReadF64x3(frame + 61) : Vec3{};
}

}  // namespace ambi::fusion::wire

#endif  // AMBI_FUSION_DECODE_WIRE_FORMAT_H_
