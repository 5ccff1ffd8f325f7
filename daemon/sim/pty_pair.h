#ifndef AMBI_DAEMON_SIM_PTY_PAIR_H_
#define AMBI_DAEMON_SIM_PTY_PAIR_H_

#include <string>

namespace ambi::sim {

// A new pseudo-terminal in raw mode (no echo, no line discipline: bytes pass untouched). The
// slave end is closed here, so nothing holds it until a reader opens 'slave_path' exactly as it
// would open /dev/ttyUSB0; the caller owns 'master_fd'. Throws std::system_error.
struct RawPty {
  int master_fd = -1;
  std::string slave_path;  // /dev/pts/N
};
RawPty OpenRawPty();

// True while some process has the slave end open (a master polls POLLHUP otherwise).
bool PtySlaveIsOpen(int master_fd);

// Makes 'link' point at 'target', replacing an older symlink atomically (symlink to a temporary
// name, then rename), so a reader never finds the path missing or half made. Refuses to replace
// anything that is not a symlink. Throws std::system_error / std::runtime_error naming the path.
void PointSymlinkAtomically(const std::string& link, const std::string& target);

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_PTY_PAIR_H_
