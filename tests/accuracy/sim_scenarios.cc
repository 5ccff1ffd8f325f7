#include "tests/accuracy/sim_scenarios.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <span>
#include <string_view>
#include <variant>

#include "daemon/sim/delivery_stalls.h"
#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "daemon/sim/prng.h"
#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::accuracy {
namespace {

using fusion::Side;

constexpr std::uint64_t kMountStream = 0x6d6f756e74;     // "mount"
constexpr std::uint64_t kLatencyStream = 0x6c6174;       // "lat"
constexpr std::uint64_t kBiasStream = 0x62696173;        // "bias"
constexpr std::uint64_t kStallStream = 0x7374616c6c;     // "stall"
constexpr std::uint64_t kDrawStream = 0x64726177;        // "draw"
constexpr std::uint64_t kStepDrawStream = 0x73746570;    // "step"
constexpr std::uint64_t kStepUpDrawStream = 0x73747570;  // "stup"
constexpr std::array<sim::ExerciseKind, 5> kEveryExercise = {
    sim::ExerciseKind::kCurl, sim::ExerciseKind::kLateralRaise, sim::ExerciseKind::kKneeExtension,
    sim::ExerciseKind::kSquat, sim::ExerciseKind::kStraightLegRaise};
constexpr std::array<Side, 2> kSides = {Side::kLeft, Side::kRight};

// Uniform over the rotations (Shoemake's subgroup algorithm): no mount is favoured.
fusion::Quaternion RandomUnitQuaternion(sim::Prng& rng) {
  const double u1 = rng.Uniform();
  const double u2 = rng.Uniform();
  const double u3 = rng.Uniform();
  const double a = std::sqrt(1.0 - u1);
  const double b = std::sqrt(u1);
  const double two_pi = 2.0 * std::numbers::pi;
  return {b * std::cos(two_pi * u3), a * std::sin(two_pi * u2), a * std::cos(two_pi * u2),
          b * std::sin(two_pi * u3)};
}

char SideLetter(std::optional<Side> side) {
  if (!side) return '-';
  return *side == Side::kLeft ? 'L' : 'R';
}

std::string Format(const char* format, auto... args) {
  std::array<char, 512> buffer{};
  std::snprintf(buffer.data(), buffer.size(), format, args...);
  return buffer.data();
}

// Collects what the scoring needs from the pipeline's events.
class CollectingSink : public fusion::EventSink {
 public:
  void OnEvent(const fusion::Event& event) override {
    if (const auto* rep = std::get_if<fusion::Rep>(&event)) {
      reps[rep->placement.side == Side::kLeft ? 0 : 1].push_back(*rep);
    } else if (const auto* summary = std::get_if<fusion::SetSummary>(&event)) {
      summaries.push_back(*summary);
    } else if (std::holds_alternative<fusion::RepPair>(event)) {
      ++pairs;
    } else if (std::holds_alternative<fusion::UnpairedRep>(event)) {
      ++unpaired;
    }
  }

  std::array<std::vector<fusion::Rep>, 2> reps;
  std::vector<fusion::SetSummary> summaries;
  int pairs = 0;
  int unpaired = 0;
};

double Overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

double Mean(const std::vector<fusion::Rep>& reps, double fusion::Rep::*field) {
  if (reps.empty()) return 0.0;
  double sum = 0.0;
  for (const fusion::Rep& r : reps) sum += r.*field;
  return sum / static_cast<double>(reps.size());
}

double MeanRom(const std::vector<fusion::Rep>& reps) { return Mean(reps, &fusion::Rep::rom_deg); }

std::string JoinCounts(const std::vector<int>& counts) {
  std::string text;
  for (int count : counts) text += (text.empty() ? "" : "+") + std::to_string(count);
  return text.empty() ? "0" : text;
}

double PercentDifference(double l, double r) {
  const double larger = std::max(std::abs(l), std::abs(r));
  return larger > 0.0 ? std::abs(l - r) / larger * 100.0 : 0.0;
}

}  // namespace

SideResult ScoreSide(const std::vector<fusion::Rep>& truth,
                     const std::vector<fusion::Rep>& detected,
                     const std::vector<sim::Dropout>& dropouts, double shift_s) {
  SideResult r;
  r.true_reps = static_cast<int>(truth.size());
  r.detected_reps = static_cast<int>(detected.size());
  r.true_mean_rom_deg = MeanRom(truth);
  r.detected_mean_rom_deg = MeanRom(detected);
  r.true_set_reps = sim::RepsPerSet(truth);
  r.detected_set_reps = sim::RepsPerSet(detected);
  std::vector<bool> taken(truth.size(), false);
  double rom_abs_sum = 0.0;
  double rom_sum = 0.0;
  double con_abs_sum = 0.0;
  double ecc_abs_sum = 0.0;
  for (const fusion::Rep& d : detected) {
    const double d0 = fusion::ToSeconds(d.start) - shift_s;
    const double d1 = fusion::ToSeconds(d.end) - shift_s;
    int best = -1;
    double best_fraction = 0.0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      const double t0 = fusion::ToSeconds(truth[i].start);
      const double t1 = fusion::ToSeconds(truth[i].end);
      const double shorter = std::max(1e-3, std::min(t1 - t0, d1 - d0));
      const double fraction = Overlap(d0, d1, t0, t1) / shorter;
      if (fraction > best_fraction) {
        best_fraction = fraction;
        best = static_cast<int>(i);
      }
    }
    // Half the shorter rep must overlap: a detected rep that straddles two true reps, or
    // covers a fraction of one, is not that rep.
    if (best < 0 || best_fraction < 0.5 || taken[best]) {
      ++r.extra_reps;
      continue;
    }
    taken[best] = true;
    ++r.matched_reps;
    const fusion::Rep& t = truth[best];
    const double rom_err = d.rom_deg - t.rom_deg;
    rom_sum += rom_err;
    rom_abs_sum += std::abs(rom_err);
    r.rom_err_max_abs_deg = std::max(r.rom_err_max_abs_deg, std::abs(rom_err));
    if (std::abs(rom_err) <= kRomAimDeg) ++r.rom_within_aim;
    const double con_err = std::abs(d.concentric_s - t.concentric_s);
    const double ecc_err = std::abs(d.eccentric_s - t.eccentric_s);
    con_abs_sum += con_err;
    ecc_abs_sum += ecc_err;
    r.concentric_err_max_abs_s = std::max(r.concentric_err_max_abs_s, con_err);
    r.eccentric_err_max_abs_s = std::max(r.eccentric_err_max_abs_s, ecc_err);
  }
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (taken[i]) continue;
    ++r.missed_reps;
    const double t0 = fusion::ToSeconds(truth[i].start);
    const double t1 = fusion::ToSeconds(truth[i].end);
    for (const sim::Dropout& drop : dropouts) {
      if (Overlap(t0, t1, drop.start_s, drop.end_s) > 0.0) {
        ++r.missed_in_dropouts;
        break;
      }
    }
  }
  if (r.matched_reps > 0) {
    const double n = r.matched_reps;
    r.rom_err_mean_abs_deg = rom_abs_sum / n;
    r.rom_err_mean_deg = rom_sum / n;
    r.concentric_err_mean_abs_s = con_abs_sum / n;
    r.eccentric_err_mean_abs_s = ecc_abs_sum / n;
  }
  return r;
}

