#include "tools/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace ambi::load {
namespace {

TEST(LatencyHistogramTest, EmptyHasNoQuantiles) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.QuantileNs(0.5), 0);
  EXPECT_EQ(histogram.max_ns(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (std::int64_t v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.QuantileNs(0.5), 50);
  EXPECT_EQ(histogram.QuantileNs(0.99), 99);
  EXPECT_EQ(histogram.QuantileNs(1.0), 100);
  EXPECT_EQ(histogram.max_ns(), 100);
}

TEST(LatencyHistogramTest, BucketsCoverValuesWithinTwoPercent) {
  for (std::int64_t value :
       {128LL, 129LL, 1000LL, 123'456LL, 5'000'000LL, 7'654'321'987LL, (1LL << 62) + 12345}) {
    const std::size_t bucket = LatencyHistogram::BucketOf(value);
    ASSERT_LT(bucket, LatencyHistogram::kBucketCount) << value;
    const std::int64_t upper = LatencyHistogram::UpperBoundOf(bucket);
    EXPECT_GE(upper, value);
    EXPECT_LE(static_cast<double>(upper - value), 0.016 * static_cast<double>(value)) << value;
    // The bucket below ends below the value.
    EXPECT_LT(LatencyHistogram::UpperBoundOf(bucket - 1), value) << value;
  }
}

TEST(LatencyHistogramTest, PercentilesOfMillisecondsAndOutlier) {
  LatencyHistogram histogram;
  // 990 events at 1 ms, 10 at 20 ms: p99 is still 1 ms, the 99.1th percentile 20 ms.
  for (int i = 0; i < 990; ++i) histogram.Record(1'000'000);
  for (int i = 0; i < 10; ++i) histogram.Record(20'000'000);
  EXPECT_NEAR(static_cast<double>(histogram.QuantileNs(0.99)), 1e6, 0.016e6);
  EXPECT_EQ(histogram.QuantileNs(0.991), 20'000'000);  // capped at the exact maximum
  EXPECT_EQ(histogram.max_ns(), 20'000'000);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndKeepsMaximum) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(1000);
  b.Record(3000);
  b.Record(-5);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.negative_count(), 1u);
  EXPECT_EQ(a.max_ns(), 3000);
  EXPECT_EQ(a.QuantileNs(0.0), 0);  // the negative one, recorded as 0
}

}  // namespace
}  // namespace ambi::load
