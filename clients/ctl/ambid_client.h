#ifndef AMBI_CLIENTS_CTL_AMBID_CLIENT_H_
#define AMBI_CLIENTS_CTL_AMBID_CLIENT_H_

#include <memory>
#include <string>

#include "ambi/v1/service.grpc.pb.h"
#include "proto/client/channel_security.h"

namespace ambi::ctl {

// Exit codes of ambictl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;    // the daemon refused, or could not be reached
inline constexpr int kExitUsage = 2;    // bad arguments (unknown option, bad date, ...)
inline constexpr int kExitTimeout = 3;  // --timeout-s elapsed

// The connection to ambid and the one-line error messages of every command. The channel is made
// on first use: a command that reads another history (--store) never builds one.
class AmbidClient {
 public:
  // 'address': unix:/path, a bare path (a unix socket), or host:port.
  AmbidClient(const std::string& address, double timeout_s,
              const proto::ChannelSecurity& security = {});

  // Makes the channel now, if not yet made. Throws std::runtime_error naming the file when the
  // token or CA file cannot be used (so do stub() and WaitForServer() on first use).
  void Connect();
  v1::Ambi::Stub& stub() {
    Connect();
    return *stub_;
  }
  const std::string& address() const { return address_; }
  // A context with the call deadline (--timeout-s, or a default for unary calls).
  void Prepare(grpc::ClientContext* context, bool stream) const;
  // Waits up to 'seconds' for the daemon to accept connections.
  bool WaitForServer(double seconds);

  // One line on stderr for a failed call, saying what is wrong and what to try (never gRPC
  // internals); returns the exit code. 'what' names the request, e.g. "session '2026-…'". With
  // the call's 'context', the line ends with the request id ambid logged the call with.
  int Fail(const grpc::Status& status, const std::string& what,
           const grpc::ClientContext* context = nullptr) const;

 private:
  std::string address_;
  double timeout_s_;
  proto::ChannelSecurity security_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ambi::Stub> stub_;
};

// The default address: $AMBI_ADDRESS, else the daemon's socket (/run/ambi/ambid.sock when it
// exists or as root, else $XDG_RUNTIME_DIR/ambi/ambid.sock when that exists).
std::string DefaultAddress();

// "ambictl: " + message on stderr (the program's name: SetProgramName, for ambi-watch).
void PrintError(const std::string& message);
void SetProgramName(const char* name);

}  // namespace ambi::ctl

#endif  // AMBI_CLIENTS_CTL_AMBID_CLIENT_H_
