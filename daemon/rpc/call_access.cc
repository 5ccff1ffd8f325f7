#include "daemon/rpc/call_access.h"

namespace ambi::rpc {

PeerKind PeerKindOf(std::string_view peer) {
  // The unix socket's connections are accepted by ambid (UnixListener) and reach gRPC as
  // descriptors, named "fd:<n>"; no other listener hands descriptors to gRPC.
  if (peer.starts_with("unix:") || peer.starts_with("fd:")) return PeerKind::kLocal;
  if (peer.starts_with("ipv4:127.")) return PeerKind::kLoopback;
  if (peer.starts_with("ipv6:[::1]:") || peer.starts_with("ipv6:[::ffff:127.")) {
    return PeerKind::kLoopback;
  }
  return PeerKind::kNetwork;
}

std::string ClientKeyOf(std::string_view peer) {
  if (PeerKindOf(peer) == PeerKind::kLocal) return "local";
  const std::size_t colon = peer.rfind(':');
  const std::size_t scheme = peer.find(':');
  if (colon == std::string_view::npos || colon == scheme) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

AccessDecision CallAccess::Check(std::string_view peer,
                                 std::optional<std::string_view> authorization, AccessRole needed,
                                 std::string_view method) const {
  if (PeerKindOf(peer) == PeerKind::kLocal || !tokens_) return {};
  if (!authorization) {
    return {AccessDecision::Code::kUnauthenticated,
            std::string(method) +
                " over TCP needs a bearer token (authorization: Bearer …; "
                "clients take --token-file)"};
  }
  const std::optional<std::string_view> token = BearerToken(*authorization);
  const AccessRole role = token ? tokens_->RoleOf(*token) : AccessRole::kNone;
  if (role == AccessRole::kNone) {
    return {AccessDecision::Code::kUnauthenticated,
            std::string(method) + ": the bearer token is not one of ambid's tokens"};
  }
  if (role < needed) {
    return {AccessDecision::Code::kPermissionDenied,
            std::string(method) + " needs a " + std::string(ToString(needed)) +
                " token; this one is " + std::string(ToString(role)) + "-only"};
  }
  return {};
}

}  // namespace ambi::rpc
