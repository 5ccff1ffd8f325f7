// ambictl watch, devices, set start|end, session start|end.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "clients/ctl/commands.h"
#include "clients/ctl/ctl_text.h"
#include "clients/ctl/live_view.h"
#include "clients/watch/event_line.h"
#include "proto/convert/proto_json.h"

namespace ambi::ctl {
namespace {

void PrintLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);  // a pipe reader (tests, scripts) sees each line as it comes
}

bool ColourWanted(const Options& options) {
  const char* no_colour = std::getenv("NO_COLOR");
  return !options.no_colour && isatty(STDOUT_FILENO) && (no_colour == nullptr || !*no_colour);
}

std::optional<v1::Side> ParseSide(const std::string& text) {
  if (text.empty()) return v1::SIDE_UNSPECIFIED;
  if (text == "left") return v1::SIDE_LEFT;
  if (text == "right") return v1::SIDE_RIGHT;
  return std::nullopt;
}

std::optional<v1::SetMode> ParseMode(const std::string& text) {
  if (text.empty()) return v1::SET_MODE_UNSPECIFIED;
  if (text == "bilateral") return v1::SET_MODE_BILATERAL;
  if (text == "unilateral") return v1::SET_MODE_UNILATERAL;
  return std::nullopt;
}

std::string StateWord(v1::DeviceInfo::State state) {
  switch (state) {
    case v1::DeviceInfo::STATE_CONNECTING:
      return "connecting";
    case v1::DeviceInfo::STATE_CONNECTED:
      return "connected";
    case v1::DeviceInfo::STATE_DISCONNECTED:
      return "disconnected";
    default:
      return "unknown";
  }
}

std::string ProtocolWord(v1::Protocol protocol) {
  switch (protocol) {
    case v1::PROTOCOL_WITMOTION_SERIAL:
      return "witmotion_serial";
    case v1::PROTOCOL_WITMOTION_BLE:
      return "witmotion_ble";
    case v1::PROTOCOL_AMBI_SAMPLE:
      return "ambi_sample";
    default:
      return "";
  }
}

}  // namespace

int WaitForServer(AmbidClient& client, const Options& options) {
  if (options.wait_for_server_s <= 0 || client.WaitForServer(options.wait_for_server_s)) {
    return kExitOk;
  }
  PrintError("cannot reach ambid at " + client.address() + " (" +
             UnreachableReason(client.address()) + ") after waiting " +
             Format("%g", options.wait_for_server_s) + " s: is ambid running? use --connect ADDR");
  return kExitTimeout;
}

int Watch(AmbidClient& client, const Options& options) {
  v1::SubscribeRequest request;
  for (const auto& athlete : options.athletes) request.add_athletes(athlete);
  for (const auto& text : options.kinds) {
    const std::optional<v1::EventKind> kind = watch::ParseEventKind(text);
    if (!kind) {
      PrintError("unknown --kind '" + text + "'; known kinds: " + watch::EventKindNames());
      return kExitUsage;
    }
    request.add_kinds(*kind);
  }
  const bool colour = ColourWanted(options);
  const bool terminal = isatty(STDOUT_FILENO);
  LiveView view({.colour = colour, .fatigue = options.fatigue});
  AthleteTable table;
  grpc::ClientContext context;
  client.Prepare(&context, /*stream=*/true);
  std::unique_ptr<grpc::ClientReader<v1::LiveEvent>> reader =
      client.stub().Subscribe(&context, request);
  v1::LiveEvent event;
  long received = 0;
  while (reader->Read(&event)) {
    if (options.json) {
      PrintLine(proto::ToJson(event));
    } else if (options.table) {
      table.Update(event);
      // In a terminal redraw in place (home, clear); in a pipe print each new state.
      const std::string text = table.Render(colour);
      std::fputs(terminal ? ("\033[H\033[J" + text).c_str() : (text + "\n").c_str(), stdout);
      std::fflush(stdout);
    } else if (options.every_event) {
      PrintLine(watch::DescribeLiveEvent(event));
    } else if (const std::optional<std::string> line = view.Line(event)) {
      PrintLine(*line);
    }
    if (options.count > 0 && ++received >= options.count) {
      context.TryCancel();  // done: end the stream without waiting for the server
      reader->Finish();
      return kExitOk;
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.timeout_s > 0) {
      PrintError(Format("timed out after %g s with %ld of %ld events", options.timeout_s, received,
                        options.count));
      return kExitTimeout;
    }
    return client.Fail(status, "watching", &context);
  }
  // The daemon ends streams normally only when it stops (gRPC carries no message with OK).
  PrintError("ambid ended the stream (it is stopping)");
  return options.count > 0 ? kExitError : kExitOk;
}

