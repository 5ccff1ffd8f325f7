#ifndef AMBI_DAEMON_APP_ATHLETE_SPEC_H_
#define AMBI_DAEMON_APP_ATHLETE_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "ambi/v1/service.pb.h"
#include "daemon/config/daemon_config.h"
#include "daemon/sim/sim_athlete.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::sim {
class PtySimulator;
}  // namespace ambi::sim

namespace ambi::app {

// One sensor of an athlete, described the same way in every run mode (configured devices, the
// simulated roster, a replayed capture). Every other view of a sensor (the pipeline's
// SensorConfig, the capture header's SensorInfo, the device listing) is derived from it here.
struct SensorSpec {
  config::DeviceConfig device;  // placement, protocol, rates, and where to reach it
  std::string model;            // recorded in the capture header, e.g. "WitMotion BLE"

  fusion::SensorConfig ToSensorConfig() const;
  // 'sensor_id': the 1-based index of the sensor in its session's capture.
  v1::SensorInfo ToSensorInfo(std::uint32_t sensor_id) const;
  // The static part of a device listing (what does not change while running).
  void DescribeDevice(const std::string& athlete, v1::DeviceInfo* info) const;
};

// One athlete and its sensors, whatever the run mode.
struct AthleteSpec {
  std::string name;      // the athlete's key in the API and the store
  std::string exercise;  // the default exercise (catalog key), may be empty: generic per limb
  bool automatic_sets = true;
  std::vector<SensorSpec> sensors;
  // A replayed capture's set mode (a unilateral capture gives unilateral sets); nullopt: the
  // exercise's default mode.
  std::optional<fusion::SetMode> mode;
  // Replay with dates: the Unix time of session time zero (the capture's creation time or a date
  // chosen for a test); 0: the wall clock, as live.
  std::int64_t recorded_start_unix_ns = 0;
};

// The three builders, one per run mode. Each returns the athletes the daemon serves.

// Configured devices (ambid.toml); the configuration is validated already.
std::vector<AthleteSpec> AthletesFromConfig(const config::DaemonConfig& config);

// `--simulate`: adds every athlete of 'roster' to 'simulator' and describes the pseudo-terminal
// each device writes to as a serial device. 'settings' gives the daemon-wide settings (its own
// athletes are ignored). nullopt and 'error' when the roster does not form a valid configuration.
std::optional<std::vector<AthleteSpec>> AthletesFromSimulator(
    const std::vector<sim::SimAthlete>& roster, const config::DaemonConfig& settings,
    sim::PtySimulator* simulator, std::string* error);

// `--replay`: the one athlete of a capture (its header), read from 'capture_path'. nullopt and
// 'error' (naming the sensor) when a sensor's side, limb or protocol is unknown.
std::optional<AthleteSpec> AthleteFromCapture(const v1::CaptureHeader& header,
                                              const std::string& capture_path, bool automatic_sets,
                                              std::string* error);

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_ATHLETE_SPEC_H_
