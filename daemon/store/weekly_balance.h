#ifndef AMBI_DAEMON_STORE_WEEKLY_BALANCE_H_
#define AMBI_DAEMON_STORE_WEEKLY_BALANCE_H_

#include <cstdint>
#include <vector>

#include "proto/history/weekly_balance.h"

namespace ambi::config {
class ExerciseCatalog;
}
namespace ambi::fusion {
struct Exercise;
}

namespace ambi::store {

// The builder is shared with the readers of a central history (proto/history); the store gives
// it the exercise catalog.
using history::BalanceRangeError;
using history::BalanceSet;
using history::BalanceWeekRange;
using history::kMaxBalanceRangeWeeks;
using history::kMaxBalanceUntilUnixNs;
using history::WeekRange;

// history::BuildWeeklyBalance with the muscle groups, direction and reaching flag of each
// exercise from 'catalog' (may be null: every exercise unknown).
void BuildWeeklyBalance(const std::vector<BalanceSet>& sets, const config::ExerciseCatalog* catalog,
                        std::int64_t until_unix_ns, std::uint32_t weeks,
                        v1::WeeklyBalanceResponse* response);

// The catalog's view of one exercise, as the balance reads it.
history::ExerciseKind ExerciseKindOf(const fusion::Exercise& exercise);

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_WEEKLY_BALANCE_H_