namespace {

fusion::Exercise ExerciseOf(sim::ExerciseKind kind) {
  fusion::Exercise exercise = fusion::GenericExercise(sim::LimbOf(kind));
  exercise.name = std::string(sim::ToString(kind));
  exercise.display_name = exercise.name;
  exercise.first_phase = sim::FirstPhaseOf(kind);
  exercise.default_mode = fusion::SetMode::kBilateral;
  exercise.limb = sim::LimbOf(kind);
  exercise.other_side_rests = sim::OtherSideRestsIn(kind);
  return exercise;
}

}  // namespace

Scenario MakeScenario(const ScenarioOptions& o) {
  Scenario scenario;
  sim::SessionSpec& spec = scenario.spec;
  spec = sim::DefaultSpec(o.exercise);
  spec.seed = o.seed;
  spec.rate_hz = o.rate_hz;
  if (o.exercise == sim::ExerciseKind::kCurl) {
    spec.left.rom_deg = 140.0;
    spec.right.rom_deg = 140.0;
  }
  sim::Prng mount_rng(sim::DeriveSeed(o.seed, kMountStream));
  spec.left.mount_sensor_to_segment = RandomUnitQuaternion(mount_rng);
  spec.right.mount_sensor_to_segment = RandomUnitQuaternion(mount_rng);

  std::string name = std::string(sim::ToString(o.exercise));
  if (o.rom_asymmetry_pct > 0.0) {
    spec.side(o.weaker_side).rom_deg *= 1.0 - o.rom_asymmetry_pct / 100.0;
    name += Format(" asym%.0f%c", o.rom_asymmetry_pct, SideLetter(o.weaker_side));
  } else {
    name += " sym";
  }
  name += Format(" %.0fHz", o.rate_hz);
  if (o.dropouts) {
    // Inside the set on both sides, at different times and lengths.
    spec.left.dropouts = {{8.0, 8.5}};
    spec.right.dropouts = {{15.0, 16.5}};
    name += " dropouts";
  }
  if (o.clock_offset_drift) {
    spec.left.clock = {100.0, 200.0};
    spec.right.clock = {250.5, -150.0};
    scenario.protocol = fusion::Protocol::kAmbiSample;
    name += " clock+drift";
  }
  if (o.fatigue) {
    // Alike on both sides, so that a symmetric set stays symmetric in every metric.
    spec.left.fatigue_speed_loss_pct_per_rep = 3.0;
    spec.right.fatigue_speed_loss_pct_per_rep = 3.0;
    spec.left.fatigue_rom_loss_pct_per_rep = 0.5;
    spec.right.fatigue_rom_loss_pct_per_rep = 0.5;
    name += " fatigue";
  }
  if (o.clean) {
    for (Side side : kSides) {
      sim::SideSpec& s = spec.side(side);
      s.noise = {};
      s.sway.amplitude_deg = 0.0;
      s.rom_jitter_pct = 0.0;
      s.tempo_jitter_pct = 0.0;
    }
    name += " clean";
  }
  if (o.long_walk) {
    spec.walk.duration_s = 20.0;
    name += " longwalk";
  } else if (o.walk) {
    spec.walk.duration_s = 6.0;
    name += " walk";
  }
  if (o.handling) {
    spec.handling.enabled = true;
    name += " handling";
  }
  if (o.sets_in_hand) {
    spec.sets.set_count = 2;
    spec.sets.rest_s = 30.0;
    name += " 2sets";
  }
  if (o.loss_bursts) {
    for (Side side : kSides) spec.side(side).loss.bursts_per_s = 0.5;
    name += " loss";
  }
  if (o.heavy_loss) {
    for (Side side : kSides) {
      spec.side(side).loss.bursts_per_s = 2.5;
      spec.side(side).loss.max_samples = 5;
    }
    name += " heavyloss";
  }
  if (o.follower || o.follower_rocks) {
    spec.mode = fusion::SetMode::kUnilateral;
    spec.unilateral_first_side = Side::kRight;
    spec.left.rep_count = 0;
    spec.left.follow = {5.0, 12.0};
    name += " follower";
  }
  if (o.follower_rocks) {
    spec.left.follow = {10.0, 20.0, 0.6, 0.3};
    name += " rocks";
  }
  if (o.touch_and_go) {
    for (Side side : kSides) {
      spec.side(side).rest_between_s = 0.0;
      spec.side(side).pause_turnaround_s = 0.0;
    }
    name += " touchgo";
  }
  if (o.variable_rom) {
    for (Side side : kSides) spec.side(side).rom_jitter_pct = 15.0;
    name += " varrom";
  }
  if (o.failing) {
    spec.side(o.weaker_side).fatigue_rom_loss_pct_per_rep = 6.0;
    spec.side(o.weaker_side).fatigue_speed_loss_pct_per_rep = 5.0;
    name += " failing";
  }
  if (o.small_rom) {
    for (Side side : kSides) spec.side(side).rom_deg = 12.0;
    name += " small";
  }
  if (o.noisy_sensor || o.raw_gyro) {
    const double noise_scale = o.noisy_sensor ? 3.0 : 1.0;
    const double gyro_bias_rad_s = (o.noisy_sensor ? 3.0 : 9.0) * std::numbers::pi / 180.0;
    sim::Prng bias_rng(sim::DeriveSeed(o.seed, kBiasStream));
    for (Side side : kSides) {
      sim::NoiseSpec& noise = spec.side(side).noise;
      sim::ScaleNoise(noise, noise_scale);
      const fusion::Vec3 draw{bias_rng.Gaussian(), bias_rng.Gaussian(), bias_rng.Gaussian()};
      noise.gyro_bias_rad_s = sim::GyroBiasAlong(draw, gyro_bias_rad_s);
    }
    name += o.noisy_sensor ? " noisy" : " rawgyro";
  }
  if (o.stalls) {
    scenario.stalls_per_s = 1.0 / 8.0;
    name += " stall";
  }
  if (o.lunge_leading) {
    const Side leading = *o.lunge_leading;
    spec.step.enabled = true;
    spec.step.leading = leading;
    spec.side(leading).rom_deg = 25.0;
    spec.side(fusion::OtherSide(leading)).rom_deg = 85.0;
    name += Format(" lunge%c", SideLetter(leading));
  }
  if (o.step_up_leading) {
    const Side leading = *o.step_up_leading;
    // As the catalog runs it: a unilateral set led by one leg, then the other leg's set.
    spec.step = sim::StepUpOntoBox(leading);
    spec.mode = fusion::SetMode::kUnilateral;
    spec.unilateral_first_side = leading;
    spec.rest_between_sets_s = 10.0;
    for (Side side : kSides) spec.side(side).rom_deg = sim::kStepUpLandingTiltDeg;
    name += Format(" stepup%c", SideLetter(leading));
    if (o.step_up_slower) {
      spec.side(*o.step_up_slower).concentric_s *= kSlowerRiseFactor;
      name += Format(" slow%c", SideLetter(*o.step_up_slower));
    }
  }
  name += scenario.protocol == fusion::Protocol::kAmbiSample ? " ambi" : " serial";
  name += Format(" s%llu", static_cast<unsigned long long>(o.seed));
  spec.name = name;
  scenario.name = name;
  return scenario;
}

