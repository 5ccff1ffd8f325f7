// ambictl sessions, show, export, balance, report: the store's history through ambid, or the
// central history of every box (--store postgresql://...).

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "clients/ctl/commands.h"
#include "clients/ctl/ctl_text.h"
#include "clients/ctl/export_rows.h"
#include "clients/history/central_history.h"
#include "clients/report/report.h"
#include "clients/report/weekly_summary.h"

namespace ambi::ctl {
namespace {

using Json = nlohmann::ordered_json;

// Sessions a listing asks for when it gives no --limit: the daemon's own cap is 100.
constexpr std::uint32_t kExportSessionLimit = 1000;

void PrintLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

std::int64_t UnixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --since/--until as Unix ns (0: unbounded); false (after a one-line error) on a bad date.
bool DateRange(const Options& options, std::int64_t* from, std::int64_t* to) {
  const std::int64_t now = UnixNowNs();
  for (const auto& [text, name, out, end] : {std::tuple{options.since, "--since", from, false},
                                             std::tuple{options.until, "--until", to, true}}) {
    *out = 0;
    if (text.empty()) continue;
    const std::optional<std::int64_t> parsed = ParseDate(text, now, end);
    if (!parsed) {
      PrintError(std::string("bad date '") + text + "' for " + name + ": use " + kDateForms);
      return false;
    }
    *out = *parsed;
  }
  if (*from != 0 && *to != 0 && *from > *to) {
    PrintError("--since " + options.since + " is after --until " + options.until);
    return false;
  }
  return true;
}

Json SessionJson(const v1::SessionInfo& s) {
  Json json{{"session_id", s.session_id()},
            {"athlete", s.athlete()},
            {"start_unix_ns", s.start_unix_ns()},
            {"end_unix_ns", s.end_unix_ns()},
            {"start_utc", UtcIso(s.start_unix_ns())},
            {"end_utc", s.end_unix_ns() == 0 ? Json(nullptr) : Json(UtcIso(s.end_unix_ns()))},
            {"live", s.end_unix_ns() == 0},
            {"set_count", s.set_count()},
            {"rep_count", s.rep_count()},
            {"capture_path", s.capture_path()}};
  if (!s.box_id().empty()) json["box_id"] = s.box_id();  // a central history's
  return json;
}

// Where the history comes from: the ambid at --connect, or the central database of --store.
class History {
 public:
  History(AmbidClient& client, const Options& options) : client_(client), options_(options) {}

  // Connects to the central database when --store names one; false after a one-line error.
  bool Open(int* exit_code) {
    if (options_.store.empty()) return true;
    std::string error;
    central_ = history::CentralHistory::Open(options_.store, &error);
    if (!central_) {
      PrintError(error + " (--store " + options_.store + ")");
      *exit_code = history::IsCentralUrl(options_.store) ? kExitError : kExitUsage;
      return false;
    }
    return true;
  }

  bool List(const v1::ListSessionsRequest& request, v1::ListSessionsResponse* response,
            int* exit_code) {
    if (central_)
      return Central(central_->ListSessions(request, response, &error_, &kind_), exit_code);
    grpc::ClientContext context;
    client_.Prepare(&context, false);
    const grpc::Status status = client_.stub().ListSessions(&context, request, response);
    if (status.ok()) return true;
    *exit_code = client_.Fail(status, "listing sessions", &context);
    return false;
  }

  bool Get(const std::string& session_id, v1::GetSessionResponse* response, int* exit_code) {
    v1::GetSessionRequest request;
    request.set_session_id(session_id);
    if (central_)
      return Central(central_->GetSession(request, response, &error_, &kind_), exit_code);
    grpc::ClientContext context;
    client_.Prepare(&context, false);
    const grpc::Status status = client_.stub().GetSession(&context, request, response);
    if (status.ok()) return true;
    *exit_code = client_.Fail(status, "session '" + session_id + "'", &context);
    return false;
  }

