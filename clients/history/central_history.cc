#include "clients/history/central_history.h"

#include <map>
#include <pqxx/pqxx>
#include <sstream>
#include <vector>

#include "proto/history/session_reps.h"
#include "proto/history/weekly_balance.h"

namespace ambi::history {
namespace {

constexpr std::uint32_t kDefaultListLimit = 100;
constexpr std::uint32_t kMaxListLimit = 10'000;
constexpr std::uint32_t kDefaultBalanceWeeks = 4;
constexpr std::uint32_t kMaxBalanceWeeks = 520;

constexpr const char* kSessionInfoColumns = R"sql(
SELECT s.session_id, s.athlete, s.start_unix_ns, s.end_unix_ns, s.capture_path, s.box_id,
       (SELECT COUNT(*) FROM ambi_sets t WHERE t.box_id = s.box_id
          AND t.session_id = s.session_id),
       (SELECT COUNT(*) FROM ambi_reps r WHERE r.box_id = s.box_id
          AND r.session_id = s.session_id)
FROM ambi_sessions s )sql";

void ReadSessionInfo(const pqxx::row& row, v1::SessionInfo* info) {
  info->set_session_id(row[0].as<std::string>());
  info->set_athlete(row[1].as<std::string>());
  info->set_start_unix_ns(row[2].as<std::int64_t>());
  info->set_end_unix_ns(row[3].as<std::int64_t>());
  info->set_capture_path(row[4].as<std::string>());
  info->set_box_id(row[5].as<std::string>());
  info->set_set_count(row[6].as<std::uint32_t>());
  info->set_rep_count(row[7].as<std::uint32_t>());
}

bool Fail(std::string message, HistoryError what, std::string* error, HistoryError* kind) {
  *error = std::move(message);
  *kind = what;
  return false;
}

bool Parse(const pqxx::field& field, google::protobuf::MessageLite* message) {
  const pqxx::binarystring bytes(field);
  return message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream in(text);
  std::string word;
  while (std::getline(in, word, ',')) {
    if (!word.empty()) words.push_back(word);
  }
  return words;
}

}  // namespace

bool IsCentralUrl(const std::string& store) {
  return store.starts_with("postgresql://") || store.starts_with("postgres://");
}

