#include "daemon/capture/csv_samples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/capture/capture_reader.h"
#include "daemon/testing/temp_dir.h"
#include "fusion/decode/decoder.h"

namespace ambi::capture {
namespace {

using ::testing::HasSubstr;

std::string TempCsv(const std::string& name, const std::string& text) {
  static const ::ambi::testing::TempDir dir("ambi-csv-test-");
  const std::string path = dir.File(name);
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

TEST(ReadCsvSamples, ReadsSixAndNineAxisFiles) {
  std::vector<fusion::ImuSample> samples;
  const std::string six = TempCsv("six.csv",
                                  "t_s,ax,ay,az,gx,gy,gz\r\n"
                                  "0.0000,-9.68596,0.696681,2.76651,-0.57918,0.22992,1.14526\r\n"
                                  "\r\n"
                                  "0.0100, 1e-3 ,2,3,4,5,-6.5\r\n");
  ASSERT_TRUE(ReadCsvSamples(six, &samples).ok());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(fusion::ToNanoseconds(samples[0].time), 0);
  EXPECT_EQ(samples[0].accel_m_s2, (fusion::Vec3{-9.68596, 0.696681, 2.76651}));
  EXPECT_EQ(samples[0].gyro_rad_s, (fusion::Vec3{-0.57918, 0.22992, 1.14526}));
  EXPECT_FALSE(samples[0].has_mag);
  EXPECT_EQ(fusion::ToNanoseconds(samples[1].time), 10'000'000);
  EXPECT_EQ(samples[1].accel_m_s2, (fusion::Vec3{1e-3, 2, 3}));
  EXPECT_EQ(samples[1].gyro_rad_s.z, -6.5);

  const std::string nine = TempCsv("nine.csv",
                                   "t_s,ax,ay,az,gx,gy,gz,mx,my,mz\n"
                                   "1.5,0,0,9.81,0,0,0,44.789,-5.9468,-28.907\n");
  ASSERT_TRUE(ReadCsvSamples(nine, &samples).ok());
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(samples[0].has_mag);
  EXPECT_EQ(samples[0].mag_uT, (fusion::Vec3{44.789, -5.9468, -28.907}));
  EXPECT_EQ(fusion::ToNanoseconds(samples[0].time), 1'500'000'000);
}

// t_s of 1e300 once reached an out-of-range float-to-int conversion (a UBSan abort), and 1e10
// wrapped to a negative time reported as "time goes backwards".
TEST(ReadCsvSamples, OutOfRangeTimeIsAClearError) {
  std::vector<fusion::ImuSample> samples;
  for (const std::string t_s : {"1e300", "1e10", "-1e10", "inf"}) {
    const std::string path = TempCsv("far.csv",
                                     "t_s,ax,ay,az,gx,gy,gz\n"
                                     "0.5,0,0,9.81,0,0,0\n" +
                                         t_s + ",0,0,9.81,0,0,0\n");
    const CaptureStatus status = ReadCsvSamples(path, &samples);
    ASSERT_FALSE(status.ok()) << t_s;
    EXPECT_THAT(status.message(), HasSubstr(path + ":3: column t_s")) << t_s;
    EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("backwards"))) << t_s;
    EXPECT_EQ(samples.size(), 1u);
  }
  const std::string path = TempCsv("far.csv", "t_s,ax,ay,az,gx,gy,gz\n1e10,0,0,9.81,0,0,0\n");
  EXPECT_THAT(ReadCsvSamples(path, &samples).message(), HasSubstr("out of range"));
}

TEST(ReadCsvSamples, ErrorsNameFileLineAndProblem) {
  struct Case {
    std::string text;
    std::string line;  // "path:N" suffix expected
    std::string what;
  };
  const std::string header = "t_s,ax,ay,az,gx,gy,gz\n";
  const std::vector<Case> cases = {
      {header + "0,1,2,3,4,5,6\n0.01,1,2,x3,4,5,6\n", ":3:", "column az: bad number 'x3'"},
      {header + "0,1,2,3,4,5\n", ":2:", "expected 7 columns, found 6"},
      {header + "0,1,2,3,4,5,6,7\n", ":2:", "expected 7 columns, found 8"},
      {header + "0.02,1,2,3,4,5,6\n0.01,1,2,3,4,5,6\n", ":3:", "time goes backwards"},
      {header + "0.02,1,2,3,4,5,6\n0.02,1,2,3,4,5,6\n", ":3:", "time repeats"},
      {header + "0,1,2,3,nan,5,6\n", ":2:", "column gx: bad number 'nan'"},
      {header + "0,1,2,3,,5,6\n", ":2:", "column gx: bad number ''"},
      {"0,1,2,3,4,5,6\n", ":1:", "header must be"},
      {"t_s,ax,ay,az,gx,gy,gz,mx\n", ":1:", "header must be"},
      {"", ":0:", "no header line"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = TempCsv("bad" + std::to_string(i++) + ".csv", c.text);
    std::vector<fusion::ImuSample> samples;
    const CaptureStatus status = ReadCsvSamples(path, &samples);
    EXPECT_FALSE(status.ok()) << c.text;
    EXPECT_THAT(status.message(), HasSubstr(path + c.line)) << c.text;
    EXPECT_THAT(status.message(), HasSubstr(c.what)) << c.text;
  }
  std::vector<fusion::ImuSample> samples;
  EXPECT_THAT(ReadCsvSamples("/nonexistent/x.csv", &samples).message(),
              HasSubstr("/nonexistent/x.csv: cannot open"));
}

TEST(EstimateRateHz, MedianIgnoresPausesBetweenReps) {
  std::vector<fusion::ImuSample> samples;
  double t = 0.0;
  for (int i = 0; i < 300; ++i) {
    samples.push_back({});
    samples.back().time = fusion::TimeFromSeconds(t);
    t += (i % 100 == 99) ? 1.7 : 0.01;  // 100 Hz with two long pauses
  }
  EXPECT_NEAR(EstimateRateHz(samples), 100.0, 1e-6);
  EXPECT_EQ(EstimateRateHz(std::span(samples).first(1)), 0.0);
  // Even count: mean of the two middle intervals (0.01 and 0.03 s -> 50 Hz).
  std::vector<fusion::ImuSample> two(3);
  two[1].time = fusion::TimeFromSeconds(0.01);
  two[2].time = fusion::TimeFromSeconds(0.04);
  EXPECT_NEAR(EstimateRateHz(two), 50.0, 1e-9);
}

// Decodes every data record of 'capture' per sensor id through the real decoder.
std::vector<std::vector<fusion::ImuSample>> DecodeCapture(const Capture& capture) {
  std::vector<std::vector<fusion::ImuSample>> out(capture.header.sensors_size() + 1);
  std::vector<fusion::Decoder> decoders(out.size(),
                                        fusion::Decoder({fusion::Protocol::kAmbiSample, 0.0}));
  for (const auto& record : capture.records) {
    const std::string& data = record.data();
    decoders[record.sensor_id()].Feed(
        std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
        fusion::TimeFromNanoseconds(record.arrival_time_ns()),
        [&](const fusion::ImuSample& s) { out[record.sensor_id()].push_back(s); });
  }
  return out;
}

TEST(BuildCaptureFromCsv, MergesInTimeOrderAndDecodesExactly) {
  const std::string left = TempCsv("left.csv",
                                   "t_s,ax,ay,az,gx,gy,gz\n"
                                   "0.00,1,2,3,4,5,6\n"
                                   "0.02,1.5,2,3,4,5,6\n"
                                   "0.04,2,2,3,4,5,6\n");
  const std::string right = TempCsv("right.csv",
                                    "t_s,ax,ay,az,gx,gy,gz,mx,my,mz\n"
                                    "0.01,-1,2,3,4,5,6,7,8,9\n"
                                    "0.02,-2,2,3,4,5,6,7,8,9\n");
  const std::vector<CsvSensor> sensors = {
      {{fusion::Side::kLeft, fusion::Limb::kAnkle}, left, 0.0, "csv"},
      {{fusion::Side::kRight, fusion::Limb::kAnkle}, right, 25.0, "csv"},
  };
  Capture capture;
  ASSERT_TRUE(BuildCaptureFromCsv(sensors, &capture).ok());
  ASSERT_EQ(capture.header.sensors_size(), 2);
  EXPECT_EQ(capture.header.format_version(), 1u);
  EXPECT_EQ(capture.header.sensors(0).sensor_id(), 1u);
  EXPECT_EQ(capture.header.sensors(0).side(), ambi::v1::SIDE_LEFT);
  EXPECT_EQ(capture.header.sensors(0).limb(), ambi::v1::LIMB_ANKLE);
  EXPECT_EQ(capture.header.sensors(0).protocol(), ambi::v1::PROTOCOL_AMBI_SAMPLE);
  EXPECT_NEAR(capture.header.sensors(0).nominal_rate_hz(), 50.0, 1e-9);  // estimated
  EXPECT_EQ(capture.header.sensors(1).nominal_rate_hz(), 25.0);          // given
  EXPECT_EQ(capture.header.sensors(1).side(), ambi::v1::SIDE_RIGHT);

  // Time order; the tie at 0.02 s keeps sensor order.
  const std::vector<std::pair<std::uint32_t, std::int64_t>> expected = {
      {1, 0}, {2, 10'000'000}, {1, 20'000'000}, {2, 20'000'000}, {1, 40'000'000}};
  ASSERT_EQ(capture.records.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(capture.records[i].sensor_id(), expected[i].first);
    EXPECT_EQ(capture.records[i].arrival_time_ns(), expected[i].second);
  }
  const auto decoded = DecodeCapture(capture);
  ASSERT_EQ(decoded[1].size(), 3u);
  ASSERT_EQ(decoded[2].size(), 2u);
  EXPECT_EQ(decoded[1][1].accel_m_s2.x, 1.5);
  EXPECT_EQ(fusion::ToNanoseconds(decoded[1][1].time), 20'000'000);
  EXPECT_TRUE(decoded[2][0].has_mag);
  EXPECT_EQ(decoded[2][0].mag_uT, (fusion::Vec3{7, 8, 9}));
  EXPECT_EQ(decoded[2][1].accel_m_s2.x, -2.0);

  std::vector<CsvSensor> broken = sensors;
  broken[1].csv_path = "/nonexistent.csv";
  EXPECT_THAT(BuildCaptureFromCsv(broken, &capture).message(), HasSubstr("/nonexistent.csv"));
}

// Streaming: files far longer than the reader's buffer, lines across buffer edges, a last line
// without a newline, all read exactly; the merge is in time order with ties in sensor order.
TEST(CsvCaptureStream, StreamsLongFilesAcrossBufferEdgesInTimeOrder) {
  constexpr int kRows = 5000;  // ~300 KB: several 64 KiB buffers
  std::string left = "t_s,ax,ay,az,gx,gy,gz\n";
  std::string right = "t_s,ax,ay,az,gx,gy,gz\r\n";
  for (int k = 0; k < kRows; ++k) {
    const std::string t = std::to_string(k * 0.01);
    left += t + ",0.125,-9.80665," + std::to_string(k) + ",0.001,0.002,-0.003\n";
    // The right sensor shares every other instant with the left one (a tie).
    right += std::to_string(k * 0.02) + ",1,2,3,4,5," + std::to_string(k) + "\r\n";
  }
  left.pop_back();  // the last line without its newline
  const std::vector<CsvSensor> sensors = {
      {{fusion::Side::kLeft, fusion::Limb::kWrist}, TempCsv("long_l.csv", left), 0.0, "csv"},
      {{fusion::Side::kRight, fusion::Limb::kWrist}, TempCsv("long_r.csv", right), 0.0, "csv"}};
  CsvCaptureStream stream;
  ambi::v1::CaptureHeader header;
  ASSERT_TRUE(stream.Open(sensors, &header).ok());
  EXPECT_NEAR(header.sensors(0).nominal_rate_hz(), 100.0, 1e-6);
  EXPECT_NEAR(header.sensors(1).nominal_rate_hz(), 50.0, 1e-6);
  ambi::v1::CaptureRecord record;
  std::int64_t last_ns = -1;
  std::uint32_t last_id = 0;
  std::array<int, 2> count = {0, 0};
  fusion::Decoder decoder({fusion::Protocol::kAmbiSample, 0.0});
  while (stream.Next(&record)) {
    ASSERT_TRUE(record.arrival_time_ns() > last_ns ||
                (record.arrival_time_ns() == last_ns && record.sensor_id() > last_id));
    last_ns = record.arrival_time_ns();
    last_id = record.sensor_id();
    const int i = static_cast<int>(record.sensor_id()) - 1;
    std::vector<fusion::ImuSample> decoded;
    decoder.Feed(std::span(reinterpret_cast<const std::uint8_t*>(record.data().data()),
                           record.data().size()),
                 fusion::TimeFromNanoseconds(record.arrival_time_ns()),
                 [&](const fusion::ImuSample& s) { decoded.push_back(s); });
    ASSERT_EQ(decoded.size(), 1u);
    EXPECT_EQ(i == 0 ? decoded[0].accel_m_s2.z : decoded[0].gyro_rad_s.z, count[i]);
    ++count[i];
  }
  EXPECT_TRUE(stream.status().ok()) << stream.status().message();
  EXPECT_EQ(count[0], kRows);
  EXPECT_EQ(count[1], kRows);
}

// A bad line stops the stream there, naming file and line; the records before it came out.
TEST(CsvCaptureStream, ABadLineStopsTheStreamWithItsPlace) {
  const std::string path = TempCsv("bad_late.csv",
                                   "t_s,ax,ay,az,gx,gy,gz\n"
                                   "0.00,0,0,9.8,0,0,0\n"
                                   "0.01,0,0,9.8,0,0,0\n"
                                   "0.02,0,0,nine,0,0,0\n"
                                   "0.03,0,0,9.8,0,0,0\n");
  const std::vector<CsvSensor> sensors = {
      {{fusion::Side::kLeft, fusion::Limb::kAnkle}, path, 25.0, "csv"}};
  CsvCaptureStream stream;
  ambi::v1::CaptureHeader header;
  ASSERT_TRUE(stream.Open(sensors, &header).ok());
  EXPECT_EQ(header.sensors(0).nominal_rate_hz(), 25.0);
  ambi::v1::CaptureRecord record;
  int records = 0;
  while (stream.Next(&record)) ++records;
  EXPECT_EQ(records, 2);
  EXPECT_THAT(stream.status().message(), HasSubstr(path + ":4: column az: bad number 'nine'"));
}

TEST(CsvSampleReader, ALineLongerThanTheBufferIsAnError) {
  const std::string path =
      TempCsv("long_line.csv", "t_s,ax,ay,az,gx,gy,gz\n0" + std::string(70000, ' ') + "\n");
  std::vector<fusion::ImuSample> samples;
  EXPECT_THAT(ReadCsvSamples(path, &samples).message(), HasSubstr(":2: line longer than"));
}

TEST(BuildCaptureFromCsv, RealRecordingSurvivesFileRoundTrip) {
  const std::string dir = std::string(AMBI_SHARED_DATA_DIR) + "/real/cmu_sub22_Lunge/";
  // CI always has the shared data: a missing folder fails, it does not skip.
  ASSERT_TRUE(std::filesystem::exists(dir)) << "shared data not present: " << dir;
  const std::vector<CsvSensor> sensors = {
      {{fusion::Side::kLeft, fusion::Limb::kWrist}, dir + "LeftWrist.csv", 0.0, "csv"},
      {{fusion::Side::kRight, fusion::Limb::kWrist}, dir + "RightWrist.csv", 0.0, "csv"},
  };
  std::vector<fusion::ImuSample> left;
  ASSERT_TRUE(ReadCsvSamples(sensors[0].csv_path, &left).ok());
  Capture capture;
  ASSERT_TRUE(BuildCaptureFromCsv(sensors, &capture).ok());
  // README: the CMU recordings are 100 Hz (pauses between reps do not move the median).
  EXPECT_NEAR(capture.header.sensors(0).nominal_rate_hz(), 100.0, 0.5);

  const std::string path = TempCsv("lunge.cap", "");
  ASSERT_TRUE(WriteCapture(path, capture, /*replace_existing=*/true).ok());
  CaptureReader reader;
  Capture read;
  ASSERT_TRUE(reader.Open(path, &read.header).ok());
  ambi::v1::CaptureRecord record;
  while (reader.Next(&record)) read.records.push_back(record);
  EXPECT_EQ(reader.end(), CaptureEnd::kClean);
  ASSERT_EQ(read.records.size(), capture.records.size());
  const auto decoded = DecodeCapture(read);
  ASSERT_EQ(decoded[1].size(), left.size());
  for (std::size_t i = 0; i < left.size(); ++i) {
    ASSERT_EQ(decoded[1][i].time, left[i].time);
    ASSERT_EQ(decoded[1][i].accel_m_s2, left[i].accel_m_s2);
    ASSERT_EQ(decoded[1][i].gyro_rad_s, left[i].gyro_rad_s);
    ASSERT_EQ(decoded[1][i].mag_uT, left[i].mag_uT);
  }
}

}  // namespace
}  // namespace ambi::capture
