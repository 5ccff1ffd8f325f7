#include "daemon/store/catalog_balance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "daemon/store/store_test_util.h"

namespace ambi::store {
namespace {

using proto::BalanceRangeError;
using proto::BalanceSet;
using proto::kMaxBalanceRangeWeeks;
using proto::kMaxBalanceUntilUnixNs;
using testing::UnixNs;

BalanceSet Set(const std::string& exercise, std::int64_t start_unix_ns, std::uint32_t left_reps,
               std::uint32_t right_reps, v1::Side weaker_side = v1::SIDE_UNSPECIFIED) {
  BalanceSet set;
  set.exercise = exercise;
  set.start_unix_ns = start_unix_ns;
  set.left_reps = left_reps;
  set.right_reps = right_reps;
  set.weaker_side = weaker_side;
  return set;
}

BalanceSet Compared(BalanceSet set, double percent_difference, double symmetry_index_pct) {
  set.rom_compared = true;
  set.rom_percent_difference = percent_difference;
  set.rom_symmetry_index_pct = symmetry_index_pct;
  return set;
}

void ExpectGroup(const v1::MuscleGroupVolume& volume, const std::string& group, std::uint32_t sets,
                 std::uint32_t left_reps, std::uint32_t right_reps) {
  EXPECT_EQ(volume.muscle_group(), group);
  EXPECT_EQ(volume.sets(), sets) << group;
  EXPECT_EQ(volume.left_reps(), left_reps) << group;
  EXPECT_EQ(volume.right_reps(), right_reps) << group;
}

// Three weeks over the new year: 2025-W51 (two exercises), 2025-W52 (nothing) and 2026-W01,
// which begins on Monday 2025-12-29.
TEST(WeeklyBalanceTest, ThreeWeeksAcrossTheYearBoundary) {
  const config::ExerciseCatalog catalog = testing::TestCatalog();
  const std::vector<BalanceSet> sets = {
      // 2025-W50: before the range.
      Set("biceps_curl", UnixNs(2025, 12, 14, 23, 59), 9, 9),
      // 2025-W51.
      Compared(Set("biceps_curl", UnixNs(2025, 12, 16, 10), 10, 9, v1::SIDE_RIGHT), 10.0, 10.0),
      Compared(Set("biceps_curl", UnixNs(2025, 12, 16, 10, 10), 10, 10, v1::SIDE_LEFT), 4.0, -4.0),
      Compared(Set("biceps_curl", UnixNs(2025, 12, 18, 9), 8, 8, v1::SIDE_RIGHT), 1.0, 1.0),
      Compared(Set("squat", UnixNs(2025, 12, 17, 18), 8, 8, v1::SIDE_RIGHT), 6.0, 6.0),
      // 2026-W01.
      Compared(Set("bench_press", UnixNs(2025, 12, 30, 8), 5, 6, v1::SIDE_LEFT), 8.0, -8.0),
      Set("leg_curl", UnixNs(2026, 1, 2, 17), 12, 0),  // first side of a unilateral pair
      Set("leg_curl", UnixNs(2026, 1, 2, 17, 5), 0, 10),
      Set("mystery_move", UnixNs(2026, 1, 3, 7), 3, 4),
      // 2026-W02: after the range.
      Set("squat", UnixNs(2026, 1, 5), 5, 5),
  };
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, &catalog, UnixNs(2026, 1, 1, 12), 3, &response);
  ASSERT_EQ(response.weeks_size(), 3);