class CentralHistory::Impl {
 public:
  explicit Impl(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

  // Runs 'query' in one read-only snapshot; database failures become kUnavailable (the server
  // went away) or kInternal.
  template <typename Query>
  bool InSnapshot(std::string* error, HistoryError* kind, Query&& query) {
    try {
      pqxx::work work(*connection_, "ambi_history");
      work.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const bool ok = query(work);
      work.commit();
      return ok;
    } catch (const pqxx::broken_connection& failure) {
      return Fail(std::string("central database connection lost: ") + failure.what(),
                  HistoryError::kUnavailable, error, kind);
    } catch (const pqxx::undefined_table&) {
      return Fail("the central database has no ambi history yet (no box has shipped to it)",
                  HistoryError::kNotFound, error, kind);
    } catch (const std::exception& failure) {
      return Fail(std::string("central database: ") + failure.what(), HistoryError::kInternal,
                  error, kind);
    }
  }

  bool AthleteExists(pqxx::work& work, const std::string& athlete, std::string* error,
                     HistoryError* kind) {
    if (!work.exec_params("SELECT 1 FROM ambi_sessions WHERE athlete = $1 LIMIT 1", athlete)
             .empty()) {
      return true;
    }
    return Fail("no sessions recorded for athlete '" + athlete + "' at any box",
                HistoryError::kNotFound, error, kind);
  }

  std::unique_ptr<pqxx::connection> connection_;
};

std::unique_ptr<CentralHistory> CentralHistory::Open(const std::string& url, std::string* error) {
  if (!IsCentralUrl(url)) {
    *error = "'" + url + "' is not a PostgreSQL URL (postgresql://host/db)";
    return nullptr;
  }
  try {
    auto connection = std::make_unique<pqxx::connection>(url);
    return std::unique_ptr<CentralHistory>(
        new CentralHistory(std::make_unique<Impl>(std::move(connection))));
  } catch (const std::exception& failure) {
    // libpq's messages span lines (a hint on the second, indented); one line reads better.
    std::string message;
    for (const char c : std::string(failure.what())) {
      if (c == '\n' || c == '\t') {
        if (!message.empty() && message.back() != ' ') message += ' ';
      } else {
        message += c;
      }
    }
    while (!message.empty() && message.back() == ' ') message.pop_back();
    *error = "cannot reach the central database: " + message;
    return nullptr;
  }
}

CentralHistory::CentralHistory(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CentralHistory::~CentralHistory() = default;

bool CentralHistory::ListSessions(const v1::ListSessionsRequest& request,
                                  v1::ListSessionsResponse* response, std::string* error,
                                  HistoryError* kind) {
  if (request.limit() > kMaxListLimit) {
    return Fail("limit " + std::to_string(request.limit()) + " is more than the maximum " +
                    std::to_string(kMaxListLimit),
                HistoryError::kInvalidArgument, error, kind);
  }
  const std::uint32_t limit = request.limit() == 0 ? kDefaultListLimit : request.limit();
  return impl_->InSnapshot(error, kind, [&](pqxx::work& work) {
    if (!request.athlete().empty() && !impl_->AthleteExists(work, request.athlete(), error, kind)) {
      return false;
    }
    const pqxx::result rows =
        work.exec_params(std::string(kSessionInfoColumns) + R"sql(
WHERE ($1 = '' OR s.athlete = $1) AND s.start_unix_ns >= $2::bigint
  AND ($3::bigint = 0 OR s.start_unix_ns < $3::bigint)
ORDER BY s.start_unix_ns DESC, s.session_id DESC LIMIT $4::bigint)sql",
                         request.athlete(), request.from_unix_ns(), request.to_unix_ns(), limit);
    for (const pqxx::row& row : rows) ReadSessionInfo(row, response->add_sessions());
    return true;
  });
}

bool CentralHistory::GetSession(const v1::GetSessionRequest& request,
                                v1::GetSessionResponse* response, std::string* error,
                                HistoryError* kind) {
  const std::string& id = request.session_id();
  return impl_->InSnapshot(error, kind, [&](pqxx::work& work) {
    // Session ids hold their start time and 32 random bits: two boxes never share one in
    // practice; if they did, the first box by name answers.
    const pqxx::result info = work.exec_params(
        std::string(kSessionInfoColumns) + "WHERE s.session_id = $1 ORDER BY s.box_id LIMIT 1", id);
    if (info.empty()) {
      return Fail("unknown session id '" + id + "'", HistoryError::kNotFound, error, kind);
    }
    ReadSessionInfo(info[0], response->mutable_session());
    const std::string box = response->session().box_id();
    const pqxx::result sets = work.exec_params(R"sql(
SELECT set_index, exercise, mode, limb, start_s, summary,
       (SELECT COUNT(*) FROM ambi_reps r WHERE r.box_id = t.box_id AND r.session_id = t.session_id
          AND r.set_index = t.set_index AND r.side = 1),
       (SELECT COUNT(*) FROM ambi_reps r WHERE r.box_id = t.box_id AND r.session_id = t.session_id
          AND r.set_index = t.set_index AND r.side = 2),
       (SELECT MAX(end_s) FROM ambi_reps r WHERE r.box_id = t.box_id
          AND r.session_id = t.session_id AND r.set_index = t.set_index)
FROM ambi_sets t WHERE box_id = $1 AND session_id = $2 ORDER BY set_index)sql",
                                               box, id);
    for (const pqxx::row& row : sets) {
      v1::SetSummary* set = response->add_sets();
      if (!row[5].is_null()) {
        if (!Parse(row[5], set)) {
          return Fail("central database: cannot parse the summary of a set of session " + id,
                      HistoryError::kInternal, error, kind);
        }
        continue;
      }
      // A set cut off before its summary: what is known of it, as a box answers.
      set->set_set_index(row[0].as<std::uint32_t>());
      set->set_exercise(row[1].as<std::string>());
      set->set_mode(static_cast<v1::SetMode>(row[2].as<int>()));
      set->set_limb(static_cast<v1::Limb>(row[3].as<int>()));
      set->set_start_s(row[4].as<double>());
      set->set_end_s(row[8].is_null() ? row[4].as<double>() : row[8].as<double>());
      set->mutable_left()->set_rep_count(row[6].as<std::uint32_t>());
      set->mutable_right()->set_rep_count(row[7].as<std::uint32_t>());
    }
    for (const pqxx::row& row : work.exec_params(
             "SELECT cue FROM ambi_cues WHERE box_id = $1 AND session_id = $2 ORDER BY seq", box,
             id)) {
      if (!Parse(row[0], response->add_cues())) {
        return Fail("central database: cannot parse a cue of session " + id,
                    HistoryError::kInternal, error, kind);
      }
    }
    for (const pqxx::row& row : work.exec_params(
             "SELECT pair FROM ambi_rep_pairs WHERE box_id = $1 AND session_id = $2 ORDER BY seq",
             box, id)) {
      if (!Parse(row[0], response->add_rep_pairs())) {
        return Fail("central database: cannot parse a rep pair of session " + id,
                    HistoryError::kInternal, error, kind);
      }
    }
    std::vector<v1::Rep> logged_unpaired;
    for (const pqxx::row& row : work.exec_params(
             "SELECT event FROM ambi_events WHERE box_id = $1 AND session_id = $2 AND kind IN "
             "('sensor_status', 'unpaired_rep') ORDER BY seq",
             box, id)) {
      v1::Event event;
      if (!Parse(row[0], &event)) {
        return Fail("central database: cannot parse an event of session " + id,
                    HistoryError::kInternal, error, kind);
      }
      if (event.has_sensor_status()) *response->add_sensor_events() = event.sensor_status();
      if (event.has_unpaired_rep()) logged_unpaired.push_back(event.unpaired_rep().rep());
    }
    // Every rep recorded: those no pair holds are the unpaired reps (a unilateral set's too), as
    // a box answers.
    std::vector<v1::Rep> recorded;
    for (const pqxx::row& row : work.exec_params(R"sql(
SELECT set_index, rep_index, side, limb, start_s, turnaround_s, end_s, rom_deg, concentric_s,
       eccentric_s, peak_speed_deg_s
FROM ambi_reps WHERE box_id = $1 AND session_id = $2 ORDER BY seq)sql",
                                                 box, id)) {
      v1::Rep& rep = recorded.emplace_back();
      rep.set_set_index(row[0].as<std::uint32_t>());
      rep.set_index(row[1].as<std::uint32_t>());
      rep.set_side(static_cast<v1::Side>(row[2].as<int>()));
      rep.set_limb(static_cast<v1::Limb>(row[3].as<int>()));
      rep.set_start_s(row[4].as<double>());
      rep.set_turnaround_s(row[5].as<double>());
      rep.set_end_s(row[6].as<double>());
      rep.set_rom_deg(row[7].as<double>());
      rep.set_concentric_s(row[8].as<double>());
      rep.set_eccentric_s(row[9].as<double>());
      rep.set_peak_speed_deg_s(row[10].as<double>());
    }
    proto::AddUnpairedReps(recorded, logged_unpaired, response);
    return true;
  });
}

