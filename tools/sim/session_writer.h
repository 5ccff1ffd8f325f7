#ifndef AMBI_TOOLS_SIM_SESSION_WRITER_H_
#define AMBI_TOOLS_SIM_SESSION_WRITER_H_

#include <filesystem>
#include <ostream>
#include <string>

#include "daemon/sim/session_spec.h"
#include "fusion/core/geometry.h"

namespace ambi::sim {

// Writes one sensor as CSV `t_s,ax,ay,az,gx,gy,gz[,mx,my,mz]` (m/s^2, rad/s, uT), the layout of
// /work/shared/data/real. t_s is the device clock in seconds (offset and drift included).
void WriteSensorCsv(const SimulatedSensor& sensor, std::ostream& out);

// The ground truth as JSON: spec summary, per side reps (true time, seconds), commanded asymmetry.
std::string GroundTruthJson(const SimulatedSession& session);

// Writes `<placement>.csv` per sensor (e.g. left_wrist.csv) and `ground_truth.json` into 'dir'
// (created when missing). Throws std::runtime_error naming the path on failure.
void WriteCsvSession(const SimulatedSession& session, const std::filesystem::path& dir);

}  // namespace ambi::sim

#endif  // AMBI_TOOLS_SIM_SESSION_WRITER_H_
