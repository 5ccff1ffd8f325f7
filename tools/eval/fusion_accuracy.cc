// ambi-fusion-accuracy: orientation error of the production Madgwick filter and the published
// algorithm (MadgwickReference), 6- and 9-axis, on the synthetic vector input (known truth) and a
// BROAD optical-reference trial.
//
// BROAD trial 07's movement phase (optical `movement == 1`, one continuous stretch) is split in
// two halves by sample count: the first half is the tuning part (settings may be chosen on it),
// the second the held-out part (reported, never tuned on). The filter runs over the whole trial
// as it would in use (rest, then movement); only the scoring is split.
//
// Usage: ambi-fusion-accuracy [data_dir] [setting=value ...]
//   data_dir defaults to ../shared/data beside the source tree. Settings override the production
//   defaults (MadgwickSettings field names, e.g. gain_rad_s=0.01 estimate_bias=0); --help lists
//   them.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fusion/core/rotation.h"
#include "fusion/orientation/madgwick.h"
#include "fusion/orientation/madgwick_reference.h"

namespace ambi::eval {
namespace {

using fusion::ImuSample;
using fusion::MadgwickFilter;
using fusion::MadgwickReference;
using fusion::MadgwickReferenceSettings;
using fusion::MadgwickSettings;
using fusion::Quaternion;
using fusion::Vec3;

constexpr double kPi = 3.14159265358979323846;
constexpr double kRadToDeg = 180.0 / kPi;
constexpr double kG = 9.80665;

// A header-named CSV; "nan" parses to NaN.
struct Table {
  std::map<std::string, std::size_t> column;
  std::vector<std::vector<double>> rows;
  bool ok = false;
  double At(std::size_t row, const std::string& name) const { return rows[row][column.at(name)]; }
};

Table ReadCsv(const std::string& path) {
  Table table;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return table;
  std::stringstream header(line);
  std::string cell;
  for (std::size_t i = 0; std::getline(header, cell, ','); ++i) table.column[cell] = i;
  while (std::getline(in, line)) {
    std::vector<double> row;
    row.reserve(table.column.size());
    std::stringstream fields(line);
    while (std::getline(fields, cell, ',')) row.push_back(std::strtod(cell.c_str(), nullptr));
    if (row.size() == table.column.size()) table.rows.push_back(std::move(row));
  }
  table.ok = true;
  return table;
}

double InclinationErrorRad(const Quaternion& truth, const Quaternion& estimate) {
  const Vec3 a = UpInSensorFrame(truth);
  const Vec3 b = UpInSensorFrame(estimate);
  const double na = std::sqrt(a.x * a.x + a.y * a.y + a.z * a.z);
  const double nb = std::sqrt(b.x * b.x + b.y * b.y + b.z * b.z);
  return std::acos(std::clamp((a.x * b.x + a.y * b.y + a.z * b.z) / (na * nb), -1.0, 1.0));
}

double AttitudeErrorRad(const Quaternion& a, const Quaternion& b) {
  const double n = std::sqrt((a.w * a.w + a.x * a.x + a.y * a.y + a.z * a.z) *
                             (b.w * b.w + b.x * b.x + b.y * b.y + b.z * b.z));
  const double dot = std::abs(a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z) / n;
  return 2.0 * std::acos(std::min(1.0, dot));
}

// Heading part (twist about earth z) of the earth-frame difference truth * estimate^-1.
double HeadingDifferenceRad(const Quaternion& truth, const Quaternion& estimate) {
  const Quaternion e = Compose(truth, Inverse(estimate));
  return 2.0 * std::atan2(e.z, e.w);
}

double Wrap(double angle_rad) { return std::remainder(angle_rad, 2.0 * kPi); }

struct Errors {
  double incl_rms_deg = NAN;
  double incl_max_deg = NAN;
  double att_rms_deg = NAN;   // full attitude (synthetic truth shares the earth frame)
  double head_rms_deg = NAN;  // heading after removing the constant offset (BROAD)
  int samples = 0;
};

// Accumulates the errors of the evaluated samples; heading offset removed at the end.
class ErrorAccumulator {
 public:
  void Add(const Quaternion& truth, const Quaternion& estimate) {
    const double incl = InclinationErrorRad(truth, estimate) * kRadToDeg;
    incl_sq_ += incl * incl;
    incl_max_ = std::max(incl_max_, incl);
    const double att = AttitudeErrorRad(truth, estimate) * kRadToDeg;
    att_sq_ += att * att;
    heading_.push_back(HeadingDifferenceRad(truth, estimate));
  }

  Errors Finish(bool with_attitude, bool with_heading) const {
    Errors e;
    const double n = static_cast<double>(heading_.size());
    e.samples = static_cast<int>(heading_.size());
    if (heading_.empty()) return e;
    e.incl_rms_deg = std::sqrt(incl_sq_ / n);
    e.incl_max_deg = incl_max_;
    if (with_attitude) e.att_rms_deg = std::sqrt(att_sq_ / n);
    if (with_heading) {
      double s = 0.0;
      double c = 0.0;
      for (double h : heading_) {
        s += std::sin(h);
        c += std::cos(h);
      }
      const double offset = std::atan2(s, c);  // circular mean
      double sq = 0.0;
      for (double h : heading_) sq += Wrap(h - offset) * Wrap(h - offset);
      e.head_rms_deg = std::sqrt(sq / n) * kRadToDeg;
    }
    return e;
  }

