#ifndef AMBI_DAEMON_RPC_UNIX_LISTENER_H_
#define AMBI_DAEMON_RPC_UNIX_LISTENER_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace ambi::rpc {

struct UnixListenerOptions {
  std::string path;            // the socket file; its folder exists and the path is free
  std::optional<gid_t> group;  // the socket's group; unset: the daemon's own
  // Gets each accepted connection (non-blocking, close-on-exec) and owns it from then on.
  std::function<void(int fd)> on_connection;
  // How long to wait before accepting again when the process is out of file descriptors.
  std::chrono::milliseconds out_of_fds_backoff{250};
};

// The daemon's unix socket, bound and accepted by ambid itself instead of by gRPC, for three
// reasons. Its mode (0660) and group are set between bind() and listen(), so no client can ever
// connect while it is more open. Each peer's credentials (SO_PEERCRED) are checked: ambid's own
// user, root, or a member of the socket's group. And running out of file descriptors (EMFILE,
// ENFILE) is survived: the loop logs once, waits, and accepts again once descriptors are free,
// where gRPC 1.51's own listener stops accepting for good.
class UnixListener {
 public:
  // Binds and listens; throws std::runtime_error naming the path and the failed step.
  explicit UnixListener(UnixListenerOptions options);
  ~UnixListener();  // Stop()
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Starts the accept thread.
  void Start();
  // Stops accepting, closes the socket and removes its file. Idempotent.
  void Stop();

  // Times accept() found no free file descriptor, and peers refused by the credential check.
  std::size_t out_of_fds_events() const { return out_of_fds_events_; }
  std::size_t refused_peers() const { return refused_peers_; }

 private:
  void Run();
  bool PeerAllowed(int fd) const;

  UnixListenerOptions options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the thread
  gid_t group_ = 0;
  std::thread thread_;
  std::atomic<std::size_t> out_of_fds_events_{0};
  std::atomic<std::size_t> refused_peers_{0};
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_UNIX_LISTENER_H_
