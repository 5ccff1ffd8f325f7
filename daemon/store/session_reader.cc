#include "daemon/store/session_reader.h"

#include "proto/history/session_reps.h"

namespace ambi::store {

using proto::BalanceSet;
using proto::WeekRange;

namespace {

constexpr const char* kSessionInfoColumns = R"sql(
SELECT s.id, a.name, s.start_unix_ns, s.end_unix_ns, s.capture_path,
       (SELECT COUNT(*) FROM sets WHERE session_id = s.id),
       (SELECT COUNT(*) FROM reps WHERE session_id = s.id)
FROM sessions s JOIN athletes a ON a.id = s.athlete_id )sql";

void ReadSessionInfo(const Statement& row, v1::SessionInfo* info) {
  info->set_session_id(row.ColumnText(0));
  info->set_athlete(row.ColumnText(1));
  info->set_start_unix_ns(row.ColumnInt64(2));
  info->set_end_unix_ns(row.ColumnInt64(3));
  info->set_capture_path(row.ColumnText(4));
  info->set_set_count(static_cast<std::uint32_t>(row.ColumnInt64(5)));
  info->set_rep_count(static_cast<std::uint32_t>(row.ColumnInt64(6)));
}

// A rep from its columns, starting at 'first': set_index, rep_index, side, limb, start_s,
// turnaround_s, end_s, rom_deg, concentric_s, eccentric_s, peak_speed_deg_s.
void ReadRepColumns(const Statement& row, int first, v1::Rep* rep) {
  rep->set_set_index(static_cast<std::uint32_t>(row.ColumnInt64(first)));
  rep->set_index(static_cast<std::uint32_t>(row.ColumnInt64(first + 1)));
  rep->set_side(static_cast<v1::Side>(row.ColumnInt64(first + 2)));
  rep->set_limb(static_cast<v1::Limb>(row.ColumnInt64(first + 3)));
  rep->set_start_s(row.ColumnDouble(first + 4));
  rep->set_turnaround_s(row.ColumnDouble(first + 5));
  rep->set_end_s(row.ColumnDouble(first + 6));
  rep->set_rom_deg(row.ColumnDouble(first + 7));
  rep->set_concentric_s(row.ColumnDouble(first + 8));
  rep->set_eccentric_s(row.ColumnDouble(first + 9));
  rep->set_peak_speed_deg_s(row.ColumnDouble(first + 10));
}

bool Fail(std::string message, QueryError what, std::string* error, QueryError* kind) {
  *error = std::move(message);
  *kind = what;
  return false;
}

// Reads every row of 'statement' with 'read_row'; false and an internal error if stepping
// fails or 'read_row' does.
template <typename ReadRow>
bool ForEachRow(Statement& statement, std::string* error, QueryError* kind, ReadRow&& read_row) {
  for (;;) {
    switch (statement.Step()) {
      case Statement::StepResult::kDone:
        return true;
      case Statement::StepResult::kError:
        return Fail(statement.ErrorMessage(), QueryError::kInternal, error, kind);
      case Statement::StepResult::kRow:
        if (!read_row(statement)) return false;
        break;
    }
  }
}

bool ParseBlob(const Statement& row, int column, google::protobuf::MessageLite* message,
               const std::string& what, std::string* error, QueryError* kind) {
  if (message->ParseFromString(row.ColumnBlob(column))) return true;
  return Fail("session store: cannot parse the stored " + what, QueryError::kInternal, error, kind);
}

}  // namespace

SessionReader::SessionReader(std::unique_ptr<SqliteConnection> connection)
    : connection_(std::move(connection)) {}

template <typename Query>
bool SessionReader::InSnapshot(std::string* error, QueryError* kind, Query&& query) {
  std::lock_guard lock(mutex_);
  if (!connection_->Exec("BEGIN", error)) {
    *kind = QueryError::kInternal;
    return false;
  }
  const bool ok = query();
  std::string ignored;
  connection_->Exec("COMMIT", &ignored);  // a read transaction: ending it cannot lose anything
  return ok;
}

bool SessionReader::AthleteExists(const std::string& athlete, std::string* error,
                                  QueryError* kind) {
  Statement find(*connection_, "SELECT 1 FROM athletes WHERE name = ?1");
  find.Bind(1, athlete);
  switch (find.Step()) {
    case Statement::StepResult::kRow:
      return true;
    case Statement::StepResult::kDone:
      return Fail("no sessions recorded for athlete '" + athlete + "'", QueryError::kNotFound,
                  error, kind);
    case Statement::StepResult::kError:
      break;
  }
  return Fail(find.ErrorMessage(), QueryError::kInternal, error, kind);
}

