#ifndef AMBI_FUSION_CORE_EVENTS_H_
#define AMBI_FUSION_CORE_EVENTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "fusion/core/exercise.h"
#include "fusion/core/placement.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

// Everything the core tells the outside world. Events are rare (a few per rep), so they may own
// strings; the per-sample path never builds one.

// A set begins (explicitly, or detected automatically from motion after rest).
struct SetStarted {
  int set_index = 0;  // 1-based within the session
  std::string exercise;
  SetMode mode = SetMode::kBilateral;
  Limb limb = Limb::kWrist;
  std::optional<Side> side;  // the working side of a unilateral set, when known
  Time time;
  bool automatic = false;  // true when detected from motion rather than started by a client
};

// One repetition of one limb segment. Angles are segment angles (forearm, shank) about the set's
// dominant movement axis, not joint angles.
struct Rep {
  Placement placement;
  int set_index = 0;                // 1-based within the session
  int index = 0;                    // 1-based within the set, counted per side
  Time start;                       // limb leaves the rest pose
  Time turnaround;                  // farthest point from the rest pose
  Time end;                         // limb back at (near) the rest pose
  double rom_deg = 0.0;             // segment range of motion within the rep
  double concentric_s = 0.0;        // duration of the lifting phase
  double eccentric_s = 0.0;         // duration of the lowering phase
  double pause_turnaround_s = 0.0;  // hold at the turnaround (included in neither phase)
  double pause_before_s = 0.0;      // rest since the previous rep ended (0 for the first rep)
  double peak_speed_deg_s = 0.0;    // peak angular speed about the movement axis, whole rep
  double peak_concentric_speed_deg_s = 0.0;  // peak angular speed in the concentric phase
  // Part of the rep was not measured: samples lost in a short gap were bridged from the gyro and
  // orientation, or its start, turnaround or return lay in a longer gap and was judged from the
  // samples either side. Its timing and ROM are then less certain.
  bool bridged = false;
  // The limb stepped into the rep and back out of it (a lunge's front leg): it carried the
  // body, so it is working, whatever its range beside the other side's. The range is the
  // stance's, from the pose the limb stood in before the step.
  bool stepped = false;
};

// Left/right comparison of one metric.
struct MetricComparison {
  Metric metric = Metric::kRom;
  double left = 0.0;  // in the metric's unit: deg, s, deg/s
  double right = 0.0;
  double percent_difference = 0.0;   // |L-R| / max(L,R) * 100, always >= 0
  double symmetry_index_pct = 0.0;   // (L-R) / ((L+R)/2) * 100, signed
  std::optional<Side> weaker_side;   // empty when n/a or exactly equal
  Band band = Band::kNotApplicable;  // kNotApplicable when both values are too small to compare
  bool significant = false;          // the gap exceeds the set's own rep-to-rep variability
};
using MetricComparisons = std::array<MetricComparison, kMetricCount>;  // indexed by Metric

// A left rep and a right rep of a bilateral set done together.
struct RepPair {
  Limb limb = Limb::kWrist;
  int set_index = 0;
  int pair_index = 0;  // 1-based within the set
  Rep left;
  Rep right;
  MetricComparisons metrics{};
  double lead_ms = 0.0;  // right.start - left.start: > 0 means the left side led
};

// A rep of a bilateral set whose other side did no matching rep within the pairing tolerance.
struct UnpairedRep {
  Rep rep;
};

// Fatigue of one side, updated after each of its reps.
struct FatigueUpdate {
  Placement placement;
  int set_index = 0;
  int rep_index = 0;
  Time time;
  double speed_loss_pct = 0.0;  // concentric peak speed vs the best rep of the set
  double rom_loss_pct = 0.0;    // ROM vs the best rep of the set
};

enum class CueKind : std::uint8_t {
  kStartWithWeakerSide,  // next set: unilateral work, weaker side first (target_reps when known)
  kMatchWeakerSideReps,  // unilateral: the stronger side stops at the weaker side's rep count
  kStopSet,              // the weaker side's speed loss crossed the threshold, confirmed
  kAsymmetryNormal,      // nothing amber or red and significant: nothing to fix
  kLeadLag,              // one side consistently starts its reps later than the other
};

// A coaching cue as values; the sentence is rendered where text is shown (proto/convert).
struct Cue {
  CueKind kind = CueKind::kStopSet;
  Time time;
  int set_index = 0;
  Limb limb = Limb::kWrist;
  std::optional<Side> side;  // start: the weaker side; match: the stronger side; stop: the
                             // failing side; lead/lag: the lagging side; normal: none
  int target_reps = 0;       // start / match: the weaker side's rep count; 0 when unknown
  double value_pct = 0.0;    // stop: speed loss; start / match / normal: the gap in percent
  // start / match: the metric that showed the gap; empty when the rep counts did.
  std::optional<Metric> metric;
  int reps_compared = 0;  // start / match: the two sides' reps when the rep counts decided
  int other_reps = 0;     //   (reps_compared: the weaker side's, other_reps: the stronger's)
  double lag_ms = 0.0;    // lead/lag: how much later 'side' starts, mean over the set
};

