#ifndef AMBI_DAEMON_RPC_CALL_ACCESS_H_
#define AMBI_DAEMON_RPC_CALL_ACCESS_H_

#include <optional>
#include <string>
#include <string_view>

#include "daemon/rpc/access_tokens.h"

namespace ambi::rpc {

// Where a call comes from, by gRPC's peer string ("fd:12" for the unix socket's connections,
// which ambid accepts itself; "unix:…", "ipv4:10.0.0.5:4711", "ipv6:[::1]:4711").
enum class PeerKind {
  kLocal,     // the unix socket: its mode and group decide who may connect
  kLoopback,  // TCP from this machine (127.0.0.0/8, ::1)
  kNetwork,   // TCP from anywhere else
};
PeerKind PeerKindOf(std::string_view peer);

// The client a rate limit counts against: the peer without its port ("ipv4:10.0.0.5"), or
// "local" for the unix socket.
std::string ClientKeyOf(std::string_view peer);

struct AccessDecision {
  enum class Code { kAllowed, kUnauthenticated, kPermissionDenied };
  Code code = Code::kAllowed;
  std::string message;
  bool allowed() const { return code == Code::kAllowed; }
};

// Who may make which call. Calls on the unix socket are local and trusted (the socket's mode,
// group and peer check keep others out). With tokens loaded, every TCP call presents one
// ("authorization: Bearer <token>") whose role covers the call; without tokens, TCP calls are
// let through, which the server allows only on loopback listeners (RpcServer::Start).
class CallAccess {
 public:
  explicit CallAccess(std::optional<AccessTokens> tokens) : tokens_(std::move(tokens)) {}

  // 'authorization': the request's "authorization" metadata, nullopt when absent. 'method'
  // names the call in the message ("StartSession").
  AccessDecision Check(std::string_view peer, std::optional<std::string_view> authorization,
                       AccessRole needed, std::string_view method) const;

  bool tokens_required() const { return tokens_.has_value(); }

 private:
  std::optional<AccessTokens> tokens_;
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_CALL_ACCESS_H_
