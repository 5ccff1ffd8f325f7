#ifndef AMBI_FUSION_REPS_ROTATION_CENTRE_H_
#define AMBI_FUSION_REPS_ROTATION_CENTRE_H_

#include <array>
#include <optional>

#include "fusion/core/geometry.h"

namespace ambi::fusion {

// How a rep turned: about which axis (sensor frame, unit; zero when not known) and where the
// sensor was from the centre it turned about (see RotationCentreFit; zero when the motion could
// not tell).
struct RepRotation {
  Vec3 axis;
  // The sensor's position from the centre, across the axis (sensor frame, m). Fixed in the
  // sensor's frame while one joint turns the segment: the same joint gives the same offset.
  Vec3 offset_m;
};

struct RotationCentreParams {
  // Standard gravity: the accelerometer's reading less this along earth-up is the sensor's own
  // acceleration. A scale error of the accelerometer is fitted too (it would read as a lever).
  double gravity_m_s2 = 9.80665;
  // The rate of turn is the gyro's difference over this either side of a sample. Between
  // neighbours the gyro's noise (0.004 rad/s at 100 Hz) makes it noisy enough (0.6 rad/s^2) to
  // shrink the lever of a slow reach by a sixth; over +-20 ms a curl's own change is still
  // followed (the lever of a 1 s curl comes out within 1 %).
  double rate_half_span_s = 0.02;
  // The lever is trusted when the motion excited the fit this much (rms over the samples of
  // |d omega/dt| and omega^2, rad/s^2): under it a degree of tilt error (0.17 m/s^2) is as large
  // as the motion's own acceleration half a metre out.
  double min_excitation_rad_s2 = 0.8;
  // ... and its standard error (from the fit's residual, as if the samples' errors were
  // independent) is under this fraction of it.
  double max_relative_error = 0.2;

  bool operator==(const RotationCentreParams&) const = default;
};

// How far the sensor is from the centre the segment turned about, from its gyro and its
// accelerometer: a sensor at r from a fixed pivot feels alpha x r + omega x (omega x r) beside
// gravity, linear in r. A least-squares fit over one movement's samples gives r (sensor frame);
// its part across the rotation axis is the lever. A forearm curling about the elbow puts a
// wrist sensor 0.25 m from it; the whole arm reaching about the shoulder, twice that.
// Earth-up is carried from the movement's first sample by the gyro, not taken from the fused
// orientation, which leans towards the accelerometer while the limb accelerates and so hides
// part of the acceleration looked for. Over one movement the gyro drifts a fraction of a degree.
// Fixed size, no allocation. Not thread-safe.
class RotationCentreFit {
 public:
  RotationCentreFit(const RotationCentreParams& params, double nominal_rate_hz);

  // A movement starts at earth-up 'up' (sensor frame, unit): what was fitted is forgotten.
  void Start(const Vec3& up);
  // The movement's next sample, 'dt_s' after the previous one. One not 'measured' (interpolated
  // across a loss) carries earth-up on, but no equation whose rate of turn spans it is fitted.
  void Add(double dt_s, const Vec3& gyro_rad_s, const Vec3& accel_m_s2, bool measured = true);
  // The sensor's position from the centre the movement turned about, across 'axis' (sensor
  // frame, unit: the axis it turned about), in m, when the samples tell it within the params'
  // bounds; none otherwise. Along the axis a hinge leaves it unseen.
  std::optional<Vec3> OffsetM(const Vec3& axis) const;
  // Its length: the sensor's distance from the axis.
  std::optional<double> LeverM(const Vec3& axis) const;

 private:
  static constexpr int kUnknowns = 4;  // r (3) and the accelerometer's scale error along up
  static constexpr int kMaxHalfSpan = 8;
  struct Recent {
    double dt_s = 0.0;
    Vec3 gyro_rad_s;
    Vec3 accel_m_s2;
    Vec3 up;
    bool measured = true;
  };
  // Adds the equations of the sample at the middle of the window 'recent_' holds.
  void FitMiddle();

  RotationCentreParams params_;
  int half_span_;                                      // samples either side for the rate of turn
  std::array<Recent, 2 * kMaxHalfSpan + 1> recent_{};  // ring of the last 2 half_span_ + 1
  int recent_count_ = 0;                               // samples since Start
  Vec3 up_;
  // Normal equations: upper triangle of A^T A (packed), A^T b, b^T b.
  std::array<double, kUnknowns*(kUnknowns + 1) / 2> ata_{};
  std::array<double, kUnknowns> atb_{};
  double btb_ = 0.0;
  double excitation_sum_ = 0.0;  // sum of |alpha|^2 + |omega|^4
  int equations_ = 0;            // samples fitted
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_ROTATION_CENTRE_H_
