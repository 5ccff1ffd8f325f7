#include "tools/eval/rep_eval.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fusion/orientation/madgwick.h"

namespace ambi::eval {
namespace {

using fusion::ImuSample;
using fusion::Rep;

// t_s,ax,ay,az,gx,gy,gz[,mx,my,mz]; the header line is skipped.
std::vector<ImuSample> ReadImuCsv(const std::string& path) {
  std::vector<ImuSample> samples;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return samples;
  double v[10];
  while (std::getline(in, line)) {
    const char* p = line.c_str();
    int n = 0;
    while (n < 10 && *p != '\0') {
      char* next = nullptr;
      v[n] = std::strtod(p, &next);
      if (next == p) break;
      ++n;
      p = next;
      if (*p == ',') ++p;
    }
    if (n < 7) continue;
    ImuSample s;
    s.time = fusion::TimeFromSeconds(v[0]);
    s.accel_m_s2 = {v[1], v[2], v[3]};
    s.gyro_rad_s = {v[4], v[5], v[6]};
    samples.push_back(s);
  }
  return samples;
}

struct SensorChoice {
  std::string stem;
  std::string side;
  std::string limb;
  bool headline;
  bool still;  // the side that does no reps (true count 0)
};

// Which sensors of a recording are evaluated (see the README of the data): CMU shanks (headline)
// and wrists (reported apart: a squat's wrists may legitimately differ); PT leg exercises u1/u2
// (left still, right exercising); PT arm exercise e6 the right wrist u2.
std::vector<SensorChoice> ChooseSensors(const std::string& recording) {
  if (recording.rfind("cmu_", 0) == 0) {
    return {{"LeftShank", "left", "ankle", true, false},
            {"RightShank", "right", "ankle", true, false},
            {"LeftWrist", "left", "wrist", false, false},
            {"RightWrist", "right", "wrist", false, false}};
  }
  if (recording.rfind("pt_", 0) == 0) {
    if (recording.find("_e6") != std::string::npos) {
      return {{"u2", "right", "wrist", true, false}};
    }
    return {{"u1", "left", "ankle", true, true}, {"u2", "right", "ankle", true, false}};
  }
  return {};
}

std::vector<Rep> RunSensor(const std::vector<ImuSample>& samples, double rate_hz,
                           fusion::RepDetectorParams params, int* gaps) {
  fusion::MadgwickParams filter_params;
  filter_params.nominal_rate_hz = rate_hz;
  filter_params.use_magnetometer = false;
  // The CMU files start mid-movement: a short startup keeps the high gain (which trusts the
  // accelerometer, linear acceleration included) from flattening the first rep.
  filter_params.startup_s = 0.2;
  fusion::MadgwickFilter filter(filter_params);
  params.nominal_rate_hz = rate_hz;
  fusion::RepDetector detector(params);
  std::vector<Rep> reps;
  const double gap_s = 3.5 / rate_hz;  // a jump of more than a few sample periods
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i > 0 && fusion::ToSeconds(samples[i].time - samples[i - 1].time) > gap_s) {
      filter.MarkGap();
      detector.MarkGap(samples[i].time);
      ++*gaps;
    }
    filter.Update(samples[i]);
    const fusion::RepDetectorOutput out = detector.Update(samples[i], filter.sensor_to_earth());
    if (out.rep) reps.push_back(*out.rep);
  }
  while (auto rep = detector.Finish()) reps.push_back(*rep);
  return reps;
}

}  // namespace