 private:
  double incl_sq_ = 0.0;
  double incl_max_ = 0.0;
  double att_sq_ = 0.0;
  std::vector<double> heading_;
};

constexpr double kSyntheticRateHz = 100.0;  // the vectors' fixed period is 0.01 s
constexpr double kBroadRateHz = 285.7142857142857;

template <typename Filter>
Errors RunSynthetic(const Table& in, Filter filter, bool nine_axis) {
  ErrorAccumulator acc;
  for (std::size_t k = 0; k < in.rows.size(); ++k) {
    ImuSample s;
    s.gyro_rad_s = {in.At(k, "gyr_x_rps"), in.At(k, "gyr_y_rps"), in.At(k, "gyr_z_rps")};
    s.accel_m_s2 = {in.At(k, "acc_x_g") * kG, in.At(k, "acc_y_g") * kG, in.At(k, "acc_z_g") * kG};
    s.mag_uT = {in.At(k, "mag_x_uT"), in.At(k, "mag_y_uT"), in.At(k, "mag_z_uT")};
    s.has_mag = nine_axis;
    filter.UpdateWithDt(s, 1.0 / kSyntheticRateHz);
    if (k < 500) continue;  // after the 5 s rest, as in the vector README
    acc.Add({in.At(k, "true_w"), in.At(k, "true_x"), in.At(k, "true_y"), in.At(k, "true_z")},
            filter.sensor_to_earth());
  }
  return acc.Finish(nine_axis, false);
}

// The BROAD errors of one run: the whole movement phase, its tuning half and its held-out half.
struct BroadErrors {
  Errors all;
  Errors tuning;
  Errors held_out;
};

template <typename Filter>
BroadErrors RunBroad(const Table& imu, const Table& optical, Filter filter, bool nine_axis) {
  const std::size_t n = std::min(imu.rows.size(), optical.rows.size());
  std::size_t movement_samples = 0;
  for (std::size_t k = 0; k < n; ++k) movement_samples += optical.At(k, "movement") == 1.0;
  ErrorAccumulator all;
  ErrorAccumulator tuning;
  ErrorAccumulator held_out;
  const double dt_s = 1.0 / kBroadRateHz;  // t = index / rate exactly; t_s is rounded to 0.1 ms
  std::size_t movement_index = 0;
  for (std::size_t k = 0; k < n; ++k) {
    ImuSample s;
    s.accel_m_s2 = {imu.At(k, "ax"), imu.At(k, "ay"), imu.At(k, "az")};
    s.gyro_rad_s = {imu.At(k, "gx"), imu.At(k, "gy"), imu.At(k, "gz")};
    s.mag_uT = {imu.At(k, "mx"), imu.At(k, "my"), imu.At(k, "mz")};
    s.has_mag = nine_axis;
    filter.UpdateWithDt(s, dt_s);
    if (optical.At(k, "movement") != 1.0) continue;
    const bool in_tuning = 2 * movement_index < movement_samples;
    ++movement_index;
    const Quaternion truth{optical.At(k, "qw"), optical.At(k, "qx"), optical.At(k, "qy"),
                           optical.At(k, "qz")};
    if (std::isnan(truth.w) || std::isnan(truth.x) || std::isnan(truth.y) || std::isnan(truth.z)) {
      continue;
    }
    all.Add(truth, filter.sensor_to_earth());
    (in_tuning ? tuning : held_out).Add(truth, filter.sensor_to_earth());
  }
  return {all.Finish(false, nine_axis), tuning.Finish(false, nine_axis),
          held_out.Finish(false, nine_axis)};
}

void PrintRow(const char* data, const char* mode, int axes, const Errors& e) {
  auto cell = [](double v) {
    char buf[16];
    if (std::isnan(v)) {
      std::snprintf(buf, sizeof buf, "%9s", "-");
    } else {
      std::snprintf(buf, sizeof buf, "%9.3f", v);
    }
    return std::string(buf);
  };
  std::printf("%-10s %-11s %4d %s %s %s %s %8d\n", data, mode, axes, cell(e.incl_rms_deg).c_str(),
              cell(e.incl_max_deg).c_str(), cell(e.att_rms_deg).c_str(),
              cell(e.head_rms_deg).c_str(), e.samples);
}

// The production settings an experiment may override, by field name.
struct Overrides {
  std::map<std::string, double*> numbers;
  std::map<std::string, bool*> flags;
};

Overrides OverridesOf(MadgwickSettings& p) {
  Overrides o;
  o.numbers = {
      {"gain_rad_s", &p.gain_rad_s},
      {"startup_gain_rad_s", &p.startup_gain_rad_s},
      {"startup_s", &p.startup_s},
      {"proportional_below_rad", &p.proportional_below_rad},
      {"rest_filter_tau_s", &p.rest_filter_tau_s},
      {"rest_gyro_smoothing_s", &p.rest_gyro_smoothing_s},
      {"rest_accel_smoothing_s", &p.rest_accel_smoothing_s},
      {"rest_gyro_dev_rad_s", &p.rest_gyro_dev_rad_s},
      {"rest_gyro_max_rad_s", &p.rest_gyro_max_rad_s},
      {"rest_accel_dev_m_s2", &p.rest_accel_dev_m_s2},
      {"rest_accel_norm_error_m_s2", &p.rest_accel_norm_error_m_s2},
      {"rest_min_s", &p.rest_min_s},
      {"bias_tau_s", &p.bias_tau_s},
      {"bias_max_rad_s", &p.bias_max_rad_s},
      {"accel_reject_m_s2", &p.accel_reject_m_s2},
      {"accel_reject_angle_rad", &p.accel_reject_angle_rad},
      {"accel_reject_timeout_s", &p.accel_reject_timeout_s},
  };
  o.flags = {
      {"use_magnetometer", &p.use_magnetometer},
      {"estimate_bias", &p.estimate_bias},
      {"reject_accel", &p.reject_accel},
  };
  return o;
}

bool ApplyOverride(MadgwickSettings& p, const std::string& arg) {
  const std::size_t eq = arg.find('=');
  if (eq == std::string::npos) return false;
  const std::string key = arg.substr(0, eq);
  char* end = nullptr;
  const double v = std::strtod(arg.c_str() + eq + 1, &end);
  if (end == arg.c_str() + eq + 1 || *end != '\0') return false;
  const Overrides o = OverridesOf(p);
  if (auto it = o.numbers.find(key); it != o.numbers.end()) {
    *it->second = v;
    return true;
  }
  if (auto it = o.flags.find(key); it != o.flags.end()) {
    *it->second = v != 0.0;
    return true;
  }
  return false;
}

int Main(int argc, char** argv) {
  std::string data_dir = AMBI_DEFAULT_DATA_DIR;
  MadgwickSettings production;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::printf("usage: %s [data_dir] [setting=value ...]\nsettings:", argv[0]);
      const Overrides o = OverridesOf(production);
      for (const auto& [name, value] : o.numbers) std::printf(" %s=%g", name.c_str(), *value);
      for (const auto& [name, value] : o.flags) std::printf(" %s=%d", name.c_str(), *value);
      std::printf("\n");
      return 0;
    }
    if (arg.find('=') != std::string::npos) {
      if (!ApplyOverride(production, arg)) {
        std::fprintf(stderr, "unknown setting or bad value in '%s' (see --help)\n", arg.c_str());
        return 2;
      }
    } else {
      data_dir = arg;
    }
  }
  const MadgwickReferenceSettings reference;

