#include "fusion/pipeline/input_plausibility.h"

#include <cmath>
#include <cstdio>
#include <numbers>

namespace ambi::fusion {
namespace {

double Magnitude(const Vec3& v) { return std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z); }

}  // namespace

std::optional<ImplausibleInput> InputPlausibility::CheckSample(const ImuSample& sample) {
  if (!gyro_reported_) {
    const double rate_rad_s = Magnitude(sample.gyro_rad_s);
    gyro_over_run_ = rate_rad_s > params_.max_gyro_rad_s ? gyro_over_run_ + 1 : 0;
    if (gyro_over_run_ >= params_.gyro_samples_to_confirm) {
      gyro_reported_ = true;
      last_value_ = rate_rad_s;
      return ImplausibleInput::kGyroLooksLikeDegPerS;
    }
  }
  if (!accel_checked_) {
    accel_sum_m_s2_ += Magnitude(sample.accel_m_s2);
    if (++accel_samples_ >= params_.accel_window_samples) {
      accel_checked_ = true;
      const double mean = accel_sum_m_s2_ / accel_samples_;
      if (mean < params_.accel_g_below_m_s2 && mean > params_.accel_floor_m_s2) {
        last_value_ = mean;
        return ImplausibleInput::kAccelLooksLikeG;
      }
    }
  }
  return std::nullopt;
}

std::optional<ImplausibleInput> InputPlausibility::CheckStillness(bool still_but_turning,
                                                                  bool at_rest,
                                                                  const Vec3& gyro_rad_s,
                                                                  double dt_s) {
  if (offset_reported_) return std::nullopt;
  if (at_rest) {
    still_turning_s_ = 0.0;
    still_turning_gyro_sum_rad_s_ = {};
    still_turning_samples_ = 0;
  }
  if (!still_but_turning) return std::nullopt;
  still_turning_s_ += dt_s;
  still_turning_gyro_sum_rad_s_ = Add(still_turning_gyro_sum_rad_s_, gyro_rad_s);
  ++still_turning_samples_;
  if (still_turning_s_ < params_.gyro_offset_confirm_s) return std::nullopt;
  offset_reported_ = true;
  last_value_ = Magnitude(still_turning_gyro_sum_rad_s_) / still_turning_samples_;
  return ImplausibleInput::kGyroOffsetTooLarge;
}

std::string DescribeImplausible(ImplausibleInput kind, double value,
                                const PlausibilityParams& params) {
  char text[256];
  switch (kind) {
    case ImplausibleInput::kGyroLooksLikeDegPerS:
      std::snprintf(text, sizeof(text),
                    "gyroscope reads %.0f rad/s, beyond any sensor's %.0f rad/s: the values look "
                    "like deg/s, not rad/s",
                    value, params.max_gyro_rad_s);
      break;
    case ImplausibleInput::kAccelLooksLikeG:
      std::snprintf(text, sizeof(text),
                    "accelerometer averages %.2f m/s2 where gravity alone gives 9.81: the values "
                    "look like g, not m/s2",
                    value);
      break;
    case ImplausibleInput::kRomBeyondAnatomy:
      std::snprintf(text, sizeof(text),
                    "rep range of motion %.0f deg is beyond anatomy (over %.0f deg), rep dropped: "
                    "a unit mistake (gyroscope deg/s given as rad/s?) or an orientation not yet "
                    "settled after a gap",
                    value, params.max_rom_deg);
      break;
    case ImplausibleInput::kGyroOffsetTooLarge:
      std::snprintf(text, sizeof(text),
                    "gyroscope reads a steady %.1f deg/s while the sensor is still (%.0f s in "
                    "all, never at rest): a zero-rate offset too large to learn, so its tilt and "
                    "the ROM drift; calibrate the gyroscope or replace the sensor",
                    value * 180.0 / std::numbers::pi, params.gyro_offset_confirm_s);
      break;
  }
  return text;
}

}  // namespace ambi::fusion
