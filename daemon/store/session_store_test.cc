#include "daemon/store/session_store.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/store/store_test_util.h"

namespace ambi::store {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::GoldenEvents;
using testing::SqliteValue;
using testing::TempDir;
using testing::UnixNs;

constexpr std::int64_t kEventSpacingNs = 100'000'000;

std::unique_ptr<SessionStore> OpenStore(const std::string& path,
                                        const config::ExerciseCatalog* catalog = nullptr) {
  SessionStoreOptions options;
  options.path = path;
  std::string error;
  auto store = SessionStore::Open(options, catalog, &error);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

// Records 'events' one every 100 ms from 'start_unix_ns'; returns the time of the last.
std::int64_t RecordAll(SessionStore* store, const std::string& session_id,
                       const std::vector<v1::Event>& events, std::int64_t start_unix_ns) {
  std::int64_t unix_ns = start_unix_ns;
  for (const v1::Event& event : events) {
    unix_ns += kEventSpacingNs;
    EXPECT_TRUE(store->RecordEvent(session_id, event, unix_ns));
  }
  return unix_ns;
}

template <typename Message>
std::vector<Message> Collect(const std::vector<v1::Event>& events, bool (v1::Event::*has)() const,
                             const Message& (v1::Event::*get)() const) {
  std::vector<Message> out;
  for (const v1::Event& event : events) {
    if ((event.*has)()) out.push_back((event.*get)());
  }
  return out;
}

template <typename Message, typename Repeated>
void ExpectSameMessages(const std::vector<Message>& expected, const Repeated& actual) {
  ASSERT_EQ(static_cast<int>(expected.size()), actual.size());
  for (int i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(expected[static_cast<std::size_t>(i)], actual.Get(i)))
        << "#" << i << "\nexpected: " << expected[static_cast<std::size_t>(i)].ShortDebugString()
        << "\nactual:   " << actual.Get(i).ShortDebugString();
  }
}

void ExpectSessionMatches(SessionStore* store, const std::string& session_id,
                          const std::vector<v1::Event>& events) {
  v1::GetSessionRequest request;
  request.set_session_id(session_id);
  v1::GetSessionResponse response;
  std::string error;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  const auto summaries = Collect(events, &v1::Event::has_set_summary, &v1::Event::set_summary);
  const auto cues = Collect(events, &v1::Event::has_cue, &v1::Event::cue);
  const auto pairs = Collect(events, &v1::Event::has_rep_pair, &v1::Event::rep_pair);
  const auto reps = Collect(events, &v1::Event::has_rep, &v1::Event::rep);
  EXPECT_EQ(response.session().set_count(), summaries.size());
  EXPECT_EQ(response.session().rep_count(), reps.size());
  ExpectSameMessages(summaries, response.sets());
  ExpectSameMessages(cues, response.cues());
  ExpectSameMessages(pairs, response.rep_pairs());
  // Every rep of the session is in a pair or among the unpaired reps: a unilateral set's too.
  std::set<std::tuple<std::uint32_t, int, std::uint32_t>> paired;
  for (const v1::RepPair& pair : pairs) {
    for (const v1::Rep* rep : {&pair.left(), &pair.right()}) {
      paired.emplace(rep->set_index(), rep->side(), rep->index());
    }
  }
  std::vector<v1::Rep> unpaired;
  for (const v1::Rep& rep : reps) {
    if (!paired.contains({rep.set_index(), rep.side(), rep.index()})) unpaired.push_back(rep);
  }
  std::vector<v1::Rep> unpaired_returned;
  for (const v1::UnpairedRep& u : response.unpaired_reps()) unpaired_returned.push_back(u.rep());
  ExpectSameMessages(unpaired, google::protobuf::RepeatedPtrField<v1::Rep>(
                                   unpaired_returned.begin(), unpaired_returned.end()));
}

TEST(SessionStoreTest, RoundTripOfAPipelineSession) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  const std::vector<v1::Event> events = GoldenEvents("curl_asym10");
  ASSERT_EQ(events.size(), 53u);

