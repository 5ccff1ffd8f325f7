// ambictl: the command-line client of ambid, in the manner of systemctl/journalctl. Live view and
// set/session control, devices, history (sessions, show, export, balance), reports and the
// exercise catalog. Every subcommand has --help.
//
// Exit status: 0 done, 1 the daemon refused or could not be reached, 2 usage (bad option, bad
// date), 3 --timeout-s elapsed.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "clients/ctl/ambid_client.h"
#include "clients/ctl/commands.h"
#include "clients/ctl/ctl_text.h"
#include "clients/watch/event_line.h"

namespace ambi::ctl {
namespace {

int Main(int argc, char** argv) {
  Options options;
  options.address = DefaultAddress();
  CLI::App app{
      "ambictl: watch live left/right asymmetry, control sets and sessions, and review the "
      "recorded history of ambid (sessions, exports, weekly balance, HTML reports)."};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--connect", options.address,
                 "ambid address: unix:/path, a socket path, or host:port (default: "
                 "$AMBI_ADDRESS, else ambid's socket " +
                     DefaultAddress() + ")");
  app.add_option("--store", options.store,
                 "read the history (sessions, show, export, balance, report) of every box from "
                 "the central PostgreSQL database at URL (postgresql://host/db; the password "
                 "from PGPASSFILE or ~/.pgpass) instead of from ambid");
  app.add_option("--token-file", options.token_file,
                 "file holding the bearer token ambid asks of TCP clients (a read or control "
                 "token; the token is never given on the command line)");
  app.add_option("--tls-ca", options.tls_ca,
                 "PEM file of the CA that signed ambid's certificate: connect over TLS");
  app.add_option("--timeout-s", options.timeout_s,
                 "give up (exit 3) after S seconds; watch: before --count events arrived")
      ->check(CLI::PositiveNumber);
  app.add_option("--wait-for-server", options.wait_for_server_s,
                 "wait up to S seconds for ambid to accept connections")
      ->check(CLI::NonNegativeNumber);

  const auto add_json = [&](CLI::App* command, const std::string& what) {
    command->add_flag("--json", options.json,
                      "one JSON object per line (" + what + "), stable field names");
  };
  const auto add_dates = [&](CLI::App* command) {
    command->add_option("--since", options.since,
                        std::string("sessions that started at or after DATE: ") + kDateForms);
    command->add_option("--until", options.until,
                        "sessions that started before the end of DATE (same forms)");
  };

  CLI::App* watch = app.add_subcommand(
      "watch",
      "live view: one line per rep pair (L/R segment ROM, the difference in its band's colour, "
      "tempo, lead/lag when it matters) and cue lines; plain text when not a terminal");
  watch->add_option("--athlete", options.athletes, "only this athlete (repeatable)");
  watch->add_option("--kind", options.kinds,
                    "only events of this kind (repeatable): " + watch::EventKindNames());
  watch->add_flag("--fatigue", options.fatigue, "also show the fatigue lines (speed/ROM loss)");
  watch->add_flag("--table", options.table,
                  "a per-athlete table redrawn in place instead of lines");
  watch->add_flag("--no-color", options.no_colour, "no colours even on a terminal ($NO_COLOR)");
  watch->add_flag("--every-event", options.every_event,
                  "one plain line for every event (fatigue, single reps too), as ambi-watch");
  watch->add_option("--count", options.count, "exit after N events")->check(CLI::PositiveNumber);
  watch->add_flag("--json", options.json, "every event as one proto3 JSON object per line");

  CLI::App* devices = app.add_subcommand("devices", "the daemon's sensors: state, rates, gaps");
  devices->add_option("--athlete", options.athlete, "only this athlete's sensors");
  add_json(devices, "one per device");
  CLI::App* status = app.add_subcommand(
      "status",
      "the daemon's health: devices connected and the copy of its history to the "
      "central database ([central]): connected, rows waiting, seconds behind");
  add_json(status, "one object");

  CLI::App* set = app.add_subcommand("set", "set control: start or end a set");
  set->require_subcommand(1);
  CLI::App* set_start = set->add_subcommand("start", "start a set (ends one in progress first)");
  set_start->add_option("--athlete", options.athlete, "the athlete")->required();
  set_start->add_option("--exercise", options.exercise,
                        "catalog key (see `ambictl exercises`); default: the session's");
  set_start->add_option("--side", options.side, "working side of a unilateral set")
      ->check(CLI::IsMember({"left", "right"}));
  set_start->add_option("--mode", options.mode, "default: the exercise's")
      ->check(CLI::IsMember({"bilateral", "unilateral"}));
  add_json(set_start, "the set started");
  CLI::App* set_end = set->add_subcommand("end", "end the set in progress");
  set_end->add_option("--athlete", options.athlete, "the athlete")->required();
  add_json(set_end, "the athlete");

