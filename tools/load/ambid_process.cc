#include "tools/load/ambid_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "daemon/sim/session_spec.h"

namespace ambi::load {
namespace {

namespace fs = std::filesystem;

// TOML basic string: the paths and names here hold no quotes or backslashes, but be safe.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool IsExecutable(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string AmbidConfigText(const std::vector<sim::SimAthlete>& roster,
                            const std::vector<SimChildDevice>& devices,
                            const AmbidConfigOptions& options) {
  std::ostringstream text;
  text << "# Written by ambi-load for one benchmark run.\n"
       << "[daemon]\n"
       << "listen = [" << Quoted("unix:" + options.socket_path) << "]\n"
       << "data_dir = " << Quoted(options.data_dir) << "\n"
       << "log_level = " << Quoted(options.log_level) << "\n"
       << "automatic_sets = true\n"
       << "set_end_rest_s = " << options.set_end_rest_s << "\n";
  if (!options.central_url.empty()) {
    text << "\n[central]\n"
         << "url = " << Quoted(options.central_url) << "\n"
         << "box_id = " << Quoted(options.central_box_id) << "\n"
         << "retry_longest_s = 1\n";
  }
  for (const sim::SimAthlete& athlete : roster) {
    text << "\n[[athletes]]\n"
         << "name = " << Quoted(athlete.name) << "\n"
         << "exercise = " << Quoted(std::string(sim::CatalogNameOf(athlete.session.exercise)))
         << "\n";
    for (const SimChildDevice& device : devices) {
      if (device.athlete != athlete.name) continue;
      text << "\n[[athletes.devices]]\n"
           << "placement = " << Quoted(device.placement) << "\n"
           << "transport = \"serial\"\n"
           << "path = " << Quoted(device.link_path) << "\n"
           << "rate_hz = " << device.rate_hz << "\n";
    }
  }
  return text.str();
}

AmbidProcess::AmbidProcess(const std::string& ambid_path, const std::string& config_path,
                           const std::string& log_path, const std::vector<int>& cpus, int nice) {
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("ambid log " + log_path + ": " + std::strerror(errno));
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(log_fd);
    throw std::runtime_error(std::string("ambid: fork: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) std::_Exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (std::string error = PinToCpus(0, cpus); !error.empty()) {
      std::fprintf(stderr, "ambi-load: pinning ambid: %s\n", error.c_str());
      std::_Exit(127);
    }
    if (nice != 0 && setpriority(PRIO_PROCESS, 0, nice) != 0) {
      std::fprintf(stderr, "ambi-load: nice %d for ambid: %s\n", nice, std::strerror(errno));
      std::_Exit(127);
    }
    // Not under systemd: log to the file, not the journal.
    unsetenv("JOURNAL_STREAM");
    unsetenv("NOTIFY_SOCKET");
    execl(ambid_path.c_str(), "ambid", "--config", config_path.c_str(),
          static_cast<char*>(nullptr));
    std::fprintf(stderr, "ambi-load: exec %s: %s\n", ambid_path.c_str(), std::strerror(errno));
    std::_Exit(127);
  }
  close(log_fd);
}

AmbidProcess::~AmbidProcess() {
  if (!ended_) Stop(5.0);
}

void AmbidProcess::Reaped(int status) {
  ended_ = true;
  if (WIFEXITED(status)) {
    exit_description_ = "exit code " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    exit_description_ = "killed by signal " + std::to_string(WTERMSIG(status));
  }
}

bool AmbidProcess::Running() {
  if (ended_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) Reaped(status);
  return !ended_;
}

std::string AmbidProcess::Stop(double timeout_s) {
  if (!Running()) return exit_description_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (Running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    Reaped(status);
    exit_description_ += " (did not stop within " + std::to_string(timeout_s) + " s of SIGTERM)";
  }
  return exit_description_;
}

std::string FindProgram(const std::string& name, const std::string& build_tree_path) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error && IsExecutable(self.parent_path() / name)) return self.parent_path() / name;
  if (!build_tree_path.empty() && IsExecutable(build_tree_path)) return build_tree_path;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream dirs{std::string(path)};
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && IsExecutable(fs::path(dir) / name)) return fs::path(dir) / name;
    }
  }
  return {};
}

}  // namespace ambi::load
