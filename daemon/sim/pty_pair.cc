#include "daemon/sim/pty_pair.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace ambi::sim {

RawPty OpenRawPty() {
  termios raw{};
  cfmakeraw(&raw);
  int master_fd = -1;
  int slave_fd = -1;
  if (openpty(&master_fd, &slave_fd, nullptr, &raw, nullptr) != 0) {
    throw std::system_error(errno, std::generic_category(), "openpty");
  }
  char name[256];
  const int name_error = ttyname_r(slave_fd, name, sizeof(name));
  ::close(slave_fd);
  if (name_error != 0) {
    ::close(master_fd);
    throw std::system_error(name_error, std::generic_category(), "ttyname_r of a new pty slave");
  }
  fcntl(master_fd, F_SETFD, FD_CLOEXEC);
  return {master_fd, name};
}

bool PtySlaveIsOpen(int master_fd) {
  pollfd request{master_fd, POLLOUT, 0};
  if (::poll(&request, 1, 0) < 0) return false;
  return (request.revents & (POLLHUP | POLLERR | POLLNVAL)) == 0;
}

void PointSymlinkAtomically(const std::string& link, const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::symlink_status(link, error);
  if (fs::exists(status) && !fs::is_symlink(status)) {
    throw std::runtime_error("refusing to replace " + link + ": it exists and is not a symlink");
  }
  const std::string temp = link + ".new";
  ::unlink(temp.c_str());
  if (::symlink(target.c_str(), temp.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "symlink " + temp + " -> " + target);
  }
  if (std::rename(temp.c_str(), link.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(temp.c_str());
    throw std::system_error(rename_errno, std::generic_category(),
                            "rename " + temp + " to " + link);
  }
}

}  // namespace ambi::sim
