#ifndef AMBI_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
#define AMBI_TOOLS_LOAD_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace ambi::load {

// Latencies in nanoseconds in log-linear buckets: exact below 128 ns, then 64 buckets per power
// of two (at most 1/64 = 1.6 % relative error), so a 30-minute run of millions of events needs a
// few kilobytes instead of a vector of every value. The exact maximum is kept aside.
// Not thread-safe: one writer; merge copies after the writers stopped.
class LatencyHistogram {
 public:
  void Record(std::int64_t latency_ns);
  void Merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  // Values below zero (clock steps) are recorded as 0 and counted here.
  std::uint64_t negative_count() const { return negative_count_; }
  std::int64_t max_ns() const { return max_ns_; }
  // The smallest bucket's upper bound below which at least 'quantile' (0..1) of the values lie;
  // 0 when empty. Never above max_ns().
  std::int64_t QuantileNs(double quantile) const;

  static constexpr int kSubBucketBits = 6;
  static constexpr std::size_t kLinearLimit = 2u << kSubBucketBits;  // 128: exact below
  static constexpr std::size_t kBucketCount = kLinearLimit + (63 - 7) * (1u << kSubBucketBits);

  static std::size_t BucketOf(std::int64_t latency_ns);
  // The largest value that falls into 'bucket'.
  static std::int64_t UpperBoundOf(std::size_t bucket);

 private:
  std::array<std::uint64_t, kBucketCount> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t negative_count_ = 0;
  std::int64_t max_ns_ = 0;
};

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
