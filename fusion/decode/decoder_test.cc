#include "fusion/decode/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "fusion/decode/encoder.h"
#include "fusion/decode/protocol.h"

namespace ambi::fusion {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Expected values are written from the protocol formulas (PROTOCOLS.md), not from the encoder:
// accel = raw / 32768 * 16 g (g = 9.80665), gyro = raw / 32768 * 2000 deg/s in rad/s.
constexpr double kG = 9.80665;
double AccelFromRaw(int raw) { return raw / 32768.0 * 16.0 * kG; }
double GyroFromRaw(int raw) { return raw / 32768.0 * 2000.0 * std::numbers::pi / 180.0; }

// Hand-built serial frames; the last byte is the low byte of the sum of the ten before it.
// accel raw (2048, -2048, 16384), temperature 2500.
const Bytes kAccel1 = {0x55, 0x51, 0x00, 0x08, 0x00, 0xF8, 0x00, 0x40, 0xC4, 0x09, 0xB3};
// gyro raw (16384, -32768, 1).
const Bytes kGyro1 = {0x55, 0x52, 0x00, 0x40, 0x00, 0x80, 0x01, 0x00, 0xC4, 0x09, 0x35};
// angle raw (8192, -8192, 0): skipped by the decoder.
const Bytes kAngle1 = {0x55, 0x53, 0x00, 0x20, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x00, 0xA8};
// mag raw (100, -200, 300).
const Bytes kMag1 = {0x55, 0x54, 0x64, 0x00, 0x38, 0xFF, 0x2C, 0x01, 0xC4, 0x09, 0x3E};
// accel raw (0x5555, 0x5555, 0x5555): sync bytes inside the payload.
const Bytes kAccel55 = {0x55, 0x51, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xC4, 0x09, 0x71};
// gyro raw (-1, 2, 0).
const Bytes kGyro2 = {0x55, 0x52, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 0xC4, 0x09, 0x74};
// Well-formed frames of types ambi does not use.
const Bytes kTime = {0x55, 0x50, 0x1A, 0x0B, 0x17, 0x0C, 0x1E, 0x00, 0xE8, 0x03, 0xF6};
const Bytes kQuat = {0x55, 0x59, 0xFF, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2C};

Bytes WithBadChecksum(Bytes frame) {
  frame.back() = static_cast<std::uint8_t>(frame.back() + 1);
  return frame;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

struct Result {
  std::vector<ImuSample> samples;
  DecoderStats stats;
  std::size_t pending = 0;
};

// Feeds 'bytes' in chunks of the given sizes (the rest in one last chunk).
Result Decode(const DecoderParams& params, const Bytes& bytes,
              std::vector<std::size_t> chunks = {}) {
  Decoder decoder(params);
  Result result;
  std::size_t pos = 0;
  std::int64_t t_ns = 0;
  auto feed = [&](std::size_t n) {
    decoder.Feed(std::span<const std::uint8_t>(bytes.data() + pos, n), TimeFromNanoseconds(t_ns),
                 [&](const ImuSample& s) { result.samples.push_back(s); });
    pos += n;
    ++t_ns;
  };
  for (std::size_t n : chunks) feed(std::min(n, bytes.size() - pos));
  feed(bytes.size() - pos);
  result.stats = decoder.stats();
  result.pending = decoder.pending_bytes();
  return result;
}

void ExpectVec3Near(const Vec3& actual, const Vec3& expected, double tolerance) {
  EXPECT_NEAR(actual.x, expected.x, tolerance);
  EXPECT_NEAR(actual.y, expected.y, tolerance);
  EXPECT_NEAR(actual.z, expected.z, tolerance);
}

const Vec3 kAccel1Si{AccelFromRaw(2048), AccelFromRaw(-2048), AccelFromRaw(16384)};
const Vec3 kGyro1Si{GyroFromRaw(16384), GyroFromRaw(-32768), GyroFromRaw(1)};
const Vec3 kAccel55Si{AccelFromRaw(0x5555), AccelFromRaw(0x5555), AccelFromRaw(0x5555)};
const Vec3 kGyro2Si{GyroFromRaw(-1), GyroFromRaw(2), GyroFromRaw(0)};

TEST(WitMotionSerialFormulas, HandValuesMatchPhysicalUnits) {
  // Sanity of the test's own formulas: 2048 counts = 1 g, 16384 counts = 1000 deg/s.
  EXPECT_DOUBLE_EQ(AccelFromRaw(2048), 9.80665);
  EXPECT_NEAR(GyroFromRaw(16384), 1000.0 * std::numbers::pi / 180.0, 1e-12);
}

struct SerialCase {
  std::string name;
  Bytes bytes;
  double mag_uT_per_count;
  std::vector<Vec3> accel;  // one per expected sample
  std::vector<Vec3> gyro;
  std::vector<bool> has_mag;
  DecoderStats stats;  // bytes_in is filled from 'bytes'
  std::size_t pending;
};

DecoderStats Stats(std::uint64_t frames, std::uint64_t samples, std::uint64_t discarded,
                   std::uint64_t checksum_errors, std::uint64_t unknown,
                   std::uint64_t incomplete = 0, std::uint64_t missing_mag = 0) {
  DecoderStats s;
  s.frames = frames;
  s.samples = samples;
  s.bytes_discarded = discarded;
  s.checksum_errors = checksum_errors;
  s.unknown_frames = unknown;
  s.incomplete_cycles = incomplete;
  s.samples_missing_mag = missing_mag;
  return s;
}

std::vector<SerialCase> SerialCases() {
  const Bytes garbage = {0x00, 0xFF, 0x12, 0xAA, 0x54};
  return {
      {"one_cycle",
       Cat({kAccel1, kGyro1, kAngle1}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(3, 1, 0, 0, 0),
       0},
      {"garbage_before_and_between",
       Cat({garbage, kAccel1, garbage, kGyro1, garbage, kAngle1}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(3, 1, 15, 0, 0),
       0},
      {"sync_bytes_inside_payload",
       Cat({kAccel55, kGyro2, kAngle1}),
       0.0,
       {kAccel55Si},
       {kGyro2Si},
       {false},
       Stats(3, 1, 0, 0, 0),
       0},
      // The corrupt accel holds no other 0x55, so all 11 bytes go; its cycle has no accel.
      {"bad_checksum_drops_the_cycle",
       Cat({WithBadChecksum(kAccel1), kGyro1, kAngle1, kAccel55, kGyro2}),
       0.0,
       {kAccel55Si},
       {kGyro2Si},
       {false},
       Stats(4, 1, 11, 1, 0, 1),
       0},
      // 55 51 00 then a whole cycle: the false start fails its checksum (sum 0x4C, byte 0x40).
      {"false_start",
       Cat({{0x55, 0x51, 0x00}, kAccel1, kGyro1}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(2, 1, 3, 1, 0),
       0},
      // 0x55 followed by a byte that is no WitMotion type is dropped without a checksum test.
      {"sync_then_foreign_type",
       Cat({{0x55, 0x00, 0x55, 0x61}, kAccel1, kGyro1}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(2, 1, 4, 0, 0),
       0},
      {"truncated_at_end",
       Cat({kAccel1, kGyro1, {0x55, 0x51, 0x00, 0x08}}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(2, 1, 0, 0, 0),
       4},
      {"unused_types_counted",
       Cat({kTime, kAccel1, kGyro1, kAngle1, kQuat}),
       0.0,
       {kAccel1Si},
       {kGyro1Si},
       {false},
       Stats(5, 1, 0, 0, 2),
       0},
      {"mag_disabled_ignores_0x54",
       Cat({kAccel1, kGyro1, kAngle1, kMag1, kAccel55, kGyro2, kMag1}),
       0.0,
       {kAccel1Si, kAccel55Si},
       {kGyro1Si, kGyro2Si},
       {false, false},
       Stats(7, 2, 0, 0, 0),
       0},
      // The first cycle teaches that the stream carries mag; from then on samples wait for it.
      {"mag_enabled",
       Cat({kAccel1, kGyro1, kAngle1, kMag1, kAccel55, kGyro2, kAngle1, kMag1}),
       0.25,
       {kAccel1Si, kAccel55Si},
       {kGyro1Si, kGyro2Si},
       {false, true},
       Stats(8, 2, 0, 0, 0),
       0},
      // A lost mag frame: the cycle goes out without mag when the next one opens.
      {"mag_lost_once",
       Cat({kAccel1, kGyro1, kMag1, kAccel55, kGyro2, kAccel1, kGyro1, kMag1}),
       0.25,
       {kAccel1Si, kAccel55Si, kAccel1Si},
       {kGyro1Si, kGyro2Si, kGyro1Si},
       {false, false, true},
       Stats(8, 3, 0, 0, 0, 0, 1),
       0},
      // Cycle 1 lost its gyro, cycle 2 its accel: the accel of 1 must not meet the gyro of 2.
      {"never_mix_cycles",
       Cat({kAccel1, kAngle1, kGyro2, kAngle1, kAccel55, kGyro1}),
       0.0,
       {kAccel55Si},
       {kGyro1Si},
       {false},
       Stats(6, 1, 0, 0, 0, 2),
       0},
      {"repeated_accel_opens_cycle",
       Cat({kAccel1, kAccel55, kGyro2}),
       0.0,
       {kAccel55Si},
       {kGyro2Si},
       {false},
       Stats(3, 1, 0, 0, 0, 1),
       0},
  };
}

void CheckSerial(const SerialCase& c, const Result& r, const std::string& how) {
  SCOPED_TRACE(c.name + " / " + how);
  ASSERT_EQ(r.samples.size(), c.accel.size());
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    ExpectVec3Near(r.samples[i].accel_m_s2, c.accel[i], 1e-12);
    ExpectVec3Near(r.samples[i].gyro_rad_s, c.gyro[i], 1e-12);
    EXPECT_EQ(r.samples[i].has_mag, c.has_mag[i]) << "sample " << i;
    if (c.has_mag[i]) ExpectVec3Near(r.samples[i].mag_uT, {25.0, -50.0, 75.0}, 1e-12);
  }
  EXPECT_EQ(r.stats.bytes_in, c.bytes.size());
  EXPECT_EQ(r.stats.frames, c.stats.frames);
  EXPECT_EQ(r.stats.samples, c.stats.samples);
  EXPECT_EQ(r.stats.bytes_discarded, c.stats.bytes_discarded);
  EXPECT_EQ(r.stats.checksum_errors, c.stats.checksum_errors);
  EXPECT_EQ(r.stats.unknown_frames, c.stats.unknown_frames);
  EXPECT_EQ(r.stats.incomplete_cycles, c.stats.incomplete_cycles);
  EXPECT_EQ(r.stats.samples_missing_mag, c.stats.samples_missing_mag);
  EXPECT_EQ(r.pending, c.pending);
  EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + 11 * r.stats.frames + r.pending);
}

TEST(WitMotionSerialDecoder, TableWholeSplitAndByteByByte) {
  for (const SerialCase& c : SerialCases()) {
    DecoderParams params{Protocol::kWitMotionSerial, c.mag_uT_per_count};
    CheckSerial(c, Decode(params, c.bytes), "whole");
    for (std::size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      CheckSerial(c, Decode(params, c.bytes, {cut}), "split at " + std::to_string(cut));
    }
    CheckSerial(c, Decode(params, c.bytes, std::vector<std::size_t>(c.bytes.size(), 1)),
                "byte by byte");
  }
}

TEST(WitMotionSerialDecoder, StampsArrivalTimeOfCompletingRead) {
  Decoder decoder({Protocol::kWitMotionSerial, 0.0});
  std::vector<ImuSample> out;
  auto sink = [&](const ImuSample& s) { out.push_back(s); };
  decoder.Feed(kAccel1, TimeFromNanoseconds(100), sink);
  decoder.Feed(kGyro1, TimeFromNanoseconds(200), sink);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ToNanoseconds(out[0].time), 200);
}

TEST(WitMotionSerialDecoder, ResetForgetsPartialFrameAndCycle) {
  Decoder decoder({Protocol::kWitMotionSerial, 0.0});
  int samples = 0;
  auto sink = [&](const ImuSample&) { ++samples; };
  decoder.Feed(Cat({kAccel1, {0x55, 0x52, 0x00}}), Time{}, sink);
  EXPECT_EQ(decoder.pending_bytes(), 3u);
  decoder.Reset();
  EXPECT_EQ(decoder.pending_bytes(), 0u);
  decoder.Feed(kGyro1, Time{}, sink);  // no accel since the reset: no sample
  EXPECT_EQ(samples, 0);
  decoder.Feed(Cat({kAccel1, kGyro1}), Time{}, sink);
  EXPECT_EQ(samples, 1);
}

// ---- BLE ----

// ax 2048, ay 0, az -2048, gx -16384, gy 0, gz 32767, roll 8192, pitch 0, yaw 0x5555.
const Bytes kBle1 = {0x55, 0x61, 0x00, 0x08, 0x00, 0x00, 0x00, 0xF8, 0x00, 0xC0,
                     0x00, 0x00, 0xFF, 0x7F, 0x00, 0x20, 0x00, 0x00, 0x55, 0x55};
// ax 1, ay -1, az 0x6155, gyro 0: "55 61" inside the payload.
const Bytes kBle2 = {0x55, 0x61, 0x01, 0x00, 0xFF, 0xFF, 0x55, 0x61, 0x00, 0x00,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
// Register reply (reg 0x3A) whose registers happen to contain "55 61".
const Bytes kBleReg = {0x55, 0x71, 0x3A, 0x00, 0x55, 0x61, 0x00, 0x00, 0x55, 0x61,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Vec3 kBle1Accel{AccelFromRaw(2048), 0.0, AccelFromRaw(-2048)};
const Vec3 kBle1Gyro{GyroFromRaw(-16384), 0.0, GyroFromRaw(32767)};
const Vec3 kBle2Accel{AccelFromRaw(1), AccelFromRaw(-1), AccelFromRaw(0x6155)};

struct BleCase {
  std::string name;
  Bytes bytes;
  std::vector<Vec3> accel;
  std::uint64_t frames;
  std::uint64_t discarded;
  std::uint64_t unknown;
  std::size_t pending;
};

TEST(WitMotionBleDecoder, TableWholeSplitAndByteByByte) {
  const std::vector<BleCase> cases = {
      {"one", kBle1, {kBle1Accel}, 1, 0, 0, 0},
      {"joined", Cat({kBle1, kBle2, kBle1}), {kBle1Accel, kBle2Accel, kBle1Accel}, 3, 0, 0, 0},
      {"register_reply_skipped",
       Cat({kBle1, kBleReg, kBle2}),
       {kBle1Accel, kBle2Accel},
       3,
       0,
       1,
       0},
      {"garbage",
       Cat({{0x00, 0x55, 0x62, 0x61}, kBle1, {0x55, 0x55}, kBle2}),
       {kBle1Accel, kBle2Accel},
       2,
       6,
       0,
       0},
      {"truncated", Cat({kBle1, {0x55, 0x61, 0x01}}), {kBle1Accel}, 1, 0, 0, 3},
  };
  for (const BleCase& c : cases) {
    const DecoderParams params{Protocol::kWitMotionBle, 0.0};
    std::vector<std::pair<std::string, Result>> runs;
    runs.emplace_back("whole", Decode(params, c.bytes));
    for (std::size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      runs.emplace_back("split at " + std::to_string(cut), Decode(params, c.bytes, {cut}));
    }
    runs.emplace_back("byte by byte",
                      Decode(params, c.bytes, std::vector<std::size_t>(c.bytes.size(), 1)));
    // Notification-sized pieces (BLE 4 payloads of 20 bytes, misaligned by the garbage).
    runs.emplace_back("twenties", Decode(params, c.bytes, std::vector<std::size_t>(8, 20)));
    for (const auto& [how, r] : runs) {
      SCOPED_TRACE(c.name + " / " + how);
      ASSERT_EQ(r.samples.size(), c.accel.size());
      for (std::size_t i = 0; i < r.samples.size(); ++i) {
        ExpectVec3Near(r.samples[i].accel_m_s2, c.accel[i], 1e-12);
        EXPECT_FALSE(r.samples[i].has_mag);
      }
      if (!r.samples.empty() && c.accel[0] == kBle1Accel) {
        ExpectVec3Near(r.samples[0].gyro_rad_s, kBle1Gyro, 1e-12);
      }
      EXPECT_EQ(r.stats.frames, c.frames);
      EXPECT_EQ(r.stats.bytes_discarded, c.discarded);
      EXPECT_EQ(r.stats.unknown_frames, c.unknown);
      EXPECT_EQ(r.pending, c.pending);
      EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + 20 * r.stats.frames + r.pending);
    }
  }
}

// ---- kAmbiSample ----

// t_ns 1234567890123, accel (0.5, -9.80665, 1e-3), gyro (0.25, -1.5, 3.0); laid out by hand
// from the table in wire_format.h (int64/float64 little-endian, Fletcher-16).
const Bytes kAmbiNoMag = {
    0xA5, 0x5A, 0x01, 0x00, 0x38, 0xCB, 0x04, 0xFB, 0x71, 0x1F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xE0, 0x3F, 0x05, 0xA3, 0x92, 0x3A, 0x01, 0x9D, 0x23, 0xC0, 0xFC, 0xA9, 0xF1,
    0xD2, 0x4D, 0x62, 0x50, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0x3F, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xF8, 0xBF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x6A, 0xB2};
// t_ns -5, accel (1, 2, 3), gyro (4, 5, 6), mag (20, -5.5, 42.25).
const Bytes kAmbiMag = {
    0xA5, 0x5A, 0x01, 0x01, 0x50, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18,
    0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x34, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x16, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x45, 0x40, 0xF4, 0x7E};

void ExpectAmbiNoMag(const ImuSample& s) {
  EXPECT_EQ(ToNanoseconds(s.time), 1234567890123);
  EXPECT_EQ(s.accel_m_s2, (Vec3{0.5, -9.80665, 1e-3}));
  EXPECT_EQ(s.gyro_rad_s, (Vec3{0.25, -1.5, 3.0}));
  EXPECT_FALSE(s.has_mag);
}

void ExpectAmbiMag(const ImuSample& s) {
  EXPECT_EQ(ToNanoseconds(s.time), -5);
  EXPECT_EQ(s.accel_m_s2, (Vec3{1, 2, 3}));
  EXPECT_EQ(s.gyro_rad_s, (Vec3{4, 5, 6}));
  EXPECT_TRUE(s.has_mag);
  EXPECT_EQ(s.mag_uT, (Vec3{20.0, -5.5, 42.25}));
}

TEST(AmbiSampleDecoder, HandLaidFramesEverySplit) {
  Bytes corrupt = kAmbiNoMag;
  corrupt[20] ^= 0x01;  // one payload bit: Fletcher-16 must catch it
  const Bytes stream =
      Cat({{0x00, 0xA5, 0x5A, 0x02}, kAmbiNoMag, corrupt, {0xA5}, kAmbiMag, {0xA5, 0x5A, 0x01}});
  const DecoderParams params{Protocol::kAmbiSample, 0.0};
  std::vector<std::pair<std::string, Result>> runs;
  runs.emplace_back("whole", Decode(params, stream));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    runs.emplace_back("split at " + std::to_string(cut), Decode(params, stream, {cut}));
  }
  runs.emplace_back("byte by byte",
                    Decode(params, stream, std::vector<std::size_t>(stream.size(), 1)));
  for (const auto& [how, r] : runs) {
    SCOPED_TRACE(how);
    ASSERT_EQ(r.samples.size(), 2u);
    ExpectAmbiNoMag(r.samples[0]);
    ExpectAmbiMag(r.samples[1]);
    EXPECT_EQ(r.stats.frames, 2u);
    EXPECT_EQ(r.stats.checksum_errors, 1u);
    // Garbage 4 + the corrupt frame 63 + the lone A5 1; the last 3 bytes wait for more.
    EXPECT_EQ(r.stats.bytes_discarded, 4u + 63u + 1u);
    EXPECT_EQ(r.pending, 3u);
    EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + 63 + 87 + r.pending);
  }
}

TEST(AmbiSampleDecoder, RejectsInconsistentHeader) {
  Bytes wrong_length = kAmbiNoMag;
  wrong_length[3] = 0x01;  // says has_mag but the length is 56
  const Result r = Decode({Protocol::kAmbiSample, 0.0}, Cat({wrong_length, kAmbiMag}));
  ASSERT_EQ(r.samples.size(), 1u);
  ExpectAmbiMag(r.samples[0]);
  EXPECT_EQ(r.stats.bytes_discarded, 63u);
  EXPECT_EQ(r.stats.checksum_errors, 0u);
}

// ---- Encoder round trips ----

ImuSample MakeSample(double t_s, double k) {
  ImuSample s;
  s.time = TimeFromSeconds(t_s);
  s.accel_m_s2 = {1.5 * k, -9.7 + k, 0.3 - 2 * k};
  s.gyro_rad_s = {0.8 * k, -3.0 + k, 20.0 * k};
  s.mag_uT = {30.0 - k, -12.0 * k, 45.0};
  s.has_mag = true;
  return s;
}

TEST(EncoderRoundTrip, WitMotionSerialWithinHalfACount) {
  const double mag_per_count = 0.15;
  Bytes bytes;
  std::vector<ImuSample> in;
  for (int i = 0; i < 50; ++i) {
    in.push_back(MakeSample(i * 0.01, std::sin(i * 0.3)));
    AppendWitMotionSerialFrames(in.back(), {10.0, -20.0, 170.0}, {true, mag_per_count, 25.0},
                                &bytes);
  }
  const Result r = Decode({Protocol::kWitMotionSerial, mag_per_count}, bytes, {7, 13, 101, 3});
  ASSERT_EQ(r.samples.size(), in.size());
  EXPECT_EQ(r.stats.frames, 4 * in.size());
  EXPECT_EQ(r.stats.bytes_discarded, 0u);
  const double half_accel = 0.5 * 16.0 * kG / 32768.0;
  const double half_gyro = 0.5 * 2000.0 / 32768.0 * std::numbers::pi / 180.0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    ExpectVec3Near(r.samples[i].accel_m_s2, in[i].accel_m_s2, half_accel + 1e-12);
    ExpectVec3Near(r.samples[i].gyro_rad_s, in[i].gyro_rad_s, half_gyro + 1e-12);
    EXPECT_EQ(r.samples[i].has_mag, i > 0);  // the first cycle teaches that mag is present
    if (i > 0) ExpectVec3Near(r.samples[i].mag_uT, in[i].mag_uT, 0.5 * mag_per_count + 1e-12);
  }
}

TEST(EncoderRoundTrip, WitMotionSaturatesAtFullScale) {
  ImuSample s;
  s.accel_m_s2 = {20.0 * kG, -20.0 * kG, 0.0};
  s.gyro_rad_s = {100.0, -100.0, 0.0};
  Bytes bytes;
  AppendWitMotionSerialFrames(s, {}, {false, 0.0, 25.0}, &bytes);
  ASSERT_EQ(bytes.size(), 22u);
  // Raw counts on the wire: 0x7FFF and 0x8000.
  EXPECT_EQ(bytes[2], 0xFF);
  EXPECT_EQ(bytes[3], 0x7F);
  EXPECT_EQ(bytes[4], 0x00);
  EXPECT_EQ(bytes[5], 0x80);
  const Result r = Decode({Protocol::kWitMotionSerial, 0.0}, bytes);
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_DOUBLE_EQ(r.samples[0].accel_m_s2.x, AccelFromRaw(32767));
  EXPECT_DOUBLE_EQ(r.samples[0].accel_m_s2.y, AccelFromRaw(-32768));
  EXPECT_DOUBLE_EQ(r.samples[0].gyro_rad_s.x, GyroFromRaw(32767));
  EXPECT_DOUBLE_EQ(r.samples[0].gyro_rad_s.y, GyroFromRaw(-32768));
  // Temperature 25.00 degC = 2500 counts in D3.
  EXPECT_EQ(bytes[8], 0xC4);
  EXPECT_EQ(bytes[9], 0x09);
}

TEST(EncoderRoundTrip, WitMotionBleWithinHalfACount) {
  Bytes bytes;
  std::vector<ImuSample> in;
  for (int i = 0; i < 40; ++i) {
    in.push_back(MakeSample(i * 0.01, std::cos(i * 0.2)));
    AppendWitMotionBleFrame(in.back(), {1.0, 2.0, 3.0}, &bytes);
  }
  ASSERT_EQ(bytes.size(), 20 * in.size());
  const Result r = Decode({Protocol::kWitMotionBle, 0.0}, bytes, {5, 33, 20, 1, 19});
  ASSERT_EQ(r.samples.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    ExpectVec3Near(r.samples[i].accel_m_s2, in[i].accel_m_s2, 0.5 * 16.0 * kG / 32768.0 + 1e-12);
    ExpectVec3Near(r.samples[i].gyro_rad_s, in[i].gyro_rad_s,
                   0.5 * 2000.0 / 32768.0 * std::numbers::pi / 180.0 + 1e-12);
  }
  // Angle fields: 3 deg = round(3 / 180 * 32768) = 546 counts = 0x0222 at bytes 18..19.
  EXPECT_EQ(bytes[18], 0x22);
  EXPECT_EQ(bytes[19], 0x02);
}

TEST(EncoderRoundTrip, AmbiSampleIsExact) {
  Bytes bytes;
  std::vector<ImuSample> in;
  for (int i = 0; i < 30; ++i) {
    in.push_back(MakeSample(i * 0.0123, std::sin(i * 1.7)));
    in.back().has_mag = (i % 3) != 0;
    if (!in.back().has_mag) in.back().mag_uT = {};
    AppendAmbiSampleFrame(in.back(), &bytes);
  }
  const Result r = Decode({Protocol::kAmbiSample, 0.0}, bytes, {1, 62, 64, 100});
  ASSERT_EQ(r.samples.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(r.samples[i].time, in[i].time);
    EXPECT_EQ(r.samples[i].accel_m_s2, in[i].accel_m_s2);
    EXPECT_EQ(r.samples[i].gyro_rad_s, in[i].gyro_rad_s);
    EXPECT_EQ(r.samples[i].has_mag, in[i].has_mag);
    EXPECT_EQ(r.samples[i].mag_uT, in[i].mag_uT);
  }
}

TEST(EncoderRoundTrip, AmbiEncoderMatchesHandLaidFrame) {
  ImuSample s;
  s.time = TimeFromNanoseconds(1234567890123);
  s.accel_m_s2 = {0.5, -9.80665, 1e-3};
  s.gyro_rad_s = {0.25, -1.5, 3.0};
  Bytes bytes;
  AppendAmbiSampleFrame(s, &bytes);
  EXPECT_EQ(bytes, kAmbiNoMag);
}

// ---- Random garbage ----

std::size_t FrameBytesOf(Protocol protocol, const ImuSample& s) {
  switch (protocol) {
    case Protocol::kWitMotionSerial:
      return 11;
    case Protocol::kWitMotionBle:
      return 20;
    case Protocol::kAmbiSample:
      return s.has_mag ? 87 : 63;
  }
  return 0;
}

TEST(DecoderRobustness, RandomGarbageAndMixedFramesNeverBreakTheCounts) {
  std::mt19937 rng(12345);
  for (Protocol protocol :
       {Protocol::kWitMotionSerial, Protocol::kWitMotionBle, Protocol::kAmbiSample}) {
    SCOPED_TRACE(std::string(ToString(protocol)));
    for (int trial = 0; trial < 20; ++trial) {
      Bytes bytes;
      int frames_in = 0;
      for (int piece = 0; piece < 200; ++piece) {
        const int kind = static_cast<int>(rng() % 4);
        if (kind == 0) {
          // Random bytes, biased towards sync bytes to exercise resynchronisation.
          const int n = static_cast<int>(rng() % 40);
          for (int i = 0; i < n; ++i) {
            const unsigned v = rng() % 8;
            bytes.push_back(v == 0 ? 0x55 : v == 1 ? 0xA5 : static_cast<std::uint8_t>(rng()));
          }
        } else {
          ImuSample s = MakeSample(piece * 0.01, std::sin(piece));
          s.has_mag = (rng() % 2) != 0;
          ++frames_in;
          if (protocol == Protocol::kWitMotionSerial) {
            AppendWitMotionSerialFrames(s, {}, {false, 0.0, 25.0}, &bytes);
          } else if (protocol == Protocol::kWitMotionBle) {
            AppendWitMotionBleFrame(s, {}, &bytes);
          } else {
            AppendAmbiSampleFrame(s, &bytes);
          }
        }
      }
      std::vector<std::size_t> chunks;
      for (std::size_t total = 0; total < bytes.size();) {
        chunks.push_back(1 + rng() % 64);
        total += chunks.back();
      }
      const Result r = Decode({protocol, 0.0}, bytes, chunks);
      std::uint64_t sample_bytes = 0;
      for (const ImuSample& s : r.samples) sample_bytes += FrameBytesOf(protocol, s);
      EXPECT_EQ(r.stats.bytes_in, bytes.size());
      EXPECT_EQ(r.stats.samples, r.samples.size());
      EXPECT_LE(r.samples.size(), static_cast<std::size_t>(frames_in) + 20);
      EXPECT_GE(r.samples.size(), static_cast<std::size_t>(frames_in) * 8 / 10);
      if (protocol == Protocol::kWitMotionSerial) {
        EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + 11 * r.stats.frames + r.pending);
      } else if (protocol == Protocol::kWitMotionBle) {
        EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + 20 * r.stats.frames + r.pending);
      } else {
        EXPECT_EQ(r.stats.bytes_in, r.stats.bytes_discarded + sample_bytes + r.pending);
      }
      // Pure noise must never crash either.
      Bytes noise(4096);
      for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
      const Result n = Decode({protocol, 0.5}, noise, {1, 2, 3, 500, 11, 20, 87});
      EXPECT_EQ(n.stats.bytes_in, noise.size());
    }
  }
}

TEST(Protocol, NamesRoundTrip) {
  for (Protocol p : {Protocol::kWitMotionSerial, Protocol::kWitMotionBle, Protocol::kAmbiSample}) {
    EXPECT_EQ(ParseProtocol(ToString(p)), p);
  }
  EXPECT_EQ(ToString(Protocol::kWitMotionBle), "witmotion_ble");
  EXPECT_EQ(ParseProtocol("witmotion"), std::nullopt);
  EXPECT_FALSE(HasDeviceTime(Protocol::kWitMotionSerial));
  EXPECT_TRUE(HasDeviceTime(Protocol::kAmbiSample));
}

}  // namespace
}  // namespace ambi::fusion
