#include "fusion/core/time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace ambi::fusion {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(TimeTest, SecondsInRangeRoundTrip) {
  EXPECT_EQ(DurationFromSeconds(1.5).count(), 1'500'000'000);
  EXPECT_EQ(DurationFromSeconds(-2.0000000004).count(), -2'000'000'000);
  EXPECT_EQ(CheckedDurationFromSeconds(9.0e9)->count(), 9'000'000'000'000'000'000);
  EXPECT_EQ(CheckedDurationFromSeconds(-kMaxDurationSeconds)->count(), -9'200'000'000'000'000'000);
}

// 1e300 s once reached a float-to-int64 conversion (undefined; UBSan aborted) and 1e10 s wrapped
// to a negative time. Out of range is now an error for input and a saturation inside.
TEST(TimeTest, OutOfRangeSecondsAreRefusedOrSaturated) {
  for (const double seconds : {1e10, -1e10, 1e300, -1e300, kInf, -kInf, kNaN}) {
    EXPECT_FALSE(SecondsInRange(seconds)) << seconds;
    EXPECT_FALSE(CheckedDurationFromSeconds(seconds).has_value()) << seconds;
  }
  EXPECT_EQ(DurationFromSeconds(1e300).count(), 9'200'000'000'000'000'000);
  EXPECT_EQ(DurationFromSeconds(-kInf).count(), -9'200'000'000'000'000'000);
  EXPECT_EQ(DurationFromSeconds(kNaN).count(), 0);
  EXPECT_GT(TimeFromSeconds(1e10), TimeFromSeconds(9e9));  // no wrap to a negative time
}

TEST(TimeTest, SaturatingArithmeticNeverWraps) {
  const Time max = Time::max();
  const Time min = Time::min();
  EXPECT_EQ(SaturatingSub(max, min), Duration::max());
  EXPECT_EQ(SaturatingSub(min, max), Duration::min());
  EXPECT_EQ(SaturatingSub(TimeFromNanoseconds(5), TimeFromNanoseconds(7)), Duration(-2));
  EXPECT_EQ(SaturatingAdd(max, Duration(1)), max);
  EXPECT_EQ(SaturatingAdd(min, Duration(-1)), min);
  EXPECT_EQ(SaturatingAdd(TimeFromNanoseconds(5), Duration(-7)), TimeFromNanoseconds(-2));
}

}  // namespace
}  // namespace ambi::fusion
