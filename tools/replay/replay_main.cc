// ambi-replay: feeds a capture, or CSV recordings, through the SessionPipeline and prints the
// events as JSON lines (docs/events.md). As fast as the machine allows unless --pace is given.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/capture/capture_reader.h"
#include "daemon/capture/capture_writer.h"
#include "daemon/capture/csv_samples.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/replay/capture_feeder.h"
#include "fusion/pipeline/session_pipeline.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/event_text.h"
#include "proto/convert/proto_json.h"

namespace ambi::replay {
namespace {

constexpr int kUsageError = 2;
constexpr int kDataError = 1;

// Writes every event as one line of JSON (or text for people) on stdout.
class PrintingSink : public fusion::EventSink {
 public:
  PrintingSink(bool text, bool round, std::string athlete)
      : text_(text), round_(round), athlete_(std::move(athlete)) {}

  void OnEvent(const fusion::Event& event) override {
    ++events_;
    v1::Event message = proto::ToProto(event);
    message.set_athlete(athlete_);
    if (text_) {
      std::printf("%s\n", proto::DescribeEvent(message).c_str());
      std::fflush(stdout);
      return;
    }
    if (round_) proto::RoundForGolden(&message);
    const std::string json = proto::ToJson(message);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
  }

  long events() const { return events_; }

 private:
  bool text_;
  bool round_;
  std::string athlete_;
  long events_ = 0;
};

// Writes k,q_w,q_x,q_y,q_z for one sensor.
class OrientationCsv : public fusion::OrientationObserver {
 public:
  OrientationCsv(std::FILE* file, int sensor_index) : file_(file), sensor_index_(sensor_index) {
    std::fprintf(file_, "k,q_w,q_x,q_y,q_z\n");
  }
  void OnOrientation(int sensor_index, std::int64_t sample_index, fusion::Time,
                     const fusion::Quaternion& q) override {
    if (sensor_index != sensor_index_) return;
    std::fprintf(file_, "%lld,%.17g,%.17g,%.17g,%.17g\n", static_cast<long long>(sample_index), q.w,
                 q.x, q.y, q.z);
  }

