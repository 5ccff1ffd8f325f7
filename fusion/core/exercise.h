#ifndef AMBI_FUSION_CORE_EXERCISE_H_
#define AMBI_FUSION_CORE_EXERCISE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fusion/core/placement.h"

namespace ambi::fusion {

// Which phase a rep starts with when the limb leaves its rest pose: a curl starts concentric
// (lifting), a squat starts eccentric (lowering).
enum class Phase : std::uint8_t { kConcentric, kEccentric };

// Bilateral: both sides move together (barbell curl, squat). Unilateral: one side does a set,
// then the other (dumbbell concentration curl, single-leg extension).
enum class SetMode : std::uint8_t { kBilateral, kUnilateral };

enum class ForceDirection : std::uint8_t { kPush, kPull, kNeither };

// Which side of a unilateral set works when nobody named it. kFirstToMove: the side whose rep
// came first (one limb works, the other rests or follows). kTurnsLess: both limbs move in every
// rep and the working one turns less (split stance: the front shank stays near upright while
// the back knee drops towards the floor and its shank swings through most of the motion).
// kLongerWayUp: both legs climb in every rep (a step-up) and the working one takes longer on
// the way up: it swings onto the box and lifts the body, while the other only swings up after
// it, and its shorter trip ends first.
enum class WorkingSideRule : std::uint8_t { kFirstToMove, kTurnsLess, kLongerWayUp };

// The four per-rep quantities compared between sides.
enum class Metric : std::uint8_t { kRom, kConcentricTime, kEccentricTime, kPeakSpeed };
inline constexpr int kMetricCount = 4;
inline constexpr std::array<Metric, kMetricCount> kAllMetrics = {
    Metric::kRom, Metric::kConcentricTime, Metric::kEccentricTime, Metric::kPeakSpeed};

// Traffic light of a left/right percentage difference.
enum class Band : std::uint8_t { kNotApplicable, kGreen, kAmber, kRed };

// Percentage-difference limits of the bands: green below amber_from_pct, red from red_from_pct.
struct BandLimits {
  double amber_from_pct = 10.0;
  double red_from_pct = 25.0;
};

// Coaching thresholds of one exercise (docs/coaching.md); the catalog may override them.
struct CoachingLimits {
  // Stop the set when the weaker side's concentric peak speed is this far below its own best
  // early reps, confirmed over consecutive reps. Velocity-loss coaching uses 20-30 %: 20 keeps
  // strength sets crisp, 30 suits light swung loads whose speed scatters. Empty: the daemon's
  // AsymmetryParams::stop_speed_loss_pct.
  std::optional<double> stop_speed_loss_pct;
  // Lead/lag: one side starting this much later than the other on average. Under 100 ms is the
  // rep-to-rep scatter of when a limb is seen leaving rest; 250 ms is a visible delay.
  double lead_amber_from_ms = 100.0;
  double lead_red_from_ms = 250.0;
};

// One entry of the exercise catalog (data/exercises.toml). Loaded outside the core.
struct Exercise {
  std::string name;  // catalog key, e.g. "biceps_curl"
  std::string display_name;
  std::vector<std::string> muscle_groups;  // e.g. {"biceps", "forearm_flexors"}
  ForceDirection direction = ForceDirection::kNeither;
  Phase first_phase = Phase::kConcentric;
  SetMode default_mode = SetMode::kBilateral;
  Limb limb = Limb::kWrist;                      // the sensors that measure this exercise
  std::array<BandLimits, kMetricCount> bands{};  // indexed by Metric
  CoachingLimits coaching{};
  // Reaching work (overhead or forward reach of the arms): the weekly balance asks for some.
  bool reaching = false;
  // The smallest rep of the exercise for any athlete, deg of segment rotation (0: not given; the
  // rep detector's own floors apply). RepDetectorParams::exercise_min_rom_deg.
  double min_rom_deg = 0.0;
  // The rep is the segment's tilt: its rotation about the vertical is not part of the movement
  // axis (MovementAxisParams::tilt_only).
  bool tilt_only = false;
  // In a unilateral set, the side not working rests (open chain: a straight-leg raise, a
  // one-arm row), so what it does while the other side works is the body moving it. False: it
  // may take part (closed chain: the back shank of a split squat tilts with every rep).
  // RepScreenParams::follower_resting_rom_frac.
  bool other_side_rests = false;
  // How a unilateral set's working side is found when the coach did not name it.
  WorkingSideRule working_side = WorkingSideRule::kFirstToMove;
  // The body steps up onto something and back down (a step-up, a box jump): a leg's trip up
  // and down is its rep, told by the sensor's height (RepDetectorParams::climbing).
  bool climbs = false;
};

// Used when no exercise is named: a generic movement that starts concentric, bilateral.
Exercise GenericExercise(Limb limb);

std::string_view ToString(Phase phase);
std::string_view ToString(SetMode mode);
std::string_view ToString(ForceDirection direction);
std::string_view ToString(Metric metric);
std::string_view ToString(Band band);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_EXERCISE_H_