Scenario OverDeviceTime(Scenario scenario) {
  if (scenario.protocol == fusion::Protocol::kAmbiSample) return scenario;
  scenario.protocol = fusion::Protocol::kAmbiSample;
  constexpr std::string_view kSerial = " serial ";
  if (const std::size_t at = scenario.name.find(kSerial); at != std::string::npos) {
    scenario.name.replace(at, kSerial.size(), " ambi ");
  }
  scenario.spec.name = scenario.name;
  return scenario;
}

std::vector<Scenario> StandardGrid(std::uint64_t seed) {
  std::vector<Scenario> grid;
  std::uint64_t n = 0;
  // Each scenario its own seed (mounts, noise, jitter), reproducible from 'seed'.
  auto add = [&](ScenarioOptions o) {
    o.seed = seed * 1000 + (++n);
    grid.push_back(MakeScenario(o));
  };
  for (sim::ExerciseKind exercise : kEveryExercise) {
    ScenarioOptions base;
    base.exercise = exercise;
    add(base);
    for (double pct : {10.0, 20.0}) {
      for (Side weaker : kSides) {
        ScenarioOptions o = base;
        o.rom_asymmetry_pct = pct;
        o.weaker_side = weaker;
        add(o);
      }
    }
    for (double rate_hz : {25.0, 50.0, 200.0}) {
      ScenarioOptions o = base;
      o.rate_hz = rate_hz;
      add(o);
      o.rom_asymmetry_pct = 10.0;
      o.weaker_side = rate_hz == 50.0 ? Side::kLeft : Side::kRight;
      add(o);
    }
    {
      ScenarioOptions o = base;
      o.dropouts = true;
      add(o);
      o.rom_asymmetry_pct = 10.0;
      add(o);
    }
    {
      ScenarioOptions o = base;
      o.clock_offset_drift = true;
      add(o);
      o.rom_asymmetry_pct = 10.0;
      o.weaker_side = Side::kLeft;
      add(o);
    }
    {
      ScenarioOptions o = base;
      o.fatigue = true;
      add(o);
      o.rom_asymmetry_pct = 10.0;
      add(o);
    }
    {
      ScenarioOptions o = base;
      o.clean = true;
      add(o);
    }
  }
  return grid;
}

