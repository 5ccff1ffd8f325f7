#ifndef AMBI_DAEMON_SIM_SESSION_SPEC_H_
#define AMBI_DAEMON_SIM_SESSION_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/placement.h"

namespace ambi::sim {

// The movement a simulated set performs. Each kind fixes the rest pose of the limb segment, the
// hinge axis in the world, the joint the segment turns about and which phase comes first.
// World frame NWU (x north, y west, z up); the athlete faces north.
enum class ExerciseKind : std::uint8_t {
  kCurl,              // forearm hanging, flexion about the medio-lateral axis (elbow)
  kLateralRaise,      // arm hanging, abduction about the antero-posterior axis (shoulder)
  kKneeExtension,     // seated, shank vertical, extension about the medio-lateral axis (knee)
  kSquat,             // shank tilts forward about the ankle; first phase eccentric
  kStraightLegRaise,  // lying on the back, leg raised about the hip
};

std::string_view ToString(ExerciseKind kind);
std::optional<ExerciseKind> ParseExerciseKind(std::string_view text);
// The matching entry of the exercise catalog (data/exercises.toml), e.g. "biceps_curl".
std::string_view CatalogNameOf(ExerciseKind kind);
// Wrist for arm exercises, ankle (shank) for leg exercises.
fusion::Limb LimbOf(ExerciseKind kind);
// The phase that leaves the rest pose: eccentric for the squat, concentric otherwise.
fusion::Phase FirstPhaseOf(ExerciseKind kind);
// Whether the side not working rests in a unilateral set: every exercise but the squat (both
// feet on the ground) is open chain.
bool OtherSideRestsIn(ExerciseKind kind);

// A time interval without samples (true time, seconds from session start).
struct Dropout {
  double start_s = 0.0;
  double end_s = 0.0;
};

// The sensor's own clock against true time: device_time = offset_s + true_time * (1 + drift_ppm
// * 1e-6). Samples are regular in device time, as a crystal-driven device produces them.
struct DeviceClockSpec {
  double offset_s = 0.0;
  double drift_ppm = 0.0;
};

// Sensor errors. Biases are constant for a session; noises are white, per sample, standard
// deviations in SI units.
struct NoiseSpec {
  fusion::Vec3 gyro_bias_rad_s;
  double gyro_noise_rad_s = 0.0;
  fusion::Vec3 accel_bias_m_s2;
  double accel_noise_m_s2 = 0.0;
  double mag_noise_uT = 0.0;
};

// A cheaper or vibrating sensor: every noise of 'noise' times 'scale' (the biases stay).
void ScaleNoise(NoiseSpec& noise, double scale);
// A gyro bias of 'magnitude_rad_s' along 'direction' (any length but zero): an uncalibrated
// sensor, its direction drawn by the caller.
fusion::Vec3 GyroBiasAlong(const fusion::Vec3& direction, double magnitude_rad_s);

// Small involuntary motion of the body about the joint: a sinusoid about a seeded random axis
// (per side). Zero amplitude disables it; then the sensor is exactly still at rest.
struct SwaySpec {
  double amplitude_deg = 0.0;
  double frequency_hz = 0.3;
};

// Bluetooth-like sample loss: runs of 1..max consecutive lost samples at random (Poisson)
// times, each run no longer than max_duration_s. Zero bursts_per_s disables it.
struct LossBurstSpec {
  double bursts_per_s = 0.0;
  int max_samples = 10;
  double max_duration_s = 0.2;
};

// A limb that only follows the body: during every rep of the other side this segment rocks
// with the body, by an angle drawn per rep (seeded) in [min_deg, max_deg], with the other rep's
// timing. Zero max_deg disables it.
struct FollowSpec {
  double min_deg = 0.0;
  double max_deg = 0.0;
  // Not a hinge: the limb also rolls about its own long axis (the pelvis or shoulder turning
  // with the effort) by up to this fraction of the rock, either way (drawn per rep), starting a
  // third of the rock's first phase later, so the rotation axis wanders during each rock. Zero:
  // the rock turns about the body's medio-lateral axis only.
  double roll_frac = 0.0;
  // The rock starts up to this long after the other side's rep (drawn per rep): the body answers
  // the working limb, it does not lead it.
  double lag_max_s = 0.0;
};

// One side's set: what that limb segment does and how its sensor is attached.
struct SideSpec {
  int rep_count = 10;
  double rom_deg = 120.0;           // segment excursion per rep
  double concentric_s = 1.0;        // lifting phase duration
  double eccentric_s = 1.5;         // lowering phase duration
  double pause_turnaround_s = 0.3;  // hold at the farthest point
  double rest_between_s = 0.8;      // still at the rest pose between reps
  // Per-rep variability, standard deviation in percent of the nominal value (seeded).
  double rom_jitter_pct = 0.0;
  double tempo_jitter_pct = 0.0;
  // Fatigue: the concentric peak speed of rep i (0-based) drops by i * this percentage
  // (the concentric phase lasts longer); the ROM may drop likewise.
  double fatigue_speed_loss_pct_per_rep = 0.0;
  double fatigue_rom_loss_pct_per_rep = 0.0;
  // Sensor attachment: lever arm from the joint along the segment, and the rotation from the
  // sensor frame to the segment frame (any unit quaternion; identity = axes aligned).
  double lever_arm_m = 0.25;
  fusion::Quaternion mount_sensor_to_segment;
  DeviceClockSpec clock;
  std::vector<Dropout> dropouts;
  NoiseSpec noise;
  SwaySpec sway;
  LossBurstSpec loss;
  FollowSpec follow;
};

// Handling the weights at the edges of a bilateral set: before the first rep the segment
// reaches out by angle_deg (about the body's medio-lateral axis, through the shoulder or hip)
// in reach_s, grips for grip_s and lifts the weight back slowly in lift_s, then settles for
// settle_s; after the last rep (settle_s later) the reverse puts it down. Both sides alike.
struct HandlingSpec {
  bool enabled = false;
  double angle_deg = 42.0;
  double reach_s = 1.0;
  double grip_s = 0.5;
  double lift_s = 2.0;
  double settle_s = 1.0;
};

// Walking to the station before the set: each segment swings about the body's medio-lateral
// axis (swing_deg peak to peak, left and right in anti-phase) while the body bounces vertically
// by bounce_m at twice the swing frequency (one bounce per step). Both fade in and out over one
// swing period; then the athlete stands still for stand_s. Zero duration_s disables it.
struct WalkSpec {
  double duration_s = 0.0;
  double swing_deg = 45.0;
  double frequency_hz = 0.9;
  double bounce_m = 0.025;
  double stand_s = 1.5;
};

// Several bilateral sets with the weights kept in hand between them: set_count sets, rest_s
// between them, during which each arm sways by fidget_deg (amplitude) at fidget_hz.
struct SetsSpec {
  int set_count = 1;
  double rest_s = 30.0;
  double fidget_deg = 3.0;
  double fidget_hz = 0.25;
};

// A forward lunge, on a squat session (the shank from the ankle): before each rep the leading
// leg steps forward by length_m in swing_s, the foot lifting by lift_m and the knee flexing the
// shank by swing_knee_deg and back as it swings, and reaching: the shank lands reach_deg past
// vertical (foot ahead of the knee), which it leaves over reach_settle_s as the knee travels
// forward. The rep is its descent and ascent (the front shank tilting forward by its side's
// rom_deg); it steps back the same way, without the reach. The other leg stays where it is: its
// rep is the rear knee dropping towards the floor (its side's rom_deg, some 85 deg: the shank
// near horizontal) in the same time. Both legs count the reps.
//
// A step-up (box_m > 0) steps onto a box instead: the leading leg swings up and forward by
// length_m (box_m up) and lands with its knee ahead of the foot, the shank tilted forward by its
// side's rom_deg. Its planned rep is the stance: the shank turns back to vertical as the knee
// extends (the rise, concentric), holds at the top, and tilts forward again as the body lowers;
// then the leg steps down. The other leg trails: it swings up onto the box at the end of the
// rise and stands there, and steps back down to the floor during the lowering, its knee flexing
// the shank by swing_knee_deg each way. Each leg's rep is its trip up and back down: both legs
// count one rep per step-up. Bilateral, 'leading' leads every step-up; unilateral, each leg
// leads its own set (SessionSpec::unilateral_first_side's first) and trails the other's.
struct StepSpec {
  bool enabled = false;
  fusion::Side leading = fusion::Side::kRight;
  double box_m = 0.0;  // a step-up's box height; 0: a lunge on level floor
  double length_m = 0.7;
  double lift_m = 0.08;
  double swing_s = 0.6;
  double swing_knee_deg = 35.0;
  double reach_deg = 15.0;
  double reach_settle_s = 0.5;

