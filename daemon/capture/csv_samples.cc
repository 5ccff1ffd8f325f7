#include "daemon/capture/csv_samples.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "daemon/capture/capture_writer.h"
#include "fusion/decode/encoder.h"

namespace ambi::capture {
namespace {

// Read buffer of a CsvSampleReader: far longer than any sample line (~70-130 bytes).
constexpr std::size_t kBufferBytes = 64 * 1024;

constexpr std::array<std::string_view, 10> kColumns = {"t_s", "ax", "ay", "az", "gx",
                                                       "gy",  "gz", "mx", "my", "mz"};

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Splits at commas into at most 'fields.size()' fields; returns the number of fields found
// (which may exceed the capacity, meaning too many columns).
std::size_t Split(std::string_view line, std::array<std::string_view, 11>* fields) {
  std::size_t count = 0;
  while (true) {
    const auto comma = line.find(',');
    const std::string_view field = line.substr(0, comma);
    if (count < fields->size()) (*fields)[count] = Trim(field);
    ++count;
    if (comma == std::string_view::npos) return count;
    line.remove_prefix(comma + 1);
  }
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The common case in one pass: exactly 'columns' finite numbers separated by commas, blanks
// allowed around them. False for anything else; the caller then finds the error with Split.
bool ParseFast(std::string_view line, std::size_t columns, std::array<double, 10>* values) {
  const char* p = line.data();
  const char* const end = p + line.size();
  for (std::size_t i = 0; i < columns; ++i) {
    while (p < end && IsBlank(*p)) ++p;
    const auto [next, ec] = std::from_chars(p, end, (*values)[i]);
    if (ec != std::errc() || next == p || !std::isfinite((*values)[i])) return false;
    p = next;
    while (p < end && IsBlank(*p)) ++p;
    if (i + 1 < columns) {
      if (p == end || *p != ',') return false;
      ++p;
    }
  }
  return p == end;
}

}  // namespace

CsvSampleReader::CsvSampleReader() = default;
CsvSampleReader::~CsvSampleReader() = default;
CsvSampleReader::CsvSampleReader(CsvSampleReader&&) noexcept = default;
CsvSampleReader& CsvSampleReader::operator=(CsvSampleReader&&) noexcept = default;

CaptureStatus CsvSampleReader::LineError(const std::string& what) const {
  return CaptureStatus::Error(path_ + ":" + std::to_string(line_number_) + ": " + what);
}

CaptureStatus CsvSampleReader::Open(const std::string& path) {
  path_ = path;
  file_.reset(std::fopen(path.c_str(), "rb"));
  if (!file_) return status_ = CaptureStatus::Error(path + ": cannot open");
  buffer_.resize(kBufferBytes);
  begin_ = end_ = 0;
  eof_ = false;
  line_number_ = 0;
  columns_ = 0;
  last_time_.reset();
  status_ = CaptureStatus::Ok();
  std::string_view line;
  if (!NextLine(&line)) {
    if (status_.ok()) status_ = LineError("no header line");
    return status_;
  }
  // The header line fixes the layout.
  std::array<std::string_view, 11> fields;
  const std::size_t count = Split(line, &fields);
  const bool names_ok = (count == 7 || count == 10) &&
                        std::equal(fields.begin(), fields.begin() + count, kColumns.begin());
  if (!names_ok) {
    return status_ = LineError(
               "header must be 't_s,ax,ay,az,gx,gy,gz' with optional "
               "',mx,my,mz', found '" +
               std::string(Trim(line)) + "'");
  }
  columns_ = count;
  return status_;
}

bool CsvSampleReader::NextLine(std::string_view* line) {
  while (status_.ok()) {
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline == nullptr && !eof_) {
      // Keep the partial line, refill behind it.
      if (begin_ > 0) {
        std::memmove(buffer_.data(), start, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (end_ == buffer_.size()) {
        ++line_number_;
        status_ = LineError("line longer than " + std::to_string(buffer_.size()) + " bytes");
        return false;
      }
      const std::size_t got =
          std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_.get());
      end_ += got;
      if (got == 0) {
        if (std::ferror(file_.get())) {
          status_ = LineError("read error");
          return false;
        }
        eof_ = true;
      }
      continue;
    }
    if (newline == nullptr && begin_ == end_) return false;  // end of file
    const std::size_t length =
        newline != nullptr ? static_cast<std::size_t>(newline - start) : end_ - begin_;
    begin_ += newline != nullptr ? length + 1 : length;
    ++line_number_;
    const std::string_view text(start, length);
    if (Trim(text).empty()) continue;
    *line = text;
    return true;
  }
  return false;
}

bool CsvSampleReader::Next(fusion::ImuSample* sample) {
  if (columns_ == 0) return false;
  std::string_view line;
  if (!NextLine(&line)) return false;
  std::array<double, 10> v{};
  if (!ParseFast(line, columns_, &v)) {
    // Not the common case: split the line to say which column is wrong (or accept it).
    std::array<std::string_view, 11> fields;
    const std::size_t count = Split(line, &fields);
    if (count != columns_) {
      status_ = LineError("expected " + std::to_string(columns_) + " columns, found " +
                          std::to_string(count));
      return false;
    }
    for (std::size_t i = 0; i < columns_; ++i) {
      const std::string_view field = fields[i];
      const char* end = field.data() + field.size();
      const auto [ptr, ec] = std::from_chars(field.data(), end, v[i]);
      if (ec != std::errc() || ptr != end || field.empty() || !std::isfinite(v[i])) {
        status_ = LineError("column " + std::string(kColumns[i]) + ": bad number '" +
                            std::string(field) + "'");
        return false;
      }
    }
  }
  // A session time is int64 ns (+/- 292 years); larger t_s would overflow it.
  if (!fusion::SecondsInRange(v[0])) {
    const std::string_view t_text = Trim(line.substr(0, line.find(',')));
    status_ =
        LineError("column t_s: time '" + std::string(t_text) + "' s is out of range (at most " +
                  std::to_string(fusion::kMaxDurationSeconds) + " s either way)");
    return false;
  }
  sample->time = fusion::TimeFromSeconds(v[0]);
  sample->accel_m_s2 = {v[1], v[2], v[3]};
  sample->gyro_rad_s = {v[4], v[5], v[6]};
  sample->has_mag = columns_ == 10;
  sample->mag_uT = sample->has_mag ? fusion::Vec3{v[7], v[8], v[9]} : fusion::Vec3{};
  if (last_time_ && sample->time <= *last_time_) {
    const std::string_view t_text = Trim(line.substr(0, line.find(',')));
    status_ =
        LineError(std::string(sample->time < *last_time_ ? "time goes backwards" : "time repeats") +
                  " (t_s " + std::string(t_text) + " after " +
                  std::to_string(fusion::ToSeconds(*last_time_)) + ")");
    return false;
  }
  last_time_ = sample->time;
  return true;
}

CaptureStatus ReadCsvSamples(const std::string& path, std::vector<fusion::ImuSample>* samples) {
  samples->clear();
  CsvSampleReader reader;
  if (CaptureStatus status = reader.Open(path); !status.ok()) return status;
  fusion::ImuSample sample;
  while (reader.Next(&sample)) samples->push_back(sample);
  return reader.status();
}

double EstimateRateHz(std::span<const fusion::ImuSample> samples) {
  if (samples.size() < 2) return 0.0;
  std::vector<std::int64_t> dt_ns;
  dt_ns.reserve(samples.size() - 1);
  for (std::size_t i = 1; i < samples.size(); ++i) {
    dt_ns.push_back((samples[i].time - samples[i - 1].time).count());
  }
  const auto middle = dt_ns.begin() + static_cast<std::ptrdiff_t>(dt_ns.size() / 2);
  std::nth_element(dt_ns.begin(), middle, dt_ns.end());
  double median_ns = static_cast<double>(*middle);
  if (dt_ns.size() % 2 == 0) {
    // Even count: average the two middle values.
    const auto lower = std::max_element(dt_ns.begin(), middle);
    median_ns = 0.5 * (median_ns + static_cast<double>(*lower));
  }
  return median_ns > 0.0 ? 1e9 / median_ns : 0.0;
}

ambi::v1::Side ToProto(fusion::Side side) {
  return side == fusion::Side::kLeft ? ambi::v1::SIDE_LEFT : ambi::v1::SIDE_RIGHT;
}

ambi::v1::Limb ToProto(fusion::Limb limb) {
  return limb == fusion::Limb::kWrist ? ambi::v1::LIMB_WRIST : ambi::v1::LIMB_ANKLE;
}

CaptureStatus CsvCaptureStream::Open(std::span<const CsvSensor> sensors,
                                     ambi::v1::CaptureHeader* header) {
  header->Clear();
  header->set_format_version(1);
  header->set_created_by("ambi csv import");
  readers_.clear();
  heads_.clear();
  status_ = CaptureStatus::Ok();
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    const CsvSensor& sensor = sensors[i];
    double rate_hz = sensor.nominal_rate_hz;
    if (rate_hz <= 0.0) {
      // A first pass over the file's beginning only.
      CsvSampleReader probe;
      if (CaptureStatus status = probe.Open(sensor.csv_path); !status.ok()) return status_ = status;
      std::vector<fusion::ImuSample> first;
      first.reserve(kRateEstimateSamples);
      fusion::ImuSample sample;
      while (first.size() < kRateEstimateSamples && probe.Next(&sample)) first.push_back(sample);
      if (!probe.status().ok()) return status_ = probe.status();
      rate_hz = EstimateRateHz(first);
    }
    ambi::v1::SensorInfo* info = header->add_sensors();
    info->set_sensor_id(static_cast<std::uint32_t>(i + 1));
    info->set_side(ToProto(sensor.placement.side));
    info->set_limb(ToProto(sensor.placement.limb));
    info->set_device_model(sensor.device_model);
    info->set_protocol(ambi::v1::PROTOCOL_AMBI_SAMPLE);
    info->set_nominal_rate_hz(rate_hz);
    info->set_address(sensor.csv_path);

    CsvSampleReader& reader = readers_.emplace_back();
    if (CaptureStatus status = reader.Open(sensor.csv_path); !status.ok()) return status_ = status;
    fusion::ImuSample first;
    heads_.push_back(reader.Next(&first) ? std::optional(first) : std::nullopt);
    if (!reader.status().ok()) return status_ = reader.status();
  }
  return status_;
}

bool CsvCaptureStream::Next(ambi::v1::CaptureRecord* record) {
  if (!status_.ok()) return false;
  // The earliest head; ties go to the first sensor.
  std::size_t best = heads_.size();
  for (std::size_t i = 0; i < heads_.size(); ++i) {
    if (heads_[i] && (best == heads_.size() || heads_[i]->time < heads_[best]->time)) best = i;
  }
  if (best == heads_.size()) return false;
  frame_.clear();
  fusion::AppendAmbiSampleFrame(*heads_[best], &frame_);
  // Reuses the record's data string (no Clear(): it would free the oneof's bytes every sample).
  record->set_sensor_id(static_cast<std::uint32_t>(best + 1));
  record->set_arrival_time_ns(fusion::ToNanoseconds(heads_[best]->time));
  record->mutable_data()->assign(reinterpret_cast<const char*>(frame_.data()), frame_.size());
  fusion::ImuSample next;
  if (readers_[best].Next(&next)) {
    heads_[best] = next;
  } else {
    heads_[best].reset();
    if (!readers_[best].status().ok()) status_ = readers_[best].status();
  }
  return true;
}

CaptureStatus BuildCaptureFromCsv(std::span<const CsvSensor> sensors, Capture* capture) {
  *capture = Capture();
  CsvCaptureStream stream;
  if (CaptureStatus status = stream.Open(sensors, &capture->header); !status.ok()) return status;
  ambi::v1::CaptureRecord record;
  while (stream.Next(&record)) capture->records.push_back(record);
  return stream.status();
}

CaptureStatus WriteCapture(const std::string& path, const Capture& capture, bool replace_existing) {
  CaptureWriterOptions options;
  options.replace_existing = replace_existing;
  CaptureWriter writer(options);
  CaptureStatus status = writer.Open(path, capture.header);
  for (const ambi::v1::CaptureRecord& record : capture.records) {
    if (!status.ok()) return status;
    status = writer.Append(record);
  }
  if (!status.ok()) return status;
  return writer.Close();
}

}  // namespace ambi::capture
