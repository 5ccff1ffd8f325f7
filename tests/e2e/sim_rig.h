#ifndef AMBI_TESTS_E2E_SIM_RIG_H_
#define AMBI_TESTS_E2E_SIM_RIG_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/sim/pty_simulator.h"
#include "daemon/sim/sim_athlete.h"

namespace ambi::e2e {

// A PtySimulator running in the test process on its own io_context thread, so the test holds
// the ground truth and can pull a cable while the real daemon reads the pseudo-terminals. Every
// call is run on the simulator's thread and waited for (PtySimulator is not thread-safe).
class SimRig {
 public:
  explicit SimRig(const std::string& link_dir);
  ~SimRig();  // stops the simulator, then its thread
  SimRig(const SimRig&) = delete;
  SimRig& operator=(const SimRig&) = delete;

  // The athlete's devices, left first (their symlinks exist on return).
  std::vector<sim::SimDeviceInfo> AddAthlete(const sim::SimAthlete& athlete);
  // Starts every device's clock: the bytes of time zero are written now.
  void Start();
  void Unplug(const std::string& link_path);
  void Replug(const std::string& link_path);
  void Stall(const std::string& link_path, double seconds);
  sim::SimDeviceStats stats(const std::string& link_path);

 private:
  struct Impl;
  void RunOnSimThread(const std::function<void(sim::PtySimulator&)>& work);
  std::size_t IndexOf(sim::PtySimulator& simulator, const std::string& link_path);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::e2e

#endif  // AMBI_TESTS_E2E_SIM_RIG_H_
