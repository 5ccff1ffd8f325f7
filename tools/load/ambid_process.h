#ifndef AMBI_TOOLS_LOAD_AMBID_PROCESS_H_
#define AMBI_TOOLS_LOAD_AMBID_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "daemon/sim/sim_athlete.h"
#include "tools/load/sim_child.h"

namespace ambi::load {

struct AmbidConfigOptions {
  std::string socket_path;  // absolute
  std::string data_dir;
  std::string log_level = "warn";
  double set_end_rest_s = 10.0;
  // Non-empty: a [central] table shipping the box's history there as box 'central_box_id'.
  std::string central_url;
  std::string central_box_id = "load";
};

// The TOML configuration of ambid for the simulated 'devices' of 'roster' (serial transport on
// the simulator's symlinks, each athlete's exercise from its simulated one).
std::string AmbidConfigText(const std::vector<sim::SimAthlete>& roster,
                            const std::vector<SimChildDevice>& devices,
                            const AmbidConfigOptions& options);

// The real ambid in a child process, pinned to some CPUs, logging to a file. Dies with the
// parent (PR_SET_PDEATHSIG).
class AmbidProcess {
 public:
  // Forks and execs 'ambid_path' --config 'config_path' with stdout and stderr appended to
  // 'log_path', at nice value 'nice' (negative needs CAP_SYS_NICE). Call while the process has a
  // single thread. Throws std::runtime_error.
  AmbidProcess(const std::string& ambid_path, const std::string& config_path,
               const std::string& log_path, const std::vector<int>& cpus, int nice);
  ~AmbidProcess();
  AmbidProcess(const AmbidProcess&) = delete;
  AmbidProcess& operator=(const AmbidProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the process has ended (reaps it; exit_description() then says how).
  bool Running();
  // SIGTERM, up to 'timeout_s' for a clean exit, then SIGKILL. Returns the exit description.
  std::string Stop(double timeout_s);
  // "running", "exit code N" or "killed by signal N".
  const std::string& exit_description() const { return exit_description_; }

 private:
  void Reaped(int status);

  pid_t pid_ = -1;
  bool ended_ = false;
  std::string exit_description_ = "running";
};

// An executable named 'name' next to this program, then 'build_tree_path' (may be empty), then on
// PATH; empty when none is found.
std::string FindProgram(const std::string& name, const std::string& build_tree_path);

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_AMBID_PROCESS_H_
