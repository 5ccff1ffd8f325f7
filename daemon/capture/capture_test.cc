#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "daemon/capture/capture_reader.h"
#include "daemon/capture/capture_writer.h"
#include "daemon/testing/temp_dir.h"

namespace ambi::capture {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  static const ::ambi::testing::TempDir dir("ambi-capture-test-");
  const std::string path = dir.File(name);
  std::filesystem::remove(path);
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

ambi::v1::CaptureHeader MakeHeader() {
  ambi::v1::CaptureHeader header;
  header.set_format_version(1);
  header.set_created_by("capture_test");
  header.set_athlete("A.Thlete");
  header.set_exercise("biceps_curl");
  header.set_mode(ambi::v1::SET_MODE_BILATERAL);
  for (int i = 0; i < 2; ++i) {
    auto* sensor = header.add_sensors();
    sensor->set_sensor_id(static_cast<std::uint32_t>(i + 1));
    sensor->set_side(i == 0 ? ambi::v1::SIDE_LEFT : ambi::v1::SIDE_RIGHT);
    sensor->set_limb(ambi::v1::LIMB_WRIST);
    sensor->set_protocol(ambi::v1::PROTOCOL_WITMOTION_SERIAL);
    sensor->set_nominal_rate_hz(100.0);
  }
  return header;
}

std::vector<ambi::v1::CaptureRecord> MakeRecords(int count) {
  std::vector<ambi::v1::CaptureRecord> records;
  for (int i = 0; i < count; ++i) {
    ambi::v1::CaptureRecord& r = records.emplace_back();
    r.set_sensor_id(static_cast<std::uint32_t>(1 + i % 2));
    r.set_arrival_time_ns(1'000'000LL * i);
    if (i % 7 == 3) {
      r.mutable_link()->set_connected(i % 2 == 0);
    } else if (i % 11 == 5) {
      r.mutable_set_control()->set_action(ambi::v1::SetControl::ACTION_START);
      r.mutable_set_control()->set_exercise("squat");
    } else {
      // Sizes cross the one-byte varint limit (127) now and then.
      std::string data(static_cast<std::size_t>(5 + (i * 37) % 150), '\0');
      for (std::size_t k = 0; k < data.size(); ++k) data[k] = static_cast<char>(i + k);
      r.set_data(data);
    }
  }
  return records;
}

// Length of a varint-prefixed message, computed from the protobuf wire format rules.
std::size_t DelimitedSize(const google::protobuf::MessageLite& message) {
  std::size_t size = message.ByteSizeLong();
  std::size_t varint = 1;
  for (std::size_t v = size; v >= 0x80; v >>= 7) ++varint;
  return varint + size;
}

TEST(CaptureWriterReader, WritesAndReadsBack) {
  const std::string path = TempPath("roundtrip.cap");
  const auto header = MakeHeader();
  const auto records = MakeRecords(60);
  CaptureWriterOptions options;
  options.buffer_bytes = 100;  // several flushes on the way
  {
    CaptureWriter writer(options);
    ASSERT_TRUE(writer.Open(path, header).ok());
    for (const auto& r : records) ASSERT_TRUE(writer.Append(r).ok());
    ASSERT_TRUE(writer.Sync().ok());
    // AppendData makes the same bytes as Append of an equal data record.
    ASSERT_TRUE(writer.AppendData(2, 42, std::vector<std::uint8_t>{1, 2, 3}).ok());
    ASSERT_TRUE(writer.Close().ok());
    EXPECT_EQ(writer.records_written(), records.size() + 1);
  }
  std::size_t expected_size = DelimitedSize(header);
  for (const auto& r : records) expected_size += DelimitedSize(r);
  ambi::v1::CaptureRecord extra;
  extra.set_sensor_id(2);
  extra.set_arrival_time_ns(42);
  extra.set_data(std::string("\x01\x02\x03", 3));
  expected_size += DelimitedSize(extra);
  EXPECT_EQ(std::filesystem::file_size(path), expected_size);

  CaptureReader reader;
  ambi::v1::CaptureHeader read_header;
  ASSERT_TRUE(reader.Open(path, &read_header).ok());
  EXPECT_EQ(read_header.SerializeAsString(), header.SerializeAsString());
  ambi::v1::CaptureRecord record;
  for (const auto& r : records) {
    ASSERT_TRUE(reader.Next(&record));
    EXPECT_EQ(record.SerializeAsString(), r.SerializeAsString());
  }
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.SerializeAsString(), extra.SerializeAsString());
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_EQ(reader.end(), CaptureEnd::kClean);
  EXPECT_EQ(reader.end_offset(), expected_size);
  EXPECT_EQ(reader.records_read(), records.size() + 1);
  EXPECT_FALSE(reader.Next(&record));  // stays at the end
}

