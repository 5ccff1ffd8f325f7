#ifndef AMBI_DAEMON_APP_PRIVATE_DIR_H_
#define AMBI_DAEMON_APP_PRIVATE_DIR_H_

#include <string>

namespace ambi::app {

// Makes 'path' (mode 0700) when it does not exist, and checks that it is ambid's own: a real
// directory (not a symlink), owned by this user, writable by no group or other. Empty when it is,
// else why not. For folders in shared places (the /tmp/ambi-<uid> fallback when there is no
// $XDG_RUNTIME_DIR), where another local user could create the folder first and plant the
// socket path.
std::string EnsurePrivateDirectory(const std::string& path);

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_PRIVATE_DIR_H_
