#ifndef AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_
#define AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"

namespace ambi::fusion {

struct AsymmetryParams {
  // A rep waits this long past its end for the other side's matching rep, then is reported
  // unpaired rather than stalling the stream. Longer tolerates more transport delay between the
  // sensors; shorter reports one-sided reps sooner.
  double pairing_tolerance_s = 1.5;
  // Two reps pair when their [start, end] windows overlap by at least this fraction of the
  // shorter rep (after removing the left/right clock offset learned from earlier pairs). 0.5
  // accepts offsets up to half a rep while rejecting the neighbouring rep of a continuous set.
  double min_overlap_fraction = 0.5;
  // Bound of the left/right clock offset the pairing learns; larger offsets are not clock error.
  double max_clock_offset_s = 0.5;
  // Fatigue: suggest stopping when the weaker side's concentric peak speed has dropped this much
  // below its own best early reps (docs/coaching.md). A suggestion, not an order. The exercise's
  // CoachingLimits::stop_speed_loss_pct replaces it when the catalog gives one.
  double stop_speed_loss_pct = 20.0;
  // The early reps a side's speed loss is measured from: the median of its first this-many reps
  // (one noisy fast or slow rep among them cannot move it). No stop cue within them either: the
  // first reps of a set are the warm-up of the pattern, not fatigue.
  int fatigue_baseline_reps = 3;
  // A stop cue needs the speed loss on this many consecutive reps: one noisy rep is not failure.
  int stop_confirm_reps = 2;
  // Unilateral pairs: rep counts differing by at least this many reps name the side with fewer
  // the weaker one (it failed first at comparable load). One rep is within set-to-set effort.
  int min_rep_gap = 2;
  // Lead/lag significance: the per-pair start-time scatter is taken as at least this, about one
  // sample at 100 Hz, below which start times cannot be resolved.
  double min_lead_spread_ms = 10.0;
  // Below these, both values are too small to compare and the band is n/a.
  double min_rom_deg = 5.0;
  double min_phase_s = 0.15;
  double min_speed_deg_s = 10.0;
  // A gap is called significant only with at least this many reps (pairs, or reps per side of
  // unilateral sets): fewer cannot tell a real gap from rep-to-rep noise.
  int min_reps_for_significance = 3;
  // Rep-to-rep spread is taken as at least this fraction of the value: below it the sensors
  // cannot resolve differences, and identical reps would make any gap "significant".
  double min_spread_fraction = 0.01;
  // Reps of one side waiting for a partner; more are reported unpaired, oldest first.
  int max_pending_reps = 16;
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
// RepPair, UnpairedRep, FatigueUpdate, Cue and SetSummary events to 'sink'.
//
// Pairing: a new rep pairs with the pending rep of the other side whose window overlaps it most
// closely (turnarounds nearest) once the learned clock offset is removed. Reps of one side arrive
// in time order, so when a pair forms, any older pending rep of either side can no longer find a
// partner and is reported unpaired at once; otherwise a rep waits until the other side's data
// time passes its end by 'pairing_tolerance_s'.
//
// Significance: a metric is significant when the mean left-right gap exceeds the 95 % Student-t
// bound of its standard error: over the per-pair differences for bilateral sets (a paired test,
// so fatigue shared by both sides cancels), over the two sets' reps for unilateral sets (Welch).
// A RepPair's metric is significant when the set so far is, and the pair points the same way.
//
// Verdict: at the end of a set, one SetVerdict (in the SetSummary) says whether there is a clear
// gap, which side is weaker, the rep target, a consistent lead/lag and a stop cue given; the
// set's end cues are derived from it alone by CuesOfVerdict() (docs/coaching.md), so they cannot
// contradict each other.
//
// Fatigue stop: after each rep, the weaker side so far (by the means of the set so far; in a
// unilateral set the working side; when the sides do not differ, either side) is checked: its
// speed loss from the median of its first 'fatigue_baseline_reps' reps must reach the stop
// threshold on 'stop_confirm_reps' consecutive reps after those; one kStopSet cue per set.
//
// No allocation per sample or per rep in steady state: statistics are running sums, pending
// reps sit in buffers reserved at construction. Not thread-safe.
class LimbPairComparator {
 public:
  LimbPairComparator(Limb limb, const AsymmetryParams& params, EventSink* sink);

  // Starts a set; a set still open is ended at 'context.start' first.
  void StartSet(const SetContext& context);
  // A finished rep of either side (its placement.limb is this comparator's limb). Without a
  // StartSet, a generic bilateral set is started at the rep's start.
  void AddRep(const Rep& rep);
  // Data of 'side' has arrived up to 'time': reps of the other side older than the tolerance
  // can be reported unpaired.
  void AdvanceTime(Side side, Time time);
  // Ends the set: reports what is pending, the SetSummary and the cues for the next set.
  void EndSet(Time time);
  // Before EndSet: 'side' did no rep of its own in this set while the other side worked (the
  // rep screen's verdict); the summary says so.
  void MarkNotWorking(Side side) { not_working_side_ = side; }

