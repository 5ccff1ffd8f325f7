#ifndef AMBI_DAEMON_CENTRAL_UPSERT_BATCH_H_
#define AMBI_DAEMON_CENTRAL_UPSERT_BATCH_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "daemon/central/local_outbox.h"

namespace ambi::central {

// One multi-row statement: its SQL and its parameters ($1 is the box id, then each row's
// values in turn; nullopt is NULL).
struct UpsertStatement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  std::size_t rows = 0;
};

// PostgreSQL takes at most 65,535 parameters per statement; a statement also stays small enough
// to plan quickly.
constexpr std::size_t kMaxRowsPerStatement = 500;
constexpr std::size_t kMaxParamsPerStatement = 60'000;

// The statements that upsert 'rows' (one outbox batch, shipped in one transaction): one
// multi-row INSERT ... ON CONFLICT per table and chunk instead of a round trip per row. The
// central tables have no foreign keys, so the order between tables within the transaction does
// not matter. A row queued twice (a session updated when it ends, a set given its summary) is
// sent once, with the values of its last occurrence: ON CONFLICT DO UPDATE refuses to touch one
// row twice in one statement. Rows of a table the shipper does not know are skipped (none are
// queued by the store's triggers).
std::vector<UpsertStatement> PlanUpserts(const std::vector<OutboxRow>& rows,
                                         const std::string& box_id);

}  // namespace ambi::central

#endif  // AMBI_DAEMON_CENTRAL_UPSERT_BATCH_H_
