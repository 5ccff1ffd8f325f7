#ifndef AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_
#define AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"

namespace ambi::fusion {

// Compares one metric between sides: percentage difference, signed symmetry index, the weaker
// side (smaller ROM or peak speed; longer concentric time; shorter, less controlled, eccentric
// time), and the band from 'limits'. n/a when both values are below 'min_comparable'.
MetricComparison CompareMetric(Metric metric, double left, double right, const BandLimits& limits,
                               double min_comparable);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ASYMMETRY_METRIC_COMPARISON_H_
