#include "daemon/store/session_store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/store/catalog_balance.h"
#include "daemon/store/schema.h"
#include "daemon/store/session_reader.h"
#include "daemon/store/store_writer.h"
#include "proto/history/weekly_balance.h"

namespace ambi::store {
namespace {

using proto::BalanceRangeError;
using proto::BalanceSet;
using proto::BalanceWeekRange;
using proto::WeekRange;

constexpr int kBusyTimeoutMs = 5000;
constexpr std::uint32_t kDefaultListLimit = 100;
constexpr std::uint32_t kMaxListLimit = 10'000;
constexpr std::uint32_t kDefaultBalanceWeeks = 4;
constexpr std::uint32_t kMaxBalanceWeeks = 520;

// "20261123T101500.123Z": UTC, millisecond resolution, sorts like the time it names.
std::string UtcTimestamp(std::int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  const auto millis = static_cast<int>((unix_ns / 1'000'000) % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

// Failures of a whole batch that may pass: the batch is kept and tried again.
bool MayPass(int sqlite_code) {
  switch (sqlite_code & 0xFF) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
      return true;
    default:
      return false;
  }
}

bool QueryFail(std::string message, QueryError what, std::string* error, QueryError* kind) {
  *error = std::move(message);
  if (kind != nullptr) *kind = what;
  return false;
}

}  // namespace

class SessionStore::Impl {
 public:
  Impl(const SessionStoreOptions& options, const config::ExerciseCatalog* catalog,
       std::unique_ptr<StoreWriter> writer, std::unique_ptr<SessionReader> reader)
      : options_(options),
        catalog_(catalog),
        writer_(std::move(writer)),
        reader_(std::move(reader)),
        random_(std::random_device{}()) {
    thread_ = std::thread([this] { RunWriter(); });
  }

  ~Impl() { Close(); }

  std::string BeginSession(const std::string& athlete, std::int64_t start_unix_ns,
                           const std::string& capture_path) {
    if (athlete.empty() || start_unix_ns <= 0) {
      spdlog::error("session store '{}': cannot begin a session for athlete '{}' at {} ns: {}",
                    options_.path, athlete, start_unix_ns,
                    athlete.empty() ? "the athlete is empty" : "the start time is not positive");
      return {};
    }
    std::unique_lock lock(mutex_);
    std::string session_id;
    do {
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "-%08x", static_cast<unsigned>(random_() >> 32));
      session_id = UtcTimestamp(start_unix_ns) + suffix;
    } while (open_sessions_.contains(session_id));
    if (!Enqueue(BeginSessionWrite{session_id, athlete, start_unix_ns, capture_path}, &lock)) {
      return {};
    }
    open_sessions_.emplace(session_id, start_unix_ns);
    return session_id;
  }

  bool RecordEvent(const std::string& session_id, const v1::Event& event, std::int64_t unix_ns) {
    EventWrite write{session_id, event, unix_ns};  // copied before the lock: others wait less
    std::unique_lock lock(mutex_);
    if (!open_sessions_.contains(session_id)) {
      lock.unlock();
      spdlog::error("session store '{}': event for session '{}' dropped: no such session is open",
                    options_.path, session_id);
      return false;
    }
    return Enqueue(std::move(write), &lock);
  }

  bool EndSession(const std::string& session_id, std::int64_t end_unix_ns) {
    std::unique_lock lock(mutex_);
    const auto open = open_sessions_.find(session_id);
    if (open == open_sessions_.end()) {
      lock.unlock();
      spdlog::error("session store '{}': cannot end session '{}': no such session is open",
                    options_.path, session_id);
      return false;
    }
    const std::int64_t end = std::max(end_unix_ns, open->second);
    open_sessions_.erase(open);
    return Enqueue(EndSessionWrite{session_id, end}, &lock);
  }

  bool Flush(std::string* error) {
    std::unique_lock lock(mutex_);
    if (closed_) {
      *error = "session store '" + options_.path + "' is closed";
      return false;
    }
    AwaitQueuedWritesLocked(&lock);
    if (!error_since_flush_.empty()) {
      *error = std::move(error_since_flush_);
      error_since_flush_.clear();
      return false;
    }
    return true;
  }

  void Close() {
    std::lock_guard close_lock(close_mutex_);
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      stopping_ = true;
    }
    wake_writer_.notify_all();
    thread_.join();
    std::unique_lock readers(reader_mutex_);
    reader_.reset();
    writer_.reset();  // the last connection: SQLite checkpoints the WAL into the database
  }

