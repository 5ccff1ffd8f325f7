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
using proto::BalanceRangeError;
using proto::BalanceSet;
using proto::BalanceWeekRange;
using proto::kMaxBalanceRangeWeeks;
using proto::kMaxBalanceUntilUnixNs;
using proto::WeekRange;

// proto::BuildWeeklyBalance with the muscle groups, direction and reaching flag of each
// exercise from 'catalog' (may be null: every exercise unknown).
void BuildWeeklyBalance(const std::vector<BalanceSet>& sets, const config::ExerciseCatalog* catalog,
                        std::int64_t until_unix_ns, std::uint32_t weeks,
                        v1::WeeklyBalanceResponse* response);

// The catalog's view of one exercise, as the balance reads it.
proto::ExerciseKind ExerciseKindOf(const fusion::Exercise& exercise);

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_WEEKLY_BALANCE_H_
