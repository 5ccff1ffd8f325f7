#ifndef AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_
#define AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_

#include <optional>
#include <string_view>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"

namespace ambi::fusion {

// Compares one metric between sides: percentage difference, signed symmetry index, the weaker
// side (smaller ROM or peak speed; longer concentric time; shorter, less controlled, eccentric
// time), and the band from 'limits'. n/a when both values are below 'min_comparable'.
//
// Why the eccentric direction is reversed: a lift is slower where the muscle is weaker, but the
// lowering phase is braked by the muscle, so the side that drops faster (shorter eccentric time)
// is the one that controls the load less. 'significant' is left false: it needs the set's
// rep-to-rep variability, which only the caller knows.
MetricComparison CompareMetric(Metric metric, double left, double right, const BandLimits& limits,
                               double min_comparable);

// Band of a percentage difference: green below 'limits.amber_from_pct', red from
// 'limits.red_from_pct', amber in between.
Band BandOf(double percent_difference, const BandLimits& limits);

// The value of 'metric' in 'rep', in the metric's unit (deg, s, deg/s). Peak speed is the peak of
// the concentric phase (the effort), or of the whole rep when the concentric peak is unknown (0).
double MetricValue(const Rep& rep, Metric metric);

// The worse of two bands (red > amber > green > n/a).
Band WorseBand(Band a, Band b);

// Weaker side over several comparisons. Among the significant comparable metrics, the side named
// weaker by most of them; on a tie, the side of the largest percentage difference. When no metric
// is significant the same rule runs over all comparable metrics (the caller reports the verdict
// as not significant). Empty when no comparable metric names a side.
std::optional<Side> WeakerSideOf(const MetricComparisons& metrics);

// "range of motion", "concentric time", ... for messages to people.
std::string_view DisplayName(Metric metric);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_
