#include "tools/sim/session_writer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ambi::sim {
namespace {

using nlohmann::json;

json SideJson(const SideTruth& truth, const SideSpec& spec) {
  json reps = json::array();
  for (const fusion::Rep& r : truth.reps) {
    reps.push_back({{"index", r.index},
                    {"start_s", fusion::ToSeconds(r.start)},
                    {"turnaround_s", fusion::ToSeconds(r.turnaround)},
                    {"end_s", fusion::ToSeconds(r.end)},
                    {"rom_deg", r.rom_deg},
                    {"concentric_s", r.concentric_s},
                    {"eccentric_s", r.eccentric_s},
                    {"pause_turnaround_s", r.pause_turnaround_s},
                    {"pause_before_s", r.pause_before_s},
                    {"peak_speed_deg_s", r.peak_speed_deg_s},
                    {"peak_concentric_speed_deg_s", r.peak_concentric_speed_deg_s}});
  }
  const auto& q = spec.mount_sensor_to_segment;
  return {{"placement", std::string(fusion::ToString(truth.placement))},
          {"rep_count", truth.reps.size()},
          {"nominal",
           {{"rom_deg", spec.rom_deg},
            {"concentric_s", spec.concentric_s},
            {"eccentric_s", spec.eccentric_s},
            {"pause_turnaround_s", spec.pause_turnaround_s},
            {"rest_between_s", spec.rest_between_s},
            {"fatigue_speed_loss_pct_per_rep", spec.fatigue_speed_loss_pct_per_rep},
            {"fatigue_rom_loss_pct_per_rep", spec.fatigue_rom_loss_pct_per_rep}}},
          {"lever_arm_m", spec.lever_arm_m},
          {"mount_sensor_to_segment_wxyz", {q.w, q.x, q.y, q.z}},
          {"hinge_axis_world_nwu",
           {truth.hinge_axis_world.x, truth.hinge_axis_world.y, truth.hinge_axis_world.z}},
          {"clock", {{"offset_s", spec.clock.offset_s}, {"drift_ppm", spec.clock.drift_ppm}}},
          {"dropouts",
           [&] {
             json d = json::array();
             for (const Dropout& x : spec.dropouts) d.push_back({x.start_s, x.end_s});
             return d;
           }()},
          {"reps", reps}};
}

}  // namespace

void WriteSensorCsv(const SimulatedSensor& sensor, std::ostream& out) {
  const bool mag = !sensor.samples.empty() && sensor.samples.front().has_mag;
  out << (mag ? "t_s,ax,ay,az,gx,gy,gz,mx,my,mz\n" : "t_s,ax,ay,az,gx,gy,gz\n");
  char line[256];
  for (const fusion::ImuSample& s : sensor.samples) {
    const auto& a = s.accel_m_s2;
    const auto& g = s.gyro_rad_s;
    int n = std::snprintf(line, sizeof(line), "%.6f,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g",
                          fusion::ToSeconds(s.time), a.x, a.y, a.z, g.x, g.y, g.z);
    out.write(line, n);
    if (mag) {
      n = std::snprintf(line, sizeof(line), ",%.5g,%.5g,%.5g", s.mag_uT.x, s.mag_uT.y, s.mag_uT.z);
      out.write(line, n);
    }
    out.put('\n');
  }
}

std::string GroundTruthJson(const SimulatedSession& session) {
  const GroundTruth& t = session.truth;
  const SessionSpec& spec = session.spec;
  json j = {
      {"generator", "ambi-sim"},
      {"preset", t.preset},
      {"exercise", std::string(ToString(t.exercise))},
      {"catalog_exercise", std::string(CatalogNameOf(spec))},
      {"first_phase", std::string(fusion::ToString(t.first_phase))},
      {"mode", std::string(fusion::ToString(t.mode))},
      {"rate_hz", spec.rate_hz},
      {"seed", spec.seed},
      {"duration_s", t.duration_s},
      {"time_note",
       "rep times are true time in seconds from session start; CSV t_s is the device clock: "
       "offset_s + true_time * (1 + drift_ppm * 1e-6)"},
      {"commanded",
       {{"rom_diff_pct_right_vs_left", t.commanded_rom_diff_pct},
        {"concentric_diff_pct_right_vs_left", t.commanded_concentric_diff_pct},
        {"eccentric_diff_pct_right_vs_left", t.commanded_eccentric_diff_pct},
        {"right_lag_ms", t.right_lag_ms}}},
      {"sides", {SideJson(t.left, spec.left), SideJson(t.right, spec.right)}},
  };
  return j.dump(2) + "\n";
}

void WriteCsvSession(const SimulatedSession& session, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir.string() + ": " + ec.message());
  auto open = [](const std::filesystem::path& path) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open " + path.string() + " for writing");
    return out;
  };
  for (const SimulatedSensor& sensor : session.sensors) {
    const auto path = dir / (std::string(fusion::ToString(sensor.placement)) + ".csv");
    std::ofstream out = open(path);
    WriteSensorCsv(sensor, out);
    if (!out.flush()) throw std::runtime_error("write failed: " + path.string());
  }
  const auto path = dir / "ground_truth.json";
  std::ofstream out = open(path);
  out << GroundTruthJson(session);
  if (!out.flush()) throw std::runtime_error("write failed: " + path.string());
}

}  // namespace ambi::sim
