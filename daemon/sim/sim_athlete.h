#ifndef AMBI_DAEMON_SIM_SIM_ATHLETE_H_
#define AMBI_DAEMON_SIM_SIM_ATHLETE_H_

#include <string>

#include "daemon/sim/session_spec.h"
#include "fusion/decode/encoder.h"
#include "fusion/decode/protocol.h"

namespace ambi::sim {

// One simulated athlete wearing a left and a right sensor. Both sensors are driven from one
// session plan per set, so the daemon sees the same reps on both sides with the commanded
// asymmetry, tempo and fatigue.
struct SimAthlete {
  // Letters, digits, '-' and '_': the name is part of each device's symlink name.
  std::string name;
  // One set: exercise (which fixes wrist or ankle), rate, both sides' reps, asymmetry, noise.
  sim::SessionSpec session;
  fusion::Protocol protocol = fusion::Protocol::kWitMotionSerial;
  fusion::WitMotionSerialEncodeOptions witmotion;
  // Start a new set (new seed) after each one, forever: a demo runs all day.
  bool loop = true;
  // Still time from the last rep of a set to the first of the next when looping. The sensors keep
  // sending samples at rest meanwhile, as real ones do.
  double rest_between_sets_s = 25.0;
  // Each set adds 0..extra_reps_max reps (seeded per set) to both sides' rep_count.
  int extra_reps_max = 0;
};

// Empty when 'athlete' is usable; else a message naming the athlete, the field and the value.
std::string Validate(const SimAthlete& athlete);

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_SIM_ATHLETE_H_