  const v1::WeekBalance& w51 = response.weeks(0);
  EXPECT_EQ(w51.week(), "2025-W51");
  EXPECT_EQ(w51.week_start_unix_ns(), UnixNs(2025, 12, 15));
  ASSERT_EQ(w51.muscle_groups_size(), 4);
  ExpectGroup(w51.muscle_groups(0), "biceps", 3, 28, 27);
  ExpectGroup(w51.muscle_groups(1), "forearms", 3, 28, 27);
  ExpectGroup(w51.muscle_groups(2), "glutes", 1, 8, 8);
  ExpectGroup(w51.muscle_groups(3), "quadriceps", 1, 8, 8);
  EXPECT_EQ(w51.push_sets(), 1u);
  EXPECT_EQ(w51.pull_sets(), 3u);
  EXPECT_EQ(w51.quadriceps_sets(), 1u);
  EXPECT_EQ(w51.hamstrings_sets(), 0u);
  EXPECT_EQ(w51.left_reps(), 36u);
  EXPECT_EQ(w51.right_reps(), 35u);
  ASSERT_EQ(w51.exercises_size(), 2);
  EXPECT_EQ(w51.exercises(0).exercise(), "biceps_curl");
  EXPECT_EQ(w51.exercises(0).sets(), 3u);
  EXPECT_DOUBLE_EQ(w51.exercises(0).mean_rom_percent_difference(), 5.0);  // (10 + 4 + 1) / 3
  EXPECT_DOUBLE_EQ(w51.exercises(0).mean_rom_symmetry_index_pct(), 7.0 / 3.0);
  EXPECT_EQ(w51.exercises(0).weaker_side(), v1::SIDE_RIGHT);  // right in 2 of 3
  EXPECT_EQ(w51.exercises(1).exercise(), "squat");
  EXPECT_DOUBLE_EQ(w51.exercises(1).mean_rom_percent_difference(), 6.0);

  const v1::WeekBalance& w52 = response.weeks(1);
  EXPECT_EQ(w52.week(), "2025-W52");
  EXPECT_EQ(w52.week_start_unix_ns(), UnixNs(2025, 12, 22));
  EXPECT_EQ(w52.muscle_groups_size(), 0);
  EXPECT_EQ(w52.exercises_size(), 0);
  EXPECT_EQ(w52.push_sets() + w52.pull_sets() + w52.left_reps() + w52.right_reps(), 0u);

  const v1::WeekBalance& w01 = response.weeks(2);
  EXPECT_EQ(w01.week(), "2026-W01");
  EXPECT_EQ(w01.week_start_unix_ns(), UnixNs(2025, 12, 29));
  ASSERT_EQ(w01.muscle_groups_size(), 3);
  ExpectGroup(w01.muscle_groups(0), "chest", 1, 5, 6);
  ExpectGroup(w01.muscle_groups(1), "hamstrings", 2, 12, 10);
  ExpectGroup(w01.muscle_groups(2), "triceps", 1, 5, 6);
  EXPECT_EQ(w01.push_sets(), 1u);
  EXPECT_EQ(w01.pull_sets(), 2u);
  EXPECT_EQ(w01.quadriceps_sets(), 0u);
  EXPECT_EQ(w01.hamstrings_sets(), 2u);
  // The unknown exercise adds to the rep totals only.
  EXPECT_EQ(w01.left_reps(), 5u + 12u + 3u);
  EXPECT_EQ(w01.right_reps(), 6u + 10u + 4u);
  ASSERT_EQ(w01.exercises_size(), 3);
  EXPECT_EQ(w01.exercises(0).exercise(), "bench_press");
  EXPECT_DOUBLE_EQ(w01.exercises(0).mean_rom_symmetry_index_pct(), -8.0);
  EXPECT_EQ(w01.exercises(0).weaker_side(), v1::SIDE_LEFT);
  EXPECT_EQ(w01.exercises(1).exercise(), "leg_curl");
  EXPECT_EQ(w01.exercises(1).sets(), 2u);
  EXPECT_EQ(w01.exercises(1).mean_rom_percent_difference(), 0.0);  // nothing compared
  EXPECT_EQ(w01.exercises(1).weaker_side(), v1::SIDE_UNSPECIFIED);
  EXPECT_EQ(w01.exercises(2).exercise(), "mystery_move");
  EXPECT_EQ(w01.exercises(2).sets(), 1u);