bool SessionReader::ListSessions(const v1::ListSessionsRequest& request, std::uint32_t limit,
                                 v1::ListSessionsResponse* response, std::string* error,
                                 QueryError* kind) {
  return InSnapshot(error, kind, [&] {
    if (!request.athlete().empty() && !AthleteExists(request.athlete(), error, kind)) {
      return false;
    }
    Statement list(*connection_, std::string(kSessionInfoColumns) + R"sql(
WHERE (?1 = '' OR a.name = ?1) AND s.start_unix_ns >= ?2 AND (?3 = 0 OR s.start_unix_ns < ?3)
ORDER BY s.start_unix_ns DESC, s.id DESC LIMIT ?4)sql");
    list.Bind(1, request.athlete()).Bind(2, request.from_unix_ns()).Bind(3, request.to_unix_ns());
    list.Bind(4, std::int64_t{limit});
    return ForEachRow(list, error, kind, [&](const Statement& row) {
      ReadSessionInfo(row, response->add_sessions());
      return true;
    });
  });
}

bool SessionReader::GetSession(const std::string& session_id, v1::GetSessionResponse* response,
                               std::string* error, QueryError* kind) {
  return InSnapshot(error, kind, [&] {
    Statement info(*connection_, std::string(kSessionInfoColumns) + "WHERE s.id = ?1");
    info.Bind(1, session_id);
    switch (info.Step()) {
      case Statement::StepResult::kRow:
        ReadSessionInfo(info, response->mutable_session());
        break;
      case Statement::StepResult::kDone:
        return Fail("unknown session id '" + session_id + "'", QueryError::kNotFound, error, kind);
      case Statement::StepResult::kError:
        return Fail(info.ErrorMessage(), QueryError::kInternal, error, kind);
    }

    Statement sets(*connection_, R"sql(
SELECT set_index, exercise, mode, limb, start_s, summary,
       (SELECT COUNT(*) FROM reps r WHERE r.session_id = sets.session_id
          AND r.set_index = sets.set_index AND r.side = 1),
       (SELECT COUNT(*) FROM reps r WHERE r.session_id = sets.session_id
          AND r.set_index = sets.set_index AND r.side = 2),
       (SELECT MAX(end_s) FROM reps r WHERE r.session_id = sets.session_id
          AND r.set_index = sets.set_index)
FROM sets WHERE session_id = ?1 ORDER BY set_index)sql");
    sets.Bind(1, session_id);
    const bool sets_ok = ForEachRow(sets, error, kind, [&](const Statement& row) {
      v1::SetSummary* set = response->add_sets();
      if (!row.ColumnIsNull(5)) {
        return ParseBlob(row, 5, set, "summary of a set of session " + session_id, error, kind);
      }
      set->set_set_index(static_cast<std::uint32_t>(row.ColumnInt64(0)));
      set->set_exercise(row.ColumnText(1));
      set->set_mode(static_cast<v1::SetMode>(row.ColumnInt64(2)));
      set->set_limb(static_cast<v1::Limb>(row.ColumnInt64(3)));
      set->set_start_s(row.ColumnDouble(4));
      set->set_end_s(row.ColumnIsNull(8) ? row.ColumnDouble(4) : row.ColumnDouble(8));
      set->mutable_left()->set_rep_count(static_cast<std::uint32_t>(row.ColumnInt64(6)));
      set->mutable_right()->set_rep_count(static_cast<std::uint32_t>(row.ColumnInt64(7)));
      return true;
    });
    if (!sets_ok) return false;

    Statement cues(*connection_, "SELECT cue FROM cues WHERE session_id = ?1 ORDER BY id");
    cues.Bind(1, session_id);
    const bool cues_ok = ForEachRow(cues, error, kind, [&](const Statement& row) {
      return ParseBlob(row, 0, response->add_cues(), "cue of session " + session_id, error, kind);
    });
    if (!cues_ok) return false;

    Statement pairs(*connection_, "SELECT pair FROM rep_pairs WHERE session_id = ?1 ORDER BY id");
    pairs.Bind(1, session_id);
    const bool pairs_ok = ForEachRow(pairs, error, kind, [&](const Statement& row) {
      return ParseBlob(row, 0, response->add_rep_pairs(), "rep pair of session " + session_id,
                       error, kind);
    });
    if (!pairs_ok) return false;

    std::vector<v1::Rep> logged_unpaired;
    Statement logged(*connection_, R"sql(
SELECT event FROM events WHERE session_id = ?1 AND kind IN ('sensor_status', 'unpaired_rep')
ORDER BY id)sql");
    logged.Bind(1, session_id);
    const bool logged_ok = ForEachRow(logged, error, kind, [&](const Statement& row) {
      v1::Event event;
      if (!ParseBlob(row, 0, &event, "event of session " + session_id, error, kind)) return false;
      if (event.has_sensor_status()) *response->add_sensor_events() = event.sensor_status();
      if (event.has_unpaired_rep()) logged_unpaired.push_back(event.unpaired_rep().rep());
      return true;
    });
    if (!logged_ok) return false;

    // Every rep recorded: those no pair holds are the unpaired reps (a unilateral set's too).
    std::vector<v1::Rep> recorded;
    Statement reps(*connection_, R"sql(
SELECT rep, set_index, rep_index, side, limb, start_s, turnaround_s, end_s, rom_deg,
       concentric_s, eccentric_s, peak_speed_deg_s
FROM reps WHERE session_id = ?1 ORDER BY id)sql");
    reps.Bind(1, session_id);
    const bool reps_ok = ForEachRow(reps, error, kind, [&](const Statement& row) {
      v1::Rep& rep = recorded.emplace_back();
      if (!row.ColumnIsNull(0)) {
        return ParseBlob(row, 0, &rep, "rep of session " + session_id, error, kind);
      }
      ReadRepColumns(row, 1, &rep);  // recorded before schema version 2
      return true;
    });
    if (!reps_ok) return false;
    proto::AddUnpairedReps(recorded, logged_unpaired, response);
    return true;
  });
}