namespace {

// One line on the copy to the central database: where, whether it is up, and what waits.
std::string CentralLine(const v1::CentralStatus& c) {
  std::string line = "central   " + c.target() + " as box " + c.box_id() + ": ";
  line += c.connected() ? "connected" : "NOT CONNECTED";
  line += Format(", %lld rows waiting", static_cast<long long>(c.backlog_rows()));
  if (c.backlog_rows() > 0) line += Format(" (%.1f s behind)", c.behind_s());
  line += Format(", %lld shipped since start", static_cast<long long>(c.shipped_rows()));
  if (!c.last_error().empty()) line += "; last error: " + c.last_error();
  return line;
}

}  // namespace

int Devices(AmbidClient& client, const Options& options) {
  v1::ListDevicesRequest request;
  request.set_athlete(options.athlete);
  v1::ListDevicesResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status = client.stub().ListDevices(&context, request, &response);
  if (!status.ok()) return client.Fail(status, "listing devices", &context);
  if (options.json && options.proto_json) {
    PrintLine(proto::ToJson(response));
    return kExitOk;
  }
  if (options.json) {
    for (const v1::DeviceInfo& d : response.devices()) {
      nlohmann::ordered_json o;
      o["name"] = d.name();
      o["athlete"] = d.athlete();
      o["side"] = SideName(d.side());
      o["limb"] = LimbName(d.limb());
      o["protocol"] = ProtocolWord(d.protocol());
      o["transport"] = d.transport();
      o["address"] = d.address();
      o["state"] = StateWord(d.state());
      o["nominal_rate_hz"] = d.nominal_rate_hz();
      o["measured_rate_hz"] = d.measured_rate_hz();
      o["samples"] = d.samples();
      o["gaps"] = d.gaps();
      o["missing_samples"] = d.missing_samples();
      o["rejected_samples"] = d.rejected_samples();
      o["bytes_discarded"] = d.bytes_discarded();
      o["checksum_errors"] = d.checksum_errors();
      o["caught_up_samples"] = d.caught_up_samples();
      o["reconnects"] = d.reconnects();
      o["last_error"] = d.last_error();
      PrintLine(o.dump());
    }
    return kExitOk;
  }
  Table table({"DEVICE", "ATHLETE", "PLACEMENT", "TRANSPORT", "ADDRESS", "STATE", "RATE HZ",
               "SAMPLES", "GAPS", "RECONNECTS", "LAST ERROR"});
  for (const v1::DeviceInfo& d : response.devices()) {
    table.Add({d.name(), d.athlete(), SideName(d.side()) + " " + LimbName(d.limb()), d.transport(),
               d.address(), StateWord(d.state()),
               Format("%.1f/%.0f", d.measured_rate_hz(), d.nominal_rate_hz()),
               std::to_string(d.samples()), std::to_string(d.gaps()),
               std::to_string(d.reconnects()), d.last_error().empty() ? "-" : d.last_error()});
  }
  std::fputs(table.Render().c_str(), stdout);
  if (response.has_central()) PrintLine("\n" + CentralLine(response.central()));
  return kExitOk;
}

