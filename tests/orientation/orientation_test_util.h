#ifndef AMBI_TESTS_ORIENTATION_ORIENTATION_TEST_UTIL_H_
#define AMBI_TESTS_ORIENTATION_ORIENTATION_TEST_UTIL_H_

// Helpers shared by the orientation tests in fusion/orientation: the vector files and the error
// metrics. Test-only and header-only; kept out of fusion/ because they read files.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/rotation.h"
#include "fusion/core/time.h"

namespace ambi::fusion::testing {

constexpr double kPi = 3.14159265358979323846;
constexpr double kG = 9.80665;
inline const std::string kVectorDir = std::string(AMBI_SHARED_DATA_DIR) + "/madgwick_vectors/";

// A CSV file with a header row, columns looked up by name.
struct Table {
  std::map<std::string, std::size_t> column;
  std::vector<std::vector<double>> rows;
  double At(std::size_t row, const std::string& name) const { return rows[row][column.at(name)]; }
};

inline Table ReadCsv(const std::string& path) {
  Table table;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  if (!std::getline(in, line)) return table;
  std::stringstream header(line);
  std::string cell;
  for (std::size_t i = 0; std::getline(header, cell, ','); ++i) table.column[cell] = i;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream fields(line);
    while (std::getline(fields, cell, ',')) row.push_back(std::strtod(cell.c_str(), nullptr));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// The filters received float32 values; widen exactly those bits.
inline double F32(double v) { return static_cast<double>(static_cast<float>(v)); }

// One row of a vector input file (accelerometer in g, as the file has it).
inline ImuSample SampleFromRow(const Table& in, std::size_t k, bool with_mag) {
  ImuSample s;
  s.time = TimeFromSeconds(in.At(k, "t_s"));
  s.gyro_rad_s = {F32(in.At(k, "gyr_x_rps")), F32(in.At(k, "gyr_y_rps")),
                  F32(in.At(k, "gyr_z_rps"))};
  s.accel_m_s2 = {F32(in.At(k, "acc_x_g")), F32(in.At(k, "acc_y_g")), F32(in.At(k, "acc_z_g"))};
  s.mag_uT = {F32(in.At(k, "mag_x_uT")), F32(in.At(k, "mag_y_uT")), F32(in.At(k, "mag_z_uT"))};
  s.has_mag = with_mag;
  return s;
}

inline std::string Sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

// Max per-component |dq| with the sign of q aligned.
inline double MaxAbsDiff(const Quaternion& a, const Quaternion& b) {
  const double dot = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;
  const double s = dot < 0.0 ? -1.0 : 1.0;
  return std::max({std::abs(a.w - s * b.w), std::abs(a.x - s * b.x), std::abs(a.y - s * b.y),
                   std::abs(a.z - s * b.z)});
}

inline double InclinationErrorRad(const Quaternion& truth, const Quaternion& estimate) {
  const Vec3 a = UpInSensorFrame(truth);
  const Vec3 b = UpInSensorFrame(estimate);
  const double n =
      std::sqrt((a.x * a.x + a.y * a.y + a.z * a.z) * (b.x * b.x + b.y * b.y + b.z * b.z));
  return std::acos(std::clamp((a.x * b.x + a.y * b.y + a.z * b.z) / n, -1.0, 1.0));
}

inline double AttitudeErrorRad(const Quaternion& a, const Quaternion& b) {
  const double dot = std::abs(a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z);
  return 2.0 * std::acos(std::min(1.0, dot));
}

// Sensor at rest, tilted: accel reads R^T (0,0,g).
inline ImuSample RestSample(const Quaternion& truth, const Vec3& gyro_rad_s) {
  const Vec3 up = UpInSensorFrame(truth);
  ImuSample s;
  s.accel_m_s2 = {kG * up.x, kG * up.y, kG * up.z};
  s.gyro_rad_s = gyro_rad_s;
  return s;
}

inline Quaternion AxisAngle(Vec3 axis, double angle) {
  const double n = std::sqrt(axis.x * axis.x + axis.y * axis.y + axis.z * axis.z);
  const double s = std::sin(angle / 2) / n;
  return {std::cos(angle / 2), axis.x * s, axis.y * s, axis.z * s};
}

struct SyntheticErrors {
  double inclination_rms_deg = 0.0;
  double attitude_rms_deg = 0.0;
};

// Runs a filter (anything with UpdateWithDt and sensor_to_earth) over the synthetic vector input
// and scores it after the 5 s rest, as the vector README does.
template <typename Filter>
SyntheticErrors RunSynthetic(Filter& filter, bool nine_axis) {
  const Table in = ReadCsv(kVectorDir + "synthetic_input.csv");
  double sum_incl = 0.0;
  double sum_att = 0.0;
  int n = 0;
  for (std::size_t k = 0; k < in.rows.size(); ++k) {
    ImuSample s = SampleFromRow(in, k, nine_axis);
    s.accel_m_s2 = {s.accel_m_s2.x * kG, s.accel_m_s2.y * kG, s.accel_m_s2.z * kG};
    filter.UpdateWithDt(s, 0.01);
    if (k < 500) continue;
    const Quaternion truth{in.At(k, "true_w"), in.At(k, "true_x"), in.At(k, "true_y"),
                           in.At(k, "true_z")};
    const double e = InclinationErrorRad(truth, filter.sensor_to_earth()) * 180.0 / kPi;
    const double a = AttitudeErrorRad(truth, filter.sensor_to_earth()) * 180.0 / kPi;
    sum_incl += e * e;
    sum_att += a * a;
    ++n;
  }
  return {std::sqrt(sum_incl / n), std::sqrt(sum_att / n)};
}

}  // namespace ambi::fusion::testing

#endif  // AMBI_TESTS_ORIENTATION_ORIENTATION_TEST_UTIL_H_
