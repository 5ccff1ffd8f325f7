#ifndef AMBI_TESTS_FUZZ_FUZZ_INPUT_FILE_H_
#define AMBI_TESTS_FUZZ_FUZZ_INPUT_FILE_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace ambi::fuzz {

// The fuzz input as a file for readers that take a path: an anonymous memory file, reached as
// /proc/self/fd/N, rewritten for every input (no disk traffic, nothing left behind).
class FuzzInputFile {
 public:
  FuzzInputFile() : fd_(::memfd_create("ambi_fuzz_input", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~FuzzInputFile() { ::close(fd_); }

  const std::string& Write(const std::uint8_t* data, std::size_t size) {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace ambi::fuzz

#endif  // AMBI_TESTS_FUZZ_FUZZ_INPUT_FILE_H_
