#include "daemon/central/local_outbox.h"

#include <sqlite3.h>

#include <charconv>
#include <cmath>

#include "daemon/central/central_tables.h"
#include "daemon/store/sqlite_handle.h"

namespace ambi::central {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// The store tables whose updates matter as well as their inserts.
constexpr std::string_view kUpdatedTables[] = {"sessions", "sets"};

// The outbox, its cursor, and what the store already holds (parents before children): run once,
// when the outbox does not exist yet.
std::string OutboxTables() {
  std::string sql = R"sql(
CREATE TABLE central_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL
    DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
);
CREATE TABLE central_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  shipped_seq INTEGER NOT NULL
);
INSERT INTO central_cursor (id, shipped_seq) VALUES (1, 0);
)sql";
  for (const CentralTable& table : CentralTables()) {
    const std::string name(table.store_table);
    sql += "INSERT INTO central_outbox (tbl, row_id) SELECT '" + name + "', rowid FROM " + name +
           " ORDER BY rowid;\n";
  }
  return sql;
}

// The triggers that queue every later write; at every start, so dropped ones come back.
std::string OutboxTriggers() {
  std::string sql;
  for (const CentralTable& table : CentralTables()) {
    const std::string name(table.store_table);
    const std::string queue = " BEGIN INSERT INTO central_outbox (tbl, row_id) VALUES ('" + name +
                              "', NEW.rowid); END;\n";
    sql += "CREATE TRIGGER IF NOT EXISTS central_outbox_" + name + "_insert AFTER INSERT ON " +
           name + queue;
    for (std::string_view updated : kUpdatedTables) {
      if (updated != name) continue;
      sql += "CREATE TRIGGER IF NOT EXISTS central_outbox_" + name + "_update AFTER UPDATE ON " +
             name + queue;
    }
  }
  return sql;
}

std::string HexBytea(const void* data, int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::string text = "\\x";
  text.reserve(2 + 2 * static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 0xF];
  }
  return text;
}

std::string DoubleText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::optional<std::string> ColumnValue(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT:
      return DoubleText(sqlite3_column_double(statement, column));
    case SQLITE_BLOB:
      return HexBytea(sqlite3_column_blob(statement, column),
                      sqlite3_column_bytes(statement, column));
    default:
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, column)),
                         static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
  }
}

