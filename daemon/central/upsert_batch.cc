#include "daemon/central/upsert_batch.h"

#include <algorithm>
#include <map>

#include "daemon/central/central_tables.h"

namespace ambi::central {
namespace {

// The positions of a table's key columns among its values.
std::vector<std::size_t> KeyPositions(const CentralTable& table) {
  std::vector<std::size_t> positions;
  for (std::string_view key : table.keys) {
    const auto at = std::find(table.columns.begin(), table.columns.end(), key);
    positions.push_back(static_cast<std::size_t>(at - table.columns.begin()));
  }
  return positions;
}

std::string KeyOf(const OutboxRow& row, const std::vector<std::size_t>& positions) {
  std::string key;
  for (const std::size_t position : positions) {
    const auto& value = position < row.values.size() ? row.values[position] : std::nullopt;
    key += value ? *value : std::string("\x01NULL");
    key += '\0';
  }
  return key;
}

}  // namespace

std::vector<UpsertStatement> PlanUpserts(const std::vector<OutboxRow>& rows,
                                         const std::string& box_id) {
  std::vector<UpsertStatement> statements;
  for (const CentralTable& table : CentralTables()) {
    // The last occurrence of each key, in the order the rows were recorded.
    const std::vector<std::size_t> positions = KeyPositions(table);
    std::map<std::string, std::size_t> last_by_key;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].table == table.store_table) last_by_key[KeyOf(rows[i], positions)] = i;
    }
    std::vector<std::size_t> chosen;
    for (const auto& [key, index] : last_by_key) chosen.push_back(index);
    std::sort(chosen.begin(), chosen.end());

    const std::size_t columns = table.columns.size();
    const std::size_t per_statement =
        std::max<std::size_t>(1, std::min(kMaxRowsPerStatement, kMaxParamsPerStatement / columns));
    for (std::size_t first = 0; first < chosen.size(); first += per_statement) {
      const std::size_t count = std::min(per_statement, chosen.size() - first);
      UpsertStatement statement;
      statement.sql = CentralUpsertSql(table, count);
      statement.rows = count;
      statement.params.reserve(1 + count * columns);
      statement.params.emplace_back(box_id);
      for (std::size_t i = first; i < first + count; ++i) {
        const OutboxRow& row = rows[chosen[i]];
        for (std::size_t c = 0; c < columns; ++c) {
          statement.params.push_back(c < row.values.size() ? row.values[c] : std::nullopt);
        }
      }
      statements.push_back(std::move(statement));
    }
  }
  return statements;
}

}  // namespace ambi::central