  // Coaching: 3:1 and 2:1 pull:push meet the aim; no week had reaching work; an empty week gets
  // no advice.
  ASSERT_EQ(w51.advice_size(), 1);
  EXPECT_EQ(w51.advice(0), "No reaching work this week: add overhead or forward reaching sets.");
  EXPECT_EQ(w52.advice_size(), 0);
  ASSERT_EQ(w01.advice_size(), 1);
  EXPECT_EQ(w01.reaching_sets(), 0u);
}

TEST(WeeklyBalanceTest, BelowTwoPullsPerPushAndReachingWorkAreSaidInSentences) {
  const config::CatalogLoadResult loaded = config::ExerciseCatalog::Parse(R"toml(
[exercises.row]
display_name = "Row"
muscle_groups = ["lats"]
direction = "pull"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"

[exercises.shoulder_press]
display_name = "Shoulder press"
muscle_groups = ["front_delts"]
direction = "push"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"
reaching = true
)toml",
                                                                          "test.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  std::vector<BalanceSet> sets;
  for (int i = 0; i < 3; ++i) sets.push_back(Set("row", UnixNs(2026, 1, 6, 10, i), 8, 8));
  sets.push_back(Set("row", UnixNs(2026, 1, 6, 11), 0, 0));  // started and ended, no rep: no set
  for (int i = 0; i < 4; ++i) {
    sets.push_back(Set("shoulder_press", UnixNs(2026, 1, 7, 10, i), 8, 8));
  }
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, &*loaded.catalog, UnixNs(2026, 1, 8), 1, &response);
  ASSERT_EQ(response.weeks_size(), 1);
  const v1::WeekBalance& week = response.weeks(0);
  EXPECT_EQ(week.pull_sets(), 3u);
  EXPECT_EQ(week.push_sets(), 4u);
  EXPECT_EQ(week.reaching_sets(), 4u);
  ASSERT_EQ(week.advice_size(), 1);
  EXPECT_EQ(week.advice(0),
            "3 pull sets for 4 push sets: below the 2:1 pull:push aim; add 5 pull sets.");
}

TEST(WeeklyBalanceTest, TieLeavesTheWeakerSideUnspecified) {
  const config::ExerciseCatalog catalog = testing::TestCatalog();
  const std::vector<BalanceSet> sets = {
      Compared(Set("squat", UnixNs(2026, 11, 24), 8, 8, v1::SIDE_LEFT), 5.0, -5.0),
      Compared(Set("squat", UnixNs(2026, 11, 25), 8, 8, v1::SIDE_RIGHT), 3.0, 3.0),
  };
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, &catalog, UnixNs(2026, 11, 26), 1, &response);
  ASSERT_EQ(response.weeks_size(), 1);
  ASSERT_EQ(response.weeks(0).exercises_size(), 1);
  EXPECT_EQ(response.weeks(0).exercises(0).weaker_side(), v1::SIDE_UNSPECIFIED);
  EXPECT_DOUBLE_EQ(response.weeks(0).exercises(0).mean_rom_symmetry_index_pct(), -1.0);
}

TEST(WeeklyBalanceTest, WithoutCatalogNothingCountsButTheTotals) {
  const std::vector<BalanceSet> sets = {Set("squat", UnixNs(2026, 11, 24), 8, 7)};
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, nullptr, UnixNs(2026, 11, 26), 2, &response);
  ASSERT_EQ(response.weeks_size(), 2);
  EXPECT_EQ(response.weeks(0).week(), "2026-W47");
  const v1::WeekBalance& week = response.weeks(1);
  EXPECT_EQ(week.muscle_groups_size(), 0);
  EXPECT_EQ(week.push_sets(), 0u);
  EXPECT_EQ(week.quadriceps_sets(), 0u);
  EXPECT_EQ(week.left_reps(), 8u);
  EXPECT_EQ(week.right_reps(), 7u);
  ASSERT_EQ(week.exercises_size(), 1);
  EXPECT_EQ(week.exercises(0).exercise(), "squat");
}

