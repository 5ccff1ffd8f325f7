#ifndef AMBI_DAEMON_SIM_DEMO_ROSTER_H_
#define AMBI_DAEMON_SIM_DEMO_ROSTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_athlete.h"

namespace ambi::sim {

// The athletes of `ambid --simulate` and `ambi-sim-pty --demo`, looping forever with 25 s rests:
//   "alice": bilateral biceps curls (wrists), left side 12 % less ROM, sets of 8-10 reps;
//   "bob": seated knee extensions (ankles), symmetric, sets of 8-10 reps.
// WitMotion serial at 100 Hz, realistic noise and strap mounts (sim::DefaultSpec).
std::vector<SimAthlete> DemoRoster();

// One athlete named 'name' doing the ambi-sim preset 'preset' (see `ambi-sim --list-presets`),
// looping unless 'loop' is false; nullopt for an unknown preset.
std::optional<SimAthlete> AthleteFromPreset(std::string name, std::string_view preset,
                                            bool loop = true);

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_DEMO_ROSTER_H_
