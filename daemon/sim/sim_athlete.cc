#include "daemon/sim/sim_athlete.h"

#include <string_view>

namespace ambi::sim {

std::string Validate(const SimAthlete& athlete) {
  if (athlete.name.empty()) return "simulated athlete: empty name";
  for (const char c : athlete.name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) {
      return "simulated athlete '" + athlete.name + "': name may hold only letters, digits, '-' " +
             "and '_' (it names a symlink), found '" + std::string(1, c) + "'";
    }
  }
  if (!(athlete.rest_between_sets_s >= 0.0 && athlete.rest_between_sets_s <= 3600.0)) {
    return "simulated athlete '" + athlete.name + "': rest_between_sets_s " +
           std::to_string(athlete.rest_between_sets_s) + " must be in [0, 3600]";
  }
  if (athlete.extra_reps_max < 0 || athlete.extra_reps_max > 1000) {
    return "simulated athlete '" + athlete.name + "': extra_reps_max " +
           std::to_string(athlete.extra_reps_max) + " must be in [0, 1000]";
  }
  const std::string spec_error = sim::Validate(athlete.session);
  if (!spec_error.empty()) return "simulated athlete '" + athlete.name + "': " + spec_error;
  return {};
}

}  // namespace ambi::sim
