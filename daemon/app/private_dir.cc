#include "daemon/app/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ambi::app {

std::string EnsurePrivateDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create " + path + ": " + std::strerror(errno);
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0)
    return "cannot inspect " + path + ": " + std::strerror(errno);
  if (!S_ISDIR(info.st_mode)) return path + " is not a directory (a symlink or a file is there)";
  if (info.st_uid != ::geteuid()) {
    return path + " belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
           std::to_string(::geteuid()) + "): someone else made it; remove it or set " +
           "XDG_RUNTIME_DIR";
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return path + " has mode " + mode + ": others may write in it; chmod 0700 it";
  }
  return {};
}

}  // namespace ambi::app
