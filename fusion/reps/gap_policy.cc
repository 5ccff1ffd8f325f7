#include "fusion/reps/gap_policy.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace ambi::fusion {
namespace {

Vec3 Lerp(const Vec3& a, const Vec3& b, double f) {
  return {a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f, a.z + (b.z - a.z) * f};
}

// The sample before 'before' carries a curve across a gap only when it lies at least this share
// of the fill's spacing before it (BridgeSampleCurved): a period before is the rule, and half of
// one still fits a curve through jittered times.
constexpr double kMinParabolaBaseShare = 0.5;

// The gyro at 'time' on the parabola through three samples in time order ('fallback' when their
// times are not), by Lagrange's weights.
Vec3 GyroOnParabola(const ImuSample& s0, const ImuSample& s1, const ImuSample& s2, Time time,
                    const Vec3& fallback) {
  const double t0 = ToSeconds(s0.time - s1.time);
  const double t2 = ToSeconds(s2.time - s1.time);
  const double t = ToSeconds(time - s1.time);
  if (!(t0 < 0.0 && t2 > 0.0)) return fallback;
  const double w0 = t * (t - t2) / (t0 * (t0 - t2));
  const double w1 = (t - t0) * (t - t2) / (t0 * t2);
  const double w2 = (t - t0) * t / ((t2 - t0) * t2);
  return Add(Add(Scale(s0.gyro_rad_s, w0), Scale(s1.gyro_rad_s, w1)), Scale(s2.gyro_rad_s, w2));
}

// 'v' kept, axis by axis, within the span of 'samples': a loss found late may be located a few
// samples off, and a parabola through samples placed at the wrong times overshoots, even to the
// opposite sign of all three (a curl's rise filled as a 9 deg fall).
Vec3 WithinSpan(const Vec3& v, std::initializer_list<Vec3> samples) {
  Vec3 lo = *samples.begin();
  Vec3 hi = lo;
  for (const Vec3& s : samples) {
    lo = {std::min(lo.x, s.x), std::min(lo.y, s.y), std::min(lo.z, s.z)};
    hi = {std::max(hi.x, s.x), std::max(hi.y, s.y), std::max(hi.z, s.z)};
  }
  return {std::clamp(v.x, lo.x, hi.x), std::clamp(v.y, lo.y, hi.y), std::clamp(v.z, lo.z, hi.z)};
}

// 'v' kept, axis by axis, within the three samples' span (WithinSpan) where they run one way:
// their parabola then carries the slope at 'before' across the gap, and where the limb slows
// hard (a foot landing) it overshoots past 'after' into a turn the other way. Where 'before' is
// a peak (the limb sped up to it and slows after), the parabola's peak beyond it is the data's.
Vec3 WithinSpanUnlessPeak(const Vec3& v, const Vec3& earlier, const Vec3& before,
                          const Vec3& after) {
  const Vec3 kept = WithinSpan(v, {earlier, before, after});
  const auto peak = [](double e, double b, double a) { return (b - e) * (a - b) < 0.0; };
  return {peak(earlier.x, before.x, after.x) ? v.x : kept.x,
          peak(earlier.y, before.y, after.y) ? v.y : kept.y,
          peak(earlier.z, before.z, after.z) ? v.z : kept.z};
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

ImuSample BridgeSampleCurved(const ImuSample& earlier, const ImuSample& before,
                             const ImuSample& after, std::int64_t k, std::int64_t missing) {
  ImuSample out = BridgeSample(before, after, k, missing);
  // A parabola carried across the gap from two samples stamped nearly at once (a burst that a
  // clock could only stamp microseconds apart) has a slope of noise over no time: it filled a
  // still wrist turning at 146 rad/s. Such a base says nothing of the curve: the line is kept.
  const double fill_spacing_s =
      ToSeconds(after.time - before.time) / static_cast<double>(missing + 1);
  if (ToSeconds(before.time - earlier.time) < kMinParabolaBaseShare * fill_spacing_s) return out;
  out.gyro_rad_s =
      WithinSpanUnlessPeak(GyroOnParabola(earlier, before, after, out.time, out.gyro_rad_s),
                           earlier.gyro_rad_s, before.gyro_rad_s, after.gyro_rad_s);
  return out;
}

ImuSample BridgeSampleFoundLate(const ImuSample& before, const ImuSample& late,
                                const ImuSample& after, std::int64_t k, std::int64_t missing) {
  ImuSample out = BridgeSample(before, late, k, missing);
  // The gyro on the parabola through 'before', 'late' and 'after' at their true times ('late'
  // came one period after the loss, 'after' one more), for the reason of BridgeSampleCurved.
  // In session time 'after' carries the lost time: it is missing + 1 periods after 'late'.
  const Duration period = (after.time - late.time) / (missing + 1);
  ImuSample late_true = late;
  late_true.time = before.time + period * (missing + 1);
  ImuSample after_true = after;
  after_true.time = late_true.time + period;
  out.time = before.time + period * k;
  out.gyro_rad_s =
      WithinSpan(GyroOnParabola(before, late_true, after_true, out.time, out.gyro_rad_s),
                 {before.gyro_rad_s, late.gyro_rad_s, after.gyro_rad_s});
  out.time = BridgeSample(late, after, k, missing).time;
  return out;
}

ImuSample BridgeSampleTwoLosses(const ImuSample& before, const ImuSample& late,
                                const ImuSample& after, std::int64_t k,
                                std::int64_t lost_before_late, std::int64_t missing) {
  ImuSample out = k <= lost_before_late
                      ? BridgeSample(before, late, k, lost_before_late)
                      : BridgeSample(late, after, k - lost_before_late, missing - lost_before_late);
  out.time = BridgeSample(late, after, k, missing).time;
  return out;
}

std::optional<Vec3> QuietUp(const GapPolicyParams& params, const Vec3& accel_m_s2,
                            const Vec3& gyro_rad_s) {
  if (Dot(gyro_rad_s, gyro_rad_s) >= params.quiet_gyro_rad_s * params.quiet_gyro_rad_s) {
    return std::nullopt;
  }
  const double norm = Norm(accel_m_s2);
  if (std::abs(norm - kStandardGravity_m_s2) > params.quiet_accel_m_s2) return std::nullopt;
  return Scale(accel_m_s2, 1.0 / norm);
}

bool CameBackDuringGap(const GapPolicyParams& params, const CutRepReturn& cut) {
  if (cut.start_unseen) return cut.descent_from_peak_deg >= cut.min_rom_deg;
  // Within return_frac of the rep's excursion, or of the set's amplitude when larger: the gap
  // may hide the last of a rep whose turnaround came early (a heel raise's few degrees).
  const double tolerance_deg = params.return_frac * std::max(cut.excursion_deg, cut.amplitude_deg);
  return cut.from_start_deg <= tolerance_deg;
}

bool RiseWentOnThroughGap(const GapPolicyParams& params, const CutRise& cut) {
  return cut.gap_s <= params.rise_resume_max_gap_frac * cut.rose_s &&
         cut.from_start_deg >= cut.start_deg;
}

bool RestPoseCarriesOver(const GapPolicyParams& params, double angle_deg,
                         double rest_before_gap_deg, double amplitude_deg, double near_min_deg) {
  const double near_deg = std::max(near_min_deg, params.return_frac * amplitude_deg);
  return std::abs(angle_deg - rest_before_gap_deg) <= near_deg;
}

}  // namespace ambi::fusion