// A prepared statement of this file, finalized on scope exit.
class Query {
 public:
  Query(sqlite3* db, std::string_view sql) {
    sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr);
  }
  ~Query() { sqlite3_finalize(statement_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  sqlite3_stmt* get() const { return statement_; }
  bool ok() const { return statement_ != nullptr; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

std::string Failure(sqlite3* db, const std::string& path, const std::string& what) {
  return "local store '" + path + "': " + what + ": " + sqlite3_errmsg(db);
}

}  // namespace

std::unique_ptr<LocalOutbox> LocalOutbox::Open(const std::string& path, ExerciseTraitsLookup traits,
                                               std::string* error) {
  auto connection = store::SqliteConnection::Open(path, SQLITE_OPEN_READWRITE, error);
  if (!connection) return nullptr;
  sqlite3_busy_timeout(connection->get(), kBusyTimeoutMs);
  std::unique_ptr<LocalOutbox> outbox(new LocalOutbox(std::move(connection), std::move(traits)));
  if (!outbox->Install(error)) return nullptr;
  return outbox;
}

LocalOutbox::LocalOutbox(std::unique_ptr<store::SqliteConnection> connection,
                         ExerciseTraitsLookup traits)
    : connection_(std::move(connection)), traits_(std::move(traits)) {}

LocalOutbox::~LocalOutbox() = default;

bool LocalOutbox::Install(std::string* error) {
  // BEGIN IMMEDIATE: the check and the creation happen under the write lock, so the backfill
  // and the triggers see the same rows (none committed in between).
  if (!connection_->Exec("BEGIN IMMEDIATE", error)) return false;
  std::int64_t exists = 0;
  bool ok = connection_->QueryInt64(
      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'central_outbox'",
      &exists, error);
  if (ok && exists == 0) ok = connection_->Exec(OutboxTables(), error);
  if (ok) ok = connection_->Exec(OutboxTriggers(), error);
  if (ok) {
    ok = connection_->QueryInt64("SELECT shipped_seq FROM central_cursor WHERE id = 1", &cursor_,
                                 error);
  }
  std::string ignored;
  if (!ok) {
    *error = "local store '" + connection_->path() + "': preparing the central outbox: " + *error;
    connection_->Exec("ROLLBACK", &ignored);
    return false;
  }
  return connection_->Exec("COMMIT", error);
}

bool LocalOutbox::ReadBatch(std::size_t limit, std::vector<OutboxRow>* rows, std::int64_t* last_seq,
                            std::string* error) {
  rows->clear();
  *last_seq = cursor_;
  sqlite3* db = connection_->get();
  if (!connection_->Exec("BEGIN", error)) return false;
  bool ok = true;
  {
    Query queued(
        db, "SELECT seq, tbl, row_id FROM central_outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    ok = queued.ok();
    if (ok) {
      sqlite3_bind_int64(queued.get(), 1, cursor_);
      sqlite3_bind_int64(queued.get(), 2, static_cast<sqlite3_int64>(limit));
    }
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(queued.get())) == SQLITE_ROW) {
      const std::int64_t seq = sqlite3_column_int64(queued.get(), 0);
      const std::string table(reinterpret_cast<const char*>(sqlite3_column_text(queued.get(), 1)));
      const std::int64_t row_id = sqlite3_column_int64(queued.get(), 2);
      *last_seq = seq;
      const CentralTable* spec = FindCentralTable(table);
      if (spec == nullptr) continue;  // a table a newer ambid queued: nothing to copy here
      Query select(db, spec->select_by_rowid);
      if (!select.ok()) {
        ok = false;
        break;
      }
      sqlite3_bind_int64(select.get(), 1, row_id);
      const int found = sqlite3_step(select.get());
      if (found == SQLITE_DONE) continue;  // deleted since: nothing left to copy
      if (found != SQLITE_ROW) {
        ok = false;
        break;
      }
      OutboxRow row{seq, table, {}};
      const int columns = sqlite3_column_count(select.get());
      for (int c = 0; c < columns; ++c) row.values.push_back(ColumnValue(select.get(), c));
      if (table == "sets") {
        const ExerciseTraits traits =
            traits_ && row.values[2] ? traits_(*row.values[2]) : ExerciseTraits{};
        row.values.emplace_back(traits.muscle_groups);
        row.values.emplace_back(traits.direction);
        row.values.emplace_back(traits.reaching ? "true" : "false");
      }
      rows->push_back(std::move(row));
    }
    if (ok && rc != SQLITE_DONE) ok = false;
  }
  if (!ok) *error = Failure(db, connection_->path(), "reading the central outbox");
  std::string ignored;
  connection_->Exec("COMMIT", &ignored);  // a read transaction
  return ok;
}

bool LocalOutbox::Advance(std::int64_t seq, std::string* error) {
  if (seq <= cursor_) return true;
  const std::string sql =
      "BEGIN IMMEDIATE; UPDATE central_cursor SET shipped_seq = " + std::to_string(seq) +
      " WHERE id = 1; DELETE FROM central_outbox " + "WHERE seq <= " + std::to_string(seq) +
      "; COMMIT;";
  if (!connection_->Exec(sql, error)) {
    std::string ignored;
    connection_->Exec("ROLLBACK", &ignored);
    *error = "local store '" + connection_->path() + "': moving the central cursor: " + *error;
    return false;
  }
  cursor_ = seq;
  return true;
}

bool LocalOutbox::Backlog(OutboxBacklog* backlog, std::string* error) {
  sqlite3* db = connection_->get();
  // AUTOINCREMENT keys grow by one per queued row, so the newest key less the cursor counts
  // the backlog without scanning it.
  Query query(db,
              "SELECT COALESCE(MAX(seq), 0), (SELECT created_unix_ms FROM central_outbox WHERE "
              "seq > ?1 ORDER BY seq LIMIT 1) FROM central_outbox");
  if (!query.ok()) {
    *error = Failure(db, connection_->path(), "reading the backlog");
    return false;
  }
  sqlite3_bind_int64(query.get(), 1, cursor_);
  if (sqlite3_step(query.get()) != SQLITE_ROW) {
    *error = Failure(db, connection_->path(), "reading the backlog");
    return false;
  }
  const std::int64_t newest = sqlite3_column_int64(query.get(), 0);
  backlog->rows = newest > cursor_ ? newest - cursor_ : 0;
  backlog->oldest_unix_ms = backlog->rows > 0 ? sqlite3_column_int64(query.get(), 1) : 0;
  return true;
}

}  // namespace ambi::central
