#include "proto/history/iso_week.h"

#include <gtest/gtest.h>

#include "daemon/store/store_test_util.h"

namespace ambi::store {
namespace {

using proto::IsoWeekOf;
using proto::kNsPerDay;
using testing::UnixNs;

TEST(IsoWeekTest, WeekOneHoldsTheFirstThursday) {
  // 2026-01-01 is a Thursday: its week starts Monday 2025-12-29 and is 2026's first.
  EXPECT_EQ(IsoWeekOf(UnixNs(2025, 12, 29)).Name(), "2026-W01");
  EXPECT_EQ(IsoWeekOf(UnixNs(2025, 12, 29)).start_unix_ns, UnixNs(2025, 12, 29));
  EXPECT_EQ(IsoWeekOf(UnixNs(2026, 1, 4, 23, 59)).Name(), "2026-W01");
  EXPECT_EQ(IsoWeekOf(UnixNs(2025, 12, 29) - 1).Name(), "2025-W52");
  EXPECT_EQ(IsoWeekOf(UnixNs(2025, 12, 29) - 1).start_unix_ns, UnixNs(2025, 12, 22));
}

TEST(IsoWeekTest, YearWithFiftyThreeWeeks) {
  // 2020 began on a Wednesday and was a leap year: 2021-01-01 (Friday) is still 2020's week 53.
  EXPECT_EQ(IsoWeekOf(UnixNs(2021, 1, 1, 12)).Name(), "2020-W53");
  EXPECT_EQ(IsoWeekOf(UnixNs(2021, 1, 1, 12)).start_unix_ns, UnixNs(2020, 12, 28));
  EXPECT_EQ(IsoWeekOf(UnixNs(2021, 1, 4)).Name(), "2021-W01");
}

TEST(IsoWeekTest, MondayMidnightStartsTheWeek) {
  EXPECT_EQ(IsoWeekOf(UnixNs(2026, 11, 23)).Name(), "2026-W48");
  EXPECT_EQ(IsoWeekOf(UnixNs(2026, 11, 23) - 1).Name(), "2026-W47");
  EXPECT_EQ(IsoWeekOf(UnixNs(2026, 11, 29, 23, 59)).Name(), "2026-W48");
}

TEST(IsoWeekTest, AroundTheEpoch) {
  // 1970-01-01 was a Thursday, in the week that started Monday 1969-12-29.
  EXPECT_EQ(IsoWeekOf(0).Name(), "1970-W01");
  EXPECT_EQ(IsoWeekOf(0).start_unix_ns, -3 * kNsPerDay);
  EXPECT_EQ(IsoWeekOf(-3 * kNsPerDay - 1).Name(), "1969-W52");
}

}  // namespace
}  // namespace ambi::store