TEST(CaptureReader, TruncatedAtEveryByteReturnsExactlyTheWholeRecords) {
  const std::string path = TempPath("full.cap");
  const auto header = MakeHeader();
  const auto records = MakeRecords(25);
  {
    CaptureWriter writer;
    ASSERT_TRUE(writer.Open(path, header).ok());
    for (const auto& r : records) ASSERT_TRUE(writer.Append(r).ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  const std::string bytes = ReadAll(path);
  std::vector<std::size_t> boundaries = {DelimitedSize(header)};  // end of header, of record i
  for (const auto& r : records) boundaries.push_back(boundaries.back() + DelimitedSize(r));
  ASSERT_EQ(boundaries.back(), bytes.size());

  const std::string cut_path = TempPath("cut.cap");
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    WriteAll(cut_path, bytes.substr(0, cut));
    CaptureReader reader;
    ambi::v1::CaptureHeader read_header;
    const CaptureStatus status = reader.Open(cut_path, &read_header);
    if (cut < boundaries[0]) {
      ASSERT_FALSE(status.ok());
      EXPECT_THAT(status.message(), HasSubstr(cut_path));
      continue;
    }
    ASSERT_TRUE(status.ok()) << status.message();
    std::size_t whole = 0;
    while (whole + 1 < boundaries.size() && boundaries[whole + 1] <= cut) ++whole;
    ambi::v1::CaptureRecord record;
    std::size_t n = 0;
    while (reader.Next(&record)) {
      ASSERT_LT(n, records.size());
      EXPECT_EQ(record.SerializeAsString(), records[n].SerializeAsString());
      ++n;
    }
    EXPECT_EQ(n, whole);
    EXPECT_EQ(reader.end_offset(), boundaries[whole]);
    EXPECT_EQ(reader.end(), cut == boundaries[whole] ? CaptureEnd::kClean : CaptureEnd::kTruncated);
    EXPECT_THAT(reader.end_detail(), HasSubstr(cut_path));
  }
}

TEST(CaptureReader, CorruptRecordStopsWithOffset) {
  const std::string path = TempPath("corrupt.cap");
  const auto header = MakeHeader();
  const auto records = MakeRecords(3);
  {
    CaptureWriter writer;
    ASSERT_TRUE(writer.Open(path, header).ok());
    for (const auto& r : records) ASSERT_TRUE(writer.Append(r).ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  // A record of 4 bytes that are no valid protobuf (field number 0), then a good record.
  std::string bytes = ReadAll(path);
  const std::size_t bad_at = bytes.size();
  bytes += std::string("\x04\x00\x00\x00\x00", 5);
  bytes +=
      std::string(1, static_cast<char>(records[0].ByteSizeLong())) + records[0].SerializeAsString();
  WriteAll(path, bytes);
  CaptureReader reader;
  ambi::v1::CaptureHeader h;
  ASSERT_TRUE(reader.Open(path, &h).ok());
  ambi::v1::CaptureRecord record;
  int n = 0;
  while (reader.Next(&record)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ(reader.end(), CaptureEnd::kCorrupt);
  EXPECT_EQ(reader.end_offset(), bad_at);
  EXPECT_THAT(reader.end_detail(), HasSubstr("record 4"));
}

TEST(CaptureReader, RejectsFilesThatAreNoCapture) {
  ambi::v1::CaptureHeader header;
  CaptureReader reader;

  const std::string missing = TempPath("missing.cap");
  CaptureStatus status = reader.Open(missing, &header);
  EXPECT_THAT(status.message(), HasSubstr(missing));
  EXPECT_THAT(status.message(), HasSubstr("No such file"));

  const std::string empty = TempPath("empty.cap");
  WriteAll(empty, "");
  status = reader.Open(empty, &header);
  EXPECT_THAT(status.message(), HasSubstr(empty));
  EXPECT_THAT(status.message(), HasSubstr("empty"));

  const std::string text = TempPath("text.cap");
  WriteAll(text, "t_s,ax,ay,az,gx,gy,gz\n0.0,1,2,3,4,5,6\n");
  status = reader.Open(text, &header);
  EXPECT_THAT(status.message(), HasSubstr(text));
  EXPECT_THAT(status.message(), HasSubstr("not a capture"));

  // A valid protobuf message that is not a capture header of version 1.
  const std::string wrong = TempPath("wrong.cap");
  ambi::v1::CaptureHeader v2;
  v2.set_format_version(2);
  WriteAll(wrong, std::string(1, static_cast<char>(v2.ByteSizeLong())) + v2.SerializeAsString());
  status = reader.Open(wrong, &header);
  EXPECT_THAT(status.message(), HasSubstr("format_version 2"));

  // Random garbage: never crashes; whatever opens reads to an end.
  std::mt19937 rng(7);
  const std::string garbage = TempPath("garbage.cap");
  int opened = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes(static_cast<std::size_t>(rng() % 3000), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    WriteAll(garbage, bytes);
    if (!reader.Open(garbage, &header).ok()) continue;
    ++opened;
    ambi::v1::CaptureRecord record;
    while (reader.Next(&record)) {
    }
    EXPECT_NE(reader.end(), CaptureEnd::kNotYet);
  }
  EXPECT_LT(opened, 10);
}

TEST(CaptureWriter, ErrorsNameThePathAndTheOsError) {
  const std::string path = TempPath("exists.cap");
  WriteAll(path, "precious");
  CaptureWriter writer;
  CaptureStatus status = writer.Open(path, MakeHeader());
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(), HasSubstr("File exists"));
  EXPECT_EQ(ReadAll(path), "precious");

  const std::string no_dir = TempPath("no_such_dir") + "/x.cap";
  status = writer.Open(no_dir, MakeHeader());
  EXPECT_THAT(status.message(), HasSubstr(no_dir));
  EXPECT_THAT(status.message(), HasSubstr("No such file or directory"));

  EXPECT_FALSE(writer.Append(ambi::v1::CaptureRecord()).ok());  // not open

  CaptureWriterOptions replace;
  replace.replace_existing = true;
  CaptureWriter replacing(replace);
  ASSERT_TRUE(replacing.Open(path, MakeHeader()).ok());
  ASSERT_TRUE(replacing.Close().ok());
  EXPECT_EQ(std::filesystem::file_size(path), DelimitedSize(MakeHeader()));
}

// ambid --replay of a header naming athlete ../../../../tmp/x wrote outside the data folder; a
// 5000-character name aborted it; a newline injected a log line. The reader refuses them all.
TEST(CaptureReader, RefusesHostileAthleteNamesInTheHeader) {
  for (const std::string& athlete :
       {std::string("../../../../tmp/x"), std::string(5000, 'a'), std::string("ana\nfake line")}) {
    const std::string path = TempPath("hostile.cap");
    ambi::v1::CaptureHeader header = MakeHeader();
    header.set_athlete(athlete);
    {
      CaptureWriter writer;
      ASSERT_TRUE(writer.Open(path, header).ok());
      ASSERT_TRUE(writer.Close().ok());
    }
    CaptureReader reader;
    ambi::v1::CaptureHeader read;
    const CaptureStatus status = reader.Open(path, &read);
    ASSERT_FALSE(status.ok()) << athlete.substr(0, 20);
    EXPECT_THAT(status.message(), HasSubstr("capture " + path + ": the header's athlete name"));
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
    ambi::v1::CaptureRecord record;
    EXPECT_FALSE(reader.Next(&record));
  }
}

// The path was set before open(), so logs and SessionInfo named files that were never created.
TEST(CaptureWriter, FailedOpenNamesNoFileAndLeavesTheWriterReusable) {
  CaptureWriter writer;
  const std::string no_dir = TempPath("missing_dir") + "/x.cap";
  EXPECT_FALSE(writer.Open(no_dir, MakeHeader()).ok());
  EXPECT_FALSE(writer.is_open());
  EXPECT_EQ(writer.path(), "");
  const std::string good = TempPath("after_failure.cap");
  ASSERT_TRUE(writer.Open(good, MakeHeader()).ok());
  EXPECT_EQ(writer.path(), good);
  ASSERT_TRUE(writer.Close().ok());
  // Health data: no permission for others, whatever the umask.
  const auto perms = std::filesystem::status(good).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
  EXPECT_EQ(perms & std::filesystem::perms::group_write, std::filesystem::perms::none);
}

// A full disk (ENOSPC, from /dev/full) fails the write and the close; the same writer then
// records again to a new file: recording recovers on the next session or SIGHUP.
TEST(CaptureWriter, RecoversAfterDiskFull) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  CaptureWriterOptions options;
  options.replace_existing = true;  // /dev/full exists
  CaptureWriter writer(options);
  ASSERT_TRUE(writer.Open("/dev/full", MakeHeader()).ok());
  const auto records = MakeRecords(3);
  for (const auto& r : records) ASSERT_TRUE(writer.Append(r).ok());  // buffered
  const CaptureStatus full = writer.Flush();
  ASSERT_FALSE(full.ok());
  EXPECT_THAT(full.message(), HasSubstr("No space left on device"));
  EXPECT_FALSE(writer.Close().ok());
  EXPECT_FALSE(writer.is_open());

  const std::string path = TempPath("recovered.cap");
  ASSERT_TRUE(writer.Open(path, MakeHeader()).ok());
  for (const auto& r : records) ASSERT_TRUE(writer.Append(r).ok());
  ASSERT_TRUE(writer.Close().ok());
  CaptureReader reader;
  ambi::v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(path, &header).ok());
  ambi::v1::CaptureRecord record;
  int read = 0;
  while (reader.Next(&record)) ++read;
  EXPECT_EQ(read, 3);
  EXPECT_EQ(reader.end(), CaptureEnd::kClean);
}

}  // namespace
}  // namespace ambi::capture
