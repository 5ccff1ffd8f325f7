#include "daemon/capture/replay_pacer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace ambi::capture {
namespace {

using std::chrono::nanoseconds;

TEST(ReplayPacerTest, OrdinaryCapturesKeepTheirRecordedTimeline) {
  ReplayPacer pacer;
  EXPECT_EQ(pacer.Next(5'000'000), nanoseconds(5'000'000));
  EXPECT_EQ(pacer.Next(15'000'000), nanoseconds(15'000'000));
  // A three-minute rest between sets is replayed as three minutes.
  EXPECT_EQ(pacer.Next(180'015'000'000), nanoseconds(180'015'000'000));
  EXPECT_EQ(pacer.shortened_steps(), 0u);
}

// An arrival time of INT64_MAX made `--pace 1000` wait 106 days: the step is now at most
// kMaxStep, and later records follow on from there.
TEST(ReplayPacerTest, AbsurdJumpsAreShortenedAndNeverOverflow) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  ReplayPacer pacer;
  EXPECT_EQ(pacer.Next(10'000'000), nanoseconds(10'000'000));
  const nanoseconds at_max = pacer.Next(kMax);
  EXPECT_EQ(at_max, nanoseconds(10'000'000) + ReplayPacer::kMaxStep);
  EXPECT_EQ(pacer.Next(kMin), at_max);  // backwards: due at once, no overflow
  EXPECT_EQ(pacer.Next(kMax), at_max + ReplayPacer::kMaxStep);  // overflowing step
  EXPECT_EQ(pacer.shortened_steps(), 2u);
  EXPECT_LT(at_max / 1000.0, std::chrono::seconds(1));  // the wait at --pace 1000
}

}  // namespace
}  // namespace ambi::capture
