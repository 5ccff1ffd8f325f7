#ifndef AMBI_TOOLS_LOAD_SIM_CHILD_H_
#define AMBI_TOOLS_LOAD_SIM_CHILD_H_

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sim/sim_athlete.h"

namespace ambi::load {

struct SimChildDevice {
  std::string athlete;
  std::string placement;  // "left_wrist", ...
  std::string link_path;  // stable symlink to the pseudo-terminal
  double rate_hz = 0.0;
};

// Totals over every simulated device, as the simulator counted them.
struct SimChildStats {
  std::uint64_t cycles_written = 0;
  std::uint64_t cycles_dropped = 0;  // nobody read them in time (see SimDeviceStats)
  std::uint64_t bytes_written = 0;
};

// The simulated sensors (sim::PtySimulator) in a forked child process, so that their CPU time
// is neither ambid's nor the subscribers'. The child reports its devices and, when stopped, its
// totals over a pipe, and dies with the parent (PR_SET_PDEATHSIG).
class SimChild {
 public:
  // Forks the child, pins it to 'cpus' (none: no pinning) and returns once its pseudo-terminals
  // and symlinks exist. Call while the process has a single thread (before any gRPC object).
  // Throws std::runtime_error naming what failed.
  static std::unique_ptr<SimChild> Start(const std::vector<sim::SimAthlete>& roster,
                                         const std::string& link_dir, const std::vector<int>& cpus);
  ~SimChild();
  SimChild(const SimChild&) = delete;
  SimChild& operator=(const SimChild&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<SimChildDevice>& devices() const { return devices_; }

  // SIGTERM, then the child's totals (nullopt if it died before reporting them) and reaps it.
  std::optional<SimChildStats> Stop();

 private:
  SimChild(pid_t pid, std::FILE* from_child) : pid_(pid), from_child_(from_child) {}

  pid_t pid_ = -1;
  std::FILE* from_child_ = nullptr;
  std::vector<SimChildDevice> devices_;
};

// Pins the calling thread (and so the threads it creates later) or, through fork, a child to
// 'cpus'. Empty: no change. Returns an error message or empty.
std::string PinToCpus(pid_t pid, const std::vector<int>& cpus);

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_SIM_CHILD_H_
