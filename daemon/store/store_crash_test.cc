// A process killed mid-session loses nothing it committed: fork a child that records a session,
// flushes half of it, keeps recording and is SIGKILLed; the parent reopens the database.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ambi/v1/service.pb.h"
#include "daemon/store/session_store.h"
#include "daemon/store/store_test_util.h"

namespace ambi::store {
namespace {

using testing::GoldenEvents;
using testing::SqliteValue;
using testing::TempDir;
using testing::UnixNs;

constexpr std::int64_t kEventSpacingNs = 100'000'000;
constexpr std::size_t kFlushedEvents = 30;

// Child exit codes, so the parent can tell which step failed.
constexpr int kOpenFailed = 10;
constexpr int kFlushFailed = 11;
constexpr int kWroteId = 12;

// Records the session in the child; never returns.
[[noreturn]] void RecordAndDie(const std::string& path, const std::vector<v1::Event>& events,
                               int id_pipe) {
  SessionStoreOptions options;
  options.path = path;
  // A long interval: what is not flushed stays queued, as a busy daemon's last batch would.
  options.commit_interval = std::chrono::milliseconds(60'000);
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  if (store == nullptr) _exit(kOpenFailed);
  const std::int64_t start = UnixNs(2026, 11, 23, 7);
  const std::string id = store->BeginSession("ana", start, "/captures/ana.capture");
  if (write(id_pipe, id.data(), id.size()) != static_cast<ssize_t>(id.size())) _exit(kWroteId);
  close(id_pipe);
  for (std::size_t i = 0; i < events.size(); ++i) {
    store->RecordEvent(id, events[i], start + static_cast<std::int64_t>(i + 1) * kEventSpacingNs);
    if (i + 1 == kFlushedEvents && !store->Flush(&error)) _exit(kFlushFailed);
  }
  raise(SIGKILL);
  _exit(0);  // not reached
}

TEST(StoreCrashTest, KilledProcessLosesNothingFlushed) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  const std::vector<v1::Event> events = GoldenEvents("curl_asym10");
  ASSERT_GT(events.size(), kFlushedEvents);
  std::size_t flushed_reps = 0;
  std::size_t flushed_pairs = 0;
  for (std::size_t i = 0; i < kFlushedEvents; ++i) {
    flushed_reps += events[i].has_rep() ? 1 : 0;
    flushed_pairs += events[i].has_rep_pair() ? 1 : 0;
  }

  int id_pipe[2];
  ASSERT_EQ(pipe(id_pipe), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(id_pipe[0]);
    RecordAndDie(path, events, id_pipe[1]);
  }
  close(id_pipe[1]);
  std::string session_id;
  char buffer[128];
  for (ssize_t n; (n = read(id_pipe[0], buffer, sizeof buffer)) > 0;) session_id.append(buffer, n);
  close(id_pipe[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with code " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_FALSE(session_id.empty());

  // The WAL of the dead process is recovered by the next connection.
  SessionStoreOptions options;
  options.path = path;
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  EXPECT_EQ(SqliteValue(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(SqliteValue(path, "SELECT COUNT(*) FROM pragma_foreign_key_check"), "0");

  v1::GetSessionRequest request;
  request.set_session_id(session_id);
  v1::GetSessionResponse response;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  EXPECT_GE(response.session().rep_count(), flushed_reps);
  EXPECT_GE(static_cast<std::size_t>(response.rep_pairs_size()), flushed_pairs);
  EXPECT_EQ(response.session().capture_path(), "/captures/ana.capture");
  // Left open by the dead process, ended on reopen at its last recorded event.
  const std::int64_t start = UnixNs(2026, 11, 23, 7);
  const std::string last_event_ns = SqliteValue(
      path,
      "SELECT MAX(unix_ns) FROM (SELECT unix_ns FROM reps UNION ALL SELECT unix_ns FROM "
      "rep_pairs UNION ALL SELECT unix_ns FROM cues UNION ALL SELECT unix_ns FROM events "
      "UNION ALL SELECT start_unix_ns FROM sets UNION ALL SELECT end_unix_ns FROM sets)");
  EXPECT_EQ(std::to_string(response.session().end_unix_ns()), last_event_ns);
  EXPECT_GE(response.session().end_unix_ns(),
            start + static_cast<std::int64_t>(kFlushedEvents) * kEventSpacingNs);
  // The set in progress has no summary (unless all was committed): it is listed with its reps.
  ASSERT_EQ(response.sets_size(), 1);
  EXPECT_EQ(response.sets(0).exercise(), "biceps_curl");
  EXPECT_EQ(response.sets(0).left().rep_count() + response.sets(0).right().rep_count(),
            response.session().rep_count());

  // The store keeps working on the recovered file.
  const std::string next = store->BeginSession("ana", start + 3'600'000'000'000, "");
  ASSERT_TRUE(store->RecordEvent(next, events[0], start + 3'600'000'000'001));
  ASSERT_TRUE(store->Flush(&error)) << error;
}

}  // namespace
}  // namespace ambi::store
