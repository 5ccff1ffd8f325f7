#ifndef AMBI_DAEMON_RPC_RPC_SERVER_H_
#define AMBI_DAEMON_RPC_RPC_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/rpc/control.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rate_limiter.h"

namespace ambi::rpc {

// TLS for the TCP listeners: PEM files. With 'client_ca_file', clients must present a
// certificate that CA signed (mutual TLS).
struct RpcTlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

struct RpcServerOptions {
  // Where to listen: "unix:/run/ambi/ambid.sock" (absolute path) or "host:port" over TCP
  // ("127.0.0.1:50051"; port 0 picks a free one, see listening_addresses()). A TCP listener
  // that is not loopback needs 'tls' and 'token_file', or Start refuses it.
  std::vector<std::string> addresses;
  // Group that owns unix sockets (mode 0660), so only its members can connect; empty: the
  // daemon's own group.
  std::string socket_group;
  // TLS on every TCP listener; unset: plaintext (loopback only).
  std::optional<RpcTlsFiles> tls;
  // Bearer tokens (AccessTokens) every TCP call must present; empty: none (loopback only).
  std::string token_file;
  // Server reflection (grpcurl without the .proto). Off whenever tokens are required: it would
  // describe the API to anyone. gRPC registers it for every server the process builds later.
  bool reflection = true;
  // Calls that change sessions (StartSession, EndSession, StartSet, EndSet), per client.
  RateLimit control_rate_limit;
  // Subscribe streams open at once, all clients together; more are refused (RESOURCE_EXHAUSTED).
  std::size_t max_subscribers = 256;
  // Streams one connection may have open at once.
  int max_streams_per_connection = 64;
  // See AmbiServiceOptions.
  std::size_t subscriber_queue_capacity = 1024;
  std::function<bool(const std::string& athlete)> athlete_exists;
  // Requests are tiny; a small limit keeps a misbehaving client from making the daemon allocate.
  int max_receive_message_bytes = 64 * 1024;
  // Pings idle connections so that vanished clients (suspended laptops) are noticed and their
  // streams ended.
  std::chrono::seconds keepalive_time{60};
  std::chrono::seconds keepalive_timeout{20};
  // Each TCP listener is checked from inside every 'accept_probe_interval' (zero: never): a test
  // connection must be accepted within 'accept_probe_timeout' (ProbeOwnListener). gRPC 1.51's
  // TCP acceptor stops for good after one EMFILE and the daemon would look alive; accepting()
  // tells the watchdog. Two misses in a row count, so one slow moment does not.
  std::chrono::milliseconds accept_probe_interval{5000};
  std::chrono::milliseconds accept_probe_timeout{3000};
};

// One address the server listens on, as requested and as bound.
struct ListeningAddress {
  std::string requested;  // as in RpcServerOptions::addresses
  std::string bound;      // the port filled in for "host:0"; unix addresses unchanged
  int port = 0;           // TCP port; 0 for unix sockets
};

// The daemon's gRPC server: the Ambi service (events from 'bus', control through 'control'),
// the standard health service and server reflection. gRPC headers stay in the .cc file so the
// daemon's wiring does not include them. Not thread-safe: Start and Shutdown from one thread;
// 'bus' and 'control' must outlive it.
class RpcServer {
 public:
  RpcServer(RpcServerOptions options, EventBus* bus, Control* control);
  ~RpcServer();  // shuts down with a short deadline if still running

  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Listens on every address. Throws std::runtime_error naming the address (or group, or file)
  // and the problem: a malformed address, a missing socket directory, a socket path in use by
  // another process or not a socket, an unknown group, a port that cannot be bound, a TCP
  // listener that is not loopback without TLS or tokens, an unreadable TLS or token file.
  // Unix sockets are bound and accepted by ambid (UnixListener): mode 0660 and 'socket_group'
  // are set before listen(), peers are checked with SO_PEERCRED, and running out of file
  // descriptors delays clients instead of ending the accepting.
  void Start();

  // Ends every subscription (streams finish OK, "daemon stopping"), reports NOT_SERVING, then
  // stops the server: calls still running at 'deadline' are cancelled. Removes unix sockets.
  void Shutdown(std::chrono::system_clock::time_point deadline);
  void Shutdown(std::chrono::milliseconds timeout) {
    Shutdown(std::chrono::system_clock::now() + timeout);
  }

  bool running() const;
  // False while a TCP listener has missed its last two accept probes (it accepts no
  // connections); true again once one is accepted. Unix sockets are ambid's own and recover by
  // themselves (UnixListener). Any thread.
  bool accepting() const;
  const std::vector<ListeningAddress>& listening_addresses() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_RPC_SERVER_H_
