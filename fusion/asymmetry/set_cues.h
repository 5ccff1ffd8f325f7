#ifndef AMBI_FUSION_ASYMMETRY_SET_CUES_H_
#define AMBI_FUSION_ASYMMETRY_SET_CUES_H_

#include <vector>

#include "fusion/core/events.h"

namespace ambi::fusion {

// The cues of a finished set, derived from its verdict alone (docs/coaching.md, "End of set"):
// - a gap in a bilateral set: kStartWithWeakerSide (unilateral work next, weaker side first,
//   the weaker side's reps as target);
// - a gap in a completed unilateral pair: kStartWithWeakerSide and kMatchWeakerSideReps (the
//   stronger side stops at the weaker side's count);
// - a consistent lead/lag: kLeadLag naming the lagging side;
// - normal() only: kAsymmetryNormal.
// Nothing for a set that was not judged. Cues are stamped at 'summary.end'.
std::vector<Cue> CuesOfVerdict(const SetSummary& summary);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ASYMMETRY_SET_CUES_H_
