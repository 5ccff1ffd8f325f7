#include "daemon/rpc/unix_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <vector>

namespace ambi::rpc {
namespace {

// Connections the kernel holds for us while we are busy or out of descriptors.
constexpr int kBacklog = 128;

std::string ErrnoText(int error) { return std::strerror(error); }

bool OutOfDescriptors(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

}  // namespace

UnixListener::UnixListener(UnixListenerOptions options) : options_(std::move(options)) {
  const std::string& path = options_.path;
  group_ = options_.group.value_or(::getegid());
  auto fail = [&](const std::string& step) {
    const int error = errno;
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("rpc socket '" + path + "': " + step + ": " + ErrnoText(error));
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    throw std::runtime_error("rpc socket path '" + path + "' is too long");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) fail("socket");
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    fail("bind");
  }
  // Before listen(): until then a connect() is refused, so these are in place before any client
  // can reach the socket. lchown/fchmodat act on the socket file bind() just made, not on a
  // symlink someone could put in its place.
  if (::fchmodat(AT_FDCWD, path.c_str(), 0660, 0) != 0) {
    ::unlink(path.c_str());
    fail("chmod 0660");
  }
  if (options_.group && ::lchown(path.c_str(), static_cast<uid_t>(-1), *options_.group) != 0) {
    ::unlink(path.c_str());
    fail("chown to its group");
  }
  if (::listen(listen_fd_, kBacklog) != 0) {
    ::unlink(path.c_str());
    fail("listen");
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::unlink(path.c_str());
    fail("eventfd");
  }
}

UnixListener::~UnixListener() { Stop(); }

void UnixListener::Start() {
  if (thread_.joinable() || listen_fd_ < 0) return;
  thread_ = std::thread([this] { Run(); });
}

void UnixListener::Stop() {
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.path.c_str());
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

bool UnixListener::PeerAllowed(int fd) const {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return false;
  if (peer.uid == ::geteuid() || peer.uid == 0 || peer.gid == group_) return true;
  std::vector<gid_t> groups(64);
  length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) != 0) {
    if (errno != ERANGE) return false;
    groups.resize(length / sizeof(gid_t) + 1);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) != 0) return false;
  }
  groups.resize(length / sizeof(gid_t));
  return std::find(groups.begin(), groups.end(), group_) != groups.end();
}

void UnixListener::Run() {
  bool out_of_fds = false;
  std::set<uid_t> refused_uids;  // each refused user is logged once
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    // Out of descriptors: only the wake-up is watched, for the back-off; the pending clients
    // wait in the backlog.
    const int ready =
        out_of_fds ? ::poll(&fds[1], 1, static_cast<int>(options_.out_of_fds_backoff.count()))
                   : ::poll(fds, 2, -1);
    if (ready < 0 && errno != EINTR) {
      spdlog::error("rpc socket {}: poll: {}", options_.path, ErrnoText(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // Stop()
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      const int error = errno;
      if (OutOfDescriptors(error)) {
        if (!out_of_fds) {
          spdlog::error(
              "rpc socket {}: cannot accept a client: {}; retrying every {} ms, clients wait "
              "(raise LimitNOFILE or find who holds the descriptors)",
              options_.path, ErrnoText(error), options_.out_of_fds_backoff.count());
        }
        out_of_fds = true;
        ++out_of_fds_events_;
      } else if (error != EAGAIN && error != EINTR && error != ECONNABORTED && error != EPROTO) {
        spdlog::warn("rpc socket {}: accept: {}", options_.path, ErrnoText(error));
      }
      continue;
    }
    if (out_of_fds) {
      spdlog::info("rpc socket {}: accepting clients again", options_.path);
      out_of_fds = false;
    }
    if (!PeerAllowed(fd)) {
      ucred peer{};
      socklen_t length = sizeof(peer);
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length);
      if (refused_uids.insert(peer.uid).second) {
        spdlog::warn(
            "rpc socket {}: refused a client of uid {} (pid {}): not ambid's user, root "
            "or a member of the socket's group",
            options_.path, peer.uid, peer.pid);
      }
      ++refused_peers_;
      ::close(fd);
      continue;
    }
    options_.on_connection(fd);
  }
}

}  // namespace ambi::rpc