std::vector<Scenario> SituationGrid(std::uint64_t seed) {
  std::vector<Scenario> grid;
  std::uint64_t n = 500;  // seeds apart from StandardGrid's
  auto add = [&](ScenarioOptions o) {
    o.seed = seed * 1000 + (++n);
    grid.push_back(MakeScenario(o));
  };
  auto add_on_every_exercise = [&](ScenarioOptions o) {
    for (sim::ExerciseKind exercise : kEveryExercise) {
      o.exercise = exercise;
      add(o);
    }
  };
  for (bool ScenarioOptions::*situation : {&ScenarioOptions::handling, &ScenarioOptions::walk}) {
    for (sim::ExerciseKind exercise :
         {sim::ExerciseKind::kCurl, sim::ExerciseKind::kLateralRaise}) {
      ScenarioOptions o;
      o.exercise = exercise;
      o.*situation = true;
      add(o);
    }
    ScenarioOptions o;
    o.*situation = true;
    o.rom_asymmetry_pct = 10.0;
    add(o);
  }
  for (sim::ExerciseKind exercise : {sim::ExerciseKind::kCurl, sim::ExerciseKind::kLateralRaise,
                                     sim::ExerciseKind::kKneeExtension, sim::ExerciseKind::kSquat,
                                     sim::ExerciseKind::kStraightLegRaise}) {
    for (double rate_hz : {25.0, 50.0, 200.0}) {
      ScenarioOptions o;
      o.exercise = exercise;
      o.rate_hz = rate_hz;
      o.loss_bursts = true;
      add(o);
    }
  }
  for (sim::ExerciseKind exercise :
       {sim::ExerciseKind::kKneeExtension, sim::ExerciseKind::kStraightLegRaise}) {
    ScenarioOptions o;
    o.exercise = exercise;
    o.follower = true;
    add(o);
  }
  for (sim::ExerciseKind exercise : {sim::ExerciseKind::kCurl, sim::ExerciseKind::kLateralRaise}) {
    ScenarioOptions o;
    o.exercise = exercise;
    o.sets_in_hand = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.rate_hz = 50.0;
    o.walk = o.handling = o.sets_in_hand = o.loss_bursts = true;
    Scenario gym = MakeScenario((o.seed = seed * 1000 + (++n), o));
    gym.name += " gym";
    gym.spec.name = gym.name;
    grid.push_back(gym);
  }
  // Added after the others, so that their seeds stay as they were.
  for (sim::ExerciseKind exercise :
       {sim::ExerciseKind::kKneeExtension, sim::ExerciseKind::kStraightLegRaise}) {
    ScenarioOptions o;
    o.exercise = exercise;
    o.follower_rocks = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.rate_hz = 200.0;
    o.heavy_loss = true;
    add(o);
  }
  for (bool ScenarioOptions::*variation :
       {&ScenarioOptions::touch_and_go, &ScenarioOptions::variable_rom, &ScenarioOptions::failing,
        &ScenarioOptions::small_rom}) {
    ScenarioOptions o;
    o.*variation = true;
    add_on_every_exercise(o);
  }
  for (sim::ExerciseKind exercise : {sim::ExerciseKind::kCurl, sim::ExerciseKind::kLateralRaise}) {
    ScenarioOptions o;
    o.exercise = exercise;
    o.long_walk = true;
    add(o);
  }
  // A noisy, uncalibrated sensor: alone on every exercise, with a limb that follows (a long
  // unilateral set during which the other side's bias must be learned at its rests), and with
  // handling and loss bursts at 50 Hz.
  {
    ScenarioOptions o;
    o.noisy_sensor = true;
    add_on_every_exercise(o);
  }
  for (sim::ExerciseKind exercise :
       {sim::ExerciseKind::kKneeExtension, sim::ExerciseKind::kStraightLegRaise}) {
    ScenarioOptions o;
    o.exercise = exercise;
    o.noisy_sensor = o.follower = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.rate_hz = 50.0;
    o.noisy_sensor = o.handling = o.loss_bursts = true;
    add(o);
  }
  // A raw gyro with a large zero-rate offset: alone on every exercise, after a walk with
  // handling, with sets in hand, and with a limb that follows.
  {
    ScenarioOptions o;
    o.raw_gyro = true;
    add_on_every_exercise(o);
  }
  {
    ScenarioOptions o;
    o.raw_gyro = o.walk = o.handling = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.raw_gyro = o.sets_in_hand = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.exercise = sim::ExerciseKind::kKneeExtension;
    o.raw_gyro = o.follower = true;
    add(o);
  }
  {
    ScenarioOptions o;
    o.rate_hz = 50.0;
    o.stalls = true;
    add_on_every_exercise(o);
  }
  // Stalls with loss bursts (a link that retransmits some and drops others): where in a stall
  // its losses were, nothing says.
  for (double rate_hz : {25.0, 50.0, 100.0}) {
    ScenarioOptions o;
    o.rate_hz = rate_hz;
    o.stalls = o.loss_bursts = true;
    add_on_every_exercise(o);
  }
  return grid;
}

namespace {

// How a drawn set is done: the same on both sides.
struct DrawnSet {
  int reps = 0;
  double concentric_s = 0.0;
  double eccentric_s = 0.0;
  double pause_s = 0.0;  // at the turnaround
  double rest_s = 0.0;   // between reps
};

void ApplyDrawnSet(const DrawnSet& set, sim::SideSpec& side) {
  side.rep_count = set.reps;
  side.concentric_s = set.concentric_s;
  side.eccentric_s = set.eccentric_s;
  side.pause_turnaround_s = set.pause_s;
  side.rest_between_s = set.rest_s;
}

double Between(sim::Prng& rng, double low, double high) {
  return low + (high - low) * rng.Uniform();
}

// One stepping exercise of StepGrid: either leg leading at 25, 50 and 100 Hz, then
// 'drawn_per_side' more per leg at a drawn rate, with or without a lossy link, whose step and
// set 'draw' draws from its own stream (so that one kind's draws leave the other's as they were).
struct SteppingKind {
  std::uint64_t fixed_seeds_from = 0;  // scenario seeds: seed * 1000 + these + a count
  std::uint64_t drawn_seeds_from = 0;
  std::uint64_t draw_stream = 0;
  int drawn_per_side = 0;
  void (*lead)(ScenarioOptions& options, Side leading) = nullptr;
  // Draws the step and the set (both sides) into 'spec'; returns the reps per side.
  int (*draw)(sim::SessionSpec& spec, Side leading, bool lossy, sim::Prng& rng) = nullptr;
};

void AddStepping(std::uint64_t seed, const SteppingKind& kind, std::vector<Scenario>& grid) {
  std::uint64_t n = 0;
  for (Side leading : kSides) {
    for (double rate_hz : {25.0, 50.0, 100.0}) {
      ScenarioOptions o;
      o.seed = seed * 1000 + kind.fixed_seeds_from + (++n);
      o.exercise = sim::ExerciseKind::kSquat;
      o.rate_hz = rate_hz;
      kind.lead(o, leading);
      grid.push_back(MakeScenario(o));
    }
  }
  sim::Prng rng(sim::DeriveSeed(seed, kind.draw_stream));
  constexpr std::array<double, 4> kRatesHz = {25.0, 50.0, 100.0, 200.0};
  for (Side leading : kSides) {
    for (int i = 0; i < kind.drawn_per_side; ++i) {
      ScenarioOptions o;
      o.seed = seed * 1000 + kind.drawn_seeds_from + (++n);
      o.exercise = sim::ExerciseKind::kSquat;
      o.rate_hz = kRatesHz[static_cast<std::size_t>(rng.Uniform() * kRatesHz.size())];
      kind.lead(o, leading);
      o.loss_bursts = rng.Uniform() < 0.5;
      Scenario scenario = MakeScenario(o);
      const int reps = kind.draw(scenario.spec, leading, o.loss_bursts, rng);
      scenario.name += Format(" drawn%d x%d", i, reps);
      scenario.spec.name = scenario.name;
      grid.push_back(std::move(scenario));
    }
  }
}

// The set and each side's loss bursts of a drawn stepping session; 'range' draws a side's range.
template <typename Range>
int DrawSet(sim::SessionSpec& spec, const DrawnSet& set, bool lossy, sim::Prng& rng, Range range) {
  for (Side side : kSides) {
    sim::SideSpec& s = spec.side(side);
    ApplyDrawnSet(set, s);
    range(side, s);
    if (lossy) s.loss.bursts_per_s = Between(rng, 0.2, 1.0);
  }
  return set.reps;
}

// Lunges as athletes take them: the step, the stance and the tempo drawn from realistic ranges.
int DrawLunge(sim::SessionSpec& spec, Side leading, bool lossy, sim::Prng& rng) {
  sim::StepSpec& step = spec.step;
  step.length_m = Between(rng, 0.5, 1.0);
  step.lift_m = Between(rng, 0.05, 0.12);
  step.swing_s = Between(rng, 0.45, 0.9);
  step.swing_knee_deg = Between(rng, 20.0, 50.0);
  step.reach_deg = Between(rng, 8.0, 25.0);
  step.reach_settle_s = Between(rng, 0.3, 0.7);
  const DrawnSet set{5 + static_cast<int>(rng.Uniform() * 6.0), Between(rng, 0.7, 1.4),
                     Between(rng, 1.0, 2.2), Between(rng, 0.0, 0.5), Between(rng, 1.0, 3.0)};
  return DrawSet(spec, set, lossy, rng, [&](Side side, sim::SideSpec& s) {
    s.rom_deg = side == leading ? Between(rng, 18.0, 35.0) : Between(rng, 60.0, 95.0);
  });
}

// Step-ups: the box, the step, the swing, the landing tilt (both legs alike), the tempo, and the
// rest between the two legs' sets (switching at once, or after a full rest).
int DrawStepUp(sim::SessionSpec& spec, Side /*leading*/, bool lossy, sim::Prng& rng) {
  sim::StepSpec& step = spec.step;
  step.box_m = Between(rng, 0.2, 0.5);
  step.length_m = Between(rng, 0.2, 0.4);
  step.swing_s = Between(rng, 0.5, 1.0);
  step.swing_knee_deg = Between(rng, 30.0, 70.0);
  const DrawnSet set{5 + static_cast<int>(rng.Uniform() * 6.0), Between(rng, 0.8, 1.6),
                     Between(rng, 1.0, 2.2), Between(rng, 0.0, 0.8), Between(rng, 1.0, 3.0)};
  const double landing_tilt_deg = Between(rng, 10.0, 30.0);
  spec.rest_between_sets_s = Between(rng, 4.0, 60.0);
  return DrawSet(spec, set, lossy, rng,
                 [&](Side, sim::SideSpec& s) { s.rom_deg = landing_tilt_deg; });
}

}  // namespace

