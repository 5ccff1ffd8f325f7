#ifndef AMBI_FUSION_PIPELINE_INPUT_PLAUSIBILITY_H_
#define AMBI_FUSION_PIPELINE_INPUT_PLAUSIBILITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "fusion/core/imu_sample.h"

namespace ambi::fusion {

// What a sensor's values say about a unit mistake upstream (a decoder, a CSV, a device setting).
enum class ImplausibleInput : std::uint8_t {
  kGyroLooksLikeDegPerS,  // angular rate beyond any IMU's range: deg/s given as rad/s
  kAccelLooksLikeG,       // specific force averaging about 1 at rest: g given as m/s²
  kRomBeyondAnatomy,      // a rep's range of motion no segment can move
  kGyroOffsetTooLarge,    // a steady rate while still, beyond the offset the fusion learns
};

struct PlausibilityParams {
  // MEMS gyroscopes end their range at 2000 deg/s (35 rad/s); no limb segment turns faster in
  // training. A reading above it that is not a one-off spike is a unit mistake: 300 deg/s of a
  // brisk curl read as rad/s is 300 "rad/s".
  double max_gyro_rad_s = 35.0;
  // Samples in a row above the limit before the mistake is called (a single corrupt frame is not).
  int gyro_samples_to_confirm = 5;
  // The mean |accel| over the first samples: gravity gives 9.81 m/s² and motion averages out; a
  // mean below this (and above the floor, which a dead sensor reading zeros would give) is g.
  double accel_g_below_m_s2 = 3.0;
  double accel_floor_m_s2 = 0.3;
  int accel_window_samples = 100;
  // No limb segment moves more than this within one rep (a full arm circle is 360°, but no
  // exercise in the catalog goes past overhead, about 180°).
  double max_rom_deg = 200.0;
  // A sensor the orientation filter finds still but for a steady gyro rate beyond what rest
  // allows (MadgwickDiagnostics::still_but_turning), for this long in all without finding rest
  // in between, has a zero-rate offset too large to learn: its tilt drifts by it. Turns about
  // the vertical that slow and that steady, with the accelerometer still, add up to a few
  // tenths of a second between two rests in training; a sensor whose offset is learned rests.
  double gyro_offset_confirm_s = 3.0;
};

// Watches one sensor's samples and reps for values that only a unit mistake explains; each
// problem is reported once. Pure: no clock, no allocation per sample.
class InputPlausibility {
 public:
  explicit InputPlausibility(const PlausibilityParams& params = {}) : params_(params) {}

  // A newly found problem with this sample, at most once per kind.
  std::optional<ImplausibleInput> CheckSample(const ImuSample& sample);
  // After each orientation update: a newly found gyro offset too large to learn, at most once.
  // 'still_but_turning' and 'at_rest' from the filter's diagnostics, 'dt_s' the step it used.
  std::optional<ImplausibleInput> CheckStillness(bool still_but_turning, bool at_rest,
                                                 const Vec3& gyro_rad_s, double dt_s);
  // True when a rep of 'rom_deg' is beyond anatomy (every time: such a rep is never compared).
  bool RomBeyondAnatomy(double rom_deg) const { return rom_deg > params_.max_rom_deg; }

  const PlausibilityParams& params() const { return params_; }
  // The figure behind the last problem CheckSample() returned (rad/s, or m/s² for the mean).
  double last_value() const { return last_value_; }

 private:
  PlausibilityParams params_;
  int gyro_over_run_ = 0;
  bool gyro_reported_ = false;
  int accel_samples_ = 0;
  double accel_sum_m_s2_ = 0.0;
  bool accel_checked_ = false;
  double still_turning_s_ = 0.0;  // since the filter last rested
  Vec3 still_turning_gyro_sum_rad_s_;
  int still_turning_samples_ = 0;
  bool offset_reported_ = false;
  double last_value_ = 0.0;
};

// "gyroscope reads 171 rad/s, beyond any sensor's 35 rad/s: the values look like deg/s, not
// rad/s" — the bad_data detail naming the likely unit mistake. 'value' is the offending figure.
std::string DescribeImplausible(ImplausibleInput kind, double value,
                                const PlausibilityParams& params);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_PIPELINE_INPUT_PLAUSIBILITY_H_
