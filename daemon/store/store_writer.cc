#include "daemon/store/store_writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>

namespace ambi::store {
namespace {

constexpr const char* kInsertAthlete =
    "INSERT INTO athletes(name) VALUES(?1) ON CONFLICT DO NOTHING";
constexpr const char* kInsertSession = R"sql(
INSERT INTO sessions(id, athlete_id, start_unix_ns, capture_path)
VALUES(?1, (SELECT id FROM athletes WHERE name = ?2), ?3, ?4))sql";
constexpr const char* kEndSession = "UPDATE sessions SET end_unix_ns = ?2 WHERE id = ?1";
constexpr const char* kUpsertSetStarted = R"sql(
INSERT INTO sets(session_id, set_index, exercise, mode, limb, side, automatic, start_unix_ns,
                 start_s)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT(session_id, set_index) DO UPDATE SET
  exercise = excluded.exercise, mode = excluded.mode, limb = excluded.limb,
  side = excluded.side, automatic = excluded.automatic, start_unix_ns = excluded.start_unix_ns,
  start_s = excluded.start_s)sql";
// A summary without its SetStarted (lost to a crash of an older session, or a client that
// records summaries only) still makes a set; its start is estimated from the summary's times.
constexpr const char* kUpsertSetSummary = R"sql(
INSERT INTO sets(session_id, set_index, exercise, mode, limb, start_unix_ns, start_s,
                 end_unix_ns, end_s, left_reps, right_reps, weaker_side, band, significant,
                 rom_percent_difference, rom_symmetry_index_pct, rom_band,
                 compared_with_set_index, summary, side)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
       COALESCE(?20, 0))
ON CONFLICT(session_id, set_index) DO UPDATE SET
  exercise = excluded.exercise, mode = excluded.mode, limb = excluded.limb,
  end_unix_ns = excluded.end_unix_ns, end_s = excluded.end_s,
  left_reps = excluded.left_reps, right_reps = excluded.right_reps,
  weaker_side = excluded.weaker_side, band = excluded.band, significant = excluded.significant,
  rom_percent_difference = excluded.rom_percent_difference,
  rom_symmetry_index_pct = excluded.rom_symmetry_index_pct, rom_band = excluded.rom_band,
  compared_with_set_index = excluded.compared_with_set_index, summary = excluded.summary,
  side = COALESCE(?20, sets.side))sql";
// (?20: a unilateral set's working side found from its reps replaces the first rep's guess.)
constexpr const char* kInsertRep = R"sql(
INSERT INTO reps(session_id, set_index, rep_index, side, limb, start_s, turnaround_s, end_s,
                 rom_deg, concentric_s, eccentric_s, peak_speed_deg_s, unix_ns, rep)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";
constexpr const char* kInsertRepPair = R"sql(
INSERT INTO rep_pairs(session_id, set_index, pair_index, limb, lead_ms, unix_ns, pair)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";
constexpr const char* kInsertRepPairMetric = R"sql(
INSERT INTO rep_pair_metrics(rep_pair_id, metric, left_value, right_value, percent_difference,
                             symmetry_index_pct, weaker_side, band, significant)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql";
constexpr const char* kInsertCue = R"sql(
INSERT INTO cues(session_id, set_index, limb, kind, side, target_reps, value_pct, message, t_s,
                 unix_ns, cue)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql";
constexpr const char* kInsertLogEvent = R"sql(
INSERT INTO events(session_id, kind, t_s, unix_ns, event) VALUES(?1, ?2, ?3, ?4, ?5))sql";

std::string Serialize(const google::protobuf::MessageLite& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

const char* KindName(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kSetStarted:
      return "set_started";
    case v1::Event::kRep:
      return "rep";
    case v1::Event::kRepPair:
      return "rep_pair";
    case v1::Event::kUnpairedRep:
      return "unpaired_rep";
    case v1::Event::kFatigue:
      return "fatigue";
    case v1::Event::kCue:
      return "cue";
    case v1::Event::kSetSummary:
      return "set_summary";
    case v1::Event::kSensorStatus:
      return "sensor_status";
    case v1::Event::KIND_NOT_SET:
      break;
  }
  return "empty";
}

// Session seconds of the events kept in the log table.
double LogEventTimeS(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kUnpairedRep:
      return event.unpaired_rep().rep().end_s();
    case v1::Event::kFatigue:
      return event.fatigue().t_s();
    case v1::Event::kSensorStatus:
      return event.sensor_status().t_s();
    default:
      return 0.0;
  }
}