  bool ListSessions(const v1::ListSessionsRequest& request, v1::ListSessionsResponse* response,
                    std::string* error, QueryError* kind) {
    if (request.from_unix_ns() < 0 || request.to_unix_ns() < 0) {
      return QueryFail("list sessions: from_unix_ns and to_unix_ns must not be negative",
                       QueryError::kInvalidArgument, error, kind);
    }
    if (request.to_unix_ns() != 0 && request.to_unix_ns() <= request.from_unix_ns()) {
      return QueryFail("list sessions: to_unix_ns " + std::to_string(request.to_unix_ns()) +
                           " is not after from_unix_ns " + std::to_string(request.from_unix_ns()),
                       QueryError::kInvalidArgument, error, kind);
    }
    const std::uint32_t limit =
        request.limit() == 0 ? kDefaultListLimit : std::min(request.limit(), kMaxListLimit);
    return WithReader(error, kind, [&](SessionReader* reader, QueryError* what) {
      return reader->ListSessions(request, limit, response, error, what);
    });
  }

  bool GetSession(const v1::GetSessionRequest& request, v1::GetSessionResponse* response,
                  std::string* error, QueryError* kind) {
    if (request.session_id().empty()) {
      return QueryFail("get session: session_id is required", QueryError::kInvalidArgument, error,
                       kind);
    }
    return WithReader(error, kind, [&](SessionReader* reader, QueryError* what) {
      return reader->GetSession(request.session_id(), response, error, what);
    });
  }

  bool WeeklyBalance(const v1::WeeklyBalanceRequest& request, std::int64_t now_unix_ns,
                     v1::WeeklyBalanceResponse* response, std::string* error, QueryError* kind) {
    if (request.athlete().empty()) {
      return QueryFail("weekly balance: athlete is required", QueryError::kInvalidArgument, error,
                       kind);
    }
    if (request.weeks() > kMaxBalanceWeeks) {
      return QueryFail("weekly balance: weeks " + std::to_string(request.weeks()) +
                           " is more than the maximum " + std::to_string(kMaxBalanceWeeks),
                       QueryError::kInvalidArgument, error, kind);
    }
    const std::int64_t until = request.until_unix_ns() != 0 ? request.until_unix_ns() : now_unix_ns;
    const std::uint32_t weeks = request.weeks() == 0 ? kDefaultBalanceWeeks : request.weeks();
    if (const std::string range_error = BalanceRangeError(until, weeks); !range_error.empty()) {
      return QueryFail("weekly balance: " + range_error, QueryError::kInvalidArgument, error, kind);
    }
    const WeekRange range = BalanceWeekRange(until, weeks);
    std::vector<BalanceSet> sets;
    const bool ok = WithReader(error, kind, [&](SessionReader* reader, QueryError* what) {
      return reader->BalanceSets(request.athlete(), range, &sets, error, what);
    });
    if (!ok) return false;
    response->set_athlete(request.athlete());
    BuildWeeklyBalance(sets, catalog_, until, weeks, response);
    return true;
  }

  std::string last_write_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

  const std::string& path() const { return options_.path; }

 private:
  // Queues 'write' (under 'lock'); false when closed or the queue is full.
  bool Enqueue(StoreWrite write, std::unique_lock<std::mutex>* lock) {
    if (closed_) {
      lock->unlock();
      spdlog::error("session store '{}': write after Close() dropped", options_.path);
      return false;
    }
    if (queue_.size() >= options_.max_queued_writes) {
      ++dropped_;
      const std::string message = "session store '" + options_.path +
                                  "': the writer is behind by " + std::to_string(queue_.size()) +
                                  " writes (disk stalled?); dropped " + std::to_string(dropped_) +
                                  " writes so far";
      NoteErrorLocked(message);
      lock->unlock();
      // Every drop would flood the log; powers of two show that it goes on.
      if ((dropped_ & (dropped_ - 1)) == 0) spdlog::error("{}", message);
      return false;
    }
    const bool was_empty = queue_.empty();
    queue_.push_back(std::move(write));
    ++accepted_;
    lock->unlock();
    if (was_empty) wake_writer_.notify_one();
    return true;
  }

  // Waits until the writer has tried every write queued so far (committed or failed).
  void AwaitQueuedWritesLocked(std::unique_lock<std::mutex>* lock) {
    const std::uint64_t target = accepted_;
    if (written_ >= target) return;
    ++flush_waiters_;
    wake_writer_.notify_all();
    written_cv_.wait(*lock, [&] { return written_ >= target; });
    --flush_waiters_;
  }

  void NoteErrorLocked(const std::string& message) {
    last_error_ = message;
    if (error_since_flush_.empty()) error_since_flush_ = message;
  }

  void NoteError(const std::string& message) {
    spdlog::error("{}", message);
    std::lock_guard lock(mutex_);
    NoteErrorLocked(message);
  }

