#include "tools/load/proc_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace ambi::load {
namespace {

TEST(ProcStatsTest, ParsesCpuTicksAfterACommandWithSpacesAndParentheses) {
  const char* stat =
      "1234 (amb (i) d) S 1 1234 1234 0 -1 4194560 500 0 0 0 70 30 0 0 20 0 5 0 100 1000 200";
  ASSERT_TRUE(ParseStatCpuTicks(stat).has_value());
  EXPECT_EQ(*ParseStatCpuTicks(stat), 100);
}

TEST(ProcStatsTest, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseStatCpuTicks("1234 (ambid) S 1 1234").has_value());
  EXPECT_FALSE(ParseStatCpuTicks("no parenthesis here").has_value());
}

TEST(ProcStatsTest, FindsKeysInStatus) {
  const char* status = "Name:\tambid\nVmRSSX:\t1 kB\nVmRSS:\t  20480 kB\nThreads:\t7\n";
  EXPECT_EQ(ParseStatusKib(status, "VmRSS"), 20480);
  EXPECT_EQ(ParseStatusKib(status, "Threads"), 7);
  EXPECT_FALSE(ParseStatusKib(status, "VmSwap").has_value());
}

TEST(ProcStatsTest, ReadsThisProcess) {
  const auto sample = ReadProcSample(getpid());
  ASSERT_TRUE(sample.has_value());
  EXPECT_GT(sample->rss_kib, 0);
  EXPECT_GE(sample->threads, 1);
  EXPECT_GE(sample->cpu_s, 0.0);
}

TEST(ProcStatsTest, LeastSquaresSlopeOfALineWithNoise) {
  const std::vector<double> x = {0, 1, 2, 3, 4};
  const std::vector<double> y = {10, 12.1, 13.9, 16, 18};  // about 2 per step
  EXPECT_NEAR(LeastSquaresSlope(x, y), 1.99, 1e-9);
  EXPECT_EQ(LeastSquaresSlope({1.0}, {5.0}), 0.0);
  EXPECT_EQ(LeastSquaresSlope({1.0, 1.0}, {5.0, 6.0}), 0.0);
}

}  // namespace
}  // namespace ambi::load
