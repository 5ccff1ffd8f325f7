#include "daemon/rpc/accept_probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace ambi::rpc {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How often this process's descriptors are searched for the accepted end while waiting.
constexpr milliseconds kSearchInterval{20};

// The host to connect to for a listener on 'host': wildcards are reached on loopback.
std::string ProbeHost(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "[::]") return "::1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool SameAddress(const sockaddr_storage& a, socklen_t a_length, const sockaddr_storage& b,
                 socklen_t b_length) {
  return a_length == b_length && std::memcmp(&a, &b, a_length) == 0;
}

// True when one of this process's sockets is connected to 'peer' from 'local' (the accepted end
// of the probe's connection). Only reads addresses: descriptors other threads open and close
// meanwhile are harmless.
bool OwnSocketConnectedTo(const sockaddr_storage& local, socklen_t local_length,
                          const sockaddr_storage& peer, socklen_t peer_length, int skip_fd) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return false;
  const int dir_fd = ::dirfd(dir);
  bool found = false;
  while (!found) {
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == skip_fd || fd == dir_fd) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        !SameAddress(address, length, local, local_length)) {
      continue;
    }
    length = sizeof(address);
    found =
        ::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        SameAddress(address, length, peer, peer_length);
  }
  ::closedir(dir);
  return found;
}

}  // namespace

AcceptProbeResult ProbeOwnListener(const std::string& host, int port, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(ProbeHost(host).c_str(), service.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return AcceptProbeResult::kUnknown;
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return AcceptProbeResult::kUnknown;  // out of descriptors ourselves: cannot tell
  }
  // The accepted end needs a descriptor too: with none to spare, the probe's own connection
  // would be what makes gRPC's acceptor fail (EMFILE) for good. Checked by taking one more.
  const int spare = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (spare < 0) {
    ::close(fd);
    ::freeaddrinfo(found);
    return AcceptProbeResult::kUnknown;
  }
  ::close(spare);
  const int connected = ::connect(fd, found->ai_addr, found->ai_addrlen);
  const int connect_error = errno;
  ::freeaddrinfo(found);
  AcceptProbeResult result = AcceptProbeResult::kNotAccepted;
  auto remaining = [&deadline] {
    return std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  };
  if (connected != 0 && connect_error == EINPROGRESS) {
    // A full accept queue drops the handshake: that too is a listener that does not accept.
    pollfd writable{fd, POLLOUT, 0};
    const int wait_ms = static_cast<int>(std::max<long>(0, remaining().count()));
    if (::poll(&writable, 1, wait_ms) != 1) {
      ::close(fd);
      return AcceptProbeResult::kNotAccepted;
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      ::close(fd);
      return AcceptProbeResult::kNotAccepted;
    }
  } else if (connected != 0) {
    ::close(fd);
    return AcceptProbeResult::kNotAccepted;
  }
  // The accepted end has our address as its peer and the listener's as its own.
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t local_length = sizeof(local);
  socklen_t peer_length = sizeof(peer);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
    ::close(fd);
    return AcceptProbeResult::kUnknown;
  }
  while (true) {
    if (OwnSocketConnectedTo(peer, peer_length, local, local_length, fd)) {
      result = AcceptProbeResult::kAccepted;
      break;
    }
    if (remaining().count() <= 0) break;
    std::this_thread::sleep_for(std::min(kSearchInterval, remaining()));
  }
  ::close(fd);
  return result;
}

}  // namespace ambi::rpc