int Status(AmbidClient& client, const Options& options) {
  v1::ListDevicesResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status =
      client.stub().ListDevices(&context, v1::ListDevicesRequest(), &response);
  if (!status.ok()) return client.Fail(status, "the daemon's status", &context);
  std::size_t connected = 0;
  for (const v1::DeviceInfo& d : response.devices()) {
    connected += d.state() == v1::DeviceInfo::STATE_CONNECTED ? 1 : 0;
  }
  if (options.json) {
    nlohmann::ordered_json o;
    o["devices"] = response.devices_size();
    o["devices_connected"] = connected;
    if (response.has_central()) {
      const v1::CentralStatus& c = response.central();
      o["central"] = {{"target", c.target()},        {"box_id", c.box_id()},
                      {"connected", c.connected()},  {"backlog_rows", c.backlog_rows()},
                      {"behind_s", c.behind_s()},    {"shipped_rows", c.shipped_rows()},
                      {"last_error", c.last_error()}};
    } else {
      o["central"] = nullptr;
    }
    PrintLine(o.dump());
    return kExitOk;
  }
  PrintLine(Format("devices   %zu connected of %d", connected, response.devices_size()));
  PrintLine(response.has_central() ? CentralLine(response.central())
                                   : "central   none (this box keeps its history locally only)");
  return kExitOk;
}

int SetStart(AmbidClient& client, const Options& options) {
  const auto side = ParseSide(options.side);
  const auto mode = ParseMode(options.mode);
  if (!side || !mode) {
    PrintError("--side must be left or right and --mode bilateral or unilateral (got '" +
               options.side + "', '" + options.mode + "')");
    return kExitUsage;
  }
  v1::StartSetRequest request;
  request.set_athlete(options.athlete);
  request.set_exercise(options.exercise);
  request.set_side(*side);
  request.set_mode(*mode);
  v1::StartSetResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status = client.stub().StartSet(&context, request, &response);
  if (!status.ok()) return client.Fail(status, "starting a set for " + options.athlete, &context);
  if (options.json && options.proto_json) {
    PrintLine(proto::ToJson(response));
  } else if (options.json) {
    PrintLine(
        nlohmann::ordered_json{{"athlete", options.athlete}, {"set_index", response.set_index()}}
            .dump());
  } else {
    PrintLine(options.athlete + ": set " + std::to_string(response.set_index()) + " started");
  }
  return kExitOk;
}

int SetEnd(AmbidClient& client, const Options& options) {
  v1::EndSetRequest request;
  request.set_athlete(options.athlete);
  v1::EndSetResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status = client.stub().EndSet(&context, request, &response);
  if (!status.ok()) return client.Fail(status, "ending the set of " + options.athlete, &context);
  if (options.json && options.proto_json) {
    PrintLine(proto::ToJson(response));
  } else {
    PrintLine(options.json ? nlohmann::ordered_json{{"athlete", options.athlete}}.dump()
                           : options.athlete + ": set ended");
  }
  return kExitOk;
}

namespace {

void PrintSession(const v1::SessionInfo& session, const std::string& verb, bool json) {
  if (json) {
    PrintLine(nlohmann::ordered_json{{"session_id", session.session_id()},
                                     {"athlete", session.athlete()},
                                     {"start_unix_ns", session.start_unix_ns()},
                                     {"end_unix_ns", session.end_unix_ns()},
                                     {"set_count", session.set_count()},
                                     {"rep_count", session.rep_count()},
                                     {"capture_path", session.capture_path()}}
                  .dump());
    return;
  }
  PrintLine(session.athlete() + ": session " + session.session_id() + " " + verb +
            (session.capture_path().empty() ? "" : " (capture " + session.capture_path() + ")"));
}

}  // namespace

int SessionStart(AmbidClient& client, const Options& options) {
  v1::StartSessionRequest request;
  request.set_athlete(options.athlete);
  request.set_exercise(options.exercise);
  if (options.automatic_sets == "on") request.set_automatic_sets(true);
  if (options.automatic_sets == "off") request.set_automatic_sets(false);
  v1::StartSessionResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status = client.stub().StartSession(&context, request, &response);
  if (!status.ok())
    return client.Fail(status, "starting a session for " + options.athlete, &context);
  PrintSession(response.session(), "started", options.json);
  return kExitOk;
}

int SessionEnd(AmbidClient& client, const Options& options) {
  v1::EndSessionRequest request;
  request.set_athlete(options.athlete);
  v1::EndSessionResponse response;
  grpc::ClientContext context;
  client.Prepare(&context, false);
  const grpc::Status status = client.stub().EndSession(&context, request, &response);
  if (!status.ok())
    return client.Fail(status, "ending the session of " + options.athlete, &context);
  PrintSession(response.session(), "ended", options.json);
  return kExitOk;
}

}  // namespace ambi::ctl
