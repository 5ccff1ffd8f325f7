#ifndef AMBI_DAEMON_STORE_SQLITE_HANDLE_H_
#define AMBI_DAEMON_STORE_SQLITE_HANDLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ambi::store {

// One SQLite connection, closed on destruction. Used by one thread at a time (the store gives
// the writer thread and the readers a connection each). Internal to the store.
class SqliteConnection {
 public:
  // Opens 'path' with sqlite3_open_v2 'flags'; nullptr and *error (naming the path) on failure.
  static std::unique_ptr<SqliteConnection> Open(const std::string& path, int flags,
                                                std::string* error);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements that return no rows of interest. False and *error on failure.
  bool Exec(std::string_view sql, std::string* error);
  // Runs a single-value query (a PRAGMA, a COUNT). False and *error on failure or no row.
  bool QueryInt64(std::string_view sql, std::int64_t* value, std::string* error);
  bool QueryText(std::string_view sql, std::string* value, std::string* error);

  std::string ErrorMessage() const;
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

// A prepared statement, finalized on destruction. Bind parameters are 1-based, columns 0-based.
// A statement whose SQL failed to prepare reports that error from Step().
class Statement {
 public:
  enum class StepResult { kRow, kDone, kError };

  Statement(const SqliteConnection& connection, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  StepResult Step();
  // Steps a statement that returns no rows; false and *error (with the SQL) on failure.
  bool Run(std::string* error);
  // Clears bindings and rewinds so the statement can run again.
  void Reset();

  bool ColumnIsNull(int column) const;
  std::int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

  // The last error, naming the statement.
  std::string ErrorMessage() const;

 private:
  const SqliteConnection& connection_;
  std::string sql_;
  sqlite3_stmt* statement_ = nullptr;
  std::string prepare_error_;
};

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_SQLITE_HANDLE_H_
