#include "daemon/sim/demo_roster.h"

#include <utility>

#include "daemon/sim/presets.h"

namespace ambi::sim {
namespace {

constexpr double kDemoRestBetweenSetsS = 25.0;
constexpr int kDemoBaseReps = 8;
constexpr int kDemoExtraRepsMax = 2;  // 8-10 reps per set

SimAthlete DemoAthlete(std::string name, sim::SessionSpec spec) {
  SimAthlete athlete;
  athlete.name = std::move(name);
  spec.left.rep_count = kDemoBaseReps;
  spec.right.rep_count = kDemoBaseReps;
  athlete.session = std::move(spec);
  athlete.rest_between_sets_s = kDemoRestBetweenSetsS;
  athlete.extra_reps_max = kDemoExtraRepsMax;
  return athlete;
}

}  // namespace

std::vector<SimAthlete> DemoRoster() {
  sim::SessionSpec curl = sim::DefaultSpec(sim::ExerciseKind::kCurl);
  curl.name = "demo-alice-curl";
  curl.left.rom_deg *= 0.88;
  curl.seed = 101;

  sim::SessionSpec knee = sim::DefaultSpec(sim::ExerciseKind::kKneeExtension);
  knee.name = "demo-bob-knee-extension";
  knee.seed = 202;

  return {DemoAthlete("alice", std::move(curl)), DemoAthlete("bob", std::move(knee))};
}

std::optional<SimAthlete> AthleteFromPreset(std::string name, std::string_view preset, bool loop) {
  std::optional<sim::SessionSpec> spec = sim::MakePreset(preset);
  if (!spec) return std::nullopt;
  SimAthlete athlete;
  athlete.name = std::move(name);
  athlete.session = std::move(*spec);
  athlete.loop = loop;
  return athlete;
}

}  // namespace ambi::sim
