#include "clients/ctl/ambid_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "clients/ctl/ctl_text.h"
#include "proto/client/ambid_channel.h"

namespace ambi::ctl {
namespace {

// A unary call that takes longer than this is stuck (the daemon answers control calls within
// its own 3 s limit and history queries in milliseconds).
constexpr double kDefaultUnaryTimeoutS = 15.0;
constexpr char kSystemSocket[] = "/run/ambi/ambid.sock";

std::chrono::system_clock::time_point After(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::duration<double>(seconds));
}

const char* program_name = "ambictl";

}  // namespace

void SetProgramName(const char* name) { program_name = name; }

void PrintError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_name, message.c_str());
}

std::string DefaultAddress() {
  if (const char* from_env = std::getenv("AMBI_ADDRESS"); from_env != nullptr && *from_env) {
    return NormalizeAddress(from_env);
  }
  std::error_code ec;
  if (getuid() == 0 || std::filesystem::exists(kSystemSocket, ec)) {
    return std::string("unix:") + kSystemSocket;
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime) {
    const std::string user_socket = std::string(runtime) + "/ambi/ambid.sock";
    if (std::filesystem::exists(user_socket, ec)) return "unix:" + user_socket;
  }
  return std::string("unix:") + kSystemSocket;
}

namespace {

// The x-request-id ambid answered a call with; "" when there is none or it is not a plain word.
std::string RequestIdOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto found = trailers.find("x-request-id");
  if (found == trailers.end() || found->second.size() == 0 || found->second.size() > 64) return {};
  std::string id(found->second.data(), found->second.size());
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return {};
  }
  return id;
}

}  // namespace

AmbidClient::AmbidClient(const std::string& address, double timeout_s,
                         const proto::ChannelSecurity& security)
    : address_(NormalizeAddress(address)), timeout_s_(timeout_s), security_(security) {}

void AmbidClient::Connect() {
  if (channel_ != nullptr) return;
  std::string error;
  auto channel = proto::CreateAmbidChannel(address_, security_, grpc::ChannelArguments(), &error);
  if (channel == nullptr) throw std::runtime_error(error);
  channel_ = std::move(channel);
  stub_ = v1::Ambi::NewStub(channel_);
}

void AmbidClient::Prepare(grpc::ClientContext* context, bool stream) const {
  if (timeout_s_ > 0) {
    context->set_deadline(After(timeout_s_));
  } else if (!stream) {
    context->set_deadline(After(kDefaultUnaryTimeoutS));
  }
}

bool AmbidClient::WaitForServer(double seconds) {
  Connect();
  return channel_->WaitForConnected(After(seconds));
}

int AmbidClient::Fail(const grpc::Status& status, const std::string& what,
                      const grpc::ClientContext* context) const {
  const std::string& message = status.error_message();
  // The id ambid logged the call with, so the error can be found in its log.
  const std::string id = context != nullptr ? RequestIdOf(*context) : std::string();
  const auto PrintError = [&id](const std::string& line) {
    ctl::PrintError(id.empty() ? line : line + " [ambid request " + id + "]");
  };
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (message.find("stopping") != std::string::npos) {
        PrintError("ambid at " + address_ + " is stopping: try again once it has restarted");
      } else {
        PrintError("cannot reach ambid at " + address_ + " (" + UnreachableReason(address_) +
                   "): is ambid running? use --connect ADDR");
      }
      return kExitError;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      if (timeout_s_ > 0) {
        PrintError(what + ": no answer from ambid at " + address_ + " within " +
                   Format("%g", timeout_s_) + " s");
        return kExitTimeout;
      }
      PrintError(what + ": ambid at " + address_ + " did not answer: is it overloaded or stuck?");
      return kExitError;
    case grpc::StatusCode::NOT_FOUND:
      PrintError(message + ": see `ambictl sessions` and `ambictl devices` for what exists");
      return kExitError;
    case grpc::StatusCode::INVALID_ARGUMENT:
      PrintError(message + " (see `ambictl exercises` for the catalog and --help for options)");
      return kExitUsage;
    case grpc::StatusCode::FAILED_PRECONDITION:
      PrintError(message);
      return kExitError;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      PrintError(
          "ambid at " + address_ + " refused " + what + ": " +
          (message.empty() ? "permission denied (is your user in the ambi group?)" : message));
      return kExitError;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      PrintError("ambid ended the stream: " + message + " (this terminal fell behind)");
      return kExitError;
    case grpc::StatusCode::UNIMPLEMENTED:
      PrintError("ambid at " + address_ + " does not know " + what +
                 ": is it an older version than ambictl?");
      return kExitError;
    default:
      PrintError(what + " failed: " + (message.empty() ? "no reason given" : message));
      return kExitError;
  }
}

}  // namespace ambi::ctl