  // In an exercise whose working side is told from both sides' reps (kTurnsLess, kLongerWayUp:
  // both legs move in every rep), whether 'rep' is like the other side's reps of this set rather
  // than its own side's: nearer the other side's mean of the metric that tells the sides apart
  // (RoleMetric). The legs have swapped roles, so the other side's set has begun. Empty when it
  // cannot tell: another exercise, or a side with no rep in the set yet.
  std::optional<bool> SwappedRoles(const Rep& rep) const;

  bool set_open() const { return set_open_; }
  // Left/right clock offset learned from the pairs so far (right minus left), seconds.
  double clock_offset_s() const { return clock_offset_s_; }

 private:
  // Running mean and variance (Welford), no storage per value.
  struct Running {
    int n = 0;
    double mean = 0.0;
    double m2 = 0.0;
    void Add(double value);
    double Variance() const;  // sample variance; 0 below two values
  };
  struct SideState {
    std::array<Running, kMetricCount> metrics{};
    int rep_count = 0;
    int last_rep_index = 0;
    std::array<double, 8> early_speeds_deg_s{};  // the first fatigue_baseline_reps (<= 8)
    double best_rom_deg = 0.0;
    double last_speed_loss_pct = 0.0;
    double max_speed_loss_pct = 0.0;
    int reps_over_stop = 0;  // consecutive reps at or over the stop threshold
    Time watermark;
    std::vector<Rep> pending;  // bilateral reps waiting for a partner, oldest first
  };
  // A unilateral set kept until the other side's set completes the pair.
  struct UnilateralSet {
    int set_index = 0;
    std::string exercise;
    Side side = Side::kLeft;
    std::array<Running, kMetricCount> metrics{};
    int rep_count = 0;
  };

  SideState& state(Side side) { return sides_[side == Side::kLeft ? 0 : 1]; }
  const SideState& state(Side side) const { return sides_[side == Side::kLeft ? 0 : 1]; }
  double MinComparable(Metric metric) const;
  const BandLimits& Limits(Metric metric) const;

  void PairOrQueue(const Rep& rep);
  void EmitPair(const Rep& left, const Rep& right);
  void EmitUnpaired(const Rep& rep);
  // Reports pending reps of 'side' that ended before 'before' (all when empty).
  void FlushPending(Side side, std::optional<Time> before);
  void UpdateFatigue(const Rep& rep);
  // A unilateral set's side: the one known up front (named by the coach, or an automatic set's
  // first rep); else, for an exercise whose working side turns less (WorkingSideRule::
  // kTurnsLess) and both sides with reps, the side with the smaller mean ROM, or whose way up
  // takes longer (kLongerWayUp), the side with the longer mean concentric phase; else the side
  // with more reps, or (as many on each) the side of the first rep; none before any rep.
  std::optional<Side> WorkingSide() const;
  // The metric that tells the working side from the other where both move in every rep: ROM
  // (kTurnsLess), the way up's time (kLongerWayUp); empty for kFirstToMove.
  std::optional<Metric> RoleMetric() const;
  std::optional<Side> WeakerSideSoFar() const;
  SideStats StatsOf(Side side) const;
  // The summary's left and right: each side's own reps in this set, a side without reps absent.
  void FillSideStats(SetSummary& summary) const;
  MetricComparisons CompareMeans(const std::array<Running, kMetricCount>& left,
                                 const std::array<Running, kMetricCount>& right, bool paired) const;
  double BaselineSpeed(const SideState& side) const;
  double StopThresholdPct() const;
  LeadLag JudgeLeadLag() const;
  // The set's verdict from its summary so far; 'judged': compared with enough reps.
  SetVerdict Judge(const SetSummary& summary, bool judged, int left_reps, int right_reps) const;
  void EmitCue(Cue cue);

  Limb limb_;
  AsymmetryParams params_;
  EventSink* sink_;
  SetContext context_;
  bool set_open_ = false;
  std::array<SideState, 2> sides_;
  std::array<Running, kMetricCount> pair_differences_{};  // left - right, per pair
  int pair_count_ = 0;
  Running lead_ms_;                // RepPair::lead_ms over the set's pairs
  std::optional<Side> stop_side_;  // the side a stop cue was given for in this set
  double clock_offset_s_ = 0.0;
  bool clock_offset_known_ = false;
  std::optional<UnilateralSet> last_unilateral_[2];
  std::optional<Side> not_working_side_;  // this set's, from MarkNotWorking
  std::optional<Side> first_rep_side_;    // the side of this set's earliest rep
  Time first_rep_start_{};
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_ASYMMETRY_LIMB_PAIR_COMPARATOR_H_