  void RunWriter() {
    std::vector<StoreWrite> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything is written
      // Let the batch grow for one commit interval unless someone waits for it.
      wake_writer_.wait_for(lock, options_.commit_interval,
                            [&] { return stopping_ || flush_waiters_ > 0; });
      batch.swap(queue_);
      lock.unlock();
      const bool retry = WriteBatch(batch);
      const std::size_t count = batch.size();
      lock.lock();
      written_ += count;  // tried: Flush() waits for a try, and reports its error
      written_cv_.notify_all();
      if (retry) Requeue(&batch, &lock);
      batch.clear();
    }
  }

  // Puts a batch the database refused for a passing reason back in front of the queue (as far as
  // max_queued_writes allows) and pauses before the next try. At Close() the last try was the
  // final one.
  void Requeue(std::vector<StoreWrite>* batch, std::unique_lock<std::mutex>* lock) {
    if (stopping_) {
      NoteErrorLocked("session store '" + options_.path + "': " + std::to_string(batch->size()) +
                      " writes lost at shutdown: the database still refuses them");
      spdlog::error("{}", last_error_);
      return;
    }
    const std::size_t room =
        options_.max_queued_writes - std::min(options_.max_queued_writes, queue_.size());
    const std::size_t kept = std::min(room, batch->size());
    dropped_ += batch->size() - kept;
    queue_.insert(queue_.begin(), std::make_move_iterator(batch->begin()),
                  std::make_move_iterator(batch->begin() + static_cast<std::ptrdiff_t>(kept)));
    accepted_ += kept;  // queued again: a later Flush() waits for the retry
    ++requeued_batches_;
    if (kept < batch->size() || (requeued_batches_ & (requeued_batches_ - 1)) == 0) {
      spdlog::warn("session store '{}': {} writes queued again (retry in {} ms), {} dropped",
                   options_.path, kept, options_.retry_interval.count(), batch->size() - kept);
    }
    wake_writer_.wait_for(*lock, options_.retry_interval, [&] { return stopping_; });
  }

  // Writes 'batch' in one transaction. True when the database refused the batch as a whole for
  // a reason that may pass (disk full, I/O error): nothing of it was kept, and it is to be
  // queued again. Items refused one by one (a constraint) are reported and skipped.
  bool WriteBatch(const std::vector<StoreWrite>& batch) {
    sqlite3* db = writer_->connection()->get();
    const std::string count = std::to_string(batch.size()) + " writes";
    std::string error;
    if (!writer_->BeginTransaction(&error)) {
      const bool retry = MayPass(sqlite3_extended_errcode(db));
      NoteError("cannot start a transaction, " + count + (retry ? " to retry: " : " lost: ") +
                error);
      return retry;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (writer_->Write(batch[i], &error)) continue;
      const int code = sqlite3_extended_errcode(db);
      NoteError(error);
      if (sqlite3_get_autocommit(db) != 0) {
        // The database ended the transaction itself (I/O error, disk full): nothing was kept.
        const bool retry = MayPass(code);
        NoteError("session store '" + options_.path + "': transaction aborted, " + count +
                  (retry ? " to retry" : " lost"));
        return retry;
      }
    }
    if (!writer_->Commit(&error)) {
      const bool retry = MayPass(sqlite3_extended_errcode(db));
      writer_->Rollback();
      NoteError("cannot commit " + count + (retry ? ", to retry: " : ": ") + error);
      return retry;
    }
    return false;
  }

  template <typename Query>
  bool WithReader(std::string* error, QueryError* kind, Query&& query) {
    {
      // A query sees every write queued before it: a session started a moment ago is listed
      // and its reps counted, whatever the commit interval. The writer tries them at once for a
      // waiter; a refused batch is tried again later, and the query then reads without it.
      std::unique_lock lock(mutex_);
      if (!closed_) AwaitQueuedWritesLocked(&lock);
    }
    std::shared_lock readers(reader_mutex_);
    if (reader_ == nullptr) {
      return QueryFail("session store '" + options_.path + "' is closed", QueryError::kInternal,
                       error, kind);
    }
    QueryError what = QueryError::kNone;
    const bool ok = query(reader_.get(), &what);
    if (kind != nullptr) *kind = ok ? QueryError::kNone : what;
    return ok;
  }

  const SessionStoreOptions options_;
  const config::ExerciseCatalog* const catalog_;
  std::unique_ptr<StoreWriter> writer_;  // the writer thread's, until Close()

  std::shared_mutex reader_mutex_;  // exclusive only to close the reader
  std::unique_ptr<SessionReader> reader_;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable written_cv_;
  std::vector<StoreWrite> queue_;
  std::uint64_t accepted_ = 0;  // writes ever queued
  std::uint64_t written_ = 0;   // of those, written (committed or failed)
  int flush_waiters_ = 0;
  bool stopping_ = false;
  bool closed_ = false;
  std::uint64_t dropped_ = 0;
  std::uint64_t requeued_batches_ = 0;
  std::string last_error_;
  std::string error_since_flush_;
  std::map<std::string, std::int64_t> open_sessions_;  // id -> start_unix_ns
  std::mt19937_64 random_;

  std::mutex close_mutex_;
  std::thread thread_;
};

