#ifndef AMBI_DAEMON_STORE_CATALOG_BALANCE_H_
#define AMBI_DAEMON_STORE_CATALOG_BALANCE_H_

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

// The weekly balance (proto/history) with the muscle groups, direction and reaching flag of each
// exercise taken from the daemon's catalog ('catalog' may be null: every exercise unknown).
void BuildWeeklyBalance(const std::vector<proto::BalanceSet>& sets,
                        const config::ExerciseCatalog* catalog, std::int64_t until_unix_ns,
                        std::uint32_t weeks, v1::WeeklyBalanceResponse* response);

// The catalog's view of one exercise, as the balance reads it.
proto::ExerciseKind ExerciseKindOf(const fusion::Exercise& exercise);

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_CATALOG_BALANCE_H_