bool CentralHistory::WeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                   std::int64_t now_unix_ns, v1::WeeklyBalanceResponse* response,
                                   std::string* error, HistoryError* kind) {
  if (request.athlete().empty()) {
    return Fail("weekly balance: athlete is required", HistoryError::kInvalidArgument, error, kind);
  }
  if (request.weeks() > kMaxBalanceWeeks) {
    return Fail("weekly balance: weeks " + std::to_string(request.weeks()) +
                    " is more than the maximum " + std::to_string(kMaxBalanceWeeks),
                HistoryError::kInvalidArgument, error, kind);
  }
  const std::int64_t until = request.until_unix_ns() != 0 ? request.until_unix_ns() : now_unix_ns;
  const std::uint32_t weeks = request.weeks() == 0 ? kDefaultBalanceWeeks : request.weeks();
  if (const std::string range_error = proto::BalanceRangeError(until, weeks);
      !range_error.empty()) {
    return Fail("weekly balance: " + range_error, HistoryError::kInvalidArgument, error, kind);
  }
  const proto::WeekRange range = proto::BalanceWeekRange(until, weeks);
  std::vector<proto::BalanceSet> sets;
  std::map<std::string, proto::ExerciseKind, std::less<>> kinds;
  const bool ok = impl_->InSnapshot(error, kind, [&](pqxx::work& work) {
    if (!impl_->AthleteExists(work, request.athlete(), error, kind)) return false;
    // As a box's store reads them (daemon/store/session_reader.cc), over every box.
    const pqxx::result rows =
        work.exec_params(R"sql(
SELECT t.exercise, t.start_unix_ns,
       COALESCE(t.left_reps, (SELECT COUNT(*) FROM ambi_reps r WHERE r.box_id = t.box_id
                 AND r.session_id = t.session_id AND r.set_index = t.set_index AND r.side = 1)),
       COALESCE(t.right_reps, (SELECT COUNT(*) FROM ambi_reps r WHERE r.box_id = t.box_id
                 AND r.session_id = t.session_id AND r.set_index = t.set_index AND r.side = 2)),
       COALESCE(t.rom_band, 0), COALESCE(t.rom_percent_difference, 0),
       COALESCE(t.rom_symmetry_index_pct, 0), COALESCE(t.weaker_side, 0),
       COALESCE((SELECT AVG(r.rom_deg) FROM ambi_reps r WHERE r.box_id = t.box_id
                 AND r.session_id = t.session_id AND r.set_index = t.set_index AND r.side = 1), 0),
       COALESCE((SELECT AVG(r.rom_deg) FROM ambi_reps r WHERE r.box_id = t.box_id
                 AND r.session_id = t.session_id AND r.set_index = t.set_index AND r.side = 2), 0),
       t.muscle_groups, t.direction, t.reaching
FROM ambi_sets t JOIN ambi_sessions s ON s.box_id = t.box_id AND s.session_id = t.session_id
WHERE s.athlete = $1 AND t.start_unix_ns >= $2::bigint AND t.start_unix_ns < $3::bigint
ORDER BY t.start_unix_ns, t.box_id)sql",
                         request.athlete(), range.from_unix_ns, range.to_unix_ns);
    for (const pqxx::row& row : rows) {
      proto::BalanceSet set;
      set.exercise = row[0].as<std::string>();
      set.start_unix_ns = row[1].as<std::int64_t>();
      set.left_reps = row[2].as<std::uint32_t>();
      set.right_reps = row[3].as<std::uint32_t>();
      const auto rom_band = static_cast<v1::Band>(row[4].as<int>());
      set.rom_compared =
          rom_band == v1::BAND_GREEN || rom_band == v1::BAND_AMBER || rom_band == v1::BAND_RED;
      set.rom_percent_difference = row[5].as<double>();
      set.rom_symmetry_index_pct = row[6].as<double>();
      set.weaker_side = static_cast<v1::Side>(row[7].as<int>());
      set.left_mean_rom_deg = row[8].as<double>();
      set.right_mean_rom_deg = row[9].as<double>();
      // The kind the box's catalog gave; an exercise no box knew stays unknown.
      const std::string direction = row[11].as<std::string>();
      if (!direction.empty()) {
        proto::ExerciseKind exercise_kind;
        exercise_kind.muscle_groups = SplitCommas(row[10].as<std::string>());
        if (direction == "push") exercise_kind.direction = proto::ExerciseKind::Direction::kPush;
        if (direction == "pull") exercise_kind.direction = proto::ExerciseKind::Direction::kPull;
        exercise_kind.reaching = row[12].as<bool>();
        kinds[set.exercise] = std::move(exercise_kind);
      }
      sets.push_back(std::move(set));
    }
    return true;
  });
  if (!ok) return false;
  response->set_athlete(request.athlete());
  proto::BuildWeeklyBalance(
      sets,
      [&kinds](std::string_view name) -> const proto::ExerciseKind* {
        const auto found = kinds.find(name);
        return found == kinds.end() ? nullptr : &found->second;
      },
      until, weeks, response);
  return true;
}

}  // namespace ambi::history