bool SessionReader::BalanceSets(const std::string& athlete, const WeekRange& range,
                                std::vector<BalanceSet>* sets, std::string* error,
                                QueryError* kind) {
  return InSnapshot(error, kind, [&] {
    if (!AthleteExists(athlete, error, kind)) return false;
    // A set without summary counts the reps recorded for it.
    Statement query(*connection_, R"sql(
SELECT s.exercise, s.start_unix_ns,
       COALESCE(s.left_reps, (SELECT COUNT(*) FROM reps r WHERE r.session_id = s.session_id
                                AND r.set_index = s.set_index AND r.side = 1)),
       COALESCE(s.right_reps, (SELECT COUNT(*) FROM reps r WHERE r.session_id = s.session_id
                                 AND r.set_index = s.set_index AND r.side = 2)),
       COALESCE(s.rom_band, 0), COALESCE(s.rom_percent_difference, 0),
       COALESCE(s.rom_symmetry_index_pct, 0), COALESCE(s.weaker_side, 0),
       COALESCE((SELECT AVG(r.rom_deg) FROM reps r WHERE r.session_id = s.session_id
                   AND r.set_index = s.set_index AND r.side = 1), 0),
       COALESCE((SELECT AVG(r.rom_deg) FROM reps r WHERE r.session_id = s.session_id
                   AND r.set_index = s.set_index AND r.side = 2), 0)
FROM sets s JOIN sessions se ON se.id = s.session_id JOIN athletes a ON a.id = se.athlete_id
WHERE a.name = ?1 AND s.start_unix_ns >= ?2 AND s.start_unix_ns < ?3
ORDER BY s.start_unix_ns)sql");
    query.Bind(1, athlete).Bind(2, range.from_unix_ns).Bind(3, range.to_unix_ns);
    return ForEachRow(query, error, kind, [&](const Statement& row) {
      BalanceSet set;
      set.exercise = row.ColumnText(0);
      set.start_unix_ns = row.ColumnInt64(1);
      set.left_reps = static_cast<std::uint32_t>(row.ColumnInt64(2));
      set.right_reps = static_cast<std::uint32_t>(row.ColumnInt64(3));
      const auto rom_band = static_cast<v1::Band>(row.ColumnInt64(4));
      set.rom_compared =
          rom_band == v1::BAND_GREEN || rom_band == v1::BAND_AMBER || rom_band == v1::BAND_RED;
      set.rom_percent_difference = row.ColumnDouble(5);
      set.rom_symmetry_index_pct = row.ColumnDouble(6);
      set.weaker_side = static_cast<v1::Side>(row.ColumnInt64(7));
      set.left_mean_rom_deg = row.ColumnDouble(8);
      set.right_mean_rom_deg = row.ColumnDouble(9);
      sets->push_back(std::move(set));
      return true;
    });
  });
}

}  // namespace ambi::store
