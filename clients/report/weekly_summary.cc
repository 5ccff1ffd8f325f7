#include "clients/report/weekly_summary.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "clients/report/html_parts.h"

namespace ambi::report {
namespace {

std::string Fixed1(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

std::optional<double> BaselinePercentDifference(const v1::WeeklyBalanceResponse& balance,
                                                const v1::ExerciseAsymmetry& exercise) {
  for (const v1::WeekBalance& week : balance.weeks()) {
    if (week.week() != exercise.baseline_week()) continue;
    for (const v1::ExerciseAsymmetry& then : week.exercises()) {
      if (then.exercise() == exercise.exercise() && then.compared_sets() > 0) {
        return then.mean_rom_percent_difference();
      }
    }
  }
  return std::nullopt;
}

std::vector<ExerciseTrend> ExerciseTrends(const v1::WeeklyBalanceResponse& balance) {
  std::map<std::string, ExerciseTrend> trends;
  for (const v1::WeekBalance& week : balance.weeks()) {
    for (const v1::ExerciseAsymmetry& exercise : week.exercises()) {
      if (exercise.compared_sets() == 0) continue;
      ExerciseTrend& trend = trends[exercise.exercise()];
      trend.exercise = exercise.exercise();
      trend.baseline_week = exercise.baseline_week();
      trend.baseline_gap_pct = BaselinePercentDifference(balance, exercise)
                                   .value_or(std::abs(exercise.baseline_rom_symmetry_index_pct()));
      trend.latest_week = week.week();
      trend.latest_gap_pct = exercise.mean_rom_percent_difference();
      // The sign says which side is larger: > 0 left larger, so the right side is weaker.
      const double index = exercise.mean_rom_symmetry_index_pct();
      trend.weaker_side = index > 0   ? v1::SIDE_RIGHT
                          : index < 0 ? v1::SIDE_LEFT
                                      : v1::SIDE_UNSPECIFIED;
    }
  }
  std::vector<ExerciseTrend> out;
  for (auto& [name, trend] : trends) {
    const double change = trend.latest_gap_pct - trend.baseline_gap_pct;
    if (trend.latest_week == trend.baseline_week) {
      trend.direction = ExerciseTrend::Direction::kOnlyOneWeek;
    } else if (change <= -kGapChangeWorthNotingPct) {
      trend.direction = ExerciseTrend::Direction::kClosing;
    } else if (change >= kGapChangeWorthNotingPct) {
      trend.direction = ExerciseTrend::Direction::kWidening;
    } else {
      trend.direction = ExerciseTrend::Direction::kSteady;
    }
    out.push_back(trend);
  }
  return out;
}

std::vector<std::string> SummarySentences(const v1::WeeklyBalanceResponse& balance) {
  std::vector<std::string> sentences;
  for (const ExerciseTrend& trend : ExerciseTrends(balance)) {
    std::string text = ExerciseTitle(trend.exercise) + ": ";
    if (trend.weaker_side == v1::SIDE_UNSPECIFIED) {
      text += "both sides move the same range";
    } else {
      text += std::string("the ") + (trend.weaker_side == v1::SIDE_LEFT ? "left" : "right") +
              " side is weaker (ROM gap " + Fixed1(trend.latest_gap_pct) + " % in " +
              trend.latest_week + ")";
    }
    switch (trend.direction) {
      case ExerciseTrend::Direction::kOnlyOneWeek:
        text += "; only one week compared so far, no trend yet.";
        break;
      case ExerciseTrend::Direction::kClosing:
        text += "; the gap is closing (" + Fixed1(trend.baseline_gap_pct) + " % in " +
                trend.baseline_week + ").";
        break;
      case ExerciseTrend::Direction::kWidening:
        text += "; the gap is widening (" + Fixed1(trend.baseline_gap_pct) + " % in " +
                trend.baseline_week + ").";
        break;
      case ExerciseTrend::Direction::kSteady:
        text += "; about the same as in " + trend.baseline_week + " (" +
                Fixed1(trend.baseline_gap_pct) + " %).";
        break;
    }
    sentences.push_back(text);
  }
  std::uint32_t push = 0;
  std::uint32_t pull = 0;
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  for (const v1::WeekBalance& week : balance.weeks()) {
    push += week.push_sets();
    pull += week.pull_sets();
    left += week.left_reps();
    right += week.right_reps();
  }
  if (push + pull > 0) {
    std::string text = "Push and pull: " + std::to_string(push) + " push and " +
                       std::to_string(pull) + " pull sets";
    const double aim_pull = kPullPerPushAim * push;
    if (pull + 0.5 < aim_pull) {
      text += "; pulling less than the 2:1 aim (" + Fixed1(aim_pull) + " pull sets).";
    } else {
      text += "; at or above the 2:1 aim.";
    }
    sentences.push_back(text);
  }
  if (left + right > 0) {
    sentences.push_back("Reps: " + std::to_string(left) + " left, " + std::to_string(right) +
                        " right.");
  }
  if (sentences.empty()) sentences.push_back("No sets recorded in these weeks.");
  return sentences;
}

}  // namespace ambi::report
