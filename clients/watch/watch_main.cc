// ambi-watch: live left/right asymmetry from ambid, one line per event (or JSON lines), plus a
// few control calls (devices, start-set, end-set).
//
// Exit status: 0 done (or --count reached), 1 RPC error or stream ended early, 2 usage,
// 3 --timeout-s elapsed or the server was not reachable within --wait-for-server.

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"
#include "clients/watch/event_line.h"
#include "proto/client/ambid_channel.h"
#include "proto/convert/proto_json.h"

namespace ambi::watch {
namespace {

constexpr int kRpcError = 1;
constexpr int kUsageError = 2;
constexpr int kTimedOut = 3;
constexpr char kDefaultAddress[] = "unix:/run/ambi/ambid.sock";

struct Options {
  std::string address;
  std::string token_file;  // bearer token for TCP
  std::string tls_ca;      // CA of ambid's TLS certificate
  double wait_for_server_s = 0.0;
  double timeout_s = 0.0;  // 0: none
  bool json = false;
  // watch
  std::vector<std::string> athletes;
  std::vector<std::string> kinds;
  long count = 0;  // 0: until the stream ends
  // start-set / end-set / devices
  std::string athlete;
  std::string exercise;
  std::string side;
  std::string mode;
};

std::chrono::system_clock::time_point After(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::duration<double>(seconds));
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNRECOGNIZED";
  }
}

void PrintLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);  // a pipe reader (tests, scripts) sees each event as it comes
}

int ReportStatus(const grpc::Status& status, const Options& options, const char* what) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.timeout_s > 0) {
    std::fprintf(stderr, "ambi-watch: %s: timed out after %g s\n", what, options.timeout_s);
    return kTimedOut;
  }
  std::fprintf(stderr, "ambi-watch: %s failed at %s: %s (code %d): %s\n", what,
               options.address.c_str(), CodeName(status.error_code()),
               static_cast<int>(status.error_code()), status.error_message().c_str());
  return kRpcError;
}

// Deadline for one call, from --timeout-s.
void ApplyTimeout(grpc::ClientContext* context, const Options& options) {
  if (options.timeout_s > 0) context->set_deadline(After(options.timeout_s));
}

int Watch(v1::Ambi::Stub& stub, const Options& options) {
  v1::SubscribeRequest request;
  for (const auto& athlete : options.athletes) request.add_athletes(athlete);
  for (const auto& text : options.kinds) {
    const std::optional<v1::EventKind> kind = ParseEventKind(text);
    if (!kind) {
      std::fprintf(stderr, "ambi-watch: unknown --kind '%s'; known kinds: %s\n", text.c_str(),
                   EventKindNames().c_str());
      return kUsageError;
    }
    request.add_kinds(*kind);
  }
  grpc::ClientContext context;
  ApplyTimeout(&context, options);
  std::unique_ptr<grpc::ClientReader<v1::LiveEvent>> reader = stub.Subscribe(&context, request);
  v1::LiveEvent event;
  long received = 0;
  while (reader->Read(&event)) {
    PrintLine(options.json ? proto::ToJson(event) : DescribeLiveEvent(event));
    if (options.count > 0 && ++received >= options.count) {
      context.TryCancel();  // done: end the stream without waiting for the server
      reader->Finish();
      return 0;
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.timeout_s > 0) {
      std::fprintf(stderr, "ambi-watch: timed out after %g s with %ld of %ld events\n",
                   options.timeout_s, received, options.count);
      return kTimedOut;
    }
    return ReportStatus(status, options, "Subscribe");
  }
  // The daemon ends streams normally only when it stops (gRPC carries no message with OK).
  std::fprintf(stderr, "ambi-watch: the daemon ended the stream (stopping)\n");
  if (options.count > 0) {
    std::fprintf(stderr, "ambi-watch: got %ld of %ld events\n", received, options.count);
    return kRpcError;
  }
  return 0;
}