std::optional<RecordingResult> EvaluateRecording(const std::string& directory,
                                                 const fusion::RepDetectorParams& params) {
  namespace fs = std::filesystem;
  std::ifstream truth_file(fs::path(directory) / "ground_truth.json");
  if (!truth_file) return std::nullopt;
  const nlohmann::json truth = nlohmann::json::parse(truth_file, nullptr, false);
  if (truth.is_discarded() || !truth.contains("sets") || !truth["sets"].is_array()) {
    return std::nullopt;
  }
  RecordingResult result;
  result.recording = fs::path(directory).filename().string();
  const double rate_hz = truth.value("sample_rate_hz", 100.0);
  const bool cmu = result.recording.rfind("cmu_", 0) == 0;

  struct Window {
    int set;
    int count;
    double from_s;
    double to_s;
    std::vector<double> knee_left;
    std::vector<double> knee_right;
  };
  std::vector<Window> windows;
  for (const auto& set : truth["sets"]) {
    Window w{set.value("set", 0), set.value("rep_count", 0), 1e18, -1e18, {}, {}};
    for (const auto& rep : set["reps"]) {
      w.from_s = std::min(w.from_s, rep.value("t_start_s", 0.0) - 1.0);
      w.to_s = std::max(w.to_s, rep.value("t_end_s", 0.0) + 1.0);
      if (rep.contains("knee_angle_range_deg")) {
        w.knee_left.push_back(rep["knee_angle_range_deg"].value("left", 0.0));
        w.knee_right.push_back(rep["knee_angle_range_deg"].value("right", 0.0));
      }
    }
    windows.push_back(w);
  }

  for (const SensorChoice& choice : ChooseSensors(result.recording)) {
    const std::vector<ImuSample> samples =
        ReadImuCsv((fs::path(directory) / (choice.stem + ".csv")).string());
    if (samples.empty()) continue;
    fusion::RepDetectorParams sensor_params = params;
    // A squat, lunge or step-up starts by lowering; the PT exercises start by lifting.
    sensor_params.first_phase = cmu ? fusion::Phase::kEccentric : fusion::Phase::kConcentric;
    int gaps = 0;
    const std::vector<Rep> reps = RunSensor(samples, rate_hz, sensor_params, &gaps);
    result.gaps = std::max(result.gaps, gaps);
    std::vector<RepCountRow> rows;
    for (const Window& w : windows) {
      RepCountRow row;
      row.recording = result.recording;
      row.sensor = choice.stem;
      row.side = choice.side;
      row.limb = choice.limb;
      row.headline = choice.headline;
      row.set = w.set;
      row.true_reps = choice.still ? 0 : w.count;
      row.knee_range_deg = choice.side == "left" ? w.knee_left : w.knee_right;
      rows.push_back(row);
    }
    for (const Rep& rep : reps) {
      const double turn_s = fusion::ToSeconds(rep.turnaround);
      bool assigned = false;
      for (std::size_t i = 0; i < windows.size(); ++i) {
        if (turn_s >= windows[i].from_s && turn_s <= windows[i].to_s) {
          ++rows[i].detected;
          rows[i].rom_deg.push_back(rep.rom_deg);
          assigned = true;
          break;
        }
      }
      if (!assigned) ++result.outside_sets;
    }
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
  }
  if (result.rows.empty()) return std::nullopt;
  return result;
}

std::vector<RecordingResult> EvaluateAll(const std::string& real_directory,
                                         const fusion::RepDetectorParams& params) {
  namespace fs = std::filesystem;
  std::vector<std::string> directories;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(real_directory, error)) {
    if (entry.is_directory()) directories.push_back(entry.path().string());
  }
  std::sort(directories.begin(), directories.end());
  std::vector<RecordingResult> results;
  for (const std::string& directory : directories) {
    if (auto result = EvaluateRecording(directory, params)) results.push_back(*result);
  }
  return results;
}

Totals Summarize(const std::vector<RecordingResult>& results, bool headline) {
  Totals totals;
  for (const RecordingResult& result : results) {
    for (const RepCountRow& row : result.rows) {
      if (row.headline != headline) continue;
      ++totals.rows;
      if (row.detected == row.true_reps) ++totals.exact;
      if (std::abs(row.detected - row.true_reps) <= 1) ++totals.within_one;
    }
  }
  return totals;
}

}  // namespace ambi::eval
