#ifndef AMBI_CLIENTS_REPORT_WEEKLY_SUMMARY_H_
#define AMBI_CLIENTS_REPORT_WEEKLY_SUMMARY_H_

#include <optional>
#include <string>
#include <vector>

#include "ambi/v1/service.pb.h"

namespace ambi::report {

// The aim of the weekly balance: two pull sets for every push set. Most programmes push more
// than they pull, which rounds the shoulders forward; strength coaches commonly aim at 2:1.
inline constexpr double kPullPerPushAim = 2.0;

// A change of the ROM gap smaller than this many percentage points, from the baseline week to
// the latest week, is read as "about the same": week-to-week means of a few sets move by a
// couple of points without any real change.
inline constexpr double kGapChangeWorthNotingPct = 2.0;

// Default band limits of the ROM difference (the catalog's defaults): green below 10 %, amber
// from 10 %, red from 25 %. Exercises may override them in the catalog; the stored verdicts
// (bands) always come from the daemon, these only shade the charts.
inline constexpr double kAmberFromPct = 10.0;
inline constexpr double kRedFromPct = 25.0;

// How one exercise's ROM gap went over the weeks.
struct ExerciseTrend {
  std::string exercise;
  v1::Side weaker_side = v1::SIDE_UNSPECIFIED;  // in the latest compared week
  std::string baseline_week;
  double baseline_gap_pct = 0.0;  // ROM percent difference in the baseline week
  std::string latest_week;
  double latest_gap_pct = 0.0;
  enum class Direction {
    kOnlyOneWeek,
    kClosing,
    kSteady,
    kWidening
  } direction = Direction::kOnlyOneWeek;
};

// The mean ROM percent difference of 'exercise' in its baseline week (a week of 'balance'), or
// nullopt when it has no baseline in the range. Gaps are read as percent differences
// everywhere, so the summary, the tables and the charts show the same figures.
std::optional<double> BaselinePercentDifference(const v1::WeeklyBalanceResponse& balance,
                                                const v1::ExerciseAsymmetry& exercise);

// One trend per exercise that compared ROM in at least one week, sorted by exercise.
std::vector<ExerciseTrend> ExerciseTrends(const v1::WeeklyBalanceResponse& balance);

// The plain-language summary: one sentence per exercise ("Biceps curl: the left side is weaker
// (ROM gap 8.1 % in 2026-W48); the gap is closing (12.0 % in 2026-W45)."), then the push:pull
// balance against the aim and the left/right rep totals.
std::vector<std::string> SummarySentences(const v1::WeeklyBalanceResponse& balance);

}  // namespace ambi::report

#endif  // AMBI_CLIENTS_REPORT_WEEKLY_SUMMARY_H_
