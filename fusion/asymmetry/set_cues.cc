#include "fusion/asymmetry/set_cues.h"

#include <cmath>

namespace ambi::fusion {
namespace {

Cue CueOf(const SetSummary& summary, CueKind kind, std::optional<Side> side) {
  Cue cue;
  cue.kind = kind;
  cue.time = summary.end;
  cue.set_index = summary.set_index;
  cue.limb = summary.limb;
  cue.side = side;
  return cue;
}

Cue GapCue(const SetSummary& summary, CueKind kind, std::optional<Side> side) {
  const SetVerdict& verdict = summary.verdict;
  Cue cue = CueOf(summary, kind, side);
  cue.target_reps = verdict.target_reps;
  cue.value_pct = verdict.reason_pct;
  cue.metric = verdict.reason;
  if (!verdict.reason) {
    cue.reps_compared = verdict.target_reps;
    cue.other_reps = verdict.stronger_reps;
  }
  return cue;
}

}  // namespace

std::vector<Cue> CuesOfVerdict(const SetSummary& summary) {
  const SetVerdict& verdict = summary.verdict;
  std::vector<Cue> cues;
  if (!verdict.judged) return cues;
  if (verdict.gap && verdict.weaker_side) {
    cues.push_back(GapCue(summary, CueKind::kStartWithWeakerSide, verdict.weaker_side));
    if (summary.mode == SetMode::kUnilateral) {
      cues.push_back(
          GapCue(summary, CueKind::kMatchWeakerSideReps, OtherSide(*verdict.weaker_side)));
    }
  }
  if (verdict.lead_lag && summary.lead_lag.lagging_side) {
    Cue cue = CueOf(summary, CueKind::kLeadLag, summary.lead_lag.lagging_side);
    cue.lag_ms = std::abs(summary.lead_lag.mean_lead_ms);
    cues.push_back(cue);
  }
  if (verdict.normal()) {
    Cue cue = CueOf(summary, CueKind::kAsymmetryNormal, std::nullopt);
    cue.value_pct = verdict.largest_pct;
    cues.push_back(cue);
  }
  return cues;
}

}  // namespace ambi::fusion