  bool step_up() const { return enabled && box_m > 0.0; }
};

// Step-ups onto a 0.35 m box, 0.3 m ahead, 'leading' stepping up first: each leg swings up in
// 0.7 s, the knee flexing its shank 50 deg (ambi-sim --step-up, the stepping grid's fixed ones).
StepSpec StepUpOntoBox(fusion::Side leading);
// ... each leading shank landing tilted this much forward (its side's rom_deg).
inline constexpr double kStepUpLandingTiltDeg = 20.0;

struct SessionSpec {
  std::string name = "custom";
  ExerciseKind exercise = ExerciseKind::kCurl;
  fusion::SetMode mode = fusion::SetMode::kBilateral;
  fusion::Side unilateral_first_side = fusion::Side::kLeft;  // unilateral: who works first
  double rest_between_sets_s = 5.0;  // unilateral: still time between the two sides' sets
  // Bilateral: the right side starts each rep this much later (negative: earlier).
  double right_lag_ms = 0.0;
  double rate_hz = 100.0;
  double rest_before_s = 2.0;
  double rest_after_s = 2.0;
  bool with_mag = false;
  double mag_field_uT = 50.0;  // earth field magnitude
  double mag_dip_deg = 65.0;   // inclination, positive downwards (northern hemisphere)
  std::uint64_t seed = 1;
  HandlingSpec handling;
  WalkSpec walk;
  SetsSpec sets;
  StepSpec step;
  SideSpec left;
  SideSpec right;

