#ifndef AMBI_DAEMON_APP_ATHLETE_REGISTRY_H_
#define AMBI_DAEMON_APP_ATHLETE_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/app/athlete_session.h"
#include "daemon/app/athlete_spec.h"
#include "daemon/transport/byte_source.h"

namespace ambi::app {

// One sensor while the daemon runs: its description, its transport (none when a capture is
// replayed) and what the device listing reports.
struct Device {
  SensorSpec spec;
  std::unique_ptr<transport::ByteSource> source;
  std::int64_t rate_samples = 0;  // pipeline sample count at rate_time
  transport::SteadyTime rate_time;
  double measured_rate_hz = 0.0;
  bool lost = false;  // lost and not back yet
};

// One athlete while the daemon runs: the description, the devices in sensor order, the session
// settings chosen by the last StartSession and the live session (none between sessions).
struct Athlete {
  AthleteSpec spec;
  std::vector<Device> devices;
  std::string exercise;  // the session's exercise (catalog key), may be empty
  bool automatic_sets = true;
  std::unique_ptr<AthleteSession> session;

  const std::string& name() const { return spec.name; }
};

// Every athlete the daemon serves, built once from the run mode's AthleteSpecs. The set of
// athletes is fixed after construction (gRPC threads may look names up); their state belongs to
// the io thread.
class AthleteRegistry {
 public:
  explicit AthleteRegistry(std::vector<AthleteSpec> athletes);

  Athlete* Find(const std::string& name);
  const Athlete* Find(const std::string& name) const;
  bool Contains(const std::string& name) const { return Find(name) != nullptr; }
  const std::vector<std::unique_ptr<Athlete>>& athletes() const { return athletes_; }
  std::size_t device_count() const;

  // Measured sample rates over the time since the previous call (or since 'now' was first
  // passed, at start); the device listing reports them.
  void StartRateWindow(transport::SteadyTime now);
  void UpdateRates(transport::SteadyTime now);

 private:
  std::vector<std::unique_ptr<Athlete>> athletes_;
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_ATHLETE_REGISTRY_H_
