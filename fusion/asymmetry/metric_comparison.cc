#include "fusion/asymmetry/metric_comparison.h"

#include <algorithm>
#include <cmath>

namespace ambi::fusion {
namespace {

int Rank(Band band) {
  switch (band) {
    case Band::kNotApplicable:
      return 0;
    case Band::kGreen:
      return 1;
    case Band::kAmber:
      return 2;
    case Band::kRed:
      return 3;
  }
  return 0;
}

// Which side is weaker when 'left' and 'right' differ; both are comparable.
std::optional<Side> WeakerByValue(Metric metric, double left, double right) {
  if (left == right) return std::nullopt;
  const Side smaller = left < right ? Side::kLeft : Side::kRight;
  switch (metric) {
    case Metric::kRom:
    case Metric::kPeakSpeed:
    case Metric::kEccentricTime:  // dropping faster = less control: see the header
      return smaller;
    case Metric::kConcentricTime:  // lifting slower = weaker
      return OtherSide(smaller);
  }
  return std::nullopt;
}

std::optional<Side> MajorityWeaker(const MetricComparisons& metrics, bool significant_only) {
  int votes_left = 0;
  int votes_right = 0;
  double largest_pd = -1.0;
  std::optional<Side> largest_side;
  for (const MetricComparison& m : metrics) {
    if (m.band == Band::kNotApplicable || !m.weaker_side) continue;
    if (significant_only && !m.significant) continue;
    (*m.weaker_side == Side::kLeft ? votes_left : votes_right) += 1;
    if (m.percent_difference > largest_pd) {
      largest_pd = m.percent_difference;
      largest_side = m.weaker_side;
    }
  }
  if (votes_left > votes_right) return Side::kLeft;
  if (votes_right > votes_left) return Side::kRight;
  return largest_side;  // tie (or nothing): the largest gap decides
}

}  // namespace

Band BandOf(double percent_difference, const BandLimits& limits) {
  if (percent_difference >= limits.red_from_pct) return Band::kRed;
  if (percent_difference >= limits.amber_from_pct) return Band::kAmber;
  return Band::kGreen;
}

MetricComparison CompareMetric(Metric metric, double left, double right, const BandLimits& limits,
                               double min_comparable) {
  MetricComparison result;
  result.metric = metric;
  result.left = left;
  result.right = right;
  const double larger = std::max(left, right);
  const bool comparable = std::isfinite(left) && std::isfinite(right) && left >= 0.0 &&
                          right >= 0.0 && larger > 0.0 &&
                          !(left < min_comparable && right < min_comparable);
  if (!comparable) return result;  // band n/a, no weaker side
  result.percent_difference = std::abs(left - right) / larger * 100.0;
  result.symmetry_index_pct = (left - right) / ((left + right) / 2.0) * 100.0;
  result.weaker_side = WeakerByValue(metric, left, right);
  result.band = BandOf(result.percent_difference, limits);
  return result;
}

double MetricValue(const Rep& rep, Metric metric) {
  switch (metric) {
    case Metric::kRom:
      return rep.rom_deg;
    case Metric::kConcentricTime:
      return rep.concentric_s;
    case Metric::kEccentricTime:
      return rep.eccentric_s;
    case Metric::kPeakSpeed:
      return rep.peak_concentric_speed_deg_s > 0.0 ? rep.peak_concentric_speed_deg_s
                                                   : rep.peak_speed_deg_s;
  }
  return 0.0;
}

Band WorseBand(Band a, Band b) { return Rank(a) >= Rank(b) ? a : b; }

std::optional<Side> WeakerSideOf(const MetricComparisons& metrics) {
  bool any_significant = false;
  for (const MetricComparison& m : metrics) {
    any_significant |= m.significant && m.band != Band::kNotApplicable && m.weaker_side;
  }
  return MajorityWeaker(metrics, any_significant);
}

std::string_view DisplayName(Metric metric) {
  switch (metric) {
    case Metric::kRom:
      return "range of motion";
    case Metric::kConcentricTime:
      return "lifting time";
    case Metric::kEccentricTime:
      return "lowering time";
    case Metric::kPeakSpeed:
      return "peak speed";
  }
  return "";
}

}  // namespace ambi::fusion