struct SideStats {
  int rep_count = 0;
  double mean_rom_deg = 0.0;
  double sd_rom_deg = 0.0;
  double mean_concentric_s = 0.0;
  double mean_eccentric_s = 0.0;
  double mean_peak_speed_deg_s = 0.0;
  double max_speed_loss_pct = 0.0;
};

// When the two sides start their reps in a bilateral set (one side initiating first: the
// dominant side taking over).
struct LeadLag {
  int pairs = 0;
  double mean_lead_ms = 0.0;  // mean of RepPair::lead_ms: > 0 means the left side led
  double sd_ms = 0.0;
  std::optional<Side> lagging_side;  // empty when no pairs or exactly simultaneous
  Band band = Band::kNotApplicable;  // by |mean| against the exercise's lead limits
  bool significant = false;          // the mean lead exceeds the set's rep-to-rep scatter
};

// The one verdict of a set (docs/coaching.md); every cue of the set is derived from it.
struct SetVerdict {
  bool judged = false;  // enough reps were compared to judge the set
  // A clear, consistent gap: a significant amber/red metric, or (unilateral) the sides' rep
  // counts differing by at least AsymmetryParams::min_rep_gap.
  bool gap = false;
  std::optional<Side> weaker_side;  // of the gap; when no gap, the side a stop cue named
  std::optional<Metric> reason;     // the metric of the gap; empty when the rep counts decided
  double reason_pct = 0.0;          // its percentage difference (rep counts: of the counts)
  int target_reps = 0;              // the weaker side's rep count in the compared sets
  int stronger_reps = 0;
  bool lead_lag = false;          // a significant amber/red lead/lag
  std::optional<Side> stop_side;  // the side a stop-set cue was given for during the set
  double largest_pct = 0.0;       // largest comparable percentage difference (for "normal")
  // No gap, but a metric amber/red without being consistent (a walk mixed into the set, a
  // noisy sensor): neither advice nor "normal".
  bool inconsistent = false;
  // Normal only when judged and nothing was amber/red, nor a stop cue or lead/lag given.
  bool normal() const { return judged && !gap && !inconsistent && !lead_lag && !stop_side; }
};

// End of a set. Bilateral: both sides. Unilateral: the side that worked; when this set completes
// a left/right pair of unilateral sets, 'compared_with_set_index' names the other side's set and
// the metrics compare the two.
struct SetSummary {
  int set_index = 0;
  std::string exercise;
  SetMode mode = SetMode::kBilateral;
  Limb limb = Limb::kWrist;
  Time start;
  Time end;
  std::optional<SideStats> left;
  std::optional<SideStats> right;
  int compared_with_set_index = 0;  // unilateral only; 0 when there is nothing to compare
  // Unilateral: the side whose set this was (the coach's, or found from the reps; see
  // LimbPairComparator::WorkingSide). It may differ from the SetStarted side, which is the
  // first rep's guess.
  std::optional<Side> working_side;
  // The sides were compared: both worked in this bilateral set, or this unilateral set completes
  // a pair. Only then do 'metrics' hold anything (otherwise they are default values, not a
  // comparison, and are not published).
  bool compared = false;
  MetricComparisons metrics{};
  std::optional<Side> weaker_side;   // over all comparable metrics
  Band band = Band::kNotApplicable;  // worst band over the comparable metrics
  bool significant = false;
  // A side that did no rep of its own while the other side worked (its movement, if any, only
  // followed the body): not working in this set, rather than a deficit.
  std::optional<Side> not_working_side;
  LeadLag lead_lag;  // bilateral sets
  SetVerdict verdict;
};

enum class SensorEventKind : std::uint8_t {
  kGap,      // samples missing (dropped or not sent); see rep_dropped
  kLost,     // the transport lost the device
  kBack,     // the device is back
  kBadData,  // bytes discarded while resynchronising (rate-limited)
};

struct SensorStatus {
  int sensor_index = 0;
  Placement placement;
  SensorEventKind kind = SensorEventKind::kGap;
  Time time;
  Duration gap{0};                   // kGap: time without samples
  std::int64_t missing_samples = 0;  // kGap: estimated from the nominal rate
  // kGap: a rep in progress was dropped, because the data cannot say what the limb did in the
  // gap. A short gap is bridged (the rep goes on, marked bridged) and drops nothing.
  bool rep_dropped = false;
  bool bridged = false;              // kGap: the gap was short enough to bridge
  std::int64_t bytes_discarded = 0;  // kBadData: since the previous report
  // kBadData: the values themselves are wrong (named in detail: a unit mistake, a gyro offset
  // too large to learn), not bytes of the stream: the sensor's numbers are not to be trusted
  // until it is fixed.
  bool values_wrong = false;
  std::string detail;
};

using Event = std::variant<SetStarted, Rep, RepPair, UnpairedRep, FatigueUpdate, Cue, SetSummary,
                           SensorStatus>;

// Receives the core's events, in order, on the thread that feeds the pipeline.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(const Event& event) = 0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_EVENTS_H_
