#include "tools/load/sim_child.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "daemon/sim/pty_simulator.h"
#include "daemon/transport/asio.h"
#include "fusion/core/placement.h"

namespace ambi::load {
namespace {

// The child's whole life: never returns to the caller's code (no destructors of the parent's
// objects run twice).
[[noreturn]] void RunChild(const std::vector<sim::SimAthlete>& roster, const std::string& link_dir,
                           std::FILE* to_parent) {
  int code = 0;
  try {
    ambi::asio::io_context io;
    sim::PtySimulator simulator(io, {link_dir, 1.0});
    for (const sim::SimAthlete& athlete : roster) simulator.AddAthlete(athlete);
    for (std::size_t i = 0; i < simulator.device_count(); ++i) {
      const sim::SimDeviceInfo info = simulator.device(i);
      std::fprintf(to_parent, "device %s %s %s %.17g\n", info.athlete.c_str(),
                   std::string(fusion::ToString(info.placement)).c_str(), info.link_path.c_str(),
                   info.rate_hz);
    }
    std::fprintf(to_parent, "ready\n");
    std::fflush(to_parent);

    ambi::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int /*signal*/) {
      if (error) return;
      SimChildStats totals;
      for (std::size_t i = 0; i < simulator.device_count(); ++i) {
        const sim::SimDeviceStats stats = simulator.device_stats(i);
        totals.cycles_written += stats.cycles_written;
        totals.cycles_dropped += stats.cycles_dropped;
        totals.bytes_written += stats.bytes_written;
      }
      std::fprintf(to_parent, "stats %llu %llu %llu\n",
                   static_cast<unsigned long long>(totals.cycles_written),
                   static_cast<unsigned long long>(totals.cycles_dropped),
                   static_cast<unsigned long long>(totals.bytes_written));
      std::fflush(to_parent);
      simulator.Stop();
    });
    simulator.Start();
    io.run();
  } catch (const std::exception& error) {
    std::fprintf(to_parent, "error %s\n", error.what());
    std::fflush(to_parent);
    code = 1;
  }
  std::_Exit(code);
}

}  // namespace

std::string PinToCpus(pid_t pid, const std::vector<int>& cpus) {
  if (cpus.empty()) return {};
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus) CPU_SET(cpu, &set);
  if (sched_setaffinity(pid, sizeof(set), &set) != 0) {
    return std::string("sched_setaffinity: ") + std::strerror(errno);
  }
  return {};
}

std::unique_ptr<SimChild> SimChild::Start(const std::vector<sim::SimAthlete>& roster,
                                          const std::string& link_dir,
                                          const std::vector<int>& cpus) {
  int fds[2];
  if (pipe(fds) != 0) {
    throw std::runtime_error(std::string("simulator: pipe: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("simulator: fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) std::_Exit(1);  // the parent died before prctl
    std::FILE* to_parent = fdopen(fds[1], "w");
    if (std::string error = PinToCpus(0, cpus); !error.empty()) {
      std::fprintf(to_parent, "error %s\n", error.c_str());
      std::fflush(to_parent);
      std::_Exit(1);
    }
    RunChild(roster, link_dir, to_parent);
  }
  close(fds[1]);
  std::unique_ptr<SimChild> child(new SimChild(pid, fdopen(fds[0], "r")));
  char line[4096];
  while (std::fgets(line, sizeof(line), child->from_child_) != nullptr) {
    std::istringstream words{std::string(line)};
    std::string kind;
    words >> kind;
    if (kind == "ready") return child;
    if (kind == "device") {
      SimChildDevice device;
      words >> device.athlete >> device.placement >> device.link_path >> device.rate_hz;
      child->devices_.push_back(std::move(device));
    } else if (kind == "error") {
      std::string message = line + kind.size() + 1;
      while (!message.empty() && message.back() == '\n') message.pop_back();
      throw std::runtime_error("simulator: " + message);
    }
  }
  throw std::runtime_error("simulator: the child process ended before its devices were ready");
}

std::optional<SimChildStats> SimChild::Stop() {
  if (pid_ < 0) return std::nullopt;
  kill(pid_, SIGTERM);
  std::optional<SimChildStats> totals;
  char line[512];
  while (std::fgets(line, sizeof(line), from_child_) != nullptr) {
    std::istringstream words{std::string(line)};
    std::string kind;
    words >> kind;
    if (kind != "stats") continue;
    SimChildStats stats;
    words >> stats.cycles_written >> stats.cycles_dropped >> stats.bytes_written;
    if (words) totals = stats;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return totals;
}

SimChild::~SimChild() {
  if (pid_ >= 0) Stop();
  if (from_child_ != nullptr) std::fclose(from_child_);
}

}  // namespace ambi::load