int Devices(v1::Ambi::Stub& stub, const Options& options) {
  v1::ListDevicesRequest request;
  request.set_athlete(options.athlete);
  v1::ListDevicesResponse response;
  grpc::ClientContext context;
  ApplyTimeout(&context, options);
  const grpc::Status status = stub.ListDevices(&context, request, &response);
  if (!status.ok()) return ReportStatus(status, options, "ListDevices");
  if (options.json) {
    PrintLine(proto::ToJson(response));
    return 0;
  }
  for (const v1::DeviceInfo& device : response.devices()) {
    std::string state = v1::DeviceInfo::State_Name(device.state());
    if (state.starts_with("STATE_")) state.erase(0, 6);
    std::string line = device.name() + "  " + device.athlete() + "  " + device.transport() + " " +
                       device.address() + "  " + state;
    char rates[160];
    std::snprintf(rates, sizeof(rates), "  %.1f/%.0f Hz  %lld samples  %lld gaps  %u reconnects",
                  device.measured_rate_hz(), device.nominal_rate_hz(),
                  static_cast<long long>(device.samples()), static_cast<long long>(device.gaps()),
                  device.reconnects());
    line += rates;
    if (!device.last_error().empty()) line += "  last error: " + device.last_error();
    PrintLine(line);
  }
  if (response.devices().empty()) PrintLine("no devices");
  return 0;
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

int StartSet(v1::Ambi::Stub& stub, const Options& options) {
  v1::StartSetRequest request;
  request.set_athlete(options.athlete);
  request.set_exercise(options.exercise);
  const auto side = ParseSide(options.side);
  const auto mode = ParseMode(options.mode);
  if (!side || !mode) {
    std::fprintf(stderr,
                 "ambi-watch: --side must be left or right, --mode bilateral or "
                 "unilateral (got '%s', '%s')\n",
                 options.side.c_str(), options.mode.c_str());
    return kUsageError;
  }
  request.set_side(*side);
  request.set_mode(*mode);
  v1::StartSetResponse response;
  grpc::ClientContext context;
  ApplyTimeout(&context, options);
  const grpc::Status status = stub.StartSet(&context, request, &response);
  if (!status.ok()) return ReportStatus(status, options, "StartSet");
  PrintLine(options.json
                ? proto::ToJson(response)
                : options.athlete + "  set " + std::to_string(response.set_index()) + " started");
  return 0;
}

int EndSet(v1::Ambi::Stub& stub, const Options& options) {
  v1::EndSetRequest request;
  request.set_athlete(options.athlete);
  v1::EndSetResponse response;
  grpc::ClientContext context;
  ApplyTimeout(&context, options);
  const grpc::Status status = stub.EndSet(&context, request, &response);
  if (!status.ok()) return ReportStatus(status, options, "EndSet");
  PrintLine(options.json ? proto::ToJson(response) : options.athlete + "  set ended");
  return 0;
}

int Main(int argc, char** argv) {
  Options options;
  const char* environment_address = std::getenv("AMBI_ADDRESS");
  options.address =
      environment_address && *environment_address ? environment_address : kDefaultAddress;
  CLI::App app{"ambi-watch: live left/right asymmetry from ambid, and set control"};
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.add_option("--connect", options.address,
                 "ambid address: unix:/path or host:port (default $AMBI_ADDRESS or " +
                     std::string(kDefaultAddress) + ")");
  app.add_option("--token-file", options.token_file,
                 "file holding the bearer token ambid asks of TCP clients");
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
    return app.exit(error) == 0 ? 0 : kUsageError;
  }
  // The control subcommands take exactly one athlete (the shared --athlete option).
  const bool control = start_set->parsed() || end_set->parsed();
  if (control && options.athletes.size() != 1) {
    std::fprintf(stderr, "ambi-watch: %s needs exactly one --athlete\n",
                 start_set->parsed() ? "start-set" : "end-set");
    return kUsageError;
  }
  if (options.athletes.size() == 1) options.athlete = options.athletes[0];
  if (devices->parsed() && options.athletes.size() > 1) {
    std::fprintf(stderr, "ambi-watch: devices takes at most one --athlete\n");
    return kUsageError;
  }

  std::string error;
  std::shared_ptr<grpc::Channel> channel = proto::CreateAmbidChannel(
      options.address, proto::ChannelSecurity{options.token_file, options.tls_ca},
      grpc::ChannelArguments(), &error);
  if (channel == nullptr) {
    std::fprintf(stderr, "ambi-watch: %s\n", error.c_str());
    return kUsageError;
  }
  if (options.wait_for_server_s > 0 &&
      !channel->WaitForConnected(After(options.wait_for_server_s))) {
    std::fprintf(stderr, "ambi-watch: ambid is not reachable at %s after %g s\n",
                 options.address.c_str(), options.wait_for_server_s);
    return kTimedOut;
  }
  auto stub = v1::Ambi::NewStub(channel);
  if (devices->parsed()) return Devices(*stub, options);
  if (start_set->parsed()) return StartSet(*stub, options);
  if (end_set->parsed()) return EndSet(*stub, options);
  return Watch(*stub, options);
}

}  // namespace
}  // namespace ambi::watch

int main(int argc, char** argv) { return ambi::watch::Main(argc, argv); }