std::int64_t Int(std::uint32_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

struct StoreWriter::Statements {
  explicit Statements(const SqliteConnection& db)
      : insert_athlete(db, kInsertAthlete),
        insert_session(db, kInsertSession),
        end_session(db, kEndSession),
        upsert_set_started(db, kUpsertSetStarted),
        upsert_set_summary(db, kUpsertSetSummary),
        insert_rep(db, kInsertRep),
        insert_rep_pair(db, kInsertRepPair),
        insert_rep_pair_metric(db, kInsertRepPairMetric),
        insert_cue(db, kInsertCue),
        insert_log_event(db, kInsertLogEvent),
        begin(db, "BEGIN"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        savepoint(db, "SAVEPOINT item"),
        release(db, "RELEASE item"),
        rollback_to(db, "ROLLBACK TO item") {}

  Statement insert_athlete;
  Statement insert_session;
  Statement end_session;
  Statement upsert_set_started;
  Statement upsert_set_summary;
  Statement insert_rep;
  Statement insert_rep_pair;
  Statement insert_rep_pair_metric;
  Statement insert_cue;
  Statement insert_log_event;
  Statement begin;
  Statement commit;
  Statement rollback;
  Statement savepoint;
  Statement release;
  Statement rollback_to;
};

StoreWriter::StoreWriter(std::unique_ptr<SqliteConnection> connection)
    : connection_(std::move(connection)), statements_(std::make_unique<Statements>(*connection_)) {}

// Statements first: a connection cannot close while statements are open.
StoreWriter::~StoreWriter() { statements_.reset(); }

bool StoreWriter::BeginTransaction(std::string* error) { return statements_->begin.Run(error); }

bool StoreWriter::Commit(std::string* error) { return statements_->commit.Run(error); }

void StoreWriter::Rollback() {
  // Some errors (disk full, I/O) end the transaction themselves; ROLLBACK then has nothing to do.
  if (sqlite3_get_autocommit(connection_->get()) != 0) return;
  std::string ignored;
  statements_->rollback.Run(&ignored);
}

bool StoreWriter::Write(const StoreWrite& write, std::string* error) {
  // A savepoint per item: an item the database refuses leaves no half-written rows (a rep pair
  // without its metrics) and does not cost the other items of the batch.
  if (!statements_->savepoint.Run(error)) return false;
  const bool ok = std::visit(
      [&](const auto& item) {
        using Item = std::decay_t<decltype(item)>;
        if constexpr (std::is_same_v<Item, BeginSessionWrite>) return WriteBegin(item, error);
        if constexpr (std::is_same_v<Item, EndSessionWrite>) return WriteEnd(item, error);
        if constexpr (std::is_same_v<Item, EventWrite>) return WriteEvent(item, error);
      },
      write);
  std::string ignored;
  if (!ok) {
    if (sqlite3_get_autocommit(connection_->get()) == 0) {
      statements_->rollback_to.Run(&ignored);
      statements_->release.Run(&ignored);
    }
    return false;
  }
  return statements_->release.Run(error);
}

bool StoreWriter::WriteBegin(const BeginSessionWrite& write, std::string* error) {
  if (!statements_->insert_athlete.Bind(1, write.athlete).Run(error)) return false;
  Statement& insert = statements_->insert_session;
  insert.Bind(1, write.session_id).Bind(2, write.athlete).Bind(3, write.start_unix_ns);
  insert.Bind(4, write.capture_path);
  if (!insert.Run(error)) {
    *error = "cannot record the start of session " + write.session_id + ": " + *error;
    return false;
  }
  return true;
}

bool StoreWriter::WriteEnd(const EndSessionWrite& write, std::string* error) {
  if (!statements_->end_session.Bind(1, write.session_id).Bind(2, write.end_unix_ns).Run(error)) {
    *error = "cannot record the end of session " + write.session_id + ": " + *error;
    return false;
  }
  return true;
}

bool StoreWriter::WriteEvent(const EventWrite& write, std::string* error) {
  bool ok = false;
  switch (write.event.kind_case()) {
    case v1::Event::kSetStarted:
      ok = WriteSetStarted(write, error);
      break;
    case v1::Event::kSetSummary:
      ok = WriteSetSummary(write, error);
      break;
    case v1::Event::kRep:
      ok = WriteRep(write, error);
      break;
    case v1::Event::kRepPair:
      ok = WriteRepPair(write, error);
      break;
    case v1::Event::kCue:
      ok = WriteCue(write, error);
      break;
    default:
      ok = WriteLogEvent(write, error);
      break;
  }
  if (!ok) {
    *error = std::string("cannot record a ") + KindName(write.event) + " event of session " +
             write.session_id + ": " + *error;
  }
  return ok;
}

bool StoreWriter::WriteSetStarted(const EventWrite& write, std::string* error) {
  const v1::SetStarted& set = write.event.set_started();
  Statement& upsert = statements_->upsert_set_started;
  upsert.Bind(1, write.session_id).Bind(2, Int(set.set_index())).Bind(3, set.exercise());
  upsert.Bind(4, std::int64_t{set.mode()}).Bind(5, std::int64_t{set.limb()});
  upsert.Bind(6, std::int64_t{set.side()}).Bind(7, std::int64_t{set.automatic() ? 1 : 0});
  upsert.Bind(8, write.unix_ns).Bind(9, set.t_s());
  return upsert.Run(error);
}

bool StoreWriter::WriteSetSummary(const EventWrite& write, std::string* error) {
  const v1::SetSummary& summary = write.event.set_summary();
  const v1::MetricComparison* rom = nullptr;
  for (const v1::MetricComparison& metric : summary.metrics()) {
    if (metric.metric() == v1::METRIC_ROM) {
      rom = &metric;
      break;
    }
  }
  const double duration_s = std::max(0.0, summary.end_s() - summary.start_s());
  const auto estimated_start_unix_ns =
      write.unix_ns - static_cast<std::int64_t>(std::llround(duration_s * 1e9));
  Statement& upsert = statements_->upsert_set_summary;
  upsert.Bind(1, write.session_id).Bind(2, Int(summary.set_index())).Bind(3, summary.exercise());
  upsert.Bind(4, std::int64_t{summary.mode()}).Bind(5, std::int64_t{summary.limb()});
  upsert.Bind(6, estimated_start_unix_ns).Bind(7, summary.start_s());
  upsert.Bind(8, write.unix_ns).Bind(9, summary.end_s());
  upsert.Bind(10, Int(summary.left().rep_count())).Bind(11, Int(summary.right().rep_count()));
  upsert.Bind(12, std::int64_t{summary.weaker_side()}).Bind(13, std::int64_t{summary.band()});
  upsert.Bind(14, std::int64_t{summary.significant() ? 1 : 0});
  if (rom != nullptr) {
    upsert.Bind(15, rom->percent_difference()).Bind(16, rom->symmetry_index_pct());
    upsert.Bind(17, std::int64_t{rom->band()});
  } else {
    upsert.BindNull(15).BindNull(16).BindNull(17);
  }
  upsert.Bind(18, Int(summary.compared_with_set_index())).BindBlob(19, Serialize(summary));
  if (summary.working_side() != v1::SIDE_UNSPECIFIED) {
    upsert.Bind(20, std::int64_t{summary.working_side()});
  } else {
    upsert.BindNull(20);
  }
  return upsert.Run(error);
}

bool StoreWriter::WriteRep(const EventWrite& write, std::string* error) {
  const v1::Rep& rep = write.event.rep();
  Statement& insert = statements_->insert_rep;
  insert.Bind(1, write.session_id).Bind(2, Int(rep.set_index())).Bind(3, Int(rep.index()));
  insert.Bind(4, std::int64_t{rep.side()}).Bind(5, std::int64_t{rep.limb()});
  insert.Bind(6, rep.start_s()).Bind(7, rep.turnaround_s()).Bind(8, rep.end_s());
  insert.Bind(9, rep.rom_deg()).Bind(10, rep.concentric_s()).Bind(11, rep.eccentric_s());
  insert.Bind(12, rep.peak_speed_deg_s()).Bind(13, write.unix_ns).BindBlob(14, Serialize(rep));
  return insert.Run(error);
}

bool StoreWriter::WriteRepPair(const EventWrite& write, std::string* error) {
  const v1::RepPair& pair = write.event.rep_pair();
  Statement& insert = statements_->insert_rep_pair;
  insert.Bind(1, write.session_id).Bind(2, Int(pair.set_index())).Bind(3, Int(pair.pair_index()));
  insert.Bind(4, std::int64_t{pair.limb()}).Bind(5, pair.lead_ms()).Bind(6, write.unix_ns);
  insert.BindBlob(7, Serialize(pair));
  if (!insert.Run(error)) return false;
  const std::int64_t pair_id = sqlite3_last_insert_rowid(connection_->get());
  for (const v1::MetricComparison& metric : pair.metrics()) {
    Statement& insert_metric = statements_->insert_rep_pair_metric;
    insert_metric.Bind(1, pair_id).Bind(2, std::int64_t{metric.metric()});
    insert_metric.Bind(3, metric.left()).Bind(4, metric.right());
    insert_metric.Bind(5, metric.percent_difference()).Bind(6, metric.symmetry_index_pct());
    insert_metric.Bind(7, std::int64_t{metric.weaker_side()}).Bind(8, std::int64_t{metric.band()});
    insert_metric.Bind(9, std::int64_t{metric.significant() ? 1 : 0});
    if (!insert_metric.Run(error)) return false;
  }
  return true;
}

bool StoreWriter::WriteCue(const EventWrite& write, std::string* error) {
  const v1::Cue& cue = write.event.cue();
  Statement& insert = statements_->insert_cue;
  insert.Bind(1, write.session_id).Bind(2, Int(cue.set_index())).Bind(3, std::int64_t{cue.limb()});
  insert.Bind(4, std::int64_t{cue.kind()}).Bind(5, std::int64_t{cue.side()});
  insert.Bind(6, Int(cue.target_reps())).Bind(7, cue.value_pct()).Bind(8, cue.message());
  insert.Bind(9, cue.t_s()).Bind(10, write.unix_ns).BindBlob(11, Serialize(cue));
  return insert.Run(error);
}

bool StoreWriter::WriteLogEvent(const EventWrite& write, std::string* error) {
  Statement& insert = statements_->insert_log_event;
  insert.Bind(1, write.session_id).Bind(2, std::string_view(KindName(write.event)));
  insert.Bind(3, LogEventTimeS(write.event)).Bind(4, write.unix_ns);
  insert.BindBlob(5, Serialize(write.event));
  return insert.Run(error);
}

}  // namespace ambi::store
