#include "tools/eval/rep_eval.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>

#include "daemon/capture/csv_samples.h"
#include "daemon/replay/capture_feeder.h"

namespace ambi::eval {
namespace {

using fusion::Rep;

struct SensorChoice {
  std::string stem;
  fusion::Placement placement;
  bool headline;
  bool still;  // the side that does no reps (true count 0)
};

// Which sensors of a recording are evaluated (see the README of the data): CMU shanks (headline)
// and wrists (reported apart: a squat's wrists may legitimately differ); physiotherapy leg
// configuration ("A") the ankles u1/u2 (left still, right exercising), arm configuration ("B")
// the right wrist u2.
std::vector<SensorChoice> ChooseSensors(const std::string& recording,
                                        const std::string& configuration) {
  using fusion::Limb;
  using fusion::Side;
  if (recording.rfind("cmu_", 0) == 0) {
    return {{"LeftShank", {Side::kLeft, Limb::kAnkle}, true, false},
            {"RightShank", {Side::kRight, Limb::kAnkle}, true, false},
            {"LeftWrist", {Side::kLeft, Limb::kWrist}, false, false},
            {"RightWrist", {Side::kRight, Limb::kWrist}, false, false}};
  }
  if (recording.rfind("pt_", 0) == 0) {
    if (configuration == "B") return {{"u2", {Side::kRight, Limb::kWrist}, true, false}};
    if (configuration == "A") {
      return {{"u1", {Side::kLeft, Limb::kAnkle}, true, true},
              {"u2", {Side::kRight, Limb::kAnkle}, true, false}};
    }
  }
  return {};
}

// Keeps the Rep events per placement, the set summaries' working sides, and counts gap events.
class CollectingSink : public fusion::EventSink {
 public:
  explicit CollectingSink(fusion::Limb limb) : limb_(limb) {}
  void OnEvent(const fusion::Event& event) override {
    if (const auto* rep = std::get_if<Rep>(&event)) {
      reps_.push_back(*rep);
    } else if (const auto* summary = std::get_if<fusion::SetSummary>(&event)) {
      if (summary->limb == limb_ && !working_side_) working_side_ = summary->working_side;
    } else if (const auto* status = std::get_if<fusion::SensorStatus>(&event)) {
      if (status->kind == fusion::SensorEventKind::kGap) ++gaps_[status->sensor_index];
    }
  }
  const std::vector<Rep>& reps() const { return reps_; }
  std::optional<fusion::Side> working_side() const { return working_side_; }
  int max_gaps() const {
    int most = 0;
    for (const auto& [sensor, count] : gaps_) most = std::max(most, count);
    return most;
  }