  CLI::App* session = app.add_subcommand("session", "session control: start or end a session");
  session->require_subcommand(1);
  CLI::App* session_start =
      session->add_subcommand("start", "start a new session (ends the current one first)");
  session_start->add_option("--athlete", options.athlete, "the athlete")->required();
  session_start->add_option("--exercise", options.exercise, "catalog key used for automatic sets");
  session_start
      ->add_option("--automatic-sets", options.automatic_sets,
                   "detect sets from rest periods; default: the daemon's setting")
      ->check(CLI::IsMember({"on", "off"}));
  add_json(session_start, "the session");
  CLI::App* session_end = session->add_subcommand("end", "end the athlete's session");
  session_end->add_option("--athlete", options.athlete, "the athlete")->required();
  add_json(session_end, "the session");

  CLI::App* sessions = app.add_subcommand("sessions", "recorded sessions, newest first");
  sessions->add_option("--athlete", options.athlete, "only this athlete's sessions");
  add_dates(sessions);
  sessions->add_option("--limit", options.limit, "at most N sessions (default 100)");
  add_json(sessions, "session_id, athlete, times, counts");

  CLI::App* show = app.add_subcommand(
      "show", "one session: sets, reps per side, verdicts, cues and data-quality notes");
  show->add_option("SESSION", options.session_id, "session id (see `ambictl sessions`)")
      ->required();
  add_json(show, "records: session, set, cue, data_quality, unpaired_rep");

  CLI::App* export_command = app.add_subcommand(
      "export",
      "reps or sets of a session, or of an athlete's sessions, as CSV or JSON lines "
      "(columns: docs/export.md)");
  export_command->add_option("SESSION", options.session_id, "session id");
  export_command->add_option("--athlete", options.athlete,
                             "every session of this athlete (with --since/--until)");
  add_dates(export_command);
  export_command->add_option("--format", options.format, "csv (default) or json")
      ->check(CLI::IsMember({"csv", "json"}));
  export_command->add_option("--per", options.per, "rep (default): one row per rep; set")
      ->check(CLI::IsMember({"rep", "set"}));
  export_command->add_option("-o,--output", options.output, "write to FILE (default: stdout)");

  CLI::App* balance = app.add_subcommand(
      "balance",
      "an athlete's weeks: sets per muscle group, push vs pull against 2:1, quadriceps vs "
      "hamstrings, reach work, left vs right reps, ROM asymmetry and ROM per side per exercise");
  balance->add_option("--athlete", options.athlete, "the athlete")->required();
  balance->add_option("--weeks", options.weeks, "number of ISO weeks, ending with this one")
      ->check(CLI::Range(1, 104));
  balance->add_option("--until", options.until, "the last week is the one containing DATE");
  add_json(balance, "records: week, muscle_group, exercise");

  CLI::App* exercises =
      app.add_subcommand("exercises", "the exercise catalog: limb, default mode, muscle groups");
  exercises->add_option("--catalog", options.catalog,
                        "catalog file (default: $AMBI_CATALOG or the installed one)");
  add_json(exercises, "one per exercise");

  CLI::App* report = app.add_subcommand(
      "report",
      "a self-contained HTML report (inline charts, prints to PDF): of a SESSION, or of an "
      "athlete's weeks with --athlete A --weeks N");
  report->add_option("SESSION", options.session_id, "session id");
  report->add_option("--athlete", options.athlete, "weekly report of this athlete");
  report->add_option("--weeks", options.weeks, "weeks of the weekly report (default 4)")
      ->check(CLI::Range(1, 104));
  report->add_option("--until", options.until, "the last week is the one containing DATE");
  report->add_option("-o,--output", options.output, "the HTML file to write")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }

  if (exercises->parsed()) return Exercises(options);
  const bool history_command = sessions->parsed() || show->parsed() || export_command->parsed() ||
                               balance->parsed() || report->parsed();
  if (!options.store.empty() && !history_command) {
    PrintError(
        "--store reads history only (sessions, show, export, balance, report); live "
        "commands talk to ambid: use --connect ADDR");
    return kExitUsage;
  }
  // --store reads the central history: no channel to ambid is made at all.
  AmbidClient client(options.address, options.timeout_s,
                     proto::ChannelSecurity{options.token_file, options.tls_ca});
  if (options.store.empty()) {
    try {
      client.Connect();
    } catch (const std::runtime_error& error) {
      PrintError(error.what());
      return kExitUsage;
    }
    if (const int waited = WaitForServer(client, options); waited != kExitOk) return waited;
  }
  if (watch->parsed()) return Watch(client, options);
  if (devices->parsed()) return Devices(client, options);
  if (status->parsed()) return Status(client, options);
  if (set_start->parsed()) return SetStart(client, options);
  if (set_end->parsed()) return SetEnd(client, options);
  if (session_start->parsed()) return SessionStart(client, options);
  if (session_end->parsed()) return SessionEnd(client, options);
  if (sessions->parsed()) return Sessions(client, options);
  if (show->parsed()) return Show(client, options);
  if (export_command->parsed()) return Export(client, options);
  if (balance->parsed()) return Balance(client, options);
  if (report->parsed()) return Report(client, options);
  return kExitUsage;
}

}  // namespace
}  // namespace ambi::ctl

int main(int argc, char** argv) { return ambi::ctl::Main(argc, argv); }