 private:
  std::FILE* file_;
  int sensor_index_;
};

std::string DefaultCatalogPath() {
  if (const char* from_env = std::getenv("AMBI_CATALOG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  if (std::FILE* installed = std::fopen(AMBI_INSTALLED_CATALOG, "r")) {
    std::fclose(installed);
    return AMBI_INSTALLED_CATALOG;
  }
  return AMBI_SOURCE_CATALOG;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "ambi-replay: replay a capture or CSV recordings through the ambi pipeline and "
      "print the events as JSON lines (docs/events.md)."};
  std::string capture_path;
  std::vector<std::string> sensor_specs;
  std::string save_capture;
  std::string exercise_name;
  std::string mode_name;
  std::string catalog_path;
  std::string fusion_mode = "production";
  double beta = -1.0;
  int axes = 9;
  double rate_hz = 0.0;
  bool nominal_timestamps = false;
  std::string orientation_csv;
  std::string orientation_sensor;
  std::string format = "json";
  bool round = false;
  double pace = 0.0;
  std::string athlete;
  bool manual_sets = false;
  double set_rest_s = -1.0;

  app.add_option("capture", capture_path, "Capture file (length-delimited ambi.v1 records)");
  app.add_option("--sensor", sensor_specs,
                 "PLACEMENT=FILE.csv (placement: left_wrist right_wrist left_ankle right_ankle); "
                 "CSV columns t_s,ax,ay,az,gx,gy,gz[,mx,my,mz] in m/s^2, rad/s, uT");
  app.add_option("--exercise", exercise_name, "Exercise name from the catalog (default: generic)");
  app.add_option("--mode", mode_name, "bilateral or unilateral (default: the exercise's)")
      ->check(CLI::IsMember({"bilateral", "unilateral"}));
  app.add_option(
      "--catalog", catalog_path,
      "Exercise catalog (TOML; default: $AMBI_CATALOG, the installed one, or the source tree's)");
  app.add_option("--fusion", fusion_mode, "production (default) or reference (published Madgwick)")
      ->check(CLI::IsMember({"production", "reference"}));
  app.add_option("--beta", beta,
                 "Madgwick gain (rad/s) of the selected --fusion (default: that algorithm's own; "
                 "production uses it after its startup ramp)")
      ->check(CLI::PositiveNumber);
  app.add_option("--axes", axes, "6 (ignore magnetometer) or 9 (use it when present)")
      ->check(CLI::IsMember({6, 9}));
  app.add_option("--save-capture", save_capture,
                 "CSV: also write the capture built from the CSV files to this file (new file)");
  app.add_option("--rate", rate_hz, "CSV: nominal sample rate in Hz (default: from timestamps)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--nominal-timestamps", nominal_timestamps,
               "CSV: re-stamp samples at k / rate (fixed dt, as the Madgwick reference vectors)");
  app.add_option("--orientation-csv", orientation_csv,
                 "Write the fused orientation of every sample: k,q_w,q_x,q_y,q_z");
  app.add_option("--orientation-sensor", orientation_sensor,
                 "Placement whose orientation --orientation-csv writes (default: the first)");
  app.add_option("--format", format, "json (default) or text")
      ->check(CLI::IsMember({"json", "text"}));
  app.add_flag("--round", round, "Round values as golden files do (0.1 deg, 1 ms)");
  app.add_option("--pace", pace, "Replay at this multiple of real time (0: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--athlete", athlete, "Athlete name put on every event");
  app.add_flag("--manual-sets", manual_sets,
               "Only sets started by set-control records (no automatic set detection)");
  app.add_option("--set-rest", set_rest_s,
                 "Automatic sets end after this many seconds without reps")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  if (capture_path.empty() == sensor_specs.empty()) {
    std::fprintf(stderr,
                 "ambi-replay: give either a CAPTURE file or --sensor PLACEMENT=FILE.csv "
                 "options (see --help)\n");
    return kUsageError;
  }

  // Exercise catalog.
  if (catalog_path.empty()) catalog_path = DefaultCatalogPath();
  config::CatalogLoadResult loaded = config::ExerciseCatalog::LoadFile(catalog_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "ambi-replay: %s\n", loaded.error.c_str());
    return kUsageError;
  }
  const config::ExerciseCatalog& catalog = *loaded.catalog;

  // The capture: read from a file, or built from CSV files so that CSV samples travel the same
  // byte path (kAmbiSample frames) as a device's.
  v1::CaptureHeader header;
  capture::CsvCaptureStream csv_stream;  // streamed: flat memory however long the files
  capture::CaptureReader reader;
  if (!capture_path.empty()) {
    if (capture::CaptureStatus status = reader.Open(capture_path, &header); !status.ok()) {
      std::fprintf(stderr, "ambi-replay: %s\n", status.message().c_str());
      return kDataError;
    }
  } else {
    std::vector<capture::CsvSensor> sensors;
    for (const std::string& spec : sensor_specs) {
      const auto equals = spec.find('=');
      const auto placement = equals == std::string::npos
                                 ? std::nullopt
                                 : fusion::ParsePlacement(std::string_view(spec).substr(0, equals));
      if (!placement) {
        std::fprintf(stderr,
                     "ambi-replay: --sensor '%s': expected PLACEMENT=FILE with PLACEMENT one of "
                     "left_wrist, right_wrist, left_ankle, right_ankle\n",
                     spec.c_str());
        return kUsageError;
      }
      const bool taken = std::any_of(sensors.begin(), sensors.end(), [&](const auto& other) {
        return other.placement == *placement;
      });
      if (taken) {
        // Two files for one placement would be merged into one side's stream.
        std::fprintf(stderr,
                     "ambi-replay: --sensor '%s': placement %s is given twice; one file per "
                     "placement\n",
                     spec.c_str(), std::string(fusion::ToString(*placement)).c_str());
        return kUsageError;
      }
      capture::CsvSensor sensor;
      sensor.placement = *placement;
      sensor.csv_path = spec.substr(equals + 1);
      sensor.nominal_rate_hz = rate_hz;
      sensors.push_back(sensor);
    }
    if (capture::CaptureStatus status = csv_stream.Open(sensors, &header); !status.ok()) {
      std::fprintf(stderr, "ambi-replay: %s\n", status.message().c_str());
      return kDataError;
    }
  }

