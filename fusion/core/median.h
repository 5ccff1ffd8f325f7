#ifndef AMBI_FUSION_CORE_MEDIAN_H_
#define AMBI_FUSION_CORE_MEDIAN_H_

#include <algorithm>
#include <array>
#include <cstddef>

namespace ambi::fusion {

// Median of the first 'count' values of a ring of recent values (at least one, at most N; the
// upper one of the middle two when even). By value: the ring keeps its order.
template <std::size_t N>
double MedianOfFirst(std::array<double, N> values, int count) {
  const auto n = static_cast<std::size_t>(std::clamp(count, 1, static_cast<int>(N)));
  std::nth_element(values.begin(), values.begin() + n / 2, values.begin() + n);
  return values[n / 2];
}

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_MEDIAN_H_