  const std::int64_t start = UnixNs(2026, 11, 23, 10, 15);
  const std::string id = store->BeginSession("ana", start, "/var/lib/ambi/ana.capture");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id.substr(0, 21), "20261123T101500.000Z-");
  const std::int64_t last = RecordAll(store.get(), id, events, start);
  ASSERT_TRUE(store->EndSession(id, last + 1));
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;

  v1::ListSessionsResponse list;
  ASSERT_TRUE(store->ListSessions(v1::ListSessionsRequest(), &list, &error)) << error;
  ASSERT_EQ(list.sessions_size(), 1);
  const v1::SessionInfo& info = list.sessions(0);
  EXPECT_EQ(info.session_id(), id);
  EXPECT_EQ(info.athlete(), "ana");
  EXPECT_EQ(info.start_unix_ns(), start);
  EXPECT_EQ(info.end_unix_ns(), last + 1);
  EXPECT_EQ(info.capture_path(), "/var/lib/ambi/ana.capture");
  EXPECT_EQ(info.set_count(), 1u);
  EXPECT_EQ(info.rep_count(), 20u);
  ExpectSessionMatches(store.get(), id, events);

  // The relational rows beside the serialized messages.
  EXPECT_EQ(SqliteValue(path, "SELECT COUNT(*) FROM rep_pair_metrics"), "40");
  EXPECT_EQ(SqliteValue(path, "SELECT COUNT(*) FROM events WHERE kind = 'fatigue'"), "20");
  EXPECT_EQ(SqliteValue(path,
                        "SELECT left_reps || '/' || right_reps || ' ' || exercise "
                        "FROM sets"),
            "10/10 biceps_curl");
  EXPECT_EQ(SqliteValue(path, "SELECT COUNT(*) FROM reps WHERE side = 1 AND rom_deg > 100"), "10");
  EXPECT_EQ(SqliteValue(path, "PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(store->last_write_error().empty()) << store->last_write_error();

  // Everything is still there after closing and opening again.
  store.reset();
  store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  ExpectSessionMatches(store.get(), id, events);
}

TEST(SessionStoreTest, UnilateralSetsAndSensorStatus) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  const std::int64_t start = UnixNs(2026, 11, 24, 8);
  const std::string unilateral = store->BeginSession("ben", start, "");
  const std::string dropouts = store->BeginSession("ben", start + 3'600'000'000'000, "");
  ASSERT_NE(unilateral, dropouts);
  const auto unilateral_events = GoldenEvents("unilateral_curl");
  const auto dropout_events = GoldenEvents("curl_dropouts");
  RecordAll(store.get(), unilateral, unilateral_events, start);
  RecordAll(store.get(), dropouts, dropout_events, start + 3'600'000'000'000);
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;
  ExpectSessionMatches(store.get(), unilateral, unilateral_events);
  ExpectSessionMatches(store.get(), dropouts, dropout_events);
  // The unilateral sets' reps: 8 left in set 1, 7 right in set 2, none paired.
  v1::GetSessionRequest request;
  request.set_session_id(unilateral);
  v1::GetSessionResponse response;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  EXPECT_EQ(response.rep_pairs_size(), 0);
  std::map<std::pair<std::uint32_t, v1::Side>, int> reps_per_set_side;
  for (const v1::UnpairedRep& u : response.unpaired_reps()) {
    ++reps_per_set_side[{u.rep().set_index(), u.rep().side()}];
  }
  const std::map<std::pair<std::uint32_t, v1::Side>, int> expected = {{{1, v1::SIDE_LEFT}, 8},
                                                                      {{2, v1::SIDE_RIGHT}, 7}};
  EXPECT_EQ(reps_per_set_side, expected);
  EXPECT_EQ(
      SqliteValue(dir.File("ambi.db"), "SELECT COUNT(*) FROM events WHERE kind = 'sensor_status'"),
      "2");
  // Not ended yet: live sessions show end 0.
  v1::ListSessionsResponse list;
  ASSERT_TRUE(store->ListSessions(v1::ListSessionsRequest(), &list, &error)) << error;
  ASSERT_EQ(list.sessions_size(), 2);
  EXPECT_EQ(list.sessions(0).end_unix_ns(), 0);
}