  // Exercise and mode: the command line wins over the capture header.
  if (exercise_name.empty()) exercise_name = header.exercise();
  fusion::SessionParams base;
  if (!exercise_name.empty()) {
    const fusion::Exercise* exercise = catalog.Find(exercise_name);
    if (exercise == nullptr) {
      std::fprintf(stderr, "ambi-replay: --exercise: %s (catalog %s)\n",
                   catalog.UnknownNameError(exercise_name).c_str(), catalog_path.c_str());
      return kUsageError;
    }
    base.exercise = *exercise;
  } else if (!header.sensors().empty() && header.sensors(0).limb() == v1::LIMB_ANKLE) {
    base.exercise = fusion::GenericExercise(fusion::Limb::kAnkle);
  }
  if (!mode_name.empty()) {
    base.mode =
        mode_name == "bilateral" ? fusion::SetMode::kBilateral : fusion::SetMode::kUnilateral;
  } else if (auto mode = proto::FromProto(header.mode())) {
    base.mode = mode;
  }
  // --beta sets the gain of the selected algorithm (each has its own default).
  const bool reference = fusion_mode == "reference";
  base.orientation.algorithm = reference ? fusion::OrientationAlgorithm::kMadgwickReference
                                         : fusion::OrientationAlgorithm::kMadgwick;
  base.orientation.madgwick.use_magnetometer = axes == 9;
  base.orientation.reference.use_magnetometer = axes == 9;
  if (beta > 0.0) {
    (reference ? base.orientation.reference.gain_rad_s : base.orientation.madgwick.gain_rad_s) =
        beta;
  }
  base.automatic_sets = !manual_sets;
  base.clock.nominal_timestamps = nominal_timestamps;
  if (set_rest_s > 0.0) base.set_end_rest_s = set_rest_s;

  std::string error;
  auto params = SessionParamsFromHeader(header, base, &error);
  if (!params) {
    std::fprintf(stderr, "ambi-replay: %s: %s\n",
                 capture_path.empty() ? "CSV input" : capture_path.c_str(), error.c_str());
    return kDataError;
  }
  if (!exercise_name.empty() &&
      std::none_of(params->sensors.begin(), params->sensors.end(), [&](const auto& sensor) {
        return sensor.placement.limb == params->exercise.limb;
      })) {
    const std::string limb(fusion::ToString(params->exercise.limb));
    std::fprintf(stderr,
                 "ambi-replay: exercise '%s' is measured at the %ss, and the input has no %s "
                 "sensors\n",
                 exercise_name.c_str(), limb.c_str(), limb.c_str());
    return kUsageError;
  }

