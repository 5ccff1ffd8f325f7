#ifndef AMBI_DAEMON_RPC_REQUEST_ID_H_
#define AMBI_DAEMON_RPC_REQUEST_ID_H_

#include <optional>
#include <string>
#include <string_view>

namespace ambi::rpc {

// The metadata key a client may send its own id in; ambid echoes the id in the trailers.
inline constexpr std::string_view kRequestIdKey = "x-request-id";

// The id a call is logged and answered with, so a client's error and the daemon's log line can
// be matched: the client's 'sent' id when it is 1 to 64 bytes of ASCII letters, digits, '-', '_'
// or '.' (anything else could forge log lines), else a new one of 8 hex digits. Any thread.
std::string RequestIdFor(std::optional<std::string_view> sent);

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_REQUEST_ID_H_