  const Table synthetic = ReadCsv(data_dir + "/madgwick_vectors/synthetic_input.csv");
  const std::string broad_dir = data_dir + "/real/broad_07_undisturbed_fast_rotation_B";
  const Table imu = ReadCsv(broad_dir + "/imu.csv");
  const Table optical = ReadCsv(broad_dir + "/optical_orientation.csv");
  if (!synthetic.ok || !imu.ok || !optical.ok) {
    std::fprintf(stderr, "cannot read the inputs under '%s'\n", data_dir.c_str());
    return 1;
  }

  std::printf(
      "Errors in degrees. synthetic: k >= 500, truth known (attitude = full 3-D error).\n"
      "broad: broad_07_undisturbed_fast_rotation_B, movement == 1, optical reference;\n"
      "broad-tune / broad-held: first / second half of its movement samples.\n"
      "Heading after removing the constant offset (the optical frame's north is "
      "arbitrary).\n\n");
  std::printf("%-10s %-11s %4s %9s %9s %9s %9s %8s\n", "data", "mode", "axes", "incl_rms",
              "incl_max", "att_rms", "head_rms", "samples");
  for (int axes : {6, 9}) {
    const bool nine = axes == 9;
    PrintRow("synthetic", "reference", axes,
             RunSynthetic(synthetic, MadgwickReference(reference, kSyntheticRateHz), nine));
    PrintRow("synthetic", "production", axes,
             RunSynthetic(synthetic, MadgwickFilter(production, kSyntheticRateHz), nine));
  }
  for (int axes : {6, 9}) {
    const bool nine = axes == 9;
    const BroadErrors ref =
        RunBroad(imu, optical, MadgwickReference(reference, kBroadRateHz), nine);
    const BroadErrors prod = RunBroad(imu, optical, MadgwickFilter(production, kBroadRateHz), nine);
    PrintRow("broad", "reference", axes, ref.all);
    PrintRow("broad", "production", axes, prod.all);
    PrintRow("broad-tune", "reference", axes, ref.tuning);
    PrintRow("broad-tune", "production", axes, prod.tuning);
    PrintRow("broad-held", "reference", axes, ref.held_out);
    PrintRow("broad-held", "production", axes, prod.held_out);
  }
  return 0;
}

}  // namespace
}  // namespace ambi::eval

int main(int argc, char** argv) { return ambi::eval::Main(argc, argv); }