std::vector<Scenario> StepGrid(std::uint64_t seed) {
  std::vector<Scenario> grid;
  AddStepping(seed,
              {.fixed_seeds_from = 800,
               .drawn_seeds_from = 850,
               .draw_stream = kStepDrawStream,
               .drawn_per_side = kDrawnLungesPerSide,
               .lead = [](ScenarioOptions& o, Side leading) { o.lunge_leading = leading; },
               .draw = DrawLunge},
              grid);
  AddStepping(seed,
              {.fixed_seeds_from = 700,
               .drawn_seeds_from = 750,
               .draw_stream = kStepUpDrawStream,
               .drawn_per_side = kDrawnStepUpsPerSide,
               .lead = [](ScenarioOptions& o, Side leading) { o.step_up_leading = leading; },
               .draw = DrawStepUp},
              grid);
  // Step-ups whose weaker leg rises slower: the comparison of the two sets must find it.
  std::uint64_t n = 0;
  for (Side slower : kSides) {
    ScenarioOptions o;
    o.seed = seed * 1000 + 790 + (++n);
    o.exercise = sim::ExerciseKind::kSquat;
    o.rate_hz = 50.0;
    o.step_up_leading = Side::kLeft;
    o.step_up_slower = slower;
    grid.push_back(MakeScenario(o));
  }
  return grid;
}

std::vector<Scenario> DrawnGrid(std::uint64_t seed, int count) {
  std::vector<Scenario> grid;
  sim::Prng rng(sim::DeriveSeed(seed, kDrawStream));
  auto between = [&](double low, double high) { return low + (high - low) * rng.Uniform(); };
  auto chance = [&](double p) { return rng.Uniform() < p; };
  constexpr std::array<double, 4> kRatesHz = {25.0, 50.0, 100.0, 200.0};
  for (int i = 0; i < count; ++i) {
    ScenarioOptions o;
    o.seed = seed * 1000 + 900 + static_cast<std::uint64_t>(i);
    // Handling and walking are arm situations (the weights are in the hands); loss, sets in
    // hand and how the reps are done apply to every exercise.
    const bool arms = chance(0.6);
    o.exercise = arms ? (chance(0.6) ? sim::ExerciseKind::kCurl : sim::ExerciseKind::kLateralRaise)
                      : kEveryExercise[2 + static_cast<std::size_t>(rng.Uniform() * 3.0)];
    o.rate_hz = kRatesHz[static_cast<std::size_t>(rng.Uniform() * kRatesHz.size())];
    o.handling = arms && chance(0.6);
    o.walk = arms && chance(0.5);
    o.loss_bursts = chance(0.5);
    o.sets_in_hand = chance(0.25);
    if (chance(0.5)) {
      o.rom_asymmetry_pct = between(5.0, 25.0);
      o.weaker_side = chance(0.5) ? Side::kLeft : Side::kRight;
    }
    Scenario scenario = MakeScenario(o);
    sim::SessionSpec& spec = scenario.spec;
    // The athlete's own set: reps, range and tempo drawn around the exercise's preset.
    const int reps = 6 + static_cast<int>(rng.Uniform() * 7.0);
    const double rom_scale = between(0.75, 1.15);
    const DrawnSet set{reps, between(0.6, 1.6), between(0.8, 2.4), between(0.0, 0.6),
                       between(0.2, 1.5)};
    for (Side side : kSides) {
      sim::SideSpec& s = spec.side(side);
      ApplyDrawnSet(set, s);
      s.rom_deg = std::min(s.rom_deg * rom_scale, 150.0);
      s.rom_jitter_pct = between(0.0, 8.0);
      s.tempo_jitter_pct = between(0.0, 10.0);
      if (o.loss_bursts) s.loss.bursts_per_s = between(0.2, 1.5);
    }
    if (o.handling) {
      sim::HandlingSpec& h = spec.handling;
      h.angle_deg = between(30.0, 55.0);
      h.reach_s = between(0.6, 1.5);
      h.grip_s = between(0.2, 1.0);
      h.lift_s = between(1.2, 3.0);
      h.settle_s = between(0.5, 2.0);
    }
    if (o.walk) {
      sim::WalkSpec& w = spec.walk;
      w.duration_s = between(4.0, 15.0);
      w.swing_deg = between(30.0, 55.0);
      w.frequency_hz = between(0.75, 1.1);
      w.bounce_m = between(0.015, 0.035);
      w.stand_s = between(0.8, 3.0);
    }
    if (o.sets_in_hand) {
      spec.sets.rest_s = between(15.0, 60.0);
      // The weights sway in the hands; a leg between sets only shifts with the body (standing)
      // or rests (seated, lying): the simulator's fidgeting turns the segment about the body's
      // medio-lateral axis either way.
      spec.sets.fidget_deg = arms ? between(1.0, 5.0) : between(0.5, 2.0);
      spec.sets.fidget_hz = between(0.15, 0.4);
    }
    scenario.name += Format(" drawn%d x%d", i, reps);
    spec.name = scenario.name;
    grid.push_back(std::move(scenario));
  }
  return grid;
}

