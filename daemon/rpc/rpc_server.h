#ifndef AMBI_DAEMON_RPC_RPC_SERVER_H_
#define AMBI_DAEMON_RPC_RPC_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/rpc/control.h"
#include "daemon/rpc/event_bus.h"

namespace ambi::daemon {

struct RpcServerOptions {
  // Where to listen: "unix:/run/ambi/ambid.sock" (absolute path) or "host:port" over TCP
  // without TLS ("127.0.0.1:50051"; port 0 picks a free one, see listening_addresses()). Keep
  // TCP on loopback unless the network is trusted: the API has no authentication.
  std::vector<std::string> addresses;
  // Group that owns unix sockets (mode 0660), so only its members can connect; empty: the
  // daemon's own group.
  std::string socket_group;
  // See AmbiServiceOptions.
  std::size_t subscriber_queue_capacity = 1024;
  std::function<bool(const std::string& athlete)> athlete_exists;
  // Requests are tiny; a small limit keeps a misbehaving client from making the daemon allocate.
  int max_receive_message_bytes = 64 * 1024;
  // Pings idle connections so that vanished clients (suspended laptops) are noticed and their
  // streams ended.
  std::chrono::seconds keepalive_time{60};
  std::chrono::seconds keepalive_timeout{20};
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

  // Listens on every address. Throws std::runtime_error naming the address (or group) and the
  // problem: a malformed address, a missing socket directory, a socket path in use by another
  // process or not a socket, an unknown group, a port that cannot be bound.
  void Start();

  // Ends every subscription (streams finish OK, "daemon stopping"), reports NOT_SERVING, then
  // stops the server: calls still running at 'deadline' are cancelled. Removes unix sockets.
  void Shutdown(std::chrono::system_clock::time_point deadline);
  void Shutdown(std::chrono::milliseconds timeout) {
    Shutdown(std::chrono::system_clock::now() + timeout);
  }

  bool running() const;
  const std::vector<ListeningAddress>& listening_addresses() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::daemon

#endif  // AMBI_DAEMON_RPC_RPC_SERVER_H_
