#ifndef AMBI_DAEMON_STORE_SESSION_STORE_H_
#define AMBI_DAEMON_STORE_SESSION_STORE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ambi::config {
class ExerciseCatalog;
}
namespace ambi::v1 {
class Event;
class GetSessionRequest;
class GetSessionResponse;
class ListSessionsRequest;
class ListSessionsResponse;
class WeeklyBalanceRequest;
class WeeklyBalanceResponse;
}  // namespace ambi::v1

namespace ambi::store {

struct SessionStoreOptions {
  std::string path;  // database file; its directory must exist
  // The writer commits what is queued at least this often: the most a process crash can lose
  // of what was recorded but not Flush()ed. Shorter means more, smaller transactions.
  std::chrono::milliseconds commit_interval{50};
  // In WAL mode with synchronous=NORMAL a commit is in the WAL file (the OS page cache) when it
  // returns: it survives the process being killed, not a power loss, which can roll back the
  // last commits (never corrupt the database). kPowerLoss (synchronous=FULL) fsyncs the WAL at
  // every commit: durable across power loss, at the cost of one fsync per commit.
  enum class Durability { kProcessCrash, kPowerLoss };
  Durability durability = Durability::kProcessCrash;
  // Writes waiting for the writer beyond this are dropped (and reported by Flush() and
  // last_write_error()) rather than letting a stalled disk grow memory without bound: the
  // sensor thread never waits on the disk.
  std::size_t max_queued_writes = 100'000;
  // A batch the database refused as a whole for a reason that may pass (disk full, I/O error,
  // locked) is queued again, in front, and retried after this pause; it is lost only when the
  // queue is full or the store is closing and the last try failed too.
  std::chrono::milliseconds retry_interval{1000};
};

// Why a query failed, for the gRPC layer to map onto a status code.
enum class QueryError { kNone, kInvalidArgument, kNotFound, kInternal };

// Every session ambid records, in a SQLite database in WAL mode: athletes, sessions, sets, reps,
// rep pairs with their per-metric comparison, cues, and a log of sensor status, fatigue and
// unpaired-rep events (schema in schema.cc). Summaries, pairs and cues are also kept serialized
// so GetSession returns the exact messages that were published.
//
// Writes are queued and a writer thread commits them in one transaction per batch, at least
// every commit_interval; the callers (the sensor thread) never wait on the disk. Queries run on
// their own read connection, after the writes queued before them were tried: a query sees what
// was recorded before it. One process per database file:
// Open() ends the sessions a dead process left open (end_unix_ns 0), which would wrongly end a
// live process's sessions.
//
// Thread-safe: every method may be called from any thread.
class SessionStore {
 public:
  // Opens or creates the database at options.path, in WAL mode, creating the schema or
  // migrating an older one (PRAGMA user_version); a database from a newer ambid, or another
  // program's database, is refused. Sessions left open by a process that died are ended at
  // their last recorded event. nullptr and *error (naming the path) on failure. 'catalog' (may
  // be null; must outlive the store) gives the muscle groups and directions of the weekly
  // balance.
  static std::unique_ptr<SessionStore> Open(const SessionStoreOptions& options,
                                            const config::ExerciseCatalog* catalog,
                                            std::string* error);
  ~SessionStore();  // Close()
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Queues a new session and returns its id: the UTC start time then random hex,
  // "20261123T101500.123Z-1a2b3c4d", so ids sort by start time. Returns "" (and logs) when
  // 'athlete' is empty, 'start_unix_ns' is not positive, or the store is closed.
  std::string BeginSession(const std::string& athlete, std::int64_t start_unix_ns,
                           const std::string& capture_path);
  // Queues one published event of a session begun by this store and not yet ended; 'unix_ns'
  // is the wall clock when it was published. False (and logged) for any other session id, a
  // full queue, or a closed store.
  bool RecordEvent(const std::string& session_id, const v1::Event& event, std::int64_t unix_ns);
  // Queues the end of a session begun by this store; an end before the start is taken as the
  // start. False (and logged) for a session that is not open here.
  bool EndSession(const std::string& session_id, std::int64_t end_unix_ns);

  // Blocks until everything queued so far is committed. False and *error if a write failed or
  // was dropped since the previous Flush() (the error of the first such failure), or the store
  // is closed.
  bool Flush(std::string* error);
  // Flushes, stops the writer and closes the database. Sessions still open stay open in the
  // database (end_unix_ns 0) until the next Open() ends them. Idempotent.
  void Close();

  // Sessions, newest first, filtered by athlete and by start time in [from, to) (0: unbounded);
  // limit 0 means 100. An athlete never recorded is kNotFound.
  bool ListSessions(const v1::ListSessionsRequest& request, v1::ListSessionsResponse* response,
                    std::string* error, QueryError* error_kind = nullptr);
  // One session: its info, set summaries in set order, cues and rep pairs in recording order.
  // A set cut off before its summary (the daemon died) is listed with what is known of it:
  // index, exercise, mode, limb, start and per-side rep counts, band unspecified.
  bool GetSession(const v1::GetSessionRequest& request, v1::GetSessionResponse* response,
                  std::string* error, QueryError* error_kind = nullptr);
  // The coach's weekly view (proto/history/weekly_balance.h says what is counted). 'now_unix_ns'
  // is used when the request has no until_unix_ns. weeks 0 means 4, at most 520.
  bool WeeklyBalance(const v1::WeeklyBalanceRequest& request, std::int64_t now_unix_ns,
                     v1::WeeklyBalanceResponse* response, std::string* error,
                     QueryError* error_kind = nullptr);

  // The most recent write error (also logged via spdlog); empty if none ever happened.
  std::string last_write_error() const;
  const std::string& path() const;

 private:
  class Impl;
  explicit SessionStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_SESSION_STORE_H_
