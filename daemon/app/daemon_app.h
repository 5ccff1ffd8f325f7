#ifndef AMBI_DAEMON_APP_DAEMON_APP_H_
#define AMBI_DAEMON_APP_DAEMON_APP_H_

#include <memory>
#include <string>

#include "daemon/config/daemon_config.h"

namespace ambi::app {

struct DaemonOptions {
  config::DaemonConfig config;
  // Simulated athletes (the demo roster) behind pseudo-terminals, read through the serial path;
  // the configuration's athletes are replaced by them.
  bool simulate = false;
  // Feed this capture through the live path instead of opening devices.
  std::string replay_path;
  // Stop the daemon when the replay has been fed (else it keeps serving queries).
  bool exit_after_replay = false;
  // Dates of the replayed session: the capture's creation time (recorded_dates), or this Unix
  // time as session time zero; neither (or a capture without creation time): the time the
  // daemon starts. The session's events and end follow the recorded session time from there.
  bool replay_recorded_dates = false;
  std::int64_t replay_start_unix_ns = 0;
};

// ambid: wires transports, per-athlete sessions (the core's SessionPipeline), the capture
// files, the session store, the subscriber fan-out and the gRPC server around one io_context,
// and runs until SIGTERM/SIGINT. Holds no algorithm.
class DaemonApp {
 public:
  explicit DaemonApp(DaemonOptions options);
  ~DaemonApp();
  DaemonApp(const DaemonApp&) = delete;
  DaemonApp& operator=(const DaemonApp&) = delete;

  // Starts everything, serves until stopped, shuts down cleanly. Returns the process exit code;
  // start-up failures are logged with what failed and why.
  int Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_DAEMON_APP_H_
