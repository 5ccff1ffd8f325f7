#ifndef AMBI_DAEMON_CENTRAL_LOCAL_OUTBOX_H_
#define AMBI_DAEMON_CENTRAL_LOCAL_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ambi::store {
class SqliteConnection;
}

namespace ambi::central {

// What the weekly balance needs to know of an exercise, as this box's catalog says it; shipped
// with each set so the central database needs no catalog.
struct ExerciseTraits {
  std::string muscle_groups;  // comma-separated, e.g. "biceps,forearm_flexors"
  std::string direction;      // "push", "pull" or "neither"
  bool reaching = false;
};
using ExerciseTraitsLookup = std::function<ExerciseTraits(const std::string& exercise)>;

// One row to copy: the store table it comes from and its column values in the order the
// central statement for that table takes them (after box_id), as text for PostgreSQL (nullopt
// is NULL; integers in decimal, doubles in shortest round-trip form, blobs as bytea hex).
struct OutboxRow {
  std::int64_t seq = 0;  // the outbox position; rows are shipped in this order
  std::string table;     // "sessions", "sets", "reps", "rep_pairs", "rep_pair_metrics", ...
  std::vector<std::optional<std::string>> values;
};

struct OutboxBacklog {
  std::int64_t rows = 0;            // recorded, not yet shipped
  std::int64_t oldest_unix_ms = 0;  // when the oldest of them was recorded; 0 without backlog
};

// The shipper's side of the local SQLite store. Triggers on the store's tables append every
// insert (and the updates of sessions and sets) to an outbox table in the same transaction as
// the write, so the outbox holds exactly what was committed, in commit order. A cursor table
// keeps the last position copied to the central database; Advance() moves it and drops the
// rows behind it in one transaction, so a crash repeats at most the batch in flight (the
// central upserts make that harmless). Created on first use, with the rows already in the
// store queued, so history recorded before [central] was configured is shipped too.
//
// Used by one thread (the shipper's).
class LocalOutbox {
 public:
  // Opens its own connection to the store at 'path' (created by SessionStore::Open). nullptr
  // and *error naming the path on failure.
  static std::unique_ptr<LocalOutbox> Open(const std::string& path, ExerciseTraitsLookup traits,
                                           std::string* error);
  ~LocalOutbox();
  LocalOutbox(const LocalOutbox&) = delete;
  LocalOutbox& operator=(const LocalOutbox&) = delete;

  // Up to 'limit' rows after the cursor, in order, read in one snapshot. A row deleted from
  // the store since it was queued is skipped. False and *error if the store cannot be read.
  bool ReadBatch(std::size_t limit, std::vector<OutboxRow>* rows, std::int64_t* last_seq,
                 std::string* error);
  // Records that everything up to 'seq' is in the central database.
  bool Advance(std::int64_t seq, std::string* error);
  bool Backlog(OutboxBacklog* backlog, std::string* error);

 private:
  LocalOutbox(std::unique_ptr<store::SqliteConnection> connection, ExerciseTraitsLookup traits);
  bool Install(std::string* error);

  std::unique_ptr<store::SqliteConnection> connection_;
  ExerciseTraitsLookup traits_;
  std::int64_t cursor_ = 0;
};

}  // namespace ambi::central

#endif  // AMBI_DAEMON_CENTRAL_LOCAL_OUTBOX_H_
