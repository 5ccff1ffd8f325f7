#ifndef AMBI_TOOLS_SIM_SESSION_WRITER_H_
#define AMBI_TOOLS_SIM_SESSION_WRITER_H_

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "fusion/core/geometry.h"
#include "fusion/decode/encoder.h"
#include "tools/sim/session_spec.h"

namespace ambi::sim {

// Writes one sensor as CSV `t_s,ax,ay,az,gx,gy,gz[,mx,my,mz]` (m/s^2, rad/s, uT), the layout of
// /work/shared/data/real. t_s is the device clock in seconds (offset and drift included).
void WriteSensorCsv(const SimulatedSensor& sensor, std::ostream& out);

// The ground truth as JSON: spec summary, per side reps (true time, seconds), commanded asymmetry.
std::string GroundTruthJson(const SimulatedSession& session);

// Writes `<placement>.csv` per sensor (e.g. left_wrist.csv) and `ground_truth.json` into 'dir'
// (created when missing). Throws std::runtime_error naming the path on failure.
void WriteCsvSession(const SimulatedSession& session, const std::filesystem::path& dir);

// Roll, pitch, yaw (deg; ZYX convention, as WitMotion devices report) of a sensor-to-earth
// orientation.
fusion::Vec3 EulerDegFromQuaternion(const fusion::Quaternion& sensor_to_earth);

// Appends the WitMotion serial frames a device would send for 'sample' (0x51, 0x52, 0x53 with
// the true orientation's angles, and 0x54 when the sample has a magnetometer reading and
// 'options' give a scale).
void AppendWitMotionSerial(const SimSample& sample,
                           const fusion::WitMotionSerialEncodeOptions& options,
                           std::vector<std::uint8_t>* out);

}  // namespace ambi::sim

#endif  // AMBI_TOOLS_SIM_SESSION_WRITER_H_
