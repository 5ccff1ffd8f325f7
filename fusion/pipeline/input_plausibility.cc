#include "fusion/pipeline/input_plausibility.h"

#include <cstdio>

namespace ambi::fusion {

std::optional<ImplausibleInput> InputPlausibility::CheckSample(const ImuSample& sample) {
  if (!gyro_reported_) {
    const double rate_rad_s = sample.gyro_rad_s.norm();
    gyro_over_run_ = rate_rad_s > params_.max_gyro_rad_s ? gyro_over_run_ + 1 : 0;
    if (gyro_over_run_ >= params_.gyro_samples_to_confirm) {
      gyro_reported_ = true;
      last_value_ = rate_rad_s;
      return ImplausibleInput::kGyroLooksLikeDegPerS;
    }
  }
  if (!accel_checked_) {
    accel_sum_m_s2_ += sample.accel_m_s2.norm();
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

std::string DescribeImplausible(ImplausibleInput kind, double value,
                                const PlausibilityParams& params) {
  char text[200];
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
                    "check the gyroscope unit (deg/s given as rad/s?)",
                    value, params.max_rom_deg);
      break;
  }
  return text;
}

}  // namespace ambi::fusion