 private:
  fusion::Limb limb_;
  std::vector<Rep> reps_;
  std::optional<fusion::Side> working_side_;
  std::map<int, int> gaps_;
};

}  // namespace

Half HalfOf(const std::string& recording) {
  // docs/accuracy.md, "Real-data split" (the rule is there; this is its result).
  static const std::map<std::string, Half> kHalves = {
      {"cmu_sub22_BulgSq", Half::kTuning}, {"cmu_sub22_HeelRaise", Half::kTuning},
      {"cmu_sub22_SqSL", Half::kTuning},   {"pt_s1_e1_test", Half::kTuning},
      {"pt_s1_e3_test", Half::kTuning},    {"pt_s1_e6_test", Half::kTuning},
      {"cmu_sub22_Lunge", Half::kTest},    {"cmu_sub22_SqDL", Half::kTest},
      {"cmu_sub22_StepUpL", Half::kTest},  {"pt_s1_e4_test", Half::kTest},
      {"pt_s2_e3_test", Half::kTest},      {"pt_s2_e4_test", Half::kTest},
      {"pt_s2_e6_test", Half::kTest},      {"pt_s2_e7_test", Half::kTest},
  };
  const auto it = kHalves.find(recording);
  return it == kHalves.end() ? Half::kUnseen : it->second;
}

const char* HalfName(Half half) {
  switch (half) {
    case Half::kTuning:
      return "tuning";
    case Half::kTest:
      return "test";
    case Half::kUnseen:
      break;
  }
  return "unseen";
}

std::optional<HalfFilter> ParseHalfFilter(const std::string& text) {
  if (text == "tuning") return HalfFilter::kTuning;
  if (text == "test") return HalfFilter::kTest;
  if (text == "unseen") return HalfFilter::kUnseen;
  if (text == "all") return HalfFilter::kAll;
  return std::nullopt;
}

bool Covers(HalfFilter filter, Half half) {
  switch (filter) {
    case HalfFilter::kTuning:
      return half == Half::kTuning;
    case HalfFilter::kTest:
      return half == Half::kTest;
    case HalfFilter::kUnseen:
      return half == Half::kUnseen;
    case HalfFilter::kAll:
      return true;
  }
  return true;
}

std::string CatalogExerciseFor(const std::string& recording) {
  // Dataset exercise code (after the last '_') -> catalog name.
  static const std::map<std::string, std::string> kByCode = {
      {"SqDL", "squat"},
      {"SqSL", "single_leg_squat"},
      {"Lunge", "lunge"},
      {"BulgSq", "bulgarian_split_squat"},
      {"StepUpL", "step_up"},
      {"HeelRaise", "calf_raise"},
      {"e1", "leg_extension"},       // seated knee extension
      {"e3", "straight_leg_raise"},  // supine straight-leg raise
      {"e4", "hip_abduction"},       // supine leg movement (sideways, one leg)
      {"e6", "biceps_curl"},         // seated dumbbell elbow flexion
      {"e7", "front_raise"},         // standing dumbbell arm raise
  };
  for (const auto& [code, name] : kByCode) {
    const std::string cmu_suffix = "_" + code;
    const std::string pt_infix = "_" + code + "_";
    if ((recording.size() > cmu_suffix.size() &&
         recording.compare(recording.size() - cmu_suffix.size(), cmu_suffix.size(), cmu_suffix) ==
             0) ||
        recording.find(pt_infix) != std::string::npos) {
      return name;
    }
  }
  return "";
}

std::string CatalogExerciseFor(const std::string& recording, const std::string& description,
                               const config::ExerciseCatalog& catalog) {
  if (std::string by_code = CatalogExerciseFor(recording); !by_code.empty()) return by_code;
  std::vector<std::string> names = {description};
  if (const std::size_t open = description.find(" ("); open != std::string::npos) {
    names.push_back(description.substr(0, open));
    const std::size_t close = description.find(')', open);
    if (close != std::string::npos) names.push_back(description.substr(open + 2, close - open - 2));
  }
  for (const std::string& name : names) {
    if (const fusion::Exercise* exercise = catalog.Find(name)) return exercise->name;
  }
  return "";
}

std::optional<RecordingResult> EvaluateRecording(const std::string& directory,
                                                 const fusion::SessionParams& base,
                                                 const config::ExerciseCatalog& catalog,
                                                 bool generic, const Perturbation& perturbation) {
  namespace fs = std::filesystem;
  std::ifstream truth_file(fs::path(directory) / "ground_truth.json");
  if (!truth_file) return std::nullopt;
  const nlohmann::json truth = nlohmann::json::parse(truth_file, nullptr, false);
  if (truth.is_discarded() || !truth.contains("sets") || !truth["sets"].is_array()) {
    return std::nullopt;
  }
  RecordingResult result;
  result.recording = fs::path(directory).filename().string();
  result.half = HalfOf(result.recording);

  struct Window {
    int set;
    int count;
    double from_s;
    double to_s;
    std::vector<double> knee_left;
    std::vector<double> knee_right;
  };
  std::vector<Window> windows;
  bool counts_only = false;  // some set has no rep windows: one row for the whole recording
  for (const auto& set : truth["sets"]) {
    if (!set.contains("reps") || !set["reps"].is_array() || set["reps"].empty()) {
      counts_only = true;
    }
  }
  if (counts_only) {
    Window whole{0, 0, -1e18, 1e18, {}, {}};
    for (const auto& set : truth["sets"]) whole.count += set.value("rep_count", 0);
    windows.push_back(whole);
  }
  for (const auto& set : truth["sets"]) {
    if (counts_only) break;
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

  // The capture, as `ambi-replay --sensor PLACEMENT=FILE.csv ...` builds it (rate estimated).
  std::vector<SensorChoice> chosen;
  std::vector<capture::CsvSensor> csv_sensors;
  // Perturbed copies of the CSVs live in a folder of their own, removed when done.
  struct Scratch {
    fs::path path;
    ~Scratch() {
      std::error_code ignored;
      if (!path.empty()) fs::remove_all(path, ignored);
    }
  } scratch;
  if (perturbation.any()) {
    scratch.path = fs::temp_directory_path() /
                   ("ambi-rep-eval-" + std::to_string(::getpid()) + "-" + result.recording);
    fs::create_directories(scratch.path);
  }
  for (const SensorChoice& choice :
       ChooseSensors(result.recording, truth.value("sensor_configuration", ""))) {
    fs::path path = fs::path(directory) / (choice.stem + ".csv");
    if (!fs::exists(path)) continue;
    if (perturbation.any()) {
      const fs::path changed = scratch.path / (choice.stem + ".csv");
      if (!WritePerturbedCsv(path.string(), changed.string(), perturbation, chosen.size() + 1)
               .ok()) {
        return std::nullopt;
      }
      path = changed;
    }
    capture::CsvSensor sensor;
    sensor.placement = choice.placement;
    sensor.csv_path = path.string();
    csv_sensors.push_back(sensor);
    chosen.push_back(choice);
  }
  if (chosen.empty()) return std::nullopt;
  capture::Capture capture;
  if (!capture::BuildCaptureFromCsv(csv_sensors, &capture).ok()) return std::nullopt;

  fusion::SessionParams session_base = base;
  result.exercise =
      generic ? "" : CatalogExerciseFor(result.recording, truth.value("exercise", ""), catalog);
  if (const fusion::Exercise* exercise = catalog.Find(result.exercise)) {
    session_base.exercise = *exercise;
  } else {
    result.exercise.clear();
    session_base.exercise = fusion::GenericExercise(chosen.front().placement.limb);
  }
  std::string error;
  const auto params = replay::SessionParamsFromHeader(capture.header, session_base, &error);
  if (!params) return std::nullopt;
  CollectingSink sink(params->exercise.limb);
  fusion::SessionPipeline pipeline(*params, &sink);
  replay::CaptureFeeder feeder(capture.header, &pipeline,
                               [&](const std::string& name) -> std::optional<fusion::Exercise> {
                                 if (const fusion::Exercise* e = catalog.Find(name)) return *e;
                                 return std::nullopt;
                               });
  for (const v1::CaptureRecord& record : capture.records) feeder.Feed(record, &error);
  feeder.Finish();
  result.gaps = sink.max_gaps();
  result.working_side = sink.working_side();
  double knee_left_deg = 0.0;
  double knee_right_deg = 0.0;
  for (const Window& w : windows) {
    for (double v : w.knee_left) knee_left_deg += v;
    for (double v : w.knee_right) knee_right_deg += v;
  }
  if (knee_left_deg != knee_right_deg) {
    result.knee_working_side =
        knee_left_deg > knee_right_deg ? fusion::Side::kLeft : fusion::Side::kRight;
  }

  for (const SensorChoice& choice : chosen) {
    std::vector<RepCountRow> rows;
    for (const Window& w : windows) {
      RepCountRow row;
      row.recording = result.recording;
      row.sensor = choice.stem;
      row.side = choice.placement.side == fusion::Side::kLeft ? "left" : "right";
      row.limb = choice.placement.limb == fusion::Limb::kAnkle ? "ankle" : "wrist";
      row.headline = choice.headline;
      row.still = choice.still;
      row.half = result.half;
      row.set = w.set;
      row.true_reps = choice.still ? 0 : w.count;
      row.knee_range_deg = row.side == "left" ? w.knee_left : w.knee_right;
      rows.push_back(row);
    }
    for (const Rep& rep : sink.reps()) {
      if (!(rep.placement == choice.placement)) continue;
      // Session time starts at the first sample, as t_s does.
      const double turn_s = fusion::ToSeconds(rep.turnaround);
      bool assigned = false;
      for (std::size_t i = 0; i < windows.size(); ++i) {
        if (turn_s >= windows[i].from_s && turn_s <= windows[i].to_s) {
          ++rows[i].detected;
          rows[i].reps.push_back(rep);
          assigned = true;
          break;
        }
      }
      if (!assigned) {
        ++result.outside_sets;
        if (choice.headline) ++result.outside_sets_headline;
      }
    }
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
  }
  return result;
}

std::vector<RecordingResult> EvaluateAll(const std::string& real_directory,
                                         const fusion::SessionParams& base,
                                         const config::ExerciseCatalog& catalog, bool generic,
                                         const Perturbation& perturbation) {
  namespace fs = std::filesystem;
  std::vector<std::string> directories;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(real_directory, error)) {
    if (entry.is_directory()) directories.push_back(entry.path().string());
  }
  std::sort(directories.begin(), directories.end());
  std::vector<RecordingResult> results;
  for (const std::string& directory : directories) {
    if (auto result = EvaluateRecording(directory, base, catalog, generic, perturbation)) {
      results.push_back(*result);
    }
  }
  return results;
}

Totals Summarize(const std::vector<RecordingResult>& results, bool headline, HalfFilter half) {
  Totals totals;
  for (const RecordingResult& result : results) {
    if (!Covers(half, result.half)) continue;
    for (const RepCountRow& row : result.rows) {
      if (row.headline != headline) continue;
      ++totals.rows;
      if (row.detected == row.true_reps) ++totals.exact;
      if (std::abs(row.detected - row.true_reps) <= 1) ++totals.within_one;
      totals.count_error += std::abs(row.detected - row.true_reps);
      totals.phantoms += row.phantoms();
      if (row.still) {
        ++totals.still_rows;
        if (row.detected == 0) ++totals.still_exact;
      }
    }
    const int outside = headline ? result.outside_sets_headline
                                 : result.outside_sets - result.outside_sets_headline;
    totals.outside_sets += outside;
    totals.phantoms += outside;
  }
  return totals;
}

}  // namespace ambi::eval