double ScenarioResult::AsymmetryErrorPp() const {
  // A side that does no rep is reported as not working, never as a 100 % gap: the whole error
  // when it is not.
  if (still_side) return not_working_side == still_side ? 0.0 : 100.0;
  return std::abs(measured_rom_pd_pct - true_rom_pd_pct);
}

bool ScenarioResult::VerdictCorrect() const {
  // Two sides' sets to compare: the two sets must be told apart (no more, no fewer), compared,
  // and each named its working side.
  if (expects_comparison && !(set_summaries == 2 && compared && working_sides_right)) return false;
  if (true_slower_side) {
    const fusion::MetricComparison& up = metrics[static_cast<int>(fusion::Metric::kConcentricTime)];
    return up.significant && up.weaker_side == true_slower_side && !rom_significant;
  }
  if (asymmetric) return rom_significant && measured_rom_weaker_side == true_weaker_side;
  // A significant but green gap is cued as normal, and the simulator's per-rep tempo jitter
  // makes real (small) tempo differences: only a ROM verdict or a non-green flag is wrong.
  return !rom_significant && !flagged;
}

ScenarioResult RunScenario(const Scenario& scenario) {
  const sim::SessionSpec& spec = scenario.spec;
  const sim::SessionPlan plan = sim::PlanSession(spec);

  fusion::SessionParams params;
  params.exercise = ExerciseOf(spec.exercise);
  if (spec.step.step_up()) {
    // A step-up is the catalog's own exercise (data/exercises.toml, ShippedCatalogTest): it
    // climbs, its stance begins with the rise, and its set is the leg whose way up is longer.
    params.exercise.name = "step_up";
    params.exercise.climbs = true;
    params.exercise.first_phase = fusion::Phase::kConcentric;
    params.exercise.default_mode = fusion::SetMode::kUnilateral;
    params.exercise.working_side = fusion::WorkingSideRule::kLongerWayUp;
  }
  params.mode = spec.mode;
  for (Side side : kSides) {
    fusion::SensorConfig sensor;
    sensor.placement = plan.truth.side(side).placement;
    sensor.protocol = scenario.protocol;
    sensor.nominal_rate_hz = spec.rate_hz;
    params.sensors.push_back(sensor);
  }
  CollectingSink sink;
  fusion::SessionPipeline pipeline(params, &sink);

  // Both devices' bytes, merged in arrival order as one host would receive them.
  std::array<sim::DeviceByteStream, 2> devices = {
      sim::DeviceByteStream(spec, plan, Side::kLeft, scenario.protocol),
      sim::DeviceByteStream(spec, plan, Side::kRight, scenario.protocol)};
  std::array<std::vector<std::uint8_t>, 2> pending;
  std::array<bool, 2> has = {false, false};
  std::array<double, 2> arrival_s = {0.0, 0.0};
  sim::Prng latency_rng(sim::DeriveSeed(spec.seed, kLatencyStream));
  // Each port's own stalls (the two sensors' links stall apart).
  const sim::DeliveryStallSpec stall_spec{.per_s = scenario.stalls_per_s};
  std::array<sim::DeliveryStalls, 2> stalls = {
      sim::DeliveryStalls(stall_spec, sim::DeriveSeed(spec.seed, kStallStream)),
      sim::DeliveryStalls(stall_spec, sim::DeriveSeed(spec.seed, kStallStream + 1))};
  auto pull = [&](int i) {
    double true_time_s = 0.0;
    has[i] = devices[i].Next(&pending[i], &true_time_s);
    if (!has[i]) return;
    const double t =
        stalls[i].Deliver(true_time_s + scenario.latency_s +
                          scenario.latency_jitter_s * std::abs(latency_rng.Gaussian()));
    arrival_s[i] = std::max(t, arrival_s[i]);  // a port delivers in order
  };
  pull(0);
  pull(1);
  double last_arrival_s = 0.0;
  while (has[0] || has[1]) {
    const int i = !has[1] || (has[0] && arrival_s[0] <= arrival_s[1]) ? 0 : 1;
    last_arrival_s = std::max(last_arrival_s, arrival_s[i]);
    pipeline.OnBytes(i, fusion::TimeFromSeconds(arrival_s[i]),
                     std::span<const std::uint8_t>(pending[i]));
    pull(i);
  }
  pipeline.Flush(fusion::TimeFromSeconds(last_arrival_s));

  ScenarioResult result;
  result.name = scenario.name;
  for (Side side : kSides) {
    const int k = side == Side::kLeft ? 0 : 1;
    SideResult scored = ScoreSide(plan.truth.side(side).reps, sink.reps[k],
                                  spec.side(side).dropouts, scenario.latency_s);
    (side == Side::kLeft ? result.left : result.right) = scored;
  }
  // What the summary compares: each side's reps, or in a unilateral session each side's reps
  // in its own set (a step-up's trailing leg also trips in the other leg's set). A bilateral
  // session of several sets is read from its first set's summary: the first set's reps.
  std::array<std::vector<fusion::Rep>, 2> compared = {sim::OwnSetReps(plan.truth, Side::kLeft),
                                                      sim::OwnSetReps(plan.truth, Side::kRight)};
  if (plan.truth.mode == fusion::SetMode::kBilateral) {
    for (std::vector<fusion::Rep>& reps : compared) {
      std::erase_if(reps, [](const fusion::Rep& rep) { return rep.set_index > 1; });
    }
  }
  constexpr std::array<double fusion::Rep::*, fusion::kMetricCount> kFields = {
      &fusion::Rep::rom_deg, &fusion::Rep::concentric_s, &fusion::Rep::eccentric_s,
      &fusion::Rep::peak_concentric_speed_deg_s};
  for (fusion::Metric metric : fusion::kAllMetrics) {
    const auto field = kFields[static_cast<int>(metric)];
    result.true_pd_pct[static_cast<int>(metric)] =
        PercentDifference(Mean(compared[0], field), Mean(compared[1], field));
  }
  result.true_rom_pd_pct = result.true_pd_pct[static_cast<int>(fusion::Metric::kRom)];
  result.expects_comparison =
      spec.mode == fusion::SetMode::kUnilateral && !compared[0].empty() && !compared[1].empty();
  // A side made weaker by construction: a smaller commanded range, or a range that falls rep
  // by rep (failing). Per-rep jitter alone leaves the set symmetric by construction.
  const double left_loss = spec.left.fatigue_rom_loss_pct_per_rep;
  const double right_loss = spec.right.fatigue_rom_loss_pct_per_rep;
  if (spec.left.rom_deg != spec.right.rom_deg) {
    result.asymmetric = true;
    result.true_weaker_side = spec.left.rom_deg < spec.right.rom_deg ? Side::kLeft : Side::kRight;
  } else if (left_loss != right_loss) {
    result.asymmetric = true;
    result.true_weaker_side = left_loss > right_loss ? Side::kLeft : Side::kRight;
  }
  if (spec.step.step_up() && spec.left.concentric_s != spec.right.concentric_s) {
    result.true_slower_side =
        spec.left.concentric_s > spec.right.concentric_s ? Side::kLeft : Side::kRight;
  }
  for (Side side : kSides) {
    if (plan.truth.side(side).reps.empty() &&
        !plan.truth.side(fusion::OtherSide(side)).reps.empty()) {
      result.still_side = side;
    }
  }
  result.set_summaries = static_cast<int>(sink.summaries.size());
  // A unilateral session's comparison is in the summary of the set that completes the pair.
  const auto comparing = std::find_if(
      sink.summaries.begin(), sink.summaries.end(),
      [](const fusion::SetSummary& summary) { return summary.compared_with_set_index > 0; });
  if (comparing != sink.summaries.end()) {
    result.compared = true;
    const int first_set = comparing->compared_with_set_index;
    const auto first = std::find_if(
        sink.summaries.begin(), sink.summaries.end(),
        [&](const fusion::SetSummary& summary) { return summary.set_index == first_set; });
    result.working_sides_right =
        first != sink.summaries.end() && first->working_side == spec.unilateral_first_side &&
        comparing->working_side == fusion::OtherSide(spec.unilateral_first_side);
  }
  if (!sink.summaries.empty()) {
    const fusion::SetSummary& summary =
        comparing != sink.summaries.end() ? *comparing : sink.summaries.front();
    const fusion::MetricComparison& rom = summary.metrics[static_cast<int>(fusion::Metric::kRom)];
    result.measured_rom_pd_pct = rom.percent_difference;
    result.measured_rom_weaker_side = rom.weaker_side;
    result.rom_significant = rom.significant;
    result.summary_significant = summary.significant;
    result.summary_weaker_side = summary.weaker_side;
    result.not_working_side = summary.not_working_side;
    result.metrics = summary.metrics;
    for (const fusion::MetricComparison& m : summary.metrics) {
      if (m.significant && (m.band == fusion::Band::kAmber || m.band == fusion::Band::kRed)) {
        result.flagged = true;
      }
    }
  }
  result.rep_pairs = sink.pairs;
  result.unpaired_reps = sink.unpaired;
  return result;
}