// ROM per side is the mean of the sets' per-side means over the sets with reps on that side;
// the baseline is the first week that compared the exercise, carried into later weeks.
TEST(WeeklyBalanceTest, RomPerSideAndBaselineWeekByWeek) {
  const config::ExerciseCatalog catalog = testing::TestCatalog();
  auto with_rom = [](BalanceSet set, double left_deg, double right_deg) {
    set.left_mean_rom_deg = left_deg;
    set.right_mean_rom_deg = right_deg;
    return set;
  };
  const std::vector<BalanceSet> sets = {
      // 2026-W47: nothing compared for the curl (only one side of a pair has reps).
      with_rom(Set("biceps_curl", UnixNs(2026, 11, 17), 8, 0), 100.0, 0.0),
      // 2026-W48: the baseline week.
      with_rom(Compared(Set("biceps_curl", UnixNs(2026, 11, 24), 8, 8), 12.0, -12.0), 90.0, 102.0),
      with_rom(Compared(Set("biceps_curl", UnixNs(2026, 11, 25), 8, 8), 8.0, -8.0), 94.0, 102.0),
      // 2026-W49: the gap narrows.
      with_rom(Compared(Set("biceps_curl", UnixNs(2026, 12, 1), 8, 8), 4.0, -4.0), 98.0, 102.0),
  };
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, &catalog, UnixNs(2026, 12, 2), 3, &response);
  ASSERT_EQ(response.weeks_size(), 3);
  const v1::ExerciseAsymmetry& w47 = response.weeks(0).exercises(0);
  EXPECT_EQ(w47.compared_sets(), 0u);
  EXPECT_EQ(w47.baseline_week(), "");
  EXPECT_DOUBLE_EQ(w47.mean_left_rom_deg(), 100.0);
  EXPECT_DOUBLE_EQ(w47.mean_right_rom_deg(), 0.0);
  const v1::ExerciseAsymmetry& w48 = response.weeks(1).exercises(0);
  EXPECT_EQ(w48.compared_sets(), 2u);
  EXPECT_DOUBLE_EQ(w48.mean_left_rom_deg(), 92.0);
  EXPECT_DOUBLE_EQ(w48.mean_right_rom_deg(), 102.0);
  EXPECT_EQ(w48.baseline_week(), "2026-W48");
  EXPECT_DOUBLE_EQ(w48.baseline_rom_symmetry_index_pct(), -10.0);
  const v1::ExerciseAsymmetry& w49 = response.weeks(2).exercises(0);
  EXPECT_DOUBLE_EQ(w49.mean_rom_symmetry_index_pct(), -4.0);
  EXPECT_EQ(w49.baseline_week(), "2026-W48");
  EXPECT_DOUBLE_EQ(w49.baseline_rom_symmetry_index_pct(), -10.0);
}

TEST(WeeklyBalanceTest, ReachingSetsAreTheCatalogsReachingExercises) {
  const config::CatalogLoadResult loaded = config::ExerciseCatalog::Parse(R"toml(
[exercises.serratus_punch]
display_name = "Serratus punch"
muscle_groups = ["serratus", "front_delts"]
direction = "push"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"
reaching = true
)toml",
                                                                          "reach.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  const std::vector<BalanceSet> sets = {Set("serratus_punch", UnixNs(2026, 11, 24), 10, 10),
                                        Set("serratus_punch", UnixNs(2026, 11, 25), 10, 10)};
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, &*loaded.catalog, UnixNs(2026, 11, 26), 1, &response);
  EXPECT_EQ(response.weeks(0).reaching_sets(), 2u);
  EXPECT_EQ(response.weeks(0).push_sets(), 2u);
}

// GetWeeklyBalance(until_unix_ns = INT64_MAX) named weeks "2262-W12" on the release build and
// aborted the UBSan build: the range is now checked first, with the value and the limit named.
TEST(WeeklyBalanceTest, OutOfRangeRequestsAreRefusedNotOverflowed) {
  const std::vector<BalanceSet> sets = {Set("squat", UnixNs(2026, 11, 24), 8, 7)};
  const std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
  for (const std::int64_t until : {int64_max, kMaxBalanceUntilUnixNs + 1, std::int64_t{0},
                                   std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_THAT(BalanceRangeError(until, 4), ::testing::HasSubstr(std::to_string(until)));
    v1::WeeklyBalanceResponse response;
    BuildWeeklyBalance(sets, nullptr, until, 4, &response);
    EXPECT_EQ(response.weeks_size(), 0) << until;
  }
  EXPECT_THAT(BalanceRangeError(UnixNs(2026, 11, 26), 0xFFFFFFFFu),
              ::testing::HasSubstr("weeks 4294967295 is out of range"));
  // The last accepted values still give whole weeks with ISO names.
  EXPECT_EQ(BalanceRangeError(kMaxBalanceUntilUnixNs, kMaxBalanceRangeWeeks), "");
  v1::WeeklyBalanceResponse response;
  BuildWeeklyBalance(sets, nullptr, kMaxBalanceUntilUnixNs, 2, &response);
  ASSERT_EQ(response.weeks_size(), 2);
  EXPECT_EQ(response.weeks(1).week(), "2200-W01");  // 2200-01-01 is the Wednesday of 2200-W01
}

}  // namespace
}  // namespace ambi::store
