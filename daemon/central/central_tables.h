#ifndef AMBI_DAEMON_CENTRAL_CENTRAL_TABLES_H_
#define AMBI_DAEMON_CENTRAL_CENTRAL_TABLES_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ambi::central {

// How one table of the local store is copied: the query reading one row by its rowid (?1), and
// the central table with the columns that query returns, in the same order (box_id comes
// first and is not listed). 'keys' identify a row centrally; 'mutable_row' rows change after
// they are first written (sessions end, sets get their summary) and are upserted, the others
// are inserted once and a repeat is ignored.
struct CentralTable {
  std::string_view store_table;
  std::string_view select_by_rowid;
  std::string_view central_table;
  std::vector<std::string_view> columns;
  std::vector<std::string_view> keys;  // besides box_id
  bool mutable_row = false;
};

std::span<const CentralTable> CentralTables();
const CentralTable* FindCentralTable(std::string_view store_table);

// INSERT INTO <central_table> (box_id, columns...) VALUES ($1, ...)[, ($1, ...)] ON CONFLICT
// ... for 'rows' rows: $1 is the box id of every row, the values of row r start at
// $(2 + r * columns.size()).
std::string CentralUpsertSql(const CentralTable& table, std::size_t rows = 1);

}  // namespace ambi::central

#endif  // AMBI_DAEMON_CENTRAL_CENTRAL_TABLES_H_
