#include "proto/history/weekly_balance.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "proto/history/iso_week.h"

namespace ambi::proto {
namespace {

struct ExerciseTotals {
  std::uint32_t sets = 0;
  std::uint32_t compared_sets = 0;
  double sum_rom_percent_difference = 0.0;
  double sum_rom_symmetry_index_pct = 0.0;
  std::uint32_t left_weaker = 0;
  std::uint32_t right_weaker = 0;
  std::uint32_t left_rom_sets = 0;
  std::uint32_t right_rom_sets = 0;
  double sum_left_rom_deg = 0.0;
  double sum_right_rom_deg = 0.0;
};

// The first week that compared an exercise: its mean signed ROM symmetry index.
struct Baseline {
  std::string week;
  double rom_symmetry_index_pct = 0.0;
};

struct WeekTotals {
  std::map<std::string, v1::MuscleGroupVolume> muscle_groups;
  std::map<std::string, ExerciseTotals> exercises;
};

void AddSet(const BalanceSet& set, const ExerciseKindLookup& kind_of, WeekTotals* totals,
            v1::WeekBalance* week) {
  week->set_left_reps(week->left_reps() + set.left_reps);
  week->set_right_reps(week->right_reps() + set.right_reps);

  ExerciseTotals& exercise = totals->exercises[set.exercise];
  ++exercise.sets;
  if (set.rom_compared) {
    ++exercise.compared_sets;
    exercise.sum_rom_percent_difference += set.rom_percent_difference;
    exercise.sum_rom_symmetry_index_pct += set.rom_symmetry_index_pct;
  }
  if (set.left_mean_rom_deg > 0.0) {
    ++exercise.left_rom_sets;
    exercise.sum_left_rom_deg += set.left_mean_rom_deg;
  }
  if (set.right_mean_rom_deg > 0.0) {
    ++exercise.right_rom_sets;
    exercise.sum_right_rom_deg += set.right_mean_rom_deg;
  }
  if (set.weaker_side == v1::SIDE_LEFT) ++exercise.left_weaker;
  if (set.weaker_side == v1::SIDE_RIGHT) ++exercise.right_weaker;

  const ExerciseKind* known = kind_of ? kind_of(set.exercise) : nullptr;
  if (known == nullptr) return;
  for (const std::string& group : known->muscle_groups) {
    v1::MuscleGroupVolume& volume = totals->muscle_groups[group];
    volume.set_muscle_group(group);
    volume.set_sets(volume.sets() + 1);
    volume.set_left_reps(volume.left_reps() + set.left_reps);
    volume.set_right_reps(volume.right_reps() + set.right_reps);
  }
  if (known->direction == ExerciseKind::Direction::kPush)
    week->set_push_sets(week->push_sets() + 1);
  if (known->direction == ExerciseKind::Direction::kPull)
    week->set_pull_sets(week->pull_sets() + 1);
  const auto works = [&](std::string_view group) {
    return std::find(known->muscle_groups.begin(), known->muscle_groups.end(), group) !=
           known->muscle_groups.end();
  };
  if (works("quadriceps")) week->set_quadriceps_sets(week->quadriceps_sets() + 1);
  if (works("hamstrings")) week->set_hamstrings_sets(week->hamstrings_sets() + 1);
  if (known->reaching) week->set_reaching_sets(week->reaching_sets() + 1);
}

// The method's weekly aim: two pulling sets for every pushing set (docs/coaching.md).
constexpr std::uint32_t kPullPerPush = 2;

// Sentences when the week misses the aims; nothing for a week without sets.
void AddAdvice(std::uint32_t sets, v1::WeekBalance* week) {
  if (sets == 0) return;
  const std::uint32_t push = week->push_sets();
  const std::uint32_t pull = week->pull_sets();
  if (push > 0 && pull < kPullPerPush * push) {
    char text[160];
    std::snprintf(text, sizeof(text),
                  "%u pull sets for %u push sets: below the 2:1 pull:push aim; add %u pull sets.",
                  pull, push, kPullPerPush * push - pull);
    week->add_advice(text);
  }
  if (week->reaching_sets() == 0) {
    week->add_advice("No reaching work this week: add overhead or forward reaching sets.");
  }
}

void FinishWeek(const WeekTotals& totals, std::map<std::string, Baseline>* baselines,
                v1::WeekBalance* week) {
  for (const auto& [group, volume] : totals.muscle_groups) *week->add_muscle_groups() = volume;
  std::uint32_t sets = 0;
  for (const auto& [name, exercise] : totals.exercises) sets += exercise.sets;
  AddAdvice(sets, week);
  for (const auto& [name, exercise] : totals.exercises) {
    v1::ExerciseAsymmetry* out = week->add_exercises();
    out->set_exercise(name);
    out->set_sets(exercise.sets);
    out->set_compared_sets(exercise.compared_sets);
    if (exercise.compared_sets > 0) {
      out->set_mean_rom_percent_difference(exercise.sum_rom_percent_difference /
                                           exercise.compared_sets);
      out->set_mean_rom_symmetry_index_pct(exercise.sum_rom_symmetry_index_pct /
                                           exercise.compared_sets);
      baselines->try_emplace(name, Baseline{week->week(), out->mean_rom_symmetry_index_pct()});
    }
    if (const auto baseline = baselines->find(name); baseline != baselines->end()) {
      out->set_baseline_week(baseline->second.week);
      out->set_baseline_rom_symmetry_index_pct(baseline->second.rom_symmetry_index_pct);
    }
    if (exercise.left_rom_sets > 0) {
      out->set_mean_left_rom_deg(exercise.sum_left_rom_deg / exercise.left_rom_sets);
    }
    if (exercise.right_rom_sets > 0) {
      out->set_mean_right_rom_deg(exercise.sum_right_rom_deg / exercise.right_rom_sets);
    }
    if (exercise.left_weaker > exercise.right_weaker) out->set_weaker_side(v1::SIDE_LEFT);
    if (exercise.right_weaker > exercise.left_weaker) out->set_weaker_side(v1::SIDE_RIGHT);
  }
}

}  // namespace

std::string BalanceRangeError(std::int64_t until_unix_ns, std::uint32_t weeks) {
  if (until_unix_ns <= 0) {
    return "until_unix_ns " + std::to_string(until_unix_ns) + " is not a time after 1970";
  }
  if (until_unix_ns > kMaxBalanceUntilUnixNs) {
    return "until_unix_ns " + std::to_string(until_unix_ns) + " is out of range (the latest is " +
           std::to_string(kMaxBalanceUntilUnixNs) + ", 2200-01-01)";
  }
  if (weeks == 0 || weeks > kMaxBalanceRangeWeeks) {
    return "weeks " + std::to_string(weeks) + " is out of range (1 to " +
           std::to_string(kMaxBalanceRangeWeeks) + ")";
  }
  return {};
}

WeekRange BalanceWeekRange(std::int64_t until_unix_ns, std::uint32_t weeks) {
  const std::int64_t last_week_start = IsoWeekOf(until_unix_ns).start_unix_ns;
  WeekRange range;
  range.from_unix_ns = last_week_start - static_cast<std::int64_t>(weeks - 1) * kNsPerWeek;
  range.to_unix_ns = last_week_start + kNsPerWeek;
  return range;
}

void BuildWeeklyBalance(const std::vector<BalanceSet>& sets, const ExerciseKindLookup& kind_of,
                        std::int64_t until_unix_ns, std::uint32_t weeks,
                        v1::WeeklyBalanceResponse* response) {
  if (!BalanceRangeError(until_unix_ns, weeks).empty()) return;
  const WeekRange range = BalanceWeekRange(until_unix_ns, weeks);
  std::vector<WeekTotals> totals(weeks);
  const int first = response->weeks_size();
  for (std::uint32_t i = 0; i < weeks; ++i) {
    const IsoWeek iso = IsoWeekOf(range.from_unix_ns + static_cast<std::int64_t>(i) * kNsPerWeek);
    v1::WeekBalance* week = response->add_weeks();
    week->set_week(iso.Name());
    week->set_week_start_unix_ns(iso.start_unix_ns);
  }
  for (const BalanceSet& set : sets) {
    if (set.start_unix_ns < range.from_unix_ns || set.start_unix_ns >= range.to_unix_ns) continue;
    // A set started and ended without a rep (a control pressed by mistake) is no training.
    if (set.left_reps + set.right_reps == 0) continue;
    const auto index = static_cast<int>((set.start_unix_ns - range.from_unix_ns) / kNsPerWeek);
    AddSet(set, kind_of, &totals[static_cast<std::size_t>(index)],
           response->mutable_weeks(first + index));
  }
  std::map<std::string, Baseline> baselines;  // oldest week first, so the first comparison wins
  for (std::uint32_t i = 0; i < weeks; ++i) {
    FinishWeek(totals[i], &baselines, response->mutable_weeks(first + static_cast<int>(i)));
  }
}

}  // namespace ambi::proto
