#include "daemon/rpc/accept_probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace ambi::rpc {
namespace {

using std::chrono::milliseconds;

// A TCP socket listening on 127.0.0.1 on a free port, accepting only when asked to.
class LoopbackListener {
 public:
  LoopbackListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackListener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (const int fd : accepted_) ::close(fd);
    if (fd_ >= 0) ::close(fd_);
  }
  // Accepts every connection from now on (and keeps it open, as a server would).
  void StartAccepting() {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, 10) == 1) {
          const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (fd >= 0) accepted_.push_back(fd);
        }
      }
    });
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> accepted_;  // the accept thread's until joined
};

TEST(AcceptProbeTest, AListenerThatAcceptsIsSeenAccepting) {
  LoopbackListener listener;
  listener.StartAccepting();
  EXPECT_EQ(ProbeOwnListener("127.0.0.1", listener.port(), milliseconds(10000)),
            AcceptProbeResult::kAccepted);
  // A wildcard listener is probed on loopback.
  EXPECT_EQ(ProbeOwnListener("0.0.0.0", listener.port(), milliseconds(10000)),
            AcceptProbeResult::kAccepted);
}

// The kernel completes the connection from its backlog, but nobody accepts it: gRPC 1.51's
// listener after EMFILE.
TEST(AcceptProbeTest, AListenerNobodyAcceptsFromIsSeenNotAccepting) {
  LoopbackListener listener;
  EXPECT_EQ(ProbeOwnListener("127.0.0.1", listener.port(), milliseconds(300)),
            AcceptProbeResult::kNotAccepted);
}

TEST(AcceptProbeTest, APortNobodyListensOnIsNotAccepting) {
  int port = 0;
  {
    LoopbackListener closed;
    port = closed.port();
  }
  EXPECT_EQ(ProbeOwnListener("127.0.0.1", port, milliseconds(300)),
            AcceptProbeResult::kNotAccepted);
}

}  // namespace
}  // namespace ambi::rpc
