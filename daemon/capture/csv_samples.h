#ifndef AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_
#define AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_status.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/placement.h"

namespace ambi::capture {

// Streams the samples of one CSV file with constant memory (a 64 KiB buffer), in the format
// ReadCsvSamples describes. Not copyable; movable.
class CsvSampleReader {
 public:
  CsvSampleReader();
  ~CsvSampleReader();
  CsvSampleReader(CsvSampleReader&&) noexcept;
  CsvSampleReader& operator=(CsvSampleReader&&) noexcept;

  // Opens 'path' and reads its header line.
  CaptureStatus Open(const std::string& path);
  // The next sample; false at the end of the file or on an error (then status() says which).
  bool Next(fusion::ImuSample* sample);
  // Ok, or the first error ('path:line: what').
  const CaptureStatus& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  // The next non-empty line (without its newline); false at the end or on an error.
  bool NextLine(std::string_view* line);
  CaptureStatus LineError(const std::string& what) const;

  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string path_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  std::size_t end_ = 0;
  bool eof_ = false;
  int line_number_ = 0;
  std::size_t columns_ = 0;
  std::optional<fusion::Time> last_time_;
  CaptureStatus status_;
};

// Reads a CSV of samples: a header line 't_s,ax,ay,az,gx,gy,gz' or
// 't_s,ax,ay,az,gx,gy,gz,mx,my,mz', then one sample per line in s, m/s^2, rad/s and uT. Empty
// lines are skipped. Errors name 'path:line' and what is wrong (bad number, wrong column
// count, time not increasing). On error 'samples' holds the lines read before it.
CaptureStatus ReadCsvSamples(const std::string& path, std::vector<fusion::ImuSample>* samples);

// 1 / median sample interval, or 0 with fewer than two samples. The median ignores the pauses
// some recordings have between reps.
double EstimateRateHz(std::span<const fusion::ImuSample> samples);

// One CSV recording of one sensor, as it goes into a capture.
struct CsvSensor {
  fusion::Placement placement;
  std::string csv_path;
  double nominal_rate_hz = 0.0;  // 0: estimated with EstimateRateHz
  std::string device_model = "csv";
};

// A whole capture held in memory.
struct Capture {
  ambi::v1::CaptureHeader header;
  std::vector<ambi::v1::CaptureRecord> records;
};

// How many samples from the start of a CSV file EstimateRateHz looks at when the rate is not
// given: enough for a stable median (tens of seconds at 25-200 Hz) without reading a whole file
// twice.
inline constexpr std::size_t kRateEstimateSamples = 4096;

// Streams CSV recordings as capture records with flat memory: one reader per file, merged in
// time order (ties keep the order of 'sensors'), each sample one kAmbiSample frame in its own
// data record with arrival time = sample time. Sensor i gets sensor_id i + 1. A bad line stops
// the stream there: Next() returns false and status() names file, line and problem.
class CsvCaptureStream {
 public:
  // Opens the files, fills 'header' (rates estimated from the first kRateEstimateSamples samples
  // when not given) and reads each file's first sample.
  CaptureStatus Open(std::span<const CsvSensor> sensors, ambi::v1::CaptureHeader* header);
  // The next record in time order; false at the end or on an error (status()).
  bool Next(ambi::v1::CaptureRecord* record);
  const CaptureStatus& status() const { return status_; }

 private:
  std::vector<CsvSampleReader> readers_;
  std::vector<std::optional<fusion::ImuSample>> heads_;  // each reader's next sample
  std::vector<std::uint8_t> frame_;
  CaptureStatus status_;
};

// Builds a capture in memory from CSV recordings (CsvCaptureStream collected) so that they
// travel the same byte path as devices. Sensor i gets sensor_id i + 1 (0 is left to mean
// "unset"). The caller fills athlete, exercise, mode and
// ground truth of 'capture->header' afterwards if it knows them.
CaptureStatus BuildCaptureFromCsv(std::span<const CsvSensor> sensors, Capture* capture);

// Writes 'capture' to 'path' with CaptureWriter (fsynced on success).
CaptureStatus WriteCapture(const std::string& path, const Capture& capture,
                           bool replace_existing = false);

// Proto enum conversions for the header.
ambi::v1::Side ToProto(fusion::Side side);
ambi::v1::Limb ToProto(fusion::Limb limb);

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_
