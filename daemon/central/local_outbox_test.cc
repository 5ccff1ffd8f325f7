#include "daemon/central/local_outbox.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>

#include "daemon/store/session_store.h"
#include "daemon/store/sqlite_handle.h"
#include "daemon/store/store_test_util.h"

namespace ambi::central {
namespace {

using store::testing::GoldenEvents;
using store::testing::SqliteValue;
using store::testing::TempDir;
using store::testing::UnixNs;

// Records a golden replay's events as one session of 'athlete'; returns the session id.
std::string Record(store::SessionStore* store, const std::string& athlete, std::int64_t start) {
  const std::string id = store->BeginSession(athlete, start, "");
  std::int64_t t = start;
  for (const v1::Event& event : GoldenEvents("curl_asym10")) {
    store->RecordEvent(id, event, t += 1'000'000);
  }
  store->EndSession(id, t);
  std::string error;
  EXPECT_TRUE(store->Flush(&error)) << error;
  return id;
}

std::int64_t Count(const std::string& path, const std::string& table) {
  return std::stoll(SqliteValue(path, "SELECT COUNT(*) FROM " + table));
}

// Every row in the outbox, by table, read batch after batch without advancing.
std::map<std::string, std::int64_t> Queued(LocalOutbox* outbox) {
  std::vector<OutboxRow> rows;
  std::int64_t last = 0;
  std::string error;
  EXPECT_TRUE(outbox->ReadBatch(1'000'000, &rows, &last, &error)) << error;
  std::map<std::string, std::int64_t> counts;
  for (const OutboxRow& row : rows) ++counts[row.table];
  return counts;
}

TEST(LocalOutboxTest, QueuesWhatTheStoreHeldBeforeAndEveryCommitAfter) {
  TempDir dir;
  const std::string path = dir.File("ambi.sqlite");
  std::string open_error;
  auto store = store::SessionStore::Open({.path = path}, nullptr, &open_error);
  ASSERT_NE(store, nullptr) << open_error;
  Record(store.get(), "sam", UnixNs(2026, 11, 3, 9));
  std::string error;
  auto outbox = LocalOutbox::Open(
      path,
      [](const std::string&) {
        return ExerciseTraits{"biceps", "pull", false};
      },
      &error);
  ASSERT_NE(outbox, nullptr) << error;
  Record(store.get(), "alex", UnixNs(2026, 11, 3, 10));

  const std::map<std::string, std::int64_t> queued = Queued(outbox.get());
  // Sessions are queued when inserted and again when they end (an update); the rows of the
  // append-only tables once each.
  EXPECT_EQ(queued.at("sessions"), 1 + 2 * 1);  // sam backfilled ended; alex begun, then ended
  for (const char* table : {"reps", "rep_pairs", "rep_pair_metrics", "cues", "events"}) {
    EXPECT_EQ(queued.count(table) ? queued.at(table) : 0, Count(path, table)) << table;
  }
  EXPECT_GE(queued.at("sets"), Count(path, "sets"));
  EXPECT_GT(Count(path, "reps"), 0);
}

TEST(LocalOutboxTest, TheCursorSurvivesReopeningAndDropsWhatWasShipped) {
  TempDir dir;
  const std::string path = dir.File("ambi.sqlite");
  std::string open_error;
  auto store = store::SessionStore::Open({.path = path}, nullptr, &open_error);
  ASSERT_NE(store, nullptr) << open_error;
  Record(store.get(), "sam", UnixNs(2026, 11, 3, 9));
  std::string error;
  std::int64_t total = 0;
  {
    auto outbox = LocalOutbox::Open(path, nullptr, &error);
    ASSERT_NE(outbox, nullptr) << error;
    OutboxBacklog backlog;
    ASSERT_TRUE(outbox->Backlog(&backlog, &error)) << error;
    total = backlog.rows;
    EXPECT_GT(backlog.oldest_unix_ms, 0);
    std::vector<OutboxRow> rows;
    std::int64_t last = 0;
    ASSERT_TRUE(outbox->ReadBatch(10, &rows, &last, &error)) << error;
    ASSERT_EQ(rows.size(), 10u);
    EXPECT_EQ(rows.front().table, "sessions");  // parents first
    ASSERT_TRUE(outbox->Advance(last, &error)) << error;
  }
  auto reopened = LocalOutbox::Open(path, nullptr, &error);
  ASSERT_NE(reopened, nullptr) << error;
  OutboxBacklog backlog;
  ASSERT_TRUE(reopened->Backlog(&backlog, &error)) << error;
  EXPECT_EQ(backlog.rows, total - 10);
  EXPECT_EQ(Count(path, "central_outbox"), total - 10);
  std::vector<OutboxRow> rows;
  std::int64_t last = 0;
  ASSERT_TRUE(reopened->ReadBatch(1'000'000, &rows, &last, &error)) << error;
  EXPECT_EQ(static_cast<std::int64_t>(rows.size()), total - 10);
  ASSERT_TRUE(reopened->Advance(last, &error)) << error;
  ASSERT_TRUE(reopened->Backlog(&backlog, &error)) << error;
  EXPECT_EQ(backlog.rows, 0);
  EXPECT_EQ(backlog.oldest_unix_ms, 0);
}

TEST(LocalOutboxTest, ATriggerDroppedByHandComesBackAtTheNextStart) {
  TempDir dir;
  const std::string path = dir.File("ambi.sqlite");
  std::string error;
  auto store = store::SessionStore::Open({.path = path}, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  ASSERT_NE(LocalOutbox::Open(path, nullptr, &error), nullptr) << error;
  {
    auto connection = store::SqliteConnection::Open(path, SQLITE_OPEN_READWRITE, &error);
    ASSERT_NE(connection, nullptr) << error;
    ASSERT_TRUE(connection->Exec("DROP TRIGGER central_outbox_reps_insert", &error)) << error;
  }
  auto outbox = LocalOutbox::Open(path, nullptr, &error);
  ASSERT_NE(outbox, nullptr) << error;
  Record(store.get(), "sam", UnixNs(2026, 11, 3, 9));
  EXPECT_EQ(Queued(outbox.get()).at("reps"), Count(path, "reps"));
}

TEST(LocalOutboxTest, ValuesAreTextForPostgresWithSetTraitsAppended) {
  TempDir dir;
  const std::string path = dir.File("ambi.sqlite");
  std::string open_error;
  auto store = store::SessionStore::Open({.path = path}, nullptr, &open_error);
  ASSERT_NE(store, nullptr) << open_error;
  const std::string id = Record(store.get(), "sam", UnixNs(2026, 11, 3, 9));
  std::string error;
  auto outbox = LocalOutbox::Open(
      path,
      [](const std::string& exercise) {
        return ExerciseTraits{exercise + "_muscle,forearm", "pull", true};
      },
      &error);
  ASSERT_NE(outbox, nullptr) << error;
  std::vector<OutboxRow> rows;
  std::int64_t last = 0;
  ASSERT_TRUE(outbox->ReadBatch(1'000'000, &rows, &last, &error)) << error;
  bool saw_set = false;
  bool saw_pair = false;
  for (const OutboxRow& row : rows) {
    if (row.table == "sessions") {
      EXPECT_EQ(row.values[0], id);
      EXPECT_EQ(row.values[1], "sam");
      EXPECT_EQ(row.values[2], std::to_string(UnixNs(2026, 11, 3, 9)));
    }
    if (row.table == "sets" && !saw_set) {
      saw_set = true;
      ASSERT_EQ(row.values.size(), 24u);
      ASSERT_TRUE(row.values[2].has_value());
      EXPECT_EQ(row.values[21], *row.values[2] + "_muscle,forearm");
      EXPECT_EQ(row.values[22], "pull");
      EXPECT_EQ(row.values[23], "true");
    }
    if (row.table == "rep_pairs" && !saw_pair) {
      saw_pair = true;
      ASSERT_TRUE(row.values[7].has_value());
      EXPECT_TRUE(row.values[7]->starts_with("\\x")) << *row.values[7];
    }
  }
  EXPECT_TRUE(saw_set);
  EXPECT_TRUE(saw_pair);
}

}  // namespace
}  // namespace ambi::central
