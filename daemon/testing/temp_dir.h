#ifndef AMBI_DAEMON_TESTING_TEMP_DIR_H_
#define AMBI_DAEMON_TESTING_TEMP_DIR_H_

// A test's own directory for the files it writes: fresh under the system's temporary directory
// ($TMPDIR, else /tmp), and removed with its contents when it goes out of scope, so that a run
// of the suite leaves nothing behind. Tests only.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ambi::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ambi-test-") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot make a temporary directory " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // The path of a file named 'name' in this directory.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ambi::testing

#endif  // AMBI_DAEMON_TESTING_TEMP_DIR_H_
