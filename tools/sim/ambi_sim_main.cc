// ambi-sim: writes simulated paired-IMU sessions (CSV + ground truth, or WitMotion bytes).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "tools/sim/capture_export.h"
#include "tools/sim/session_writer.h"

namespace {

using ambi::fusion::Side;

int ListPresets() {
  for (const auto& p : ambi::sim::Presets()) {
    std::printf("%-22s %.*s\n", std::string(p.name).c_str(), static_cast<int>(p.description.size()),
                p.description.data());
  }
  return 0;
}

// WitMotion serial bytes of each sensor to '<dir>/<placement>.wit' (what a tty would deliver).
void WriteWitMotion(const ambi::sim::SessionSpec& spec, const std::string& dir) {
  const ambi::sim::SessionPlan plan = ambi::sim::PlanSession(spec);
  std::filesystem::create_directories(dir);
  for (Side side : {Side::kLeft, Side::kRight}) {
    ambi::fusion::WitMotionSerialEncodeOptions options;
    if (spec.with_mag) options.mag_uT_per_count = 0.15;  // the capture export's default scale
    ambi::sim::DeviceByteStream device(spec, plan, side, ambi::fusion::Protocol::kWitMotionSerial,
                                       options);
    const std::string path =
        dir + "/" + std::string(ambi::fusion::ToString(device.placement())) + ".wit";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open " + path + " for writing");
    std::vector<std::uint8_t> bytes;
    double true_time_s = 0.0;
    while (device.Next(&bytes, &true_time_s)) {
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
    }
    if (!out.flush()) throw std::runtime_error("write failed: " + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ambi-sim: physically consistent paired-IMU simulator"};
  std::string preset = "curl";
  std::string exercise;
  std::string format = "csv";
  std::string protocol = "witmotion-serial";
  double jitter_ms = 0.0;
  bool force = false;
  std::string out_dir;
  bool list = false;
  bool unilateral = false;
  double rate_hz = 0.0;
  int reps = -1;
  double rom_left = 0.0, rom_right = 0.0, right_rom_pct = 0.0;
  double lag_ms = 0.0;
  double fatigue_pct = -1.0;
  bool clean = false;
  bool mag = false;
  std::uint64_t seed = 0;
  bool handling = false;
  double walk_s = 0.0;
  double loss_bursts_per_s = -1.0;
  int sets = 0;
  double set_rest_s = -1.0;
  double follow_deg = 0.0;
  double follow_roll_frac = -1.0;
  double follow_lag_s = -1.0;
  std::string lunge;
  std::string step_up;
  app.add_flag("--handling", handling,
               "Bilateral: pick the weights up before the set and put them down after it");
  app.add_option("--walk-s", walk_s,
                 "Walk this long before the set (arm swing 45 deg at 0.9 Hz, anti-phase)");
  app.add_option("--loss-bursts-per-s", loss_bursts_per_s,
                 "BLE-like loss bursts of 1-10 samples (at most 200 ms) per second, both sides");
  app.add_option("--sets", sets, "Bilateral: number of sets, weights kept in hand between them");
  app.add_option("--set-rest-s", set_rest_s, "Rest between sets (s)");
  app.add_option("--follow-deg", follow_deg,
                 "Unilateral: the side with no reps rocks by up to this with each rep of the "
                 "other (from half of it)");
  app.add_option("--follow-roll-frac", follow_roll_frac,
                 "A following side's rock also rolls the limb about its long axis by up to this "
                 "fraction of it (0-1), so it is no hinge");
  app.add_option("--follow-lag-s", follow_lag_s,
                 "A following side's rock starts up to this long after the other side's rep");
  auto* lunge_option =
      app.add_option("--lunge", lunge,
                     "Squat: forward lunges, this leg stepping out and back around each rep "
                     "(its shank tilting 25 deg), the other's knee dropping (85 deg)")
          ->check(CLI::IsMember({"left", "right"}));
  app.add_option("--step-up", step_up,
                 "Squat: step-ups onto a 0.35 m box, this leg stepping up first (its shank "
                 "landing 20 deg forward), the other trailing it up and down; with "
                 "--unilateral, this leg's set, then the other leg's")
      ->check(CLI::IsMember({"left", "right"}))
      ->excludes(lunge_option);
  app.add_flag("--list-presets", list, "List the named scenarios and exit");
  app.add_option("--preset", preset, "Named scenario (see --list-presets)");
  app.add_option("--exercise", exercise,
                 "Start from this exercise's defaults instead of a preset: curl, lateral-raise, "
                 "knee-extension, squat, straight-leg-raise");
  app.add_option("--format", format,
                 "Output: csv (DIR: per-sensor CSV + ground_truth.json), capture (FILE: ambi "
                 "capture, ground truth in its header and FILE.truth.json) or witmotion (DIR: raw "
                 "serial bytes per sensor + ground_truth.json)");
  app.add_option("--protocol", protocol,
                 "capture: device protocol witmotion-serial, witmotion-ble or ambi-sample");
  app.add_option("--latency-jitter-ms", jitter_ms, "capture: transport latency jitter (ms)");
  double stalls_per_s = 0.0;
  app.add_option("--stalls-per-s", stalls_per_s,
                 "capture: delivery stalls per second on each port, 0.3-1.0 s each, everything "
                 "held back then arriving at once (a BLE link retransmitting, a starved host)");
  std::string athlete = "sim";
  app.add_option("--athlete", athlete, "capture: the athlete named in the header (default sim)");
  app.add_flag("--force", force, "capture: replace an existing file");
  app.add_option("--out", out_dir, "Output directory (csv, witmotion) or file (capture)");
  app.add_option("--rate-hz", rate_hz, "Sample rate (Hz)");
  app.add_option("--reps", reps, "Reps per side");
  app.add_option("--rom-left-deg", rom_left, "Left segment ROM (deg)");
  app.add_option("--rom-right-deg", rom_right, "Right segment ROM (deg)");
  app.add_option("--right-rom-pct", right_rom_pct,
                 "Right ROM change in percent of the left (e.g. -10)");
  app.add_option("--right-lag-ms", lag_ms, "Bilateral: right side starts later by this (ms)");
  app.add_option("--fatigue-pct-per-rep", fatigue_pct, "Concentric speed loss per rep, both sides");
  app.add_flag("--unilateral", unilateral, "Left set, then right set");
  app.add_flag("--clean", clean, "No noise, sway or jitter");
  app.add_flag("--mag", mag, "Include a magnetometer");
  double gyro_bias_deg_s = -1.0;
  app.add_option("--gyro-bias-deg-s", gyro_bias_deg_s,
                 "Each side's gyro bias this large (deg/s), in a direction drawn from the seed: an "
                 "uncalibrated or warmed-up sensor (the preset's is about 0.7 deg/s)")
      ->check(CLI::NonNegativeNumber);
  double noise_scale = 1.0;
  app.add_option("--noise-scale", noise_scale,
                 "Multiply the sensor noise (gyro, accelerometer, magnetometer) by this: a cheaper "
                 "or vibrating sensor")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", seed, "Random seed (0: the preset's)");
  CLI11_PARSE(app, argc, argv);

  if (list) return ListPresets();
  try {
    ambi::sim::SessionSpec spec;
    if (!exercise.empty()) {
      const auto kind = ambi::sim::ParseExerciseKind(exercise);
      if (!kind) {
        std::cerr << "ambi-sim: --exercise '" << exercise
                  << "' is unknown; allowed: curl, lateral-raise, knee-extension, squat, "
                     "straight-leg-raise\n";
        return 2;
      }
      spec = ambi::sim::DefaultSpec(*kind);
    } else {
      const auto p = ambi::sim::MakePreset(preset);
      if (!p) {
        std::cerr << "ambi-sim: --preset '" << preset << "' is unknown; see --list-presets\n";
        return 2;
      }
      spec = *p;
    }
    if (format != "csv" && format != "capture" && format != "witmotion") {
      std::cerr << "ambi-sim: --format '" << format
                << "' is unknown; allowed: csv, capture, witmotion\n";
      return 2;
    }
    ambi::sim::CaptureExportOptions capture_options;
    capture_options.athlete = athlete;
    if (protocol == "witmotion-serial") {
      capture_options.protocol = ambi::fusion::Protocol::kWitMotionSerial;
    } else if (protocol == "witmotion-ble") {
      capture_options.protocol = ambi::fusion::Protocol::kWitMotionBle;
    } else if (protocol == "ambi-sample") {
      capture_options.protocol = ambi::fusion::Protocol::kAmbiSample;
    } else {
      std::cerr << "ambi-sim: --protocol '" << protocol
                << "' is unknown; allowed: witmotion-serial, witmotion-ble, ambi-sample\n";
      return 2;
    }
    if (!(jitter_ms >= 0.0)) {
      std::cerr << "ambi-sim: --latency-jitter-ms " << jitter_ms << " must be >= 0\n";
      return 2;
    }
    capture_options.latency_jitter_s = jitter_ms / 1000.0;
    capture_options.stalls.per_s = stalls_per_s;
    capture_options.replace_existing = force;
    if (out_dir.empty()) {
      std::cerr << "ambi-sim: --out DIR is required\n";
      return 2;
    }
    if (rate_hz > 0.0) spec.rate_hz = rate_hz;
    if (reps >= 0) spec.left.rep_count = spec.right.rep_count = reps;
    if (rom_left > 0.0) spec.left.rom_deg = rom_left;
    if (rom_right > 0.0) spec.right.rom_deg = rom_right;
    if (right_rom_pct != 0.0)
      spec.right.rom_deg = spec.left.rom_deg * (1.0 + right_rom_pct / 100.0);
    if (lag_ms != 0.0) spec.right_lag_ms = lag_ms;
    if (fatigue_pct >= 0.0) {
      spec.left.fatigue_speed_loss_pct_per_rep = fatigue_pct;
      spec.right.fatigue_speed_loss_pct_per_rep = fatigue_pct;
    }
    if (unilateral) spec.mode = ambi::fusion::SetMode::kUnilateral;
    if (mag) spec.with_mag = true;
    if (seed != 0) spec.seed = seed;
    if (handling) spec.handling.enabled = true;
    if (walk_s > 0.0) spec.walk.duration_s = walk_s;
    if (loss_bursts_per_s >= 0.0) {
      spec.left.loss.bursts_per_s = spec.right.loss.bursts_per_s = loss_bursts_per_s;
    }
    if (!lunge.empty()) {
      const auto leading = lunge == "left" ? ambi::fusion::Side::kLeft : ambi::fusion::Side::kRight;
      spec.step.enabled = true;
      spec.step.leading = leading;
      if (rom_left == 0.0 && rom_right == 0.0) {
        spec.side(leading).rom_deg = 25.0;
        spec.side(ambi::fusion::OtherSide(leading)).rom_deg = 85.0;
      }
    }
    if (!step_up.empty()) {
      const auto leading =
          step_up == "left" ? ambi::fusion::Side::kLeft : ambi::fusion::Side::kRight;
      spec.step = ambi::sim::StepUpOntoBox(leading);
      spec.unilateral_first_side = leading;
      if (rom_left == 0.0 && rom_right == 0.0) {
        spec.side(leading).rom_deg = ambi::sim::kStepUpLandingTiltDeg;
        // Unilateral, each leg leads its own set and lands as tilted.
        if (unilateral) {
          spec.side(ambi::fusion::OtherSide(leading)).rom_deg = ambi::sim::kStepUpLandingTiltDeg;
        }
      }
    }
    if (sets > 0) spec.sets.set_count = sets;
    if (set_rest_s >= 0.0) spec.sets.rest_s = set_rest_s;
    for (auto* s : {&spec.left, &spec.right}) {
      if (s->rep_count != 0) continue;  // only a side with no reps of its own follows
      if (follow_deg > 0.0) {
        s->follow.min_deg = 0.5 * follow_deg;
        s->follow.max_deg = follow_deg;
      }
      if (follow_roll_frac >= 0.0) s->follow.roll_frac = follow_roll_frac;
      if (follow_lag_s >= 0.0) s->follow.lag_max_s = follow_lag_s;
    }
    std::mt19937 bias_direction(spec.seed);
    for (auto* s : {&spec.left, &spec.right}) {
      ambi::sim::ScaleNoise(s->noise, noise_scale);
      if (gyro_bias_deg_s >= 0.0) {
        std::normal_distribution<double> normal;
        const ambi::fusion::Vec3 draw{normal(bias_direction), normal(bias_direction),
                                      normal(bias_direction)};
        s->noise.gyro_bias_rad_s =
            ambi::sim::GyroBiasAlong(draw, gyro_bias_deg_s * std::numbers::pi / 180.0);
      }
    }
    if (clean) {
      for (auto* s : {&spec.left, &spec.right}) {
        s->noise = {};
        s->sway.amplitude_deg = 0.0;
        s->rom_jitter_pct = s->tempo_jitter_pct = 0.0;
      }
    }
    if (const std::string err = ambi::sim::Validate(spec); !err.empty()) {
      std::cerr << "ambi-sim: invalid settings: " << err << "\n";
      return 2;
    }
    const ambi::sim::SimulatedSession session = ambi::sim::Simulate(spec);
    if (format == "csv") {
      ambi::sim::WriteCsvSession(session, out_dir);
    } else if (format == "capture") {
      const auto status = ambi::sim::WriteSessionCapture(spec, capture_options, out_dir);
      if (!status.ok()) {
        std::cerr << "ambi-sim: " << status.message() << "\n";
        return 1;
      }
      std::ofstream truth(out_dir + ".truth.json");
      truth << ambi::sim::GroundTruthJson(session);
      if (!truth.flush()) throw std::runtime_error("write failed: " + out_dir + ".truth.json");
    } else {
      WriteWitMotion(spec, out_dir);
      std::ofstream truth(out_dir + "/ground_truth.json");
      truth << ambi::sim::GroundTruthJson(session);
    }
    std::fprintf(stderr, "ambi-sim: %s, %.1f s, %zu + %zu samples -> %s\n", spec.name.c_str(),
                 session.truth.duration_s, session.sensors[0].samples.size(),
                 session.sensors[1].samples.size(), out_dir.c_str());
  } catch (const std::exception& e) {
    std::cerr << "ambi-sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
