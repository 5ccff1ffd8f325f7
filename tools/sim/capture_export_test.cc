#include "tools/sim/capture_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "daemon/testing/temp_dir.h"
#include "fusion/decode/decoder.h"

namespace ambi::sim {
namespace {

struct ReadBack {
  ambi::v1::CaptureHeader header;
  std::vector<ambi::v1::CaptureRecord> records;
};

ReadBack Read(const std::string& path) {
  ReadBack out;
  capture::CaptureReader reader;
  const capture::CaptureStatus status = reader.Open(path, &out.header);
  EXPECT_TRUE(status.ok()) << status.message();
  ambi::v1::CaptureRecord record;
  while (reader.Next(&record)) out.records.push_back(record);
  return out;
}

std::string TempPath(const char* name) {
  static const ::ambi::testing::TempDir dir("ambi-capture-export-test-");
  const std::string path = dir.File(name);
  std::filesystem::remove(path);
  return path;
}

TEST(CaptureExportTest, AmbiSampleCaptureCarriesEverySampleInArrivalOrder) {
  SessionSpec spec = *MakePreset("curl-drift");
  spec.left.rep_count = 2;
  spec.right.rep_count = 3;
  CaptureExportOptions options;
  options.protocol = fusion::Protocol::kAmbiSample;
  options.latency_jitter_s = 0.002;
  const std::string path = TempPath("ambi_sim_capture_test.cap");
  const capture::CaptureStatus status = WriteSessionCapture(spec, options, path);
  ASSERT_TRUE(status.ok()) << status.message();

  const ReadBack capture = Read(path);
  ASSERT_EQ(capture.header.sensors_size(), 2);
  EXPECT_EQ(capture.header.sensors(0).side(), ambi::v1::SIDE_LEFT);
  EXPECT_EQ(capture.header.sensors(1).protocol(), ambi::v1::PROTOCOL_AMBI_SAMPLE);
  EXPECT_EQ(capture.header.ground_truth().sides(1).rep_count(), 3u);

  const SimulatedSession session = Simulate(spec);
  std::vector<std::vector<fusion::ImuSample>> decoded(2);
  std::vector<fusion::Decoder> decoders(
      2, fusion::Decoder(fusion::DecoderParams{fusion::Protocol::kAmbiSample, 0.0}));
  std::int64_t previous = 0;
  std::vector<std::int64_t> previous_per_sensor(2, -1);
  for (const auto& r : capture.records) {
    ASSERT_GE(r.arrival_time_ns(), previous);  // merged in arrival order
    previous = r.arrival_time_ns();
    const int i = static_cast<int>(r.sensor_id()) - 1;
    ASSERT_TRUE(i == 0 || i == 1);
    ASSERT_GE(r.arrival_time_ns(), previous_per_sensor[i]);
    previous_per_sensor[i] = r.arrival_time_ns();
    const std::string& data = r.data();
    decoders[i].Feed(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                     fusion::TimeFromNanoseconds(r.arrival_time_ns()),
                     [&](const fusion::ImuSample& s) { decoded[i].push_back(s); });
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(decoded[i].size(), session.sensors[i].samples.size());
    for (std::size_t k = 0; k < decoded[i].size(); ++k) {
      // Full precision and the device clock survive the byte path.
      ASSERT_EQ(decoded[i][k].time, session.sensors[i].samples[k].time);
      ASSERT_EQ(decoded[i][k].gyro_rad_s, session.sensors[i].samples[k].gyro_rad_s);
    }
  }
  std::filesystem::remove(path);
}

TEST(CaptureExportTest, WitMotionCaptureDecodesAndRefusesToOverwrite) {
  SessionSpec spec = *MakePreset("squat");
  spec.left.rep_count = spec.right.rep_count = 1;
  const std::string path = TempPath("ambi_sim_capture_wit.cap");
  ASSERT_TRUE(WriteSessionCapture(spec, {}, path).ok());
  const ReadBack capture = Read(path);
  EXPECT_EQ(capture.header.sensors(0).limb(), ambi::v1::LIMB_ANKLE);
  EXPECT_EQ(capture.header.exercise(), "squat");  // the catalog entry: eccentric first
  fusion::Decoder decoder{fusion::DecoderParams{}};
  std::size_t samples = 0;
  for (const auto& r : capture.records) {
    if (r.sensor_id() != 2) continue;
    const std::string& data = r.data();
    decoder.Feed(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                 fusion::TimeFromNanoseconds(r.arrival_time_ns()),
                 [&](const fusion::ImuSample&) { ++samples; });
  }
  const std::size_t expected = Simulate(spec).sensors[1].samples.size();
  EXPECT_GE(samples + 1, expected);  // the last cycle closes only when another would open
  EXPECT_LE(samples, expected);
  EXPECT_EQ(decoder.stats().checksum_errors, 0u);

  const capture::CaptureStatus again = WriteSessionCapture(spec, {}, path);
  EXPECT_FALSE(again.ok());
  std::filesystem::remove(path);
}

TEST(CaptureExportTest, DeliveryStallsHoldBytesBackAndLoseNone) {
  SessionSpec spec = *MakePreset("curl");
  spec.left.rep_count = spec.right.rep_count = 4;
  CaptureExportOptions plain;
  plain.protocol = fusion::Protocol::kWitMotionBle;
  CaptureExportOptions stalled = plain;
  stalled.stalls.per_s = 0.5;
  const std::string plain_path = TempPath("ambi_sim_capture_plain.cap");
  const std::string stalled_path = TempPath("ambi_sim_capture_stalled.cap");
  ASSERT_TRUE(WriteSessionCapture(spec, plain, plain_path).ok());
  ASSERT_TRUE(WriteSessionCapture(spec, stalled, stalled_path).ok());
  const ReadBack without = Read(plain_path);
  const ReadBack with = Read(stalled_path);
  ASSERT_EQ(with.records.size(), without.records.size());

  // Per sensor: the same bytes in the same order, never earlier, in order; after each stall a
  // burst of records delivered at its end.
  int bursts = 0;
  for (std::uint32_t sensor : {1u, 2u}) {
    std::vector<const ambi::v1::CaptureRecord*> on_time, held;
    for (const auto& r : without.records) {
      if (r.sensor_id() == sensor) on_time.push_back(&r);
    }
    for (const auto& r : with.records) {
      if (r.sensor_id() == sensor) held.push_back(&r);
    }
    ASSERT_EQ(held.size(), on_time.size());
    int run = 0;
    for (std::size_t i = 0; i < held.size(); ++i) {
      EXPECT_EQ(held[i]->data(), on_time[i]->data());
      EXPECT_GE(held[i]->arrival_time_ns(), on_time[i]->arrival_time_ns());
      if (i == 0) continue;
      EXPECT_GE(held[i]->arrival_time_ns(), held[i - 1]->arrival_time_ns());
      run = held[i]->arrival_time_ns() == held[i - 1]->arrival_time_ns() ? run + 1 : 0;
      if (run == 10) ++bursts;  // 0.3 s or more of a 100 Hz port at once
    }
  }
  EXPECT_GE(bursts, 2);

  CaptureExportOptions bad = plain;
  bad.stalls = {.per_s = 1.0, .min_s = 2.0, .max_s = 1.0};
  const capture::CaptureStatus status =
      WriteSessionCapture(spec, bad, TempPath("ambi_sim_capture_bad_stalls.cap"));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("min_s <= max_s"), std::string::npos) << status.message();
  std::filesystem::remove(plain_path);
  std::filesystem::remove(stalled_path);
}

TEST(CaptureExportTest, InvalidSpecIsAnErrorNotAThrow) {
  SessionSpec spec = *MakePreset("curl");
  spec.rate_hz = -1.0;
  const capture::CaptureStatus status =
      WriteSessionCapture(spec, {}, TempPath("ambi_sim_capture_bad.cap"));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("rate_hz = -1"), std::string::npos);
}

}  // namespace
}  // namespace ambi::sim
