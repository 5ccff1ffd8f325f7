#include "tests/e2e/sqlite_query.h"

#include <sqlite3.h>

#include <memory>
#include <stdexcept>

namespace ambi::e2e {

std::vector<SqlRow> QueryRows(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, &sqlite3_close);
  if (opened != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path + " read-only: " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(opened)));
  }
  sqlite3_stmt* raw_statement = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw_statement, nullptr) != SQLITE_OK) {
    throw std::runtime_error(path + ": cannot prepare '" + sql + "': " + sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw_statement, &sqlite3_finalize);
  std::vector<SqlRow> rows;
  int step;
  while ((step = sqlite3_step(statement.get())) == SQLITE_ROW) {
    SqlRow row;
    for (int column = 0; column < sqlite3_column_count(statement.get()); ++column) {
      const unsigned char* text = sqlite3_column_text(statement.get(), column);
      row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  if (step != SQLITE_DONE) {
    throw std::runtime_error(path + ": '" + sql + "' failed: " + sqlite3_errmsg(db.get()));
  }
  return rows;
}

}  // namespace ambi::e2e
