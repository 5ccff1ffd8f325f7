#include "fusion/reps/gap_policy.h"

#include <algorithm>
#include <cmath>

namespace ambi::fusion {
namespace {

Vec3 Lerp(const Vec3& a, const Vec3& b, double f) {
  return {a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f, a.z + (b.z - a.z) * f};
}

}  // namespace

GapAction DecideGap(const GapPolicyParams& params, double gap_s) {
  return gap_s <= params.bridge_max_s ? GapAction::kBridge : GapAction::kCut;
}

ImuSample BridgeSample(const ImuSample& before, const ImuSample& after, std::int64_t k,
                       std::int64_t missing) {
  const double f = static_cast<double>(k) / static_cast<double>(missing + 1);
  ImuSample out = after;
  const std::int64_t t0 = ToNanoseconds(before.time);
  const std::int64_t t1 = ToNanoseconds(after.time);
  out.time = TimeFromNanoseconds(
      t0 + static_cast<std::int64_t>(std::llround(f * static_cast<double>(t1 - t0))));
  out.accel_m_s2 = Lerp(before.accel_m_s2, after.accel_m_s2, f);
  out.gyro_rad_s = Lerp(before.gyro_rad_s, after.gyro_rad_s, f);
  out.has_mag = before.has_mag && after.has_mag;
  if (out.has_mag) out.mag_uT = Lerp(before.mag_uT, after.mag_uT, f);
  return out;
}

ImuSample BridgeSampleFoundLate(const ImuSample& before, const ImuSample& late,
                                const ImuSample& after, std::int64_t k, std::int64_t missing) {
  ImuSample out = BridgeSample(before, late, k, missing);
  out.time = BridgeSample(late, after, k, missing).time;
  return out;
}

bool CameBackDuringGap(const GapPolicyParams& params, const CutRepReturn& cut) {
  if (cut.start_unseen) return cut.descent_from_peak_deg >= cut.min_rom_deg;
  // Within return_frac of the rep's excursion, or of the set's amplitude when larger: the gap
  // may hide the last of a rep whose turnaround came early (a heel raise's few degrees).
  const double tolerance_deg = params.return_frac * std::max(cut.excursion_deg, cut.amplitude_deg);
  return cut.from_start_deg <= tolerance_deg;
}

bool RestPoseCarriesOver(const GapPolicyParams& params, double angle_deg,
                         double rest_before_gap_deg, double amplitude_deg, double near_min_deg) {
  const double near_deg = std::max(near_min_deg, params.return_frac * amplitude_deg);
  return std::abs(angle_deg - rest_before_gap_deg) <= near_deg;
}

}  // namespace ambi::fusion
