#ifndef AMBI_DAEMON_SIM_SET_SEQUENCE_H_
#define AMBI_DAEMON_SIM_SET_SEQUENCE_H_

#include <memory>

#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/session_spec.h"
#include "daemon/sim/sim_athlete.h"

namespace ambi::sim {

// One set of a simulated athlete, placed on the simulation's true time line.
struct SimSet {
  int index = 0;
  double start_s = 0.0;  // true time since the simulation began
  sim::SessionSpec spec;
  sim::SessionPlan plan;
  double end_s() const { return start_s + plan.truth.duration_s; }
};

// The sets an athlete performs back to back: set k starts where set k-1 ends, so the sensors'
// sample stream is continuous (the rest between sets is part of each set's rest before and
// after). Each set has its own seed and, with extra_reps_max, its own rep count; device clock
// offsets are shifted by the set's start so device time keeps increasing across sets.
// Deterministic in the athlete's session seed. Not thread-safe.
class SetSequence {
 public:
  // 'athlete' must pass Validate(); throws std::invalid_argument otherwise.
  explicit SetSequence(SimAthlete athlete);

  // The next set; nullptr after the only set when the athlete does not loop.
  std::shared_ptr<const SimSet> Next();

  const SimAthlete& athlete() const { return athlete_; }

 private:
  SimAthlete athlete_;
  int next_index_ = 0;
  double next_start_s_ = 0.0;
};

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_SET_SEQUENCE_H_