void PrintScenario(const ScenarioResult& result, std::ostream& out) {
  out << "== " << result.name << "\n";
  out << "  side   reps true/det/match/miss(drop)/extra   ROM err mean|max|bias deg"
         "   conc err mean|max s   ecc err mean|max s\n";
  for (Side side : kSides) {
    const SideResult& s = result.side(side);
    out << Format(
        "  %-5s  %4d/%3d/%3d/%3d(%d)/%d %14s %5.2f|%5.2f|%+5.2f %13s %5.3f|%5.3f %10s"
        " %5.3f|%5.3f\n",
        side == Side::kLeft ? "left" : "right", s.true_reps, s.detected_reps, s.matched_reps,
        s.missed_reps, s.missed_in_dropouts, s.extra_reps, "", s.rom_err_mean_abs_deg,
        s.rom_err_max_abs_deg, s.rom_err_mean_deg, "", s.concentric_err_mean_abs_s,
        s.concentric_err_max_abs_s, "", s.eccentric_err_mean_abs_s, s.eccentric_err_max_abs_s);
  }
  out << Format(
      "  ROM asym: true %5.1f %% (%c weaker)  measured %5.1f %% (%c weaker)  err %4.1f pp"
      "  rom sig %-3s  summary sig %-3s weaker %c  sets %d pairs %d unpaired %d  %s\n",
      result.true_rom_pd_pct, SideLetter(result.true_weaker_side), result.measured_rom_pd_pct,
      SideLetter(result.measured_rom_weaker_side), result.AsymmetryErrorPp(),
      result.rom_significant ? "yes" : "no", result.summary_significant ? "yes" : "no",
      SideLetter(result.summary_weaker_side), result.set_summaries, result.rep_pairs,
      result.unpaired_reps, result.VerdictCorrect() ? "verdict ok" : "VERDICT WRONG");
  out << "  metrics (PD % [true PD], weaker, band, significant):";
  for (fusion::Metric metric : fusion::kAllMetrics) {
    const fusion::MetricComparison& m = result.metrics[static_cast<int>(metric)];
    out << Format("  %s %.1f [%.1f] %c %s%s", std::string(fusion::ToString(metric)).c_str(),
                  m.percent_difference, result.true_pd_pct[static_cast<int>(metric)],
                  SideLetter(m.weaker_side), std::string(fusion::ToString(m.band)).c_str(),
                  m.significant ? " SIG" : "");
  }
  out << (result.flagged ? "  -> FLAGGED\n" : "\n");
  for (Side side : kSides) {
    const SideResult& s = result.side(side);
    if (s.Exact() && !s.SetsExact()) {
      out << Format("  %s reps per set: true %s, detected %s: SETS SPLIT WRONG\n",
                    side == Side::kLeft ? "left" : "right", JoinCounts(s.true_set_reps).c_str(),
                    JoinCounts(s.detected_set_reps).c_str());
    }
  }
  if (result.expects_comparison) {
    out << Format("  unilateral sets: %d (2 expected), %s, working sides %s\n",
                  result.set_summaries, result.compared ? "compared" : "NOT COMPARED",
                  result.working_sides_right ? "right" : "WRONG");
  }
}