  PrintingSink sink(format == "text", round, athlete.empty() ? header.athlete() : athlete);
  fusion::SessionPipeline pipeline(*params, &sink);

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> orientation_file(nullptr, &std::fclose);
  std::optional<OrientationCsv> orientation_writer;
  if (!orientation_csv.empty()) {
    int sensor_index = 0;
    if (!orientation_sensor.empty()) {
      const auto placement = fusion::ParsePlacement(orientation_sensor);
      sensor_index = -1;
      for (int i = 0; placement && i < pipeline.sensor_count(); ++i) {
        if (pipeline.sensor(i).placement == *placement) sensor_index = i;
      }
      if (sensor_index < 0) {
        std::fprintf(stderr, "ambi-replay: --orientation-sensor '%s' is not one of the sensors\n",
                     orientation_sensor.c_str());
        return kUsageError;
      }
    }
    orientation_file.reset(std::fopen(orientation_csv.c_str(), "w"));
    if (!orientation_file) {
      std::fprintf(stderr, "ambi-replay: cannot write --orientation-csv %s: %s\n",
                   orientation_csv.c_str(), std::strerror(errno));
      return kUsageError;
    }
    orientation_writer.emplace(orientation_file.get(), sensor_index);
    pipeline.set_orientation_observer(&*orientation_writer);
  }

  CaptureFeeder feeder(header, &pipeline,
                       [&](const std::string& name) -> std::optional<fusion::Exercise> {
                         if (const fusion::Exercise* exercise = catalog.Find(name))
                           return *exercise;
                         return std::nullopt;
                       });

  // Pacing (demo): sleep until each record's arrival time, scaled.
  const auto wall_start = std::chrono::steady_clock::now();
  std::optional<std::int64_t> first_arrival_ns;
  auto pace_to = [&](const v1::CaptureRecord& record) {
    if (pace <= 0.0) return;
    if (!first_arrival_ns) first_arrival_ns = record.arrival_time_ns();
    const auto due =
        wall_start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                         static_cast<double>(record.arrival_time_ns() - *first_arrival_ns) / pace));
    std::this_thread::sleep_until(due);
  };

  long bad_records = 0;
  auto feed = [&](const v1::CaptureRecord& record) {
    pace_to(record);
    if (!feeder.Feed(record, &error)) {
      if (++bad_records <= 5)
        std::fprintf(stderr, "ambi-replay: skipped a record: %s\n", error.c_str());
    }
  };
  if (!capture_path.empty()) {
    v1::CaptureRecord record;
    while (reader.Next(&record)) feed(record);
    if (reader.end() != capture::CaptureEnd::kClean) {
      std::fprintf(
          stderr,
          "ambi-replay: %s: %s at byte %llu: %s (replayed the %llu whole records before it)\n",
          capture_path.c_str(), std::string(capture::ToString(reader.end())).c_str(),
          static_cast<unsigned long long>(reader.end_offset()), reader.end_detail().c_str(),
          static_cast<unsigned long long>(reader.records_read()));
    }
  } else {
    capture::CaptureWriter writer;
    if (!save_capture.empty()) {
      if (capture::CaptureStatus status = writer.Open(save_capture, header); !status.ok()) {
        std::fprintf(stderr, "ambi-replay: --save-capture: %s\n", status.message().c_str());
        return kUsageError;
      }
    }
    v1::CaptureRecord record;
    while (csv_stream.Next(&record)) {
      if (!save_capture.empty()) {
        if (capture::CaptureStatus status = writer.Append(record); !status.ok()) {
          std::fprintf(stderr, "ambi-replay: --save-capture: %s\n", status.message().c_str());
          return kDataError;
        }
      }
      feed(record);
    }
    if (!save_capture.empty()) {
      if (capture::CaptureStatus status = writer.Close(); !status.ok()) {
        std::fprintf(stderr, "ambi-replay: --save-capture: %s\n", status.message().c_str());
        return kDataError;
      }
    }
  }
  feeder.Finish();
  std::fflush(stdout);
  if (!csv_stream.status().ok()) {
    // A bad line stops the CSV input there; what came before it was replayed.
    std::fprintf(stderr, "ambi-replay: %s (replayed the samples before it)\n",
                 csv_stream.status().message().c_str());
    return kDataError;
  }
  return 0;
}

}  // namespace
}  // namespace ambi::replay

int main(int argc, char** argv) { return ambi::replay::Run(argc, argv); }
