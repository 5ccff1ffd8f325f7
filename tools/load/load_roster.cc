#include "tools/load/load_roster.h"

#include <array>
#include <cstdio>
#include <string>

#include "daemon/sim/presets.h"

namespace ambi::load {

std::vector<sim::SimAthlete> LoadRoster(const LoadRosterOptions& options) {
  constexpr std::array kKinds = {sim::ExerciseKind::kCurl, sim::ExerciseKind::kKneeExtension,
                                 sim::ExerciseKind::kLateralRaise, sim::ExerciseKind::kSquat};
  constexpr int kBaseReps = 8;
  constexpr int kExtraRepsMax = 2;
  std::vector<sim::SimAthlete> roster;
  for (int i = 0; i < options.athletes; ++i) {
    const sim::ExerciseKind kind = kKinds[static_cast<std::size_t>(i) % kKinds.size()];
    sim::SessionSpec spec = sim::DefaultSpec(kind);
    char name[32];
    std::snprintf(name, sizeof(name), "load-%02d", i);
    spec.name = std::string(name) + "-" + std::string(sim::ToString(kind));
    spec.rate_hz = options.rate_hz;
    spec.seed = 1000 + static_cast<std::uint64_t>(i);
    spec.left.rep_count = kBaseReps;
    spec.right.rep_count = kBaseReps;
    // 0-12 % less range on the left, so cues and asymmetry events flow as in a real gym.
    spec.left.rom_deg *= 1.0 - 0.03 * (i % 5);

    sim::SimAthlete athlete;
    athlete.name = name;
    athlete.session = std::move(spec);
    athlete.extra_reps_max = kExtraRepsMax;
    // Rests differ by a fraction of a second per athlete, so sets drift apart over the run.
    athlete.rest_between_sets_s = options.rest_between_sets_s + 0.37 * (i % 8);
    roster.push_back(std::move(athlete));
  }
  return roster;
}

}  // namespace ambi::load
