#include "tools/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ambi::load {

std::size_t LatencyHistogram::BucketOf(std::int64_t latency_ns) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(latency_ns, 0));
  if (value < kLinearLimit) return static_cast<std::size_t>(value);
  // value >= 128: its top bit is 'exponent' >= 7; the next kSubBucketBits bits pick the bucket.
  const int exponent = 63 - std::countl_zero(value);
  const std::uint64_t mantissa =
      (value >> (exponent - kSubBucketBits)) & ((1u << kSubBucketBits) - 1);
  return kLinearLimit + static_cast<std::size_t>(exponent - 7) * (1u << kSubBucketBits) +
         static_cast<std::size_t>(mantissa);
}

std::int64_t LatencyHistogram::UpperBoundOf(std::size_t bucket) {
  if (bucket < kLinearLimit) return static_cast<std::int64_t>(bucket);
  const std::size_t offset = bucket - kLinearLimit;
  const int exponent = 7 + static_cast<int>(offset >> kSubBucketBits);
  const std::uint64_t mantissa = offset & ((1u << kSubBucketBits) - 1);
  const std::uint64_t lowest =
      (std::uint64_t{1} << exponent) | (mantissa << (exponent - kSubBucketBits));
  return static_cast<std::int64_t>(lowest + (std::uint64_t{1} << (exponent - kSubBucketBits)) - 1);
}

void LatencyHistogram::Record(std::int64_t latency_ns) {
  if (latency_ns < 0) ++negative_count_;
  ++buckets_[BucketOf(latency_ns)];
  ++count_;
  max_ns_ = std::max(max_ns_, latency_ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  negative_count_ += other.negative_count_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
}

std::int64_t LatencyHistogram::QuantileNs(double quantile) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(quantile, 0.0, 1.0);
  // The rank of the value at this quantile, 1-based: at least one value.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(UpperBoundOf(i), max_ns_);
  }
  return max_ns_;
}

}  // namespace ambi::load
