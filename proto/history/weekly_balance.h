#ifndef AMBI_PROTO_HISTORY_WEEKLY_BALANCE_H_
#define AMBI_PROTO_HISTORY_WEEKLY_BALANCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ambi/v1/service.pb.h"

namespace ambi::proto {

// What the balance needs to know of an exercise: a box reads it from its exercise catalog, a
// central history from what each box shipped with its sets.
struct ExerciseKind {
  std::vector<std::string> muscle_groups;
  enum class Direction { kNeither, kPush, kPull };
  Direction direction = Direction::kNeither;
  bool reaching = false;  // overhead or forward reaching work
};
// The kind of an exercise, or null when it is unknown (it then counts toward rep totals only).
using ExerciseKindLookup = std::function<const ExerciseKind*(std::string_view exercise)>;

// One set as the weekly balance sees it (read from the sets table).
struct BalanceSet {
  std::string exercise;
  std::int64_t start_unix_ns = 0;
  std::uint32_t left_reps = 0;
  std::uint32_t right_reps = 0;
  // The set summary compared ROM between the sides (false for a set without summary, or the
  // first set of a unilateral pair, which has nothing to compare with yet).
  bool rom_compared = false;
  double rom_percent_difference = 0.0;
  double rom_symmetry_index_pct = 0.0;
  v1::Side weaker_side = v1::SIDE_UNSPECIFIED;  // the summary's verdict
  // Mean rep ROM of each side in the set (segment angle); 0 when the side has no reps.
  double left_mean_rom_deg = 0.0;
  double right_mean_rom_deg = 0.0;
};

// [from, to) of the 'weeks' ISO weeks ending with the one containing 'until_unix_ns'.
struct WeekRange {
  std::int64_t from_unix_ns = 0;
  std::int64_t to_unix_ns = 0;
};
WeekRange BalanceWeekRange(std::int64_t until_unix_ns, std::uint32_t weeks);

// The latest 'until_unix_ns' a balance can be asked for: 2200-01-01 00:00 UTC. int64 ns end in
// April 2262; the week arithmetic near that end overflowed (INT64_MAX named weeks "2262-W12" on
// the release build and aborted the UBSan build).
inline constexpr std::int64_t kMaxBalanceUntilUnixNs = 7'258'118'400'000'000'000;
// The most weeks a range may span: sixty years, so the range always fits int64 ns.
inline constexpr std::uint32_t kMaxBalanceRangeWeeks = 60 * 53;

// Empty when BalanceWeekRange(until_unix_ns, weeks) is computable: until_unix_ns in
// (0, kMaxBalanceUntilUnixNs] and weeks in [1, kMaxBalanceRangeWeeks]. Otherwise a message for
// a person naming the value and the limit.
std::string BalanceRangeError(std::int64_t until_unix_ns, std::uint32_t weeks);

// Fills 'response->weeks' (oldest first, one entry per week, empty weeks included so a chart
// has a continuous axis) from 'sets'; sets outside the range, and sets without a rep, are
// ignored. Per week:
// - a set counts once for each muscle group of its exercise (kind_of), with its left/right
//   reps; push/pull sets by the catalog direction; quadriceps/hamstrings sets are the sets
//   whose exercise works that group;
// - left_reps/right_reps total every set, including exercises the catalog does not know (the
//   totals need no catalog); unknown exercises count toward nothing else;
// - per exercise (sorted by name, unknown ones too): its set count, the mean ROM percent
//   difference and signed symmetry index over the sets that compared ROM (0 when none did),
//   and the side the summaries named weaker in most sets (unspecified on a tie or none).
// - per exercise, the mean ROM of each side over the sets with reps on that side, and the
//   athlete's baseline: the mean signed ROM symmetry index of the first week in the range that
//   compared the exercise (carried into every later week, so a week reads against it);
// - reaching_sets (catalog `reaching`), and 'advice' sentences when pull:push is below 2:1 or
//   there was no reaching work (docs/coaching.md); none for a week without sets.
// Muscle groups are sorted by name and listed only when the week has sets for them.
// 'kind_of' may be empty (every exercise unknown). Adds nothing when BalanceRangeError() is not
// empty.
void BuildWeeklyBalance(const std::vector<BalanceSet>& sets, const ExerciseKindLookup& kind_of,
                        std::int64_t until_unix_ns, std::uint32_t weeks,
                        v1::WeeklyBalanceResponse* response);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_HISTORY_WEEKLY_BALANCE_H_
