#include "daemon/capture/csv_samples.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string_view>

#include "daemon/capture/capture_writer.h"
#include "fusion/decode/encoder.h"

namespace ambi::capture {
namespace {

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

}  // namespace

CaptureStatus ReadCsvSamples(const std::string& path, std::vector<fusion::ImuSample>* samples) {
  samples->clear();
  std::ifstream in(path);
  if (!in) return CaptureStatus::Error(path + ": cannot open");
  auto error = [&](int line_number, const std::string& what) {
    return CaptureStatus::Error(path + ":" + std::to_string(line_number) + ": " + what);
  };

  std::string line;
  int line_number = 0;
  std::size_t columns = 0;
  std::array<std::string_view, 11> fields;
  while (std::getline(in, line)) {
    ++line_number;
    if (Trim(line).empty()) continue;
    const std::size_t count = Split(line, &fields);
    if (columns == 0) {
      // The header line fixes the layout.
      const bool names_ok = (count == 7 || count == 10) &&
                            std::equal(fields.begin(), fields.begin() + count, kColumns.begin());
      if (!names_ok) {
        return error(line_number, "header must be 't_s,ax,ay,az,gx,gy,gz' with optional "
                                  "',mx,my,mz', found '" + std::string(Trim(line)) + "'");
      }
      columns = count;
      continue;
    }
    if (count != columns) {
      return error(line_number, "expected " + std::to_string(columns) + " columns, found " +
                                    std::to_string(count));
    }
    std::array<double, 10> v{};
    for (std::size_t i = 0; i < columns; ++i) {
      const std::string_view field = fields[i];
      const char* end = field.data() + field.size();
      const auto [ptr, ec] = std::from_chars(field.data(), end, v[i]);
      if (ec != std::errc() || ptr != end || field.empty() || !std::isfinite(v[i])) {
        return error(line_number, "column " + std::string(kColumns[i]) + ": bad number '" +
                                      std::string(field) + "'");
      }
    }
    // A session time is int64 ns (+/- 292 years); larger t_s would overflow it.
    if (!fusion::SecondsInRange(v[0])) {
      return error(line_number, "column t_s: time '" + std::string(fields[0]) +
                                    "' s is out of range (at most " +
                                    std::to_string(fusion::kMaxDurationSeconds) + " s either way)");
    }
    fusion::ImuSample sample;
    sample.time = fusion::TimeFromSeconds(v[0]);
    sample.accel_m_s2 = {v[1], v[2], v[3]};
    sample.gyro_rad_s = {v[4], v[5], v[6]};
    sample.has_mag = columns == 10;
    if (sample.has_mag) sample.mag_uT = {v[7], v[8], v[9]};
    if (!samples->empty() && sample.time <= samples->back().time) {
      return error(line_number,
                   std::string(sample.time < samples->back().time ? "time goes backwards"
                                                                  : "time repeats") +
                       " (t_s " + std::string(fields[0]) + " after " +
                       std::to_string(fusion::ToSeconds(samples->back().time)) + ")");
    }
    samples->push_back(sample);
  }
  if (in.bad()) return error(line_number, "read error");
  if (columns == 0) return error(line_number, "no header line");
  return CaptureStatus::Ok();
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

CaptureStatus BuildCaptureFromCsv(std::span<const CsvSensor> sensors, Capture* capture) {
  *capture = Capture();
  ambi::v1::CaptureHeader& header = capture->header;
  header.set_format_version(1);
  header.set_created_by("ambi csv import");

  std::vector<std::vector<fusion::ImuSample>> per_sensor(sensors.size());
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    const CsvSensor& sensor = sensors[i];
    CaptureStatus status = ReadCsvSamples(sensor.csv_path, &per_sensor[i]);
    if (!status.ok()) return status;
    double rate_hz = sensor.nominal_rate_hz;
    if (rate_hz <= 0.0) rate_hz = EstimateRateHz(per_sensor[i]);
    ambi::v1::SensorInfo* info = header.add_sensors();
    info->set_sensor_id(static_cast<std::uint32_t>(i + 1));
    info->set_side(ToProto(sensor.placement.side));
    info->set_limb(ToProto(sensor.placement.limb));
    info->set_device_model(sensor.device_model);
    info->set_protocol(ambi::v1::PROTOCOL_AMBI_SAMPLE);
    info->set_nominal_rate_hz(rate_hz);
    info->set_address(sensor.csv_path);
  }

  // Merge by time; stable, so equal times keep sensor order.
  struct Ref {
    std::int64_t t_ns;
    std::uint32_t sensor;
    std::uint32_t index;
  };
  std::vector<Ref> order;
  for (std::size_t s = 0; s < per_sensor.size(); ++s) {
    for (std::size_t k = 0; k < per_sensor[s].size(); ++k) {
      order.push_back({fusion::ToNanoseconds(per_sensor[s][k].time),
                       static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(k)});
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Ref& a, const Ref& b) { return a.t_ns < b.t_ns; });

  capture->records.reserve(order.size());
  std::vector<std::uint8_t> frame;
  for (const Ref& ref : order) {
    frame.clear();
    fusion::AppendAmbiSampleFrame(per_sensor[ref.sensor][ref.index], &frame);
    ambi::v1::CaptureRecord& record = capture->records.emplace_back();
    record.set_sensor_id(ref.sensor + 1);
    record.set_arrival_time_ns(ref.t_ns);
    record.set_data(frame.data(), frame.size());
  }
  return CaptureStatus::Ok();
}

CaptureStatus WriteCapture(const std::string& path, const Capture& capture,
                           bool replace_existing) {
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
