#include "daemon/sim/set_sequence.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "daemon/sim/prng.h"

namespace ambi::sim {

SetSequence::SetSequence(SimAthlete athlete) : athlete_(std::move(athlete)) {
  const std::string error = Validate(athlete_);
  if (!error.empty()) throw std::invalid_argument(error);
}

std::shared_ptr<const SimSet> SetSequence::Next() {
  if (!athlete_.loop && next_index_ > 0) return nullptr;
  auto set = std::make_shared<SimSet>();
  set->index = next_index_;
  set->start_s = next_start_s_;
  sim::SessionSpec& spec = set->spec;
  spec = athlete_.session;
  const auto index = static_cast<std::uint64_t>(next_index_);
  if (next_index_ > 0) spec.seed = sim::DeriveSeed(athlete_.session.seed, index);
  if (athlete_.extra_reps_max > 0) {
    sim::Prng rng(sim::DeriveSeed(athlete_.session.seed, index + 0x5E75));
    const int extra =
        static_cast<int>(rng.NextU64() % static_cast<std::uint64_t>(athlete_.extra_reps_max + 1));
    spec.left.rep_count += extra;
    spec.right.rep_count += extra;
  }
  if (athlete_.loop) {
    // The rest between sets is this set's rest after plus the next one's rest before.
    spec.rest_after_s = std::max(0.0, athlete_.rest_between_sets_s - spec.rest_before_s);
  }
  for (sim::SideSpec* side : {&spec.left, &spec.right}) {
    side->clock.offset_s += set->start_s * (1.0 + side->clock.drift_ppm * 1e-6);
  }
  set->plan = sim::PlanSession(spec);
  next_start_s_ = set->end_s();
  ++next_index_;
  return set;
}

}  // namespace ambi::sim
