#include "daemon/store/sqlite_handle.h"

#include <sqlite3.h>

#include <limits>

namespace ambi::store {

std::unique_ptr<SqliteConnection> SqliteConnection::Open(const std::string& path, int flags,
                                                         std::string* error) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    *error = "cannot open session store '" + path +
             "': " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() { sqlite3_close_v2(db_); }

bool SqliteConnection::Exec(std::string_view sql, std::string* error) {
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return true;
  *error = "session store '" + path_ + "': " + (message != nullptr ? message : "unknown error") +
           " (in: " + text.substr(0, 120) + ")";
  sqlite3_free(message);
  return false;
}

bool SqliteConnection::QueryInt64(std::string_view sql, std::int64_t* value, std::string* error) {
  Statement statement(*this, sql);
  if (statement.Step() != Statement::StepResult::kRow) {
    *error = statement.ErrorMessage();
    return false;
  }
  *value = statement.ColumnInt64(0);
  return true;
}

bool SqliteConnection::QueryText(std::string_view sql, std::string* value, std::string* error) {
  Statement statement(*this, sql);
  if (statement.Step() != Statement::StepResult::kRow) {
    *error = statement.ErrorMessage();
    return false;
  }
  *value = statement.ColumnText(0);
  return true;
}

std::string SqliteConnection::ErrorMessage() const { return sqlite3_errmsg(db_); }

Statement::Statement(const SqliteConnection& connection, std::string_view sql)
    : connection_(connection), sql_(sql) {
  if (sqlite3_prepare_v3(connection.get(), sql_.data(), static_cast<int>(sql_.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement_, nullptr) != SQLITE_OK) {
    prepare_error_ = connection.ErrorMessage();
    sqlite3_finalize(statement_);
    statement_ = nullptr;
  }
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Statement& Statement::Bind(int index, std::int64_t value) {
  if (statement_ != nullptr) sqlite3_bind_int64(statement_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (statement_ != nullptr) sqlite3_bind_double(statement_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (statement_ != nullptr) {
    sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob still binds a blob, not NULL (sqlite3_bind_blob treats a null pointer as
  // NULL), so an empty serialized message reads back as an empty message.
  if (statement_ != nullptr) {
    sqlite3_bind_blob64(statement_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                        SQLITE_TRANSIENT);
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (statement_ != nullptr) sqlite3_bind_null(statement_, index);
  return *this;
}

Statement::StepResult Statement::Step() {
  if (statement_ == nullptr) return StepResult::kError;
  switch (sqlite3_step(statement_)) {
    case SQLITE_ROW:
      return StepResult::kRow;
    case SQLITE_DONE:
      return StepResult::kDone;
    default:
      return StepResult::kError;
  }
}

bool Statement::Run(std::string* error) {
  const StepResult result = Step();
  if (result == StepResult::kError) {
    *error = ErrorMessage();
    Reset();
    return false;
  }
  Reset();
  return true;
}

void Statement::Reset() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(statement_, column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string Statement::ColumnBlob(int column) const {
  const void* bytes = sqlite3_column_blob(statement_, column);
  if (bytes == nullptr) return {};
  return std::string(static_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string Statement::ErrorMessage() const {
  const std::string what = statement_ == nullptr ? prepare_error_ : connection_.ErrorMessage();
  // The statement on one line, shortened: enough to tell which one failed.
  std::string sql;
  std::size_t used = 0;
  for (const char c : sql_) {
    ++used;
    const bool space = c == ' ' || c == '\n';
    if (space && (sql.empty() || sql.back() == ' ')) continue;
    sql.push_back(space ? ' ' : c);
    if (sql.size() >= 80) break;
  }
  if (used < sql_.size()) sql += "...";
  return "session store '" + connection_.path() + "': " + what + " (in: " + sql + ")";
}

}  // namespace ambi::store
