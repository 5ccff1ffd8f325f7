#include "tests/e2e/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace ambi::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kPollInterval{10};

// Variables that would send the child's logs to the journal or make it notify systemd.
bool IsSystemdVariable(std::string_view entry) {
  for (std::string_view name :
       {"JOURNAL_STREAM=", "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS="}) {
    if (entry.starts_with(name)) return true;
  }
  return false;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
            const std::string& stderr_path, const std::vector<std::string>& extra_env = {}) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!IsSystemdVariable(*entry)) env.push_back(*entry);
  }
  for (const std::string& entry : extra_env) env.push_back(const_cast<char*>(entry.c_str()));
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // No O_CLOEXEC: these descriptors are the child's stdout and stderr after exec.
  constexpr int kLogFlags = O_WRONLY | O_CREAT | O_APPEND;
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(), kLogFlags, 0644);
  if (stderr_path == stdout_path) {
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), kLogFlags, 0644);
  }
  pid_t pid = -1;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  }
  return pid;
}

ExitInfo FromWaitStatus(int status) {
  ExitInfo info;
  if (WIFEXITED(status)) {
    info.exited = true;
    info.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
  }
  return info;
}

}  // namespace

std::string ExitInfo::Describe() const {
  if (exited) return "exit status " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::vector<std::string>& extra_env)
    : pid_(Spawn(argv, log_path, log_path, extra_env)) {}

ChildProcess::~ChildProcess() { Kill(); }

bool ChildProcess::Reap(bool block) {
  if (exit_) return true;
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    exit_ = FromWaitStatus(status);
    return true;
  }
  return false;
}

bool ChildProcess::running() { return !Reap(/*block=*/false); }

void ChildProcess::Signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

std::optional<ExitInfo> ChildProcess::WaitFor(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!Reap(/*block=*/false)) {
    if (steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_;
}

void ChildProcess::Kill() {
  if (pid_ <= 0 || exit_) return;
  ::kill(pid_, SIGKILL);
  Reap(/*block=*/true);
}

std::optional<ExitInfo> RunToCompletion(const std::vector<std::string>& argv,
                                        const std::string& stdout_path,
                                        const std::string& stderr_path, milliseconds timeout) {
  const pid_t pid = Spawn(argv, stdout_path, stderr_path);
  const auto deadline = steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t result = ::waitpid(pid, &status, WNOHANG);
    if (result == pid) return FromWaitStatus(status);
    if (result < 0 && errno != EINTR) return std::nullopt;
    if (steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ambi::e2e