std::unique_ptr<SessionStore> SessionStore::Open(const SessionStoreOptions& options,
                                                 const config::ExerciseCatalog* catalog,
                                                 std::string* error) {
  if (options.path.empty()) {
    *error = "session store: the database path is empty";
    return nullptr;
  }
  if (options.commit_interval.count() < 0 || options.max_queued_writes == 0 ||
      options.retry_interval.count() < 0) {
    *error = "session store '" + options.path +
             "': commit_interval and retry_interval must not be negative and "
             "max_queued_writes must be positive";
    return nullptr;
  }
  auto connection = SqliteConnection::Open(
      options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, error);
  if (connection == nullptr) return nullptr;
  sqlite3_busy_timeout(connection->get(), kBusyTimeoutMs);
  std::string journal_mode;
  if (!connection->QueryText("PRAGMA journal_mode = WAL", &journal_mode, error)) return nullptr;
  if (journal_mode != "wal") {
    *error = "session store '" + options.path + "': cannot use WAL mode (journal mode is '" +
             journal_mode + "'; is it on a file system without shared memory?)";
    return nullptr;
  }
  const char* synchronous =
      options.durability == SessionStoreOptions::Durability::kPowerLoss ? "FULL" : "NORMAL";
  if (!connection->Exec(std::string("PRAGMA synchronous = ") + synchronous, error) ||
      !connection->Exec("PRAGMA foreign_keys = ON", error) ||
      !EnsureSchema(connection.get(), error)) {
    return nullptr;
  }
  const int abandoned = CloseAbandonedSessions(connection.get(), error);
  if (abandoned < 0) return nullptr;
  if (abandoned > 0) {
    spdlog::warn(
        "session store '{}': ended {} session(s) left open by a previous ambid that "
        "stopped without ending them, at their last recorded event",
        options.path, abandoned);
  }

  auto read_connection =
      SqliteConnection::Open(options.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, error);
  if (read_connection == nullptr) return nullptr;
  sqlite3_busy_timeout(read_connection->get(), kBusyTimeoutMs);

  auto impl =
      std::make_unique<Impl>(options, catalog, std::make_unique<StoreWriter>(std::move(connection)),
                             std::make_unique<SessionReader>(std::move(read_connection)));
  return std::unique_ptr<SessionStore>(new SessionStore(std::move(impl)));
}

SessionStore::SessionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionStore::~SessionStore() { Close(); }

std::string SessionStore::BeginSession(const std::string& athlete, std::int64_t start_unix_ns,
                                       const std::string& capture_path) {
  return impl_->BeginSession(athlete, start_unix_ns, capture_path);
}
bool SessionStore::RecordEvent(const std::string& session_id, const v1::Event& event,
                               std::int64_t unix_ns) {
  return impl_->RecordEvent(session_id, event, unix_ns);
}
bool SessionStore::EndSession(const std::string& session_id, std::int64_t end_unix_ns) {
  return impl_->EndSession(session_id, end_unix_ns);
}
bool SessionStore::Flush(std::string* error) { return impl_->Flush(error); }
void SessionStore::Close() { impl_->Close(); }
bool SessionStore::ListSessions(const v1::ListSessionsRequest& request,
                                v1::ListSessionsResponse* response, std::string* error,
                                QueryError* error_kind) {
  return impl_->ListSessions(request, response, error, error_kind);
}
bool SessionStore::GetSession(const v1::GetSessionRequest& request,
                              v1::GetSessionResponse* response, std::string* error,
                              QueryError* error_kind) {
  return impl_->GetSession(request, response, error, error_kind);
}
bool SessionStore::WeeklyBalance(const v1::WeeklyBalanceRequest& request, std::int64_t now_unix_ns,
                                 v1::WeeklyBalanceResponse* response, std::string* error,
                                 QueryError* error_kind) {
  return impl_->WeeklyBalance(request, now_unix_ns, response, error, error_kind);
}
std::string SessionStore::last_write_error() const { return impl_->last_write_error(); }
const std::string& SessionStore::path() const { return impl_->path(); }

}  // namespace ambi::store
