#ifndef AMBI_DAEMON_SIM_LIMB_SIMULATOR_H_
#define AMBI_DAEMON_SIM_LIMB_SIMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "daemon/sim/prng.h"
#include "daemon/sim/session_spec.h"
#include "fusion/core/placement.h"

namespace ambi::sim {

// One planned repetition of one side, true time. The angle about the hinge goes 0 -> rom_rad in
// the first phase (minimum-jerk), holds, returns to 0 in the second phase (minimum-jerk).
struct PlannedRep {
  double start_s = 0.0;
  double first_phase_s = 0.0;
  double hold_s = 0.0;
  double second_phase_s = 0.0;
  double rom_rad = 0.0;
  double end_s() const { return start_s + first_phase_s + hold_s + second_phase_s; }
};

// The commanded segment angle about the hinge and its first two derivatives.
struct AngleState {
  double angle_rad = 0.0;
  double rate_rad_s = 0.0;
  double accel_rad_s2 = 0.0;
};

// Closed-form angle of a rep plan at true time 't_s'. 'cursor' (start at 0) remembers the current
// rep so that evaluating at increasing times costs O(1); any order of times stays correct.
AngleState EvaluateProfile(const std::vector<PlannedRep>& reps, double t_s, std::size_t* cursor);

// A sinusoid with a smooth onset and end: amplitude * sin(2 pi frequency (t - start) + phase)
// inside [start_s, end_s], its envelope rising from 0 to 1 over ramp_s after the start and
// falling back over ramp_s before the end (minimum-jerk), so position, rate and acceleration
// stay continuous. Used for angles (rad) and displacements (m).
struct Oscillation {
  double start_s = 0.0;
  double end_s = 0.0;
  double amplitude = 0.0;
  double frequency_hz = 1.0;
  double phase_rad = 0.0;
  double ramp_s = 1.0;
};

// Value, first and second derivative of 'o' at 't_s' (zero outside it).
AngleState EvaluateOscillation(const Oscillation& o, double t_s);

// Minimum-jerk peak speed is 15/8 of the mean speed of the phase.
inline constexpr double kMinJerkPeakToMeanSpeed = 1.875;

// What the body does to one side's segment besides the side's own reps, in true time:
// rotations about the body's medio-lateral axis through the body pivot (RestPose), and vertical
// displacement of the whole body, plus the side's sample-loss bursts.
struct BodyPlan {
  std::vector<PlannedRep> moves;     // rep-shaped: handling, rocking with the other limb
  std::vector<PlannedRep> rolls;     // rep-shaped, about the limb's own long axis (rocking)
  std::vector<Oscillation> swings;   // angle (rad): walking arm swing, fidgeting between sets
  std::vector<Oscillation> bounces;  // vertical displacement (m): walking
  // Rep-shaped displacements of the whole limb (m): a lunge's step forward and back (north),
  // and the foot's lift off the floor as it swings (up).
  std::vector<PlannedRep> steps;
  std::vector<PlannedRep> lifts;
  // Rep-shaped rotations like 'moves', added to them where they overlap: a lunge's reach.
  std::vector<PlannedRep> reaches;
  std::vector<Dropout> loss_bursts;  // sensor sample loss
};

// Both sides' rep plans and the ground truth of a session. Deterministic in spec.seed.
struct SessionPlan {
  std::vector<PlannedRep> left;
  std::vector<PlannedRep> right;
  BodyPlan left_body;
  BodyPlan right_body;
  GroundTruth truth;
  const std::vector<PlannedRep>& side(fusion::Side s) const {
    return s == fusion::Side::kLeft ? left : right;
  }
  const BodyPlan& body(fusion::Side s) const {
    return s == fusion::Side::kLeft ? left_body : right_body;
  }
};

// Plans a session. 'spec' must pass Validate(); throws std::invalid_argument otherwise.
SessionPlan PlanSession(const SessionSpec& spec);

// Streams the samples of one sensor on demand with constant memory (only the side's rep plan is
// held), so a live source can pace them. Samples come in device-clock order at spec.rate_hz in
// device time; dropouts are skipped. Not thread-safe; one sampler per sensor.
class SensorSampler {
 public:
  SensorSampler(const SessionSpec& spec, const SessionPlan& plan, fusion::Side side);

  // Writes the next sample into 'out'; returns false when the session is over.
  bool Next(SimSample* out);

  fusion::Placement placement() const { return placement_; }
  // Device-clock tick of the next sample (counts dropped samples too).
  std::int64_t next_tick() const { return tick_; }
  // Samples the sampler will emit in total (dropouts excluded).
  std::size_t ExpectedSampleCount() const;

 private:
  bool InDropout(double t_s) const;

  fusion::Placement placement_;
  std::vector<PlannedRep> reps_;
  std::vector<Dropout> dropouts_;
  double duration_s_;
  double rate_hz_;
  double device_per_true_;  // 1 + drift
  double device_offset_s_;
  double lever_arm_m_;
  bool with_mag_;
  // Geometry, row-major 3x3 and 3-vectors (world NWU).
  double hinge_axis_[3];
  double segment_dir_[3];     // joint -> sensor at rest, unit
  double rest_to_sensor_[9];  // R_rest * R_mount: sensor frame -> world at the rest pose
  double mag_world_uT_[3];
  double sway_axis_[3];
  double sway_amplitude_rad_;
  double sway_omega_rad_s_;
  double sway_phase_rad_;
  BodyPlan body_;
  bool body_moves_ = false;   // any body rotation or bounce: the general kinematics below
  double body_axis_[3];       // world, unit
  double pivot_to_joint_[3];  // world, at rest
  std::size_t body_cursor_ = 0;
  std::size_t step_cursor_ = 0;
  std::size_t lift_cursor_ = 0;
  std::size_t reach_cursor_ = 0;
  // A following limb's roll turns it about this world axis through the pivot, after the body's
  // rotation: the long axis of the upper arm or thigh (pivot -> joint), or of the segment when
  // the pivot is the joint.
  double roll_axis_[3];
  std::size_t roll_cursor_ = 0;
  NoiseSpec noise_;
  Prng noise_rng_;
  std::size_t cursor_ = 0;
  std::int64_t tick_ = 0;
};

// Generates a whole session in memory: both sensors (left, then right) and the ground truth.
// Throws std::invalid_argument when 'spec' fails Validate().
SimulatedSession Simulate(const SessionSpec& spec);

// The world frame geometry of an exercise's rest pose (unit vectors, NWU).
struct RestPose {
  fusion::Vec3 hinge_axis_world;   // positive rotation moves the segment away from rest
  fusion::Vec3 segment_dir_world;  // from the joint towards the sensor, at rest
  // Body motion (handling, walking, rocking) turns the segment about this world axis (the body's
  // medio-lateral axis, positive: the segment's far end moves forward or up) through a pivot at
  // the shoulder or hip; pivot_to_joint_world is the joint's offset from that pivot at rest.
  fusion::Vec3 body_axis_world;
  fusion::Vec3 pivot_to_joint_world;
};
RestPose RestPoseOf(ExerciseKind kind, fusion::Side side);

// The hinge axis expressed in the sensor frame (constant during the session, apart from sway).
fusion::Vec3 HingeAxisInSensor(const SessionSpec& spec, fusion::Side side);

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_LIMB_SIMULATOR_H_