  bool Balance(const v1::WeeklyBalanceRequest& request, v1::WeeklyBalanceResponse* response,
               int* exit_code) {
    if (central_) {
      return Central(central_->WeeklyBalance(request, UnixNowNs(), response, &error_, &kind_),
                     exit_code);
    }
    grpc::ClientContext context;
    client_.Prepare(&context, false);
    const grpc::Status status = client_.stub().GetWeeklyBalance(&context, request, response);
    if (status.ok()) return true;
    *exit_code = client_.Fail(status, "the weekly balance of " + request.athlete(), &context);
    return false;
  }

 private:
  bool Central(bool ok, int* exit_code) {
    if (ok) return true;
    switch (kind_) {
      case history::HistoryError::kInvalidArgument:
        PrintError(error_ + " (see --help for options)");
        *exit_code = kExitUsage;
        break;
      case history::HistoryError::kNotFound:
        PrintError(error_ + ": see `ambictl --store URL sessions` for what exists");
        *exit_code = kExitError;
        break;
      default:
        PrintError(error_);
        *exit_code = kExitError;
        break;
    }
    return false;
  }

  AmbidClient& client_;
  const Options& options_;
  std::unique_ptr<history::CentralHistory> central_;
  std::string error_;
  history::HistoryError kind_ = history::HistoryError::kNone;
};

bool ListSessions(History& history, const Options& options, std::uint32_t limit,
                  v1::ListSessionsResponse* response, int* exit_code) {
  std::int64_t from = 0;
  std::int64_t to = 0;
  if (!DateRange(options, &from, &to)) {
    *exit_code = kExitUsage;
    return false;
  }
  v1::ListSessionsRequest request;
  request.set_athlete(options.athlete);
  request.set_from_unix_ns(from);
  request.set_to_unix_ns(to);
  request.set_limit(limit);
  return history.List(request, response, exit_code);
}

bool GetSession(History& history, const std::string& session_id, v1::GetSessionResponse* response,
                int* exit_code) {
  return history.Get(session_id, response, exit_code);
}

std::string Duration(const v1::SessionInfo& s) {
  if (s.end_unix_ns() == 0) return "live";
  const auto minutes = (s.end_unix_ns() - s.start_unix_ns()) / 60'000'000'000;
  return Format("%lldh%02lld", static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
}

std::string KindWord(v1::SensorStatus::Kind kind) {
  switch (kind) {
    case v1::SensorStatus::KIND_GAP:
      return "gap";
    case v1::SensorStatus::KIND_LOST:
      return "lost";
    case v1::SensorStatus::KIND_BACK:
      return "back";
    case v1::SensorStatus::KIND_BAD_DATA:
      return "bad_data";
    default:
      return "";
  }
}

std::string CueWord(v1::Cue::Kind kind) {
  std::string name = v1::Cue::Kind_Name(kind);
  if (name.starts_with("KIND_")) name.erase(0, 5);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// The sets whose reps have no partner by design: one side works in a unilateral set.
std::set<std::uint32_t> UnilateralSets(const v1::GetSessionResponse& session) {
  std::set<std::uint32_t> sets;
  for (const v1::SetSummary& set : session.sets()) {
    if (set.mode() == v1::SET_MODE_UNILATERAL) sets.insert(set.set_index());
  }
  return sets;
}

// Every rep of a session with the pair it belongs to (null when none), in set, side and rep order.
struct ShownRep {
  const v1::Rep* rep;
  const v1::RepPair* pair;
};
std::vector<ShownRep> SessionReps(const v1::GetSessionResponse& session) {
  std::vector<ShownRep> reps;
  for (const v1::RepPair& pair : session.rep_pairs()) {
    reps.push_back({&pair.left(), &pair});
    reps.push_back({&pair.right(), &pair});
  }
  for (const v1::UnpairedRep& unpaired : session.unpaired_reps()) {
    reps.push_back({&unpaired.rep(), nullptr});
  }
  std::stable_sort(reps.begin(), reps.end(), [](const ShownRep& a, const ShownRep& b) {
    return std::tuple(a.rep->set_index(), a.rep->side(), a.rep->index()) <
           std::tuple(b.rep->set_index(), b.rep->side(), b.rep->index());
  });
  return reps;
}

// "reps": per set and side, the count and each rep's segment ROM, as the coach reads a set.
std::string RepsSection(const v1::GetSessionResponse& session) {
  std::string out = "\nreps (segment ROM per rep, °)\n";
  const std::vector<ShownRep> reps = SessionReps(session);
  if (reps.empty()) return out + "  none\n";
  for (std::size_t i = 0; i < reps.size();) {
    const v1::Rep& first = *reps[i].rep;
    std::string roms;
    std::size_t n = 0;
    for (; i < reps.size() && reps[i].rep->set_index() == first.set_index() &&
           reps[i].rep->side() == first.side();
         ++i, ++n) {
      roms += Format(" %.1f", reps[i].rep->rom_deg());
    }
    out +=
        Format("  set %u  %-5s %2zu reps:", first.set_index(), SideName(first.side()).c_str(), n) +
        roms + "\n";
  }
  return out;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return true;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    PrintError("cannot write " + path + ": check the folder exists and is writable");
    return false;
  }
  return true;
}

}  // namespace

int Sessions(AmbidClient& client, const Options& options) {
  v1::ListSessionsResponse response;
  int exit_code = kExitOk;
  History history(client, options);
  if (!history.Open(&exit_code)) return exit_code;
  if (!ListSessions(history, options, options.limit, &response, &exit_code)) return exit_code;
  if (options.json) {
    for (const v1::SessionInfo& s : response.sessions()) PrintLine(SessionJson(s).dump());
    return kExitOk;
  }
  // A central history (--store) says which box recorded each session.
  const bool boxes = !options.store.empty();
  std::vector<std::string> header = {"SESSION",  "ATHLETE", "START (UTC)", "END (UTC)",
                                     "DURATION", "SETS",    "REPS"};
  if (boxes) header.insert(header.begin() + 2, "BOX");
  Table table(header);
  for (const v1::SessionInfo& s : response.sessions()) {
    std::vector<std::string> row = {s.session_id(),
                                    s.athlete(),
                                    UtcTime(s.start_unix_ns()),
                                    s.end_unix_ns() == 0 ? "live" : UtcTime(s.end_unix_ns()),
                                    Duration(s),
                                    std::to_string(s.set_count()),
                                    std::to_string(s.rep_count())};
    if (boxes) row.insert(row.begin() + 2, s.box_id());
    table.Add(row);
  }
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

int Show(AmbidClient& client, const Options& options) {
  v1::GetSessionResponse session;
  int exit_code = kExitOk;
  History history(client, options);
  if (!history.Open(&exit_code)) return exit_code;
  if (!GetSession(history, options.session_id, &session, &exit_code)) return exit_code;
  const v1::SessionInfo& info = session.session();
  if (options.json) {
    Json head = {{"record", "session"}};
    head.update(SessionJson(info));
    PrintLine(head.dump());
    for (const v1::SetSummary& set : session.sets()) {
      const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
      PrintLine(Json{{"record", "set"},
                     {"session_id", info.session_id()},
                     {"athlete", info.athlete()},
                     {"set_index", set.set_index()},
                     {"exercise", set.exercise()},
                     {"mode", ModeName(set.mode())},
                     {"limb", LimbName(set.limb())},
                     {"start_s", set.start_s()},
                     {"end_s", set.end_s()},
                     {"left_reps", set.left().rep_count()},
                     {"right_reps", set.right().rep_count()},
                     {"left_mean_rom_deg", set.left().mean_rom_deg()},
                     {"right_mean_rom_deg", set.right().mean_rom_deg()},
                     {"rom_percent_difference",
                      rom != nullptr ? Json(rom->percent_difference()) : Json(nullptr)},
                     {"rom_band", rom != nullptr ? BandName(rom->band()) : "n/a"},
                     {"band", BandName(set.band())},
                     {"weaker_side", SideName(set.weaker_side())},
                     {"significant", set.significant()},
                     {"left_max_speed_loss_pct", set.left().max_speed_loss_pct()},
                     {"right_max_speed_loss_pct", set.right().max_speed_loss_pct()},
                     {"compared_with_set_index", set.compared_with_set_index()}}
                    .dump());
    }
    for (const v1::Cue& cue : session.cues()) {
      PrintLine(Json{{"record", "cue"},
                     {"session_id", info.session_id()},
                     {"athlete", info.athlete()},
                     {"set_index", cue.set_index()},
                     {"t_s", cue.t_s()},
                     {"kind", CueWord(cue.kind())},
                     {"side", SideName(cue.side())},
                     {"message", cue.message()}}
                    .dump());
    }
    for (const v1::SensorStatus& e : session.sensor_events()) {
      PrintLine(Json{{"record", "data_quality"},
                     {"session_id", info.session_id()},
                     {"athlete", info.athlete()},
                     {"t_s", e.t_s()},
                     {"kind", KindWord(e.kind())},
                     {"side", SideName(e.side())},
                     {"limb", LimbName(e.limb())},
                     {"gap_s", e.gap_s()},
                     {"missing_samples", e.missing_samples()},
                     {"detail", e.detail()}}
                    .dump());
    }
    for (const ShownRep& shown : SessionReps(session)) {
      const v1::Rep& rep = *shown.rep;
      PrintLine(Json{
          {"record", "rep"},
          {"session_id", info.session_id()},
          {"athlete", info.athlete()},
          {"set_index", rep.set_index()},
          {"side", SideName(rep.side())},
          {"rep_index", rep.index()},
          {"pair_index", shown.pair != nullptr ? Json(shown.pair->pair_index()) : Json(nullptr)},
          {"rom_deg", rep.rom_deg()},
          {"concentric_s", rep.concentric_s()},
          {"eccentric_s", rep.eccentric_s()},
          {"peak_speed_deg_s", rep.peak_speed_deg_s()},
          {"bridged", rep.bridged()},
          {"stepped", rep.stepped()}}
                    .dump());
    }
    // A rep without a partner is a data-quality note only where a partner was expected.
    const std::set<std::uint32_t> unilateral = UnilateralSets(session);
    for (const v1::UnpairedRep& u : session.unpaired_reps()) {
      if (unilateral.contains(u.rep().set_index())) continue;
      PrintLine(Json{{"record", "unpaired_rep"},
                     {"session_id", info.session_id()},
                     {"athlete", info.athlete()},
                     {"set_index", u.rep().set_index()},
                     {"side", SideName(u.rep().side())},
                     {"rep_index", u.rep().index()},
                     {"rom_deg", u.rep().rom_deg()}}
                    .dump());
    }
    return kExitOk;
  }
  std::string out;
  out += "session   " + info.session_id() + "\n";
  out += "athlete   " + info.athlete() + "\n";
  out += "start     " + UtcTime(info.start_unix_ns()) + " UTC\n";
  out += "end       " +
         (info.end_unix_ns() == 0 ? std::string("(live)") : UtcTime(info.end_unix_ns()) + " UTC") +
         "\n";
  out += "capture   " + info.capture_path() + "\n\n";
  Table sets({"SET", "EXERCISE", "MODE", "LIMB", "REPS L", "REPS R", "ROM L", "ROM R", "ROM DIFF",
              "ROM BAND", "WEAKER", "SET BAND", "SPEED LOSS L/R"});
  for (const v1::SetSummary& set : session.sets()) {
    const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
    sets.Add({std::to_string(set.set_index()), set.exercise().empty() ? "-" : set.exercise(),
              ModeName(set.mode()), LimbName(set.limb()), std::to_string(set.left().rep_count()),
              std::to_string(set.right().rep_count()), Format("%.1f°", set.left().mean_rom_deg()),
              Format("%.1f°", set.right().mean_rom_deg()),
              rom != nullptr ? Format("%.1f %%", rom->percent_difference()) : "-",
              rom != nullptr ? BandName(rom->band()) : "-",
              set.weaker_side() == v1::SIDE_UNSPECIFIED ? "-" : SideName(set.weaker_side()),
              BandName(set.band()),
              Format("%.0f/%.0f %%", set.left().max_speed_loss_pct(),
                     set.right().max_speed_loss_pct())});
  }
  out += sets.empty() ? "no sets\n" : sets.Render();
  out += "\ncues\n";
  if (session.cues().empty()) out += "  none\n";
  for (const v1::Cue& cue : session.cues()) {
    out += Format("  set %u  %7.1f s  ", cue.set_index(), cue.t_s()) + cue.message() + "\n";
  }
  out += RepsSection(session);
  out += "\ndata quality\n";
  const std::set<std::uint32_t> unilateral = UnilateralSets(session);
  std::vector<const v1::Rep*> unpaired;
  for (const v1::UnpairedRep& u : session.unpaired_reps()) {
    if (!unilateral.contains(u.rep().set_index())) unpaired.push_back(&u.rep());
  }
  if (session.sensor_events().empty() && unpaired.empty()) {
    out += "  no gaps, lost sensors or unpaired reps\n";
  }
  for (const v1::SensorStatus& e : session.sensor_events()) {
    out += Format("  %7.1f s  ", e.t_s()) + DescribeSensorStatus(e) + "\n";
  }
  for (const v1::Rep* rep : unpaired) {
    out += Format("  set %u  %s rep %u has no partner on the other side (not compared)\n",
                  rep->set_index(), SideName(rep->side()).c_str(), rep->index());
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int Export(AmbidClient& client, const Options& options) {
  if (options.session_id.empty() == options.athlete.empty()) {
    PrintError("export takes a SESSION or --athlete A (with --since/--until), not both");
    return kExitUsage;
  }
  const ExportLevel level = options.per == "set" ? ExportLevel::kSet : ExportLevel::kRep;
  const ExportFormat format = options.format == "json" ? ExportFormat::kJson : ExportFormat::kCsv;
  std::vector<std::string> session_ids;
  int exit_code = kExitOk;
  History history(client, options);
  if (!history.Open(&exit_code)) return exit_code;
  if (!options.session_id.empty()) {
    session_ids.push_back(options.session_id);
  } else {
    v1::ListSessionsResponse listed;
    if (!ListSessions(history, options, options.limit ? options.limit : kExportSessionLimit,
                      &listed, &exit_code)) {
      return exit_code;
    }
    // Oldest first: a spreadsheet reads in time order (the daemon lists newest first).
    for (auto it = listed.sessions().rbegin(); it != listed.sessions().rend(); ++it) {
      session_ids.push_back(it->session_id());
    }
  }
  std::ostringstream out;
  bool header = true;
  for (const std::string& id : session_ids) {
    v1::GetSessionResponse session;
    if (!GetSession(history, id, &session, &exit_code)) return exit_code;
    WriteExport(ExportRows(session, level), level, format, header, out);
    header = false;
  }
  if (session_ids.empty()) WriteExport({}, level, format, true, out);
  return WriteOutput(options.output, out.str()) ? kExitOk : kExitError;
}

namespace {

bool GetBalance(History& history, const Options& options, v1::WeeklyBalanceResponse* response,
                int* exit_code) {
  std::int64_t until = 0;
  if (!options.until.empty()) {
    const std::optional<std::int64_t> parsed = ParseDate(options.until, UnixNowNs(), true);
    if (!parsed) {
      PrintError("bad date '" + options.until + "' for --until: use " + kDateForms);
      *exit_code = kExitUsage;
      return false;
    }
    until = *parsed;
  }
  v1::WeeklyBalanceRequest request;
  request.set_athlete(options.athlete);
  request.set_weeks(options.weeks);
  request.set_until_unix_ns(until);
  return history.Balance(request, response, exit_code);
}

}  // namespace

int Balance(AmbidClient& client, const Options& options) {
  v1::WeeklyBalanceResponse balance;
  int exit_code = kExitOk;
  History history(client, options);
  if (!history.Open(&exit_code)) return exit_code;
  if (!GetBalance(history, options, &balance, &exit_code)) return exit_code;
  const std::string& athlete = balance.athlete();
  if (options.json) {
    for (const v1::WeekBalance& w : balance.weeks()) {
      PrintLine(Json{{"record", "week"},
                     {"athlete", athlete},
                     {"week", w.week()},
                     {"week_start_unix_ns", w.week_start_unix_ns()},
                     {"push_sets", w.push_sets()},
                     {"pull_sets", w.pull_sets()},
                     {"pull_aim_sets", report::kPullPerPushAim * w.push_sets()},
                     {"quadriceps_sets", w.quadriceps_sets()},
                     {"hamstrings_sets", w.hamstrings_sets()},
                     {"reaching_sets", w.reaching_sets()},
                     {"left_reps", w.left_reps()},
                     {"right_reps", w.right_reps()}}
                    .dump());
      for (const v1::MuscleGroupVolume& g : w.muscle_groups()) {
        PrintLine(Json{{"record", "muscle_group"},
                       {"athlete", athlete},
                       {"week", w.week()},
                       {"muscle_group", g.muscle_group()},
                       {"sets", g.sets()},
                       {"left_reps", g.left_reps()},
                       {"right_reps", g.right_reps()}}
                      .dump());
      }
      for (const v1::ExerciseAsymmetry& e : w.exercises()) {
        const bool compared = e.compared_sets() > 0;
        const bool has_baseline = !e.baseline_week().empty();
        PrintLine(Json{
            {"record", "exercise"},
            {"athlete", athlete},
            {"week", w.week()},
            {"exercise", e.exercise()},
            {"sets", e.sets()},
            {"compared_sets", e.compared_sets()},
            {"mean_rom_percent_difference",
             compared ? Json(e.mean_rom_percent_difference()) : Json(nullptr)},
            {"mean_rom_symmetry_index_pct",
             compared ? Json(e.mean_rom_symmetry_index_pct()) : Json(nullptr)},
            {"baseline_week", has_baseline ? Json(e.baseline_week()) : Json(nullptr)},
            {"baseline_rom_symmetry_index_pct",
             has_baseline ? Json(e.baseline_rom_symmetry_index_pct()) : Json(nullptr)},
            {"change_from_baseline_pts", compared && has_baseline
                                             ? Json(e.mean_rom_percent_difference() -
                                                    report::BaselinePercentDifference(balance, e)
                                                        .value_or(e.mean_rom_percent_difference()))
                                             : Json(nullptr)},
            {"mean_left_rom_deg",
             e.mean_left_rom_deg() > 0 ? Json(e.mean_left_rom_deg()) : Json(nullptr)},
            {"mean_right_rom_deg",
             e.mean_right_rom_deg() > 0 ? Json(e.mean_right_rom_deg()) : Json(nullptr)},
            {"weaker_side", SideName(e.weaker_side())}}
                      .dump());
      }
    }
    return kExitOk;
  }
  std::string out;
  if (!balance.weeks().empty()) {
    out += athlete + "  " + balance.weeks(0).week() + " to " +
           balance.weeks(balance.weeks_size() - 1).week() + " (ISO weeks, UTC)\n\n";
  }
  Table weeks(
      {"WEEK", "PUSH", "PULL", "PULL AIM 2:1", "QUADS", "HAMSTRINGS", "REACH", "REPS L", "REPS R"});
  for (const v1::WeekBalance& w : balance.weeks()) {
    weeks.Add({w.week(), std::to_string(w.push_sets()), std::to_string(w.pull_sets()),
               Format("%.0f", report::kPullPerPushAim * w.push_sets()),
               std::to_string(w.quadriceps_sets()), std::to_string(w.hamstrings_sets()),
               std::to_string(w.reaching_sets()), std::to_string(w.left_reps()),
               std::to_string(w.right_reps())});
  }
  out += weeks.Render();
  std::set<std::string> group_names;
  for (const v1::WeekBalance& w : balance.weeks()) {
    for (const auto& g : w.muscle_groups()) group_names.insert(g.muscle_group());
  }
  if (!group_names.empty()) {
    std::vector<std::string> header = {"SETS PER MUSCLE GROUP"};
    for (const v1::WeekBalance& w : balance.weeks()) header.push_back(w.week());
    Table groups(header);
    for (const std::string& name : group_names) {
      std::vector<std::string> row = {name};
      for (const v1::WeekBalance& w : balance.weeks()) {
        std::uint32_t sets = 0;
        for (const auto& g : w.muscle_groups()) {
          if (g.muscle_group() == name) sets = g.sets();
        }
        row.push_back(std::to_string(sets));
      }
      groups.Add(row);
    }
    out += "\n" + groups.Render();
  }
  Table asymmetry({"EXERCISE", "WEEK", "SETS", "ROM DIFF", "SYMMETRY INDEX", "VS BASELINE",
                   "WEAKER", "ROM L", "ROM R"});
  for (const v1::WeekBalance& w : balance.weeks()) {
    for (const v1::ExerciseAsymmetry& e : w.exercises()) {
      const bool compared = e.compared_sets() > 0;
      std::string versus = "-";
      if (compared && e.baseline_week() == w.week()) {
        versus = "baseline";
      } else if (compared && !e.baseline_week().empty()) {
        versus = Format("%+.1f pts", e.mean_rom_percent_difference() -
                                         report::BaselinePercentDifference(balance, e)
                                             .value_or(e.mean_rom_percent_difference()));
      }
      asymmetry.Add({e.exercise(), w.week(), std::to_string(e.sets()),
                     compared ? Format("%.1f %%", e.mean_rom_percent_difference()) : "-",
                     compared ? Format("%+.1f %%", e.mean_rom_symmetry_index_pct()) : "-", versus,
                     e.weaker_side() == v1::SIDE_UNSPECIFIED ? "-" : SideName(e.weaker_side()),
                     e.mean_left_rom_deg() > 0 ? Format("%.1f°", e.mean_left_rom_deg()) : "-",
                     e.mean_right_rom_deg() > 0 ? Format("%.1f°", e.mean_right_rom_deg()) : "-"});
    }
  }
  if (!asymmetry.empty()) {
    out += "\nROM per exercise and week (segment angle; symmetry index > 0: left larger)\n";
    out += asymmetry.Render();
  }
  out += "\nsummary\n";
  for (const std::string& sentence : report::SummarySentences(balance)) {
    out += "  " + sentence + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int Report(AmbidClient& client, const Options& options) {
  if (options.session_id.empty() == options.athlete.empty()) {
    PrintError("report takes a SESSION, or --athlete A --weeks N, and -o FILE.html");
    return kExitUsage;
  }
  int exit_code = kExitOk;
  History history(client, options);
  if (!history.Open(&exit_code)) return exit_code;
  std::string html;
  if (!options.session_id.empty()) {
    v1::GetSessionResponse session;
    if (!GetSession(history, options.session_id, &session, &exit_code)) return exit_code;
    html = report::SessionReportHtml(session);
  } else {
    v1::WeeklyBalanceResponse balance;
    if (!GetBalance(history, options, &balance, &exit_code)) return exit_code;
    html = report::WeeklyReportHtml(balance);
  }
  if (!WriteOutput(options.output, html)) return kExitError;
  if (!options.output.empty() && options.output != "-") {
    std::fprintf(stderr, "ambictl: wrote %s\n", options.output.c_str());
  }
  return kExitOk;
}

}  // namespace ambi::ctl
