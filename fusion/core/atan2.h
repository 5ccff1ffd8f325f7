#ifndef AMBI_FUSION_CORE_ATAN2_H_
#define AMBI_FUSION_CORE_ATAN2_H_

#include <cmath>
#include <numbers>

namespace ambi::fusion {

// atan2(y, x) in rad, within 4e-15 rad of std::atan2. Inputs whose larger magnitude is outside
// 1e-150 to 1e150 (zeros, subnormals, infinities, NaN), where the folding below would underflow
// or overflow, are handed to std::atan2. The segment angle takes one per sample, and libm's was
// a tenth of the whole pipeline: ambi-bench-atan2 has this at 0.48x of libm's time (5.6 ns
// against 11.7 ns a call on this project's machines). SLEEF's scalar atan2 (1 and 3.5 ulp) took
// 34 ns and 11 ns there.
//
// The octant is folded to a ratio t in [0, 1], and t above tan(15 deg) is moved below it with
// atan(t) = 30 deg + atan((t sqrt3 - 1) / (t + sqrt3)), so that the Taylor series of atan,
// taken to u^21, is left with less than 0.268^23 / 23 = 3e-15 rad for |u| <= tan(15 deg).
inline double Atan2(double y, double x) {
  const double abs_x = std::abs(x);
  const double abs_y = std::abs(y);
  const bool steep = abs_y > abs_x;  // fold about 45 deg: atan(n / d) with n <= d
  const double n = steep ? abs_x : abs_y;
  const double d = steep ? abs_y : abs_x;
  constexpr double kMinScale = 1e-150;
  constexpr double kMaxScale = 1e150;
  if (!(d > kMinScale && d < kMaxScale)) return std::atan2(y, x);

  constexpr double kSqrt3 = std::numbers::sqrt3;
  constexpr double kTan15Deg = 2.0 - std::numbers::sqrt3;
  const bool past_15_deg = n > kTan15Deg * d;
  const double u = (past_15_deg ? n * kSqrt3 - d : n) / (past_15_deg ? n + d * kSqrt3 : d);
  const double offset_rad = past_15_deg ? std::numbers::pi / 6.0 : 0.0;
  // atan(u) = u + u z Q(z), z = u^2, Q(z) = -1/3 + z/5 - z^2/7 + ... + z^9/21, in pairs
  // (Estrin's scheme): the segment angle waits on this result, and Horner's ten steps in a row
  // took longer than the rest of the call.
  const double z = u * u;
  const double z2 = z * z;
  const double z4 = z2 * z2;
  const double z8 = z4 * z4;
  const double q01 = -1.0 / 3.0 + z * (1.0 / 5.0);
  const double q23 = -1.0 / 7.0 + z * (1.0 / 9.0);
  const double q45 = -1.0 / 11.0 + z * (1.0 / 13.0);
  const double q67 = -1.0 / 15.0 + z * (1.0 / 17.0);
  const double q89 = -1.0 / 19.0 + z * (1.0 / 21.0);
  const double series = (q01 + z2 * q23) + z4 * (q45 + z2 * q67) + z8 * q89;
  double angle_rad = offset_rad + (u + u * z * series);

  if (steep) angle_rad = std::numbers::pi / 2.0 - angle_rad;
  if (x < 0.0) angle_rad = std::numbers::pi - angle_rad;
  return std::copysign(angle_rad, y);
}

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_ATAN2_H_
