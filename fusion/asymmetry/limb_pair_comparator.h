#ifndef AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_
#define AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"

namespace ambi::fusion {

struct AsymmetryParams {
  // A rep waits this long past its end for the other side's matching rep, then is reported
  // unpaired rather than stalling the stream.
  double pairing_tolerance_s = 1.5;
  // Fatigue: suggest stopping when the weaker side's concentric peak speed has dropped this much
  // below its best rep of the set. A suggestion, not an order.
  double stop_speed_loss_pct = 20.0;
  // Below these, both values are too small to compare and the band is n/a.
  double min_rom_deg = 5.0;
  double min_phase_s = 0.15;
  double min_speed_deg_s = 10.0;
};

// What the comparator knows about the current set.
struct SetContext {
  int set_index = 0;
  Exercise exercise;
  SetMode mode = SetMode::kBilateral;
  std::optional<Side> side;  // the working side of a unilateral set, if known up front
  Time start;
};

// Left/right comparison for one limb pair (wrists or ankles) of one athlete: pairs bilateral reps
// by time, compares unilateral sets against each other, tracks fatigue per side, and emits
// RepPair, UnpairedRep, FatigueUpdate, Cue and SetSummary events to 'sink'. Not thread-safe.
class LimbPairComparator {
 public:
  LimbPairComparator(Limb limb, const AsymmetryParams& params, EventSink* sink);

  void StartSet(const SetContext& context);
  // A finished rep of either side (its placement.limb is this comparator's limb).
  void AddRep(const Rep& rep);
  // Data of 'side' has arrived up to 'time': reps of the other side older than the tolerance
  // can be reported unpaired.
  void AdvanceTime(Side side, Time time);
  // Ends the set: reports what is pending, the SetSummary and the cues for the next set.
  void EndSet(Time time);
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_
