// ambi-watch: the older command line of `ambictl watch`, kept for the scripts that call it. It
// parses its own options and runs ambictl's commands (clients/ctl/live_commands.cc), so there is
// one implementation of watching, listing devices and set control:
//   ambi-watch [--athlete A]... [--kind K]... [--count N] [--json]  ->  ambictl watch --every-event
//   ambi-watch devices [--athlete A] [--json]                        ->  ambictl devices
//   ambi-watch start-set --athlete A [--exercise E] [--side S] [--mode M] ->  ambictl set start
//   ambi-watch end-set --athlete A                                    ->  ambictl set end
// With --json, devices and set control print the daemon's response as one proto3 JSON object
// (as ambi-watch always did) rather than ambictl's records; events are proto3 JSON in both.
//
// Exit status: 0 done (or --count reached), 1 RPC error or stream ended early, 2 usage,
// 3 --timeout-s elapsed or the server was not reachable within --wait-for-server.

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

#include "clients/ctl/ambid_client.h"
#include "clients/ctl/commands.h"
#include "clients/watch/event_line.h"

namespace ambi::watch {
namespace {

int Main(int argc, char** argv) {
  ctl::SetProgramName("ambi-watch");
  ctl::Options options;
  options.address = ctl::DefaultAddress();
  options.every_event = true;
  options.proto_json = true;
  CLI::App app{
      "ambi-watch: live left/right asymmetry from ambid, and set control (the older "
      "command line of `ambictl watch`, `ambictl devices` and `ambictl set`)"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.add_option(
      "--connect", options.address,
      "ambid address: unix:/path, a socket path, or host:port (default " + options.address + ")");
  app.add_option("--token-file", options.token_file,
                 "file holding the bearer token ambid asks of TCP clients (never on the command "
                 "line)");
  app.add_option("--tls-ca", options.tls_ca,
                 "PEM file of the CA that signed ambid's certificate: connect over TLS");
  app.add_option("--wait-for-server", options.wait_for_server_s,
                 "wait up to S seconds for ambid to accept connections")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout-s", options.timeout_s,
                 "give up (exit 3) after S seconds; watching: before --count events arrived")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", options.json, "one proto3 JSON object per line");
  app.add_option("--athlete", options.athletes, "only this athlete's events (repeatable)");
  app.add_option("--kind", options.kinds,
                 "only events of this kind (repeatable): " + EventKindNames());
  app.add_option("--count", options.count, "exit after N events")->check(CLI::PositiveNumber);

  CLI::App* devices = app.add_subcommand("devices", "list the daemon's sensors");
  CLI::App* start_set = app.add_subcommand("start-set", "start a set (ends one in progress)");
  start_set->add_option("--exercise", options.exercise, "catalog key; default: the session's");
  start_set->add_option("--side", options.side, "working side of a unilateral set: left, right");
  start_set->add_option("--mode", options.mode, "bilateral or unilateral; default: the exercise's");
  CLI::App* end_set = app.add_subcommand("end-set", "end the set in progress");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? ctl::kExitOk : ctl::kExitUsage;
  }
  // The control subcommands take exactly one athlete (the shared --athlete option).
  const bool control = start_set->parsed() || end_set->parsed();
  if (control && options.athletes.size() != 1) {
    ctl::PrintError(std::string(start_set->parsed() ? "start-set" : "end-set") +
                    " needs exactly one --athlete");
    return ctl::kExitUsage;
  }
  if (devices->parsed() && options.athletes.size() > 1) {
    ctl::PrintError("devices takes at most one --athlete");
    return ctl::kExitUsage;
  }
  if (options.athletes.size() == 1) options.athlete = options.athletes[0];

  ctl::AmbidClient client(options.address, options.timeout_s,
                          proto::ChannelSecurity{options.token_file, options.tls_ca});
  try {
    client.Connect();
  } catch (const std::runtime_error& error) {
    ctl::PrintError(error.what());
    return ctl::kExitUsage;
  }
  if (const int waited = ctl::WaitForServer(client, options); waited != ctl::kExitOk) return waited;
  if (devices->parsed()) return ctl::Devices(client, options);
  if (start_set->parsed()) return ctl::SetStart(client, options);
  if (end_set->parsed()) return ctl::SetEnd(client, options);
  return ctl::Watch(client, options);
}

}  // namespace
}  // namespace ambi::watch

int main(int argc, char** argv) { return ambi::watch::Main(argc, argv); }