namespace {

struct Totals {
  int scenarios = 0;
  int true_reps = 0;
  int detected = 0;
  int matched = 0;
  int missed = 0;
  int missed_in_dropouts = 0;
  int extra = 0;
  int rom_within_aim = 0;
  double rom_abs_sum = 0.0;
  double rom_max = 0.0;
  double con_abs_sum = 0.0;
  double ecc_abs_sum = 0.0;
  double asym_err_sum = 0.0;
  double asym_err_max = 0.0;
  int asym_within_aim = 0;
  int asymmetric = 0;
  int asymmetric_detected = 0;
  int symmetric = 0;
  int symmetric_clean = 0;
  int symmetric_not_flagged = 0;
  int count_exact = 0;       // scenarios where both sides detected exactly the true reps
  int count_sets_exact = 0;  // and each set of each side held as many reps as its true set

  void Add(const ScenarioResult& r) {
    ++scenarios;
    bool exact = true;
    bool sets_exact = true;
    for (Side side : kSides) {
      const SideResult& s = r.side(side);
      true_reps += s.true_reps;
      detected += s.detected_reps;
      matched += s.matched_reps;
      missed += s.missed_reps;
      missed_in_dropouts += s.missed_in_dropouts;
      extra += s.extra_reps;
      rom_within_aim += s.rom_within_aim;
      rom_abs_sum += s.rom_err_mean_abs_deg * s.matched_reps;
      rom_max = std::max(rom_max, s.rom_err_max_abs_deg);
      con_abs_sum += s.concentric_err_mean_abs_s * s.matched_reps;
      ecc_abs_sum += s.eccentric_err_mean_abs_s * s.matched_reps;
      exact = exact && s.Exact();
      sets_exact = sets_exact && s.SetsExact();
    }
    if (exact) ++count_exact;
    if (sets_exact) ++count_sets_exact;
    asym_err_sum += r.AsymmetryErrorPp();
    asym_err_max = std::max(asym_err_max, r.AsymmetryErrorPp());
    if (r.AsymmetryErrorPp() <= kAsymmetryAimPp) ++asym_within_aim;
    if (r.asymmetric || r.true_slower_side) {
      ++asymmetric;
      if (r.VerdictCorrect()) ++asymmetric_detected;
    } else {
      ++symmetric;
      if (!r.summary_significant) ++symmetric_clean;
      if (!r.flagged) ++symmetric_not_flagged;
    }
  }

  void Print(const std::string& label, std::ostream& out) const {
    const double m = std::max(1, matched);
    out << Format(
        "  %-20s %4d %5d/%5d/%5d %4d(%3d) %4d  %4d %5d  %5.2f %6.2f %5.1f%%  %5.3f %5.3f"
        "  %5.2f %5.2f %3d/%-3d  %3d/%-3d  %3d/%-3d  %3d/%-3d\n",
        label.c_str(), scenarios, true_reps, detected, matched, missed, missed_in_dropouts, extra,
        count_exact, count_sets_exact, rom_abs_sum / m, rom_max, 100.0 * rom_within_aim / m,
        con_abs_sum / m, ecc_abs_sum / m, asym_err_sum / std::max(1, scenarios), asym_err_max,
        asym_within_aim, scenarios, asymmetric_detected, asymmetric, symmetric_clean, symmetric,
        symmetric_not_flagged, symmetric);
  }
};

std::string ExerciseOfName(const std::string& name) { return name.substr(0, name.find(' ')); }

}  // namespace

void PrintTotals(const std::vector<ScenarioResult>& results, std::ostream& out) {
  std::map<std::string, Totals> by_exercise;
  std::map<std::string, Totals> by_condition;
  Totals all;
  for (const ScenarioResult& r : results) {
    by_exercise[ExerciseOfName(r.name)].Add(r);
    all.Add(r);
    for (const char* condition :
         {"25Hz",    "50Hz",      "100Hz",      "200Hz",     "dropouts", "clock+drift",
          "fatigue", "clean",     " sym",       "asym10",    "asym20",   " handling",
          " walk",   " loss",     " heavyloss", " follower", " rocks",   " 2sets",
          " gym",    " longwalk", " stall",     " slow"}) {
      if (r.name.find(condition) != std::string::npos) by_condition[condition].Add(r);
    }
  }
  out << Format(
      "\nTotals (aims: |ROM err| <= %.0f deg per rep, |asym err| <= %.0f pp, asymmetric"
      " sets flagged with the right weaker side, symmetric sets not flagged)\n"
      "  sets: exact, and each set of each side held as many reps as its true set."
      " asym ok: ROM significant, right weaker side (a step-up's slower rise: the concentric"
      " time, and not the ROM). sym nosig: no metric significant."
      " sym nocue: no metric significant outside green\n",
      kRomAimDeg, kAsymmetryAimPp);
  out << "  group                 scn  reps true/det/match miss(drop) extra exact  sets  "
         "ROM mean   max  <=aim   conc  ecc s   asym mean max <=aim  asym ok  sym nosig sym "
         "nocue\n";
  for (const auto& [name, totals] : by_exercise) totals.Print(name, out);
  for (const auto& [name, totals] : by_condition) {
    std::string label = name;
    if (!label.empty() && label.front() == ' ') label.erase(0, 1);
    totals.Print(label, out);
  }
  all.Print("ALL", out);
}

}  // namespace ambi::accuracy