  const SideSpec& side(fusion::Side s) const { return s == fusion::Side::kLeft ? left : right; }
  SideSpec& side(fusion::Side s) { return s == fusion::Side::kLeft ? left : right; }
};

// Returns an empty string when 'spec' is usable, else a message naming the field and value.
std::string Validate(const SessionSpec& spec);

// The catalog entry a replay of 'spec' is measured as: its exercise's, or "step_up" for a
// squat session that steps onto a box (StepSpec::box_m).
std::string_view CatalogNameOf(const SessionSpec& spec);

// What actually happened to one side, in true time (seconds from session start, stored in the
// Rep's Time fields). ROM and tempo are those of the segment, independent of the sensor mount.
struct SideTruth {
  fusion::Placement placement;
  std::vector<fusion::Rep> reps;
  // Hinge axis of the movement in the world (unit vector); rotation about it is positive away
  // from the rest pose.
  fusion::Vec3 hinge_axis_world;
  // Loss bursts of this side's sensor (true time). Reps are expected through them: unlike the
  // long dropouts of SideSpec::dropouts, a burst never excuses a missed rep.
  std::vector<Dropout> loss_bursts;
  // Rep-shaped movements that are not reps: handling at the set edges, rocking with the other
  // limb (true time of their start and end). Counting one is a phantom rep.
  std::vector<Dropout> non_rep_moves;
};

struct GroundTruth {
  std::string preset;
  ExerciseKind exercise = ExerciseKind::kCurl;
  fusion::Phase first_phase = fusion::Phase::kConcentric;
  fusion::SetMode mode = fusion::SetMode::kBilateral;
  // Unilateral: the side whose set comes first (set 1; the other side's is set 2). A rep's
  // set_index says whose set it is in: a step-up's trailing leg trips in the other leg's set.
  fusion::Side unilateral_first_side = fusion::Side::kLeft;
  double duration_s = 0.0;  // true time covered by the session
  SideTruth left;
  SideTruth right;
  // The commanded asymmetry (right vs left nominal values), percent: (R - L) / L * 100.
  double commanded_rom_diff_pct = 0.0;
  double commanded_concentric_diff_pct = 0.0;
  double commanded_eccentric_diff_pct = 0.0;
  double right_lag_ms = 0.0;

  const SideTruth& side(fusion::Side s) const { return s == fusion::Side::kLeft ? left : right; }
};

// The true reps 'side' does in its own set: all of them in a bilateral session; in a unilateral
// one, those of its set (a step-up's trailing leg also trips in the other leg's set).
std::vector<fusion::Rep> OwnSetReps(const GroundTruth& truth, fusion::Side side);

// How many of 'reps' (one side's, true or detected, in time order) each set holds, in set order;
// a set without any of them is left out. Two sets of seven read {7, 7}; merged, {14}.
std::vector<int> RepsPerSet(const std::vector<fusion::Rep>& reps);

// One generated sample with what the simulator knows about it.
struct SimSample {
  fusion::ImuSample imu;  // stamped with the device clock
  double true_time_s = 0.0;
  fusion::Quaternion sensor_to_earth;  // true orientation, NWU
  double segment_angle_rad = 0.0;      // commanded angle about the hinge (without sway)
};

struct SimulatedSensor {
  fusion::Placement placement;
  std::vector<fusion::ImuSample> samples;  // device-clock stamps
  std::vector<double> true_time_s;         // parallel to samples
};

struct SimulatedSession {
  SessionSpec spec;
  std::vector<SimulatedSensor> sensors;  // left, then right
  GroundTruth truth;
};

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_SESSION_SPEC_H_
