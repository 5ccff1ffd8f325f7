#ifndef AMBI_DAEMON_RPC_ACCEPT_PROBE_H_
#define AMBI_DAEMON_RPC_ACCEPT_PROBE_H_

#include <chrono>
#include <string>

namespace ambi::rpc {

enum class AcceptProbeResult {
  kAccepted,     // this process accepted the test connection
  kNotAccepted,  // it was not accepted (or not even connected) within the timeout
  kUnknown,      // no probe was possible (no free descriptor, unresolvable host)
};

// Checks from inside that a TCP listener of this process still accepts: connects to 'port' on
// 'host' ("0.0.0.0" and "[::]" are probed on loopback) and looks among this process's own
// descriptors for the accepted end of that connection. Nothing is sent, so neither TLS nor
// HTTP/2 sees a broken client (gRPC logs none for a connection closed before its first byte).
// The kernel completes a TCP connection even when nobody calls accept(), so a plain connect
// would not tell. Blocks up to 'timeout'. Any thread.
AcceptProbeResult ProbeOwnListener(const std::string& host, int port,
                                   std::chrono::milliseconds timeout);

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_ACCEPT_PROBE_H_