// A split-stance set's SetStarted names the first rep's side; its summary names the leg that
// worked (LimbPairComparator::WorkingSide). The set is recorded as that leg's, and a summary
// that names no side keeps the one the set started with.
TEST(SessionStoreTest, ASummarysWorkingSideIsTheSetsSide) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  const std::int64_t start = UnixNs(2026, 11, 24, 8);
  const std::string session = store->BeginSession("ben", start, "");
  for (std::uint32_t set_index : {1u, 2u}) {
    v1::Event started;
    started.set_athlete("ben");
    v1::SetStarted* set = started.mutable_set_started();
    set->set_set_index(set_index);
    set->set_exercise("split_squat");
    set->set_mode(v1::SET_MODE_UNILATERAL);
    set->set_limb(v1::LIMB_ANKLE);
    set->set_side(v1::SIDE_LEFT);
    set->set_automatic(true);
    EXPECT_TRUE(store->RecordEvent(session, started, start + set_index * 60'000'000'000));
    v1::Event ended;
    ended.set_athlete("ben");
    v1::SetSummary* summary = ended.mutable_set_summary();
    summary->set_set_index(set_index);
    summary->set_exercise("split_squat");
    summary->set_mode(v1::SET_MODE_UNILATERAL);
    summary->set_limb(v1::LIMB_ANKLE);
    if (set_index == 1) summary->set_working_side(v1::SIDE_RIGHT);
    EXPECT_TRUE(store->RecordEvent(session, ended, start + set_index * 60'000'000'000 + 1));
  }
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;
  EXPECT_EQ(SqliteValue(dir.File("ambi.db"), "SELECT side FROM sets WHERE set_index = 1"),
            std::to_string(v1::SIDE_RIGHT));
  EXPECT_EQ(SqliteValue(dir.File("ambi.db"), "SELECT side FROM sets WHERE set_index = 2"),
            std::to_string(v1::SIDE_LEFT));
}

// A store of schema version 1 kept reps in columns only: it is migrated, and its reps are read
// from their columns (the fields kept there), the unilateral ones too.
TEST(SessionStoreTest, RepsOfAVersion1StoreAreReadFromTheirColumns) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  const auto events = GoldenEvents("unilateral_curl");
  const std::string id = store->BeginSession("ben", UnixNs(2026, 11, 24, 8), "");
  RecordAll(store.get(), id, events, UnixNs(2026, 11, 24, 8));
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE reps DROP COLUMN rep; PRAGMA user_version = 1", nullptr,
                         nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(SqliteValue(path, "PRAGMA user_version"), "2");
  v1::GetSessionRequest request;
  request.set_session_id(id);
  v1::GetSessionResponse response;
  std::string error;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  const auto reps = Collect(events, &v1::Event::has_rep, &v1::Event::rep);
  ASSERT_EQ(response.unpaired_reps_size(), static_cast<int>(reps.size()));
  for (int i = 0; i < response.unpaired_reps_size(); ++i) {
    const v1::Rep& got = response.unpaired_reps(i).rep();
    const v1::Rep& want = reps[static_cast<std::size_t>(i)];
    EXPECT_EQ(got.set_index(), want.set_index());
    EXPECT_EQ(got.side(), want.side());
    EXPECT_EQ(got.index(), want.index());
    EXPECT_DOUBLE_EQ(got.rom_deg(), want.rom_deg());
    EXPECT_DOUBLE_EQ(got.concentric_s(), want.concentric_s());
    EXPECT_DOUBLE_EQ(got.end_s(), want.end_s());
  }
}

TEST(SessionStoreTest, ListSessionsFiltersNewestFirst) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  const std::int64_t day = 86'400'000'000'000;
  const std::int64_t t0 = UnixNs(2026, 11, 2, 9);
  const std::string a1 = store->BeginSession("ana", t0, "");
  const std::string b1 = store->BeginSession("ben", t0 + day, "");
  const std::string a2 = store->BeginSession("ana", t0 + 2 * day, "");
  const std::string a3 = store->BeginSession("ana", t0 + 3 * day, "");
  for (const auto& id : {a1, b1, a2, a3}) ASSERT_TRUE(store->EndSession(id, 0));  // end = start
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;

  auto ids = [&](const v1::ListSessionsRequest& request) {
    v1::ListSessionsResponse response;
    std::string list_error;
    EXPECT_TRUE(store->ListSessions(request, &response, &list_error)) << list_error;
    std::vector<std::string> out;
    for (const auto& session : response.sessions()) out.push_back(session.session_id());
    return out;
  };
  v1::ListSessionsRequest request;
  EXPECT_EQ(ids(request), (std::vector<std::string>{a3, a2, b1, a1}));
  request.set_athlete("ana");
  EXPECT_EQ(ids(request), (std::vector<std::string>{a3, a2, a1}));
  request.set_limit(2);
  EXPECT_EQ(ids(request), (std::vector<std::string>{a3, a2}));
  request.set_limit(0);
  request.set_from_unix_ns(t0 + day);
  request.set_to_unix_ns(t0 + 3 * day);
  EXPECT_EQ(ids(request), (std::vector<std::string>{a2}));

  v1::ListSessionsResponse response;
  QueryError kind = QueryError::kNone;
  request.set_athlete("nobody");
  EXPECT_FALSE(store->ListSessions(request, &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kNotFound);
  EXPECT_NE(error.find("'nobody'"), std::string::npos) << error;
  request.set_athlete("");
  request.set_to_unix_ns(t0);
  EXPECT_FALSE(store->ListSessions(request, &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kInvalidArgument);

  // An end before the start is taken as the start.
  v1::GetSessionRequest get;
  get.set_session_id(b1);
  v1::GetSessionResponse session;
  ASSERT_TRUE(store->GetSession(get, &session, &error)) << error;
  EXPECT_EQ(session.session().end_unix_ns(), t0 + day);
}

TEST(SessionStoreTest, CommitsWithoutFlushWithinTheCommitInterval) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  const auto events = GoldenEvents("squat_asym15");
  const std::string id = store->BeginSession("cleo", UnixNs(2026, 11, 25), "");
  RecordAll(store.get(), id, events, UnixNs(2026, 11, 25));
  // No Flush() and no query through the store (a query waits for the queued writes): the
  // writer commits on its own, as another connection sees. Poll (the deadline only bounds a
  // failure).
  std::string reps;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    reps = SqliteValue(path, "SELECT count(*) FROM reps WHERE session_id = '" + id + "'");
    if (reps == "20") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(reps, "20");
}

// A coach starts a session and lists the athlete's sessions at once: the new one is there (and
// the reps recorded so far are counted), however long the writer would let its batch grow.
TEST(SessionStoreTest, AQuerySeesWhatWasRecordedBeforeIt) {
  TempDir dir;
  SessionStoreOptions options;
  options.path = dir.File("ambi.db");
  options.commit_interval = std::chrono::milliseconds(60'000);
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  const std::string id = store->BeginSession("dana", UnixNs(2026, 11, 26, 9), "");
  ASSERT_FALSE(id.empty());
  RecordAll(store.get(), id, GoldenEvents("squat_asym15"), UnixNs(2026, 11, 26, 9));

  v1::ListSessionsRequest list;
  list.set_athlete("dana");
  v1::ListSessionsResponse listed;
  ASSERT_TRUE(store->ListSessions(list, &listed, &error)) << error;
  ASSERT_EQ(listed.sessions_size(), 1);
  EXPECT_EQ(listed.sessions(0).session_id(), id);
  EXPECT_EQ(listed.sessions(0).rep_count(), 20u);
}

TEST(SessionStoreTest, WeeklyBalanceFromRecordedSessions) {
  TempDir dir;
  const config::ExerciseCatalog catalog = testing::TestCatalog();
  auto store = OpenStore(dir.File("ambi.db"), &catalog);
  ASSERT_NE(store, nullptr);
  const auto curl = GoldenEvents("curl_asym10");
  const auto squat = GoldenEvents("squat_asym15");
  const auto unilateral = GoldenEvents("unilateral_curl");
  // 2026-W47: curls; 2026-W48: squats and unilateral curls; other athlete on the same days.
  const std::string s1 = store->BeginSession("ana", UnixNs(2026, 11, 18, 9), "");
  RecordAll(store.get(), s1, curl, UnixNs(2026, 11, 18, 9));
  const std::string s2 = store->BeginSession("ana", UnixNs(2026, 11, 24, 9), "");
  RecordAll(store.get(), s2, squat, UnixNs(2026, 11, 24, 9));
  const std::string s3 = store->BeginSession("ana", UnixNs(2026, 11, 24, 10), "");
  RecordAll(store.get(), s3, unilateral, UnixNs(2026, 11, 24, 10));
  const std::string other = store->BeginSession("ben", UnixNs(2026, 11, 24, 9), "");
  RecordAll(store.get(), other, squat, UnixNs(2026, 11, 24, 9));
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;

  v1::WeeklyBalanceRequest request;
  request.set_athlete("ana");
  request.set_weeks(3);
  v1::WeeklyBalanceResponse response;
  ASSERT_TRUE(store->WeeklyBalance(request, UnixNs(2026, 11, 26, 12), &response, &error)) << error;
  EXPECT_EQ(response.athlete(), "ana");
  ASSERT_EQ(response.weeks_size(), 3);
  EXPECT_EQ(response.weeks(0).week(), "2026-W46");
  EXPECT_EQ(response.weeks(0).exercises_size(), 0);

  const v1::WeekBalance& w47 = response.weeks(1);
  EXPECT_EQ(w47.week(), "2026-W47");
  EXPECT_EQ(w47.pull_sets(), 1u);
  EXPECT_EQ(w47.left_reps(), 10u);
  EXPECT_EQ(w47.right_reps(), 10u);
  const auto curl_summaries = Collect(curl, &v1::Event::has_set_summary, &v1::Event::set_summary);
  ASSERT_EQ(curl_summaries.size(), 1u);
  const v1::SetSummary& curl_summary = curl_summaries[0];
  ASSERT_GT(curl_summary.metrics_size(), 0);
  ASSERT_EQ(curl_summary.metrics(0).metric(), v1::METRIC_ROM);
  ASSERT_EQ(w47.exercises_size(), 1);
  EXPECT_EQ(w47.exercises(0).exercise(), "biceps_curl");
  EXPECT_DOUBLE_EQ(w47.exercises(0).mean_rom_percent_difference(),
                   curl_summary.metrics(0).percent_difference());
  EXPECT_EQ(w47.exercises(0).weaker_side(), curl_summary.weaker_side());

  const v1::WeekBalance& w48 = response.weeks(2);
  EXPECT_EQ(w48.week(), "2026-W48");
  EXPECT_EQ(w48.push_sets(), 1u);  // the squat set
  EXPECT_EQ(w48.pull_sets(), 2u);  // the two concentration-curl sets
  EXPECT_EQ(w48.quadriceps_sets(), 1u);
  EXPECT_EQ(w48.left_reps(), 10u + 8u);
  EXPECT_EQ(w48.right_reps(), 10u + 7u);
  ASSERT_EQ(w48.exercises_size(), 2);
  EXPECT_EQ(w48.exercises(0).exercise(), "concentration_curl");
  EXPECT_EQ(w48.exercises(0).sets(), 2u);
  // Only the second unilateral set compares the sides (with the first).
  const auto unilateral_summaries =
      Collect(unilateral, &v1::Event::has_set_summary, &v1::Event::set_summary);
  ASSERT_EQ(unilateral_summaries.size(), 2u);
  ASSERT_GT(unilateral_summaries[1].metrics_size(), 0);
  ASSERT_EQ(unilateral_summaries[1].metrics(0).metric(), v1::METRIC_ROM);
  EXPECT_DOUBLE_EQ(w48.exercises(0).mean_rom_percent_difference(),
                   unilateral_summaries[1].metrics(0).percent_difference());
  EXPECT_EQ(w48.exercises(0).weaker_side(), v1::SIDE_RIGHT);

  request.set_athlete("nobody");
  QueryError kind = QueryError::kNone;
  EXPECT_FALSE(store->WeeklyBalance(request, UnixNs(2026, 11, 26), &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kNotFound);
  request.set_athlete("");
  EXPECT_FALSE(store->WeeklyBalance(request, UnixNs(2026, 11, 26), &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kInvalidArgument);
  // A remote client's INT64_MAX is an invalid argument, not weeks in 2262.
  request.set_athlete("ana");
  request.set_until_unix_ns(std::numeric_limits<std::int64_t>::max());
  response.Clear();
  EXPECT_FALSE(store->WeeklyBalance(request, UnixNs(2026, 11, 26), &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kInvalidArgument);
  EXPECT_NE(error.find("until_unix_ns 9223372036854775807 is out of range"), std::string::npos)
      << error;
  EXPECT_EQ(response.weeks_size(), 0);
}

TEST(SessionStoreTest, UnwritablePathIsNamed) {
  TempDir dir;
  const std::string not_a_directory = dir.File("plain_file");
  std::ofstream(not_a_directory) << "x";
  SessionStoreOptions options;
  options.path = not_a_directory + "/ambi.db";
  std::string error;
  EXPECT_EQ(SessionStore::Open(options, nullptr, &error), nullptr);
  EXPECT_NE(error.find(options.path), std::string::npos) << error;
  options.path = dir.File("missing_dir/ambi.db");
  EXPECT_EQ(SessionStore::Open(options, nullptr, &error), nullptr);
  EXPECT_NE(error.find(options.path), std::string::npos) << error;
}

TEST(SessionStoreTest, UnknownSessionIdIsNamed) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  v1::GetSessionRequest request;
  request.set_session_id("20260101T000000.000Z-deadbeef");
  v1::GetSessionResponse response;
  std::string error;
  QueryError kind = QueryError::kNone;
  EXPECT_FALSE(store->GetSession(request, &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kNotFound);
  EXPECT_NE(error.find("20260101T000000.000Z-deadbeef"), std::string::npos) << error;
  request.clear_session_id();
  EXPECT_FALSE(store->GetSession(request, &response, &error, &kind));
  EXPECT_EQ(kind, QueryError::kInvalidArgument);
  // Writes for sessions this store did not begin are refused, not written.
  EXPECT_FALSE(store->RecordEvent("no-such-session", v1::Event(), 1));
  EXPECT_FALSE(store->EndSession("no-such-session", 1));
  EXPECT_TRUE(store->BeginSession("", 1, "").empty());
  EXPECT_TRUE(store->BeginSession("ana", 0, "").empty());
  EXPECT_TRUE(store->Flush(&error)) << error;
}

void SetUserVersion(const std::string& path, int version, const char* extra_sql = "") {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql =
      std::string(extra_sql) + "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(SessionStoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  OpenStore(path).reset();  // a valid version-1 store
  SetUserVersion(path, 99);
  SessionStoreOptions options;
  options.path = path;
  std::string error;
  EXPECT_EQ(SessionStore::Open(options, nullptr, &error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("version 99"), std::string::npos) << error;
  // Nothing was changed by the refusal.
  EXPECT_EQ(SqliteValue(path, "PRAGMA user_version"), "99");
}

TEST(SessionStoreTest, AnotherProgramsDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  SetUserVersion(path, 0, "CREATE TABLE sessions (x); ");
  SessionStoreOptions options;
  options.path = path;
  std::string error;
  EXPECT_EQ(SessionStore::Open(options, nullptr, &error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("another program"), std::string::npos) << error;

  const std::string garbage = dir.File("garbage.db");
  std::ofstream(garbage) << std::string(4096, 'x');
  options.path = garbage;
  EXPECT_EQ(SessionStore::Open(options, nullptr, &error), nullptr);
  EXPECT_NE(error.find(garbage), std::string::npos) << error;
}

TEST(SessionStoreTest, RefusedWriteIsReportedAndCostsNothingElse) {
  TempDir dir;
  const std::string path = dir.File("ambi.db");
  auto store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  // Another connection makes the database refuse cues.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse_cues BEFORE INSERT ON cues "
                         "BEGIN SELECT RAISE(ABORT, 'cues refused by test'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const auto events = GoldenEvents("curl_asym10");
  const std::string id = store->BeginSession("ana", UnixNs(2026, 11, 23, 9), "");
  RecordAll(store.get(), id, events, UnixNs(2026, 11, 23, 9));
  std::string error;
  EXPECT_FALSE(store->Flush(&error));
  EXPECT_NE(error.find("cue event of session " + id), std::string::npos) << error;
  EXPECT_NE(error.find("cues refused by test"), std::string::npos) << error;
  EXPECT_NE(store->last_write_error().find("cues refused by test"), std::string::npos);
  // The rest of the batch was committed; the next Flush has nothing new to report.
  v1::GetSessionRequest request;
  request.set_session_id(id);
  v1::GetSessionResponse response;
  ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
  EXPECT_EQ(response.session().rep_count(), 20u);
  EXPECT_EQ(response.rep_pairs_size(), 10);
  EXPECT_EQ(response.sets_size(), 1);
  EXPECT_EQ(response.cues_size(), 0);
  EXPECT_TRUE(store->Flush(&error)) << error;
}

TEST(SessionStoreTest, FullQueueDropsInsteadOfWaiting) {
  TempDir dir;
  SessionStoreOptions options;
  options.path = dir.File("ambi.db");
  options.max_queued_writes = 1;
  // The writer holds a batch back for the whole interval unless flushed, so the queue stays full.
  options.commit_interval = std::chrono::milliseconds(60'000);
  std::string error;
  auto store = SessionStore::Open(options, nullptr, &error);
  ASSERT_NE(store, nullptr) << error;
  const std::string id = store->BeginSession("ana", UnixNs(2026, 11, 23, 9), "");
  ASSERT_FALSE(id.empty());
  EXPECT_FALSE(store->RecordEvent(id, GoldenEvents("curl_asym10")[0], UnixNs(2026, 11, 23, 9)));
  EXPECT_FALSE(store->Flush(&error));
  EXPECT_NE(error.find("dropped 1 writes"), std::string::npos) << error;
  // The session itself was written.
  v1::GetSessionRequest request;
  request.set_session_id(id);
  v1::GetSessionResponse response;
  EXPECT_TRUE(store->GetSession(request, &response, &error)) << error;
}

TEST(SessionStoreTest, QueriesWhileWriting) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  const auto events = GoldenEvents("curl_asym10");
  constexpr int kSessions = 6;
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; i < kSessions; ++i) {
      const std::int64_t start = UnixNs(2026, 11, 23, 8 + i);
      const std::string id = store->BeginSession("ana", start, "");
      const std::int64_t last = RecordAll(store.get(), id, events, start);
      store->EndSession(id, last);
      if (i % 2 == 0) {
        std::string error;
        EXPECT_TRUE(store->Flush(&error)) << error;
      }
    }
    done = true;
  });
  // Reads see whole commits: counts only grow, and a session's reps never exceed what it has.
  std::uint32_t seen_reps = 0;
  int queries = 0;
  while (!done || queries < 10) {
    v1::ListSessionsResponse list;
    std::string error;
    ASSERT_TRUE(store->ListSessions(v1::ListSessionsRequest(), &list, &error)) << error;
    std::uint32_t reps = 0;
    for (const auto& session : list.sessions()) {
      EXPECT_LE(session.rep_count(), 20u);
      reps += session.rep_count();
      v1::GetSessionRequest request;
      request.set_session_id(session.session_id());
      v1::GetSessionResponse response;
      ASSERT_TRUE(store->GetSession(request, &response, &error)) << error;
      EXPECT_LE(response.rep_pairs_size(), 10);
    }
    EXPECT_GE(reps, seen_reps);
    seen_reps = reps;
    ++queries;
  }
  writer.join();
  std::string error;
  ASSERT_TRUE(store->Flush(&error)) << error;
  v1::ListSessionsResponse list;
  ASSERT_TRUE(store->ListSessions(v1::ListSessionsRequest(), &list, &error)) << error;
  ASSERT_EQ(list.sessions_size(), kSessions);
  for (const auto& session : list.sessions()) {
    EXPECT_EQ(session.rep_count(), 20u);
    EXPECT_NE(session.end_unix_ns(), 0);
  }
}

TEST(SessionStoreTest, CloseIsIdempotentAndRefusesLaterWrites) {
  TempDir dir;
  auto store = OpenStore(dir.File("ambi.db"));
  ASSERT_NE(store, nullptr);
  const std::string id = store->BeginSession("ana", UnixNs(2026, 11, 23), "");
  store->Close();
  store->Close();
  EXPECT_FALSE(store->RecordEvent(id, v1::Event(), UnixNs(2026, 11, 23)));
  std::string error;
  EXPECT_FALSE(store->Flush(&error));
  EXPECT_NE(error.find("closed"), std::string::npos) << error;
  v1::ListSessionsResponse list;
  EXPECT_FALSE(store->ListSessions(v1::ListSessionsRequest(), &list, &error));
}

}  // namespace
}  // namespace ambi::store
