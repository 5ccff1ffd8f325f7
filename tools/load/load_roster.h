#ifndef AMBI_TOOLS_LOAD_LOAD_ROSTER_H_
#define AMBI_TOOLS_LOAD_LOAD_ROSTER_H_

#include <vector>

#include "daemon/sim/sim_athlete.h"

namespace ambi::load {

struct LoadRosterOptions {
  int athletes = 32;
  double rate_hz = 200.0;
  double rest_between_sets_s = 15.0;
};

// 'athletes' looping athletes "load-00", "load-01", ... (two WitMotion serial sensors each) doing
// curls, leg extensions, lateral raises and squats in turn, with different seeds, asymmetries
// and rests so that their reps do not all land in the same instant.
std::vector<sim::SimAthlete> LoadRoster(const LoadRosterOptions& options);

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_LOAD_ROSTER_H_
