#ifndef AMBI_TESTS_E2E_CHILD_PROCESS_H_
#define AMBI_TESTS_E2E_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ambi::e2e {

// How a child process ended.
struct ExitInfo {
  bool exited = false;  // by exit(); else killed by 'signal'
  int code = 0;
  int signal = 0;
  bool clean() const { return exited && code == 0; }
  std::string Describe() const;
};

// A program run with posix_spawn, stdin from /dev/null, stdout and stderr appended to one log
// file. The environment is the test's own minus what would make ambid talk to systemd (journal,
// notify socket, watchdog), plus 'extra_env' ("NAME=value"; a test playing systemd sets those). The
// destructor kills (SIGKILL) and reaps a child still running, so a failing test never leaves one
// behind.
class ChildProcess {
 public:
  // Throws std::runtime_error naming the program when it cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();  // reaps it when it has ended
  void Signal(int signal_number);
  // The exit, once the child ended within 'timeout'; nullopt while it still runs.
  std::optional<ExitInfo> WaitFor(std::chrono::milliseconds timeout);
  // SIGKILL and reap (no-op once ended).
  void Kill();
  const std::optional<ExitInfo>& exit_info() const { return exit_; }

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::optional<ExitInfo> exit_;
};

// Runs a program to completion (killed after 'timeout'), stdout to 'stdout_path', stderr to
// 'stderr_path'. nullopt when it did not end in time.
std::optional<ExitInfo> RunToCompletion(const std::vector<std::string>& argv,
                                        const std::string& stdout_path,
                                        const std::string& stderr_path,
                                        std::chrono::milliseconds timeout);

std::string ReadFileOrEmpty(const std::string& path);

}  // namespace ambi::e2e

#endif  // AMBI_TESTS_E2E_CHILD_PROCESS_H_
