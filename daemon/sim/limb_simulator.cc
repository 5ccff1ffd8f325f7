#include "daemon/sim/limb_simulator.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace ambi::sim {
namespace {

using fusion::Side;
using fusion::Vec3;

constexpr double kGravity_m_s2 = 9.80665;
constexpr double kDegToRad = std::numbers::pi / 180.0;
constexpr double kRadToDeg = 180.0 / std::numbers::pi;

// Seed streams, so that e.g. changing the noise does not change the rep plan.
constexpr std::uint64_t kStreamPlanLeft = 1;
constexpr std::uint64_t kStreamPlanRight = 2;
constexpr std::uint64_t kStreamNoiseLeft = 3;
constexpr std::uint64_t kStreamNoiseRight = 4;
constexpr std::uint64_t kStreamSwayLeft = 5;
constexpr std::uint64_t kStreamSwayRight = 6;
constexpr std::uint64_t kStreamLossLeft = 7;
constexpr std::uint64_t kStreamLossRight = 8;
constexpr std::uint64_t kStreamFollowLeft = 9;
constexpr std::uint64_t kStreamFollowRight = 10;

// A following limb's roll starts this fraction of its rock's first phase after the rock: the
// body turns after it tilts, so the axis of the combined rotation wanders.
constexpr double kRollDelayOfFirstPhase = 1.0 / 3.0;

Eigen::Vector3d ToEigen(const Vec3& v) { return {v.x, v.y, v.z}; }
Vec3 ToVec3(const Eigen::Vector3d& v) { return {v.x(), v.y(), v.z()}; }
Eigen::Quaterniond ToEigen(const fusion::Quaternion& q) { return {q.w, q.x, q.y, q.z}; }

// Minimum-jerk position, velocity and acceleration of a unit move over unit time.
struct UnitMove {
  double s, ds, dds;
};
UnitMove MinJerk(double tau) {
  const double t2 = tau * tau;
  const double t3 = t2 * tau;
  return {t3 * (10.0 - 15.0 * tau + 6.0 * t2), 30.0 * t2 * (1.0 - 2.0 * tau + t2),
          tau * (60.0 - 180.0 * tau + 120.0 * t2)};
}

// Keeps a jittered factor positive and plausible however large the Gaussian draw.
double JitterFactor(Prng& rng, double sd_pct) {
  const double g = std::clamp(rng.Gaussian(), -3.0, 3.0);
  return std::max(0.2, 1.0 + sd_pct / 100.0 * g);
}

struct SideRepParams {
  double rom_rad, concentric_s, eccentric_s, hold_s;
};

std::vector<SideRepParams> DrawReps(const SideSpec& s, int set_count, std::uint64_t seed) {
  Prng rng(seed);
  std::vector<SideRepParams> reps;
  reps.reserve(static_cast<std::size_t>(s.rep_count * set_count));
  for (int k = 0; k < s.rep_count * set_count; ++k) {
    const int i = k % std::max(1, s.rep_count);  // fatigue restarts with each set
    const double rom_fatigue = std::max(0.1, 1.0 - s.fatigue_rom_loss_pct_per_rep * i / 100.0);
    const double speed_factor = std::max(0.1, 1.0 - s.fatigue_speed_loss_pct_per_rep * i / 100.0);
    SideRepParams p;
    p.rom_rad = s.rom_deg * kDegToRad * rom_fatigue * JitterFactor(rng, s.rom_jitter_pct);
    p.rom_rad = std::min(p.rom_rad, std::numbers::pi);
    // A slower concentric phase at (nearly) the same ROM is what a fatigued lift looks like.
    p.concentric_s = s.concentric_s * JitterFactor(rng, s.tempo_jitter_pct) / speed_factor;
    p.eccentric_s = s.eccentric_s * JitterFactor(rng, s.tempo_jitter_pct);
    p.hold_s = s.pause_turnaround_s;
    reps.push_back(p);
  }
  return reps;
}

PlannedRep MakePlanned(const SideRepParams& p, double start_s, fusion::Phase first) {
  const bool concentric_first = first == fusion::Phase::kConcentric;
  return {start_s, concentric_first ? p.concentric_s : p.eccentric_s, p.hold_s,
          concentric_first ? p.eccentric_s : p.concentric_s, p.rom_rad};
}

fusion::Rep TruthOf(const PlannedRep& r, const SideRepParams& p, fusion::Placement placement,
                    int index, double previous_end_s) {
  fusion::Rep rep;
  rep.placement = placement;
  rep.set_index = 1;
  rep.index = index;
  rep.start = fusion::TimeFromSeconds(r.start_s);
  rep.turnaround = fusion::TimeFromSeconds(r.start_s + r.first_phase_s);
  rep.end = fusion::TimeFromSeconds(r.end_s());
  rep.rom_deg = r.rom_rad * kRadToDeg;
  rep.concentric_s = p.concentric_s;
  rep.eccentric_s = p.eccentric_s;
  rep.pause_turnaround_s = r.hold_s;
  rep.pause_before_s = previous_end_s < 0.0 ? 0.0 : r.start_s - previous_end_s;
  rep.peak_concentric_speed_deg_s = kMinJerkPeakToMeanSpeed * rep.rom_deg / p.concentric_s;
  rep.peak_speed_deg_s =
      kMinJerkPeakToMeanSpeed * rep.rom_deg / std::min(p.concentric_s, p.eccentric_s);
  return rep;
}

double PercentDiff(double left, double right) { return (right - left) / left * 100.0; }

// Rotations about one axis add: angle, rate and acceleration alike.
void Accumulate(AngleState& sum, const AngleState& part) {
  sum.angle_rad += part.angle_rad;
  sum.rate_rad_s += part.rate_rad_s;
  sum.accel_rad_s2 += part.accel_rad_s2;
}

// Row-major 3x3 helpers over the plain arrays the sampler stores.
Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>> Mat(const double* m) {
  return Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(m);
}
Eigen::Map<const Eigen::Vector3d> Vec(const double* v) {
  return Eigen::Map<const Eigen::Vector3d>(v);
}

}  // namespace

AngleState EvaluateProfile(const std::vector<PlannedRep>& reps, double t_s, std::size_t* cursor) {
  std::size_t i = std::min(*cursor, reps.size());
  if (i > 0 && i <= reps.size() && t_s < reps[i - 1].end_s()) i = 0;  // time went back: rescan
  while (i < reps.size() && t_s >= reps[i].end_s()) ++i;
  *cursor = i;
  if (i == reps.size() || t_s < reps[i].start_s) return {};
  const PlannedRep& r = reps[i];
  double t = t_s - r.start_s;
  if (t < r.first_phase_s) {
    const UnitMove m = MinJerk(t / r.first_phase_s);
    return {r.rom_rad * m.s, r.rom_rad * m.ds / r.first_phase_s,
            r.rom_rad * m.dds / (r.first_phase_s * r.first_phase_s)};
  }
  t -= r.first_phase_s;
  if (t < r.hold_s) return {r.rom_rad, 0.0, 0.0};
  t -= r.hold_s;
  const UnitMove m = MinJerk(t / r.second_phase_s);
  return {r.rom_rad * (1.0 - m.s), -r.rom_rad * m.ds / r.second_phase_s,
          -r.rom_rad * m.dds / (r.second_phase_s * r.second_phase_s)};
}

AngleState EvaluateOscillation(const Oscillation& o, double t_s) {
  if (t_s < o.start_s || t_s >= o.end_s) return {};
  const double w = 2.0 * std::numbers::pi * o.frequency_hz;
  const double phase = w * (t_s - o.start_s) + o.phase_rad;
  const double sine = o.amplitude * std::sin(phase);
  const double d_sine = o.amplitude * w * std::cos(phase);
  const double dd_sine = -o.amplitude * w * w * std::sin(phase);
  // Envelope: minimum-jerk rise over ramp_s, 1, minimum-jerk fall over ramp_s.
  const double ramp = std::min(o.ramp_s, 0.5 * (o.end_s - o.start_s));
  double env = 1.0, d_env = 0.0, dd_env = 0.0;
  if (ramp > 0.0 && t_s - o.start_s < ramp) {
    const UnitMove m = MinJerk((t_s - o.start_s) / ramp);
    env = m.s;
    d_env = m.ds / ramp;
    dd_env = m.dds / (ramp * ramp);
  } else if (ramp > 0.0 && o.end_s - t_s < ramp) {
    const UnitMove m = MinJerk((o.end_s - t_s) / ramp);
    env = m.s;
    d_env = -m.ds / ramp;
    dd_env = m.dds / (ramp * ramp);
  }
  return {env * sine, d_env * sine + env * d_sine,
          dd_env * sine + 2.0 * d_env * d_sine + env * dd_sine};
}

RestPose RestPoseOf(ExerciseKind kind, Side side) {
  // Each axis is chosen so that a positive rotation moves the segment away from rest:
  // axis x rest_direction = direction of motion. The body axis is medio-lateral; the pivot is
  // the shoulder (arms) or the hip (legs); the upper arm is 0.30 m, the thigh 0.40 m.
  switch (kind) {
    case ExerciseKind::kCurl:  // forearm down, hand moves forward (north); elbow below shoulder
      return {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}, {0.0, -1.0, 0.0}, {0.0, 0.0, -0.30}};
    case ExerciseKind::kKneeExtension:  // seated: shank down, foot forward; knee ahead of hip
      return {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}, {0.0, -1.0, 0.0}, {0.40, 0.0, 0.0}};
    case ExerciseKind::kLateralRaise:  // arm down, hand moves outwards (left = west = +y)
      return {{side == Side::kLeft ? 1.0 : -1.0, 0.0, 0.0},
              {0.0, 0.0, -1.0},
              {0.0, -1.0, 0.0},
              {0.0, 0.0, 0.0}};
    case ExerciseKind::kSquat:  // shank up from the ankle, knee moves forward
      return {{0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 0.0}};
    case ExerciseKind::kStraightLegRaise:  // lying supine, feet north, leg lifts up
      return {{0.0, -1.0, 0.0}, {1.0, 0.0, 0.0}, {0.0, -1.0, 0.0}, {0.0, 0.0, 0.0}};
  }
  return {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}, {0.0, -1.0, 0.0}, {0.0, 0.0, 0.0}};
}

namespace {

// Segment frame: x along the segment (joint -> sensor), y along the hinge axis, z = x cross y.
Eigen::Matrix3d SegmentRestToWorld(const RestPose& pose) {
  const Eigen::Vector3d x = ToEigen(pose.segment_dir_world);
  const Eigen::Vector3d y = ToEigen(pose.hinge_axis_world);
  Eigen::Matrix3d m;
  m.col(0) = x;
  m.col(1) = y;
  m.col(2) = x.cross(y);
  return m;
}

}  // namespace

Vec3 HingeAxisInSensor(const SessionSpec& spec, Side side) {
  const Eigen::Matrix3d mount =
      ToEigen(spec.side(side).mount_sensor_to_segment).normalized().toRotationMatrix();
  return ToVec3(mount.transpose() * Eigen::Vector3d::UnitY());
}

namespace {

// Bluetooth-like loss bursts over [0, duration_s): Poisson start times, 1..n samples each,
// aligned to the sensor's sample grid so that a burst of n loses exactly n samples.
std::vector<Dropout> DrawLossBursts(const SideSpec& s, double rate_hz, double duration_s,
                                    std::uint64_t seed) {
  std::vector<Dropout> bursts;
  if (s.loss.bursts_per_s <= 0.0) return bursts;
  Prng rng(seed);
  const double period_s = 1.0 / (rate_hz * (1.0 + s.clock.drift_ppm * 1e-6));
  const int longest =
      std::max(1, std::min(s.loss.max_samples,
                           static_cast<int>(std::floor(s.loss.max_duration_s / period_s + 1e-9))));
  double t = 0.0;
  for (;;) {
    t += -std::log(1.0 - rng.Uniform()) / s.loss.bursts_per_s;
    if (t >= duration_s) break;
    const int n = 1 + static_cast<int>(rng.Uniform() * longest);
    const double first = std::ceil(t / period_s);
    const Dropout burst{(first - 0.5) * period_s, (first - 0.5 + std::min(n, longest)) * period_s};
    if (!bursts.empty() && burst.start_s <= bursts.back().end_s) continue;  // keep them apart
    bursts.push_back(burst);
    t = burst.end_s;
  }
  return bursts;
}

// The largest tilt of a side's segment from its rest pose over [from_s, to_s], and its fastest
// turn: its planned reps and the body's turns about the same axis (a step-up's knee swings and
// landing tilt).
struct PeakTurn {
  double angle_deg = 0.0;
  double rate_deg_s = 0.0;
};
PeakTurn PeakTurnOf(const std::vector<PlannedRep>& reps, const BodyPlan& body, double from_s,
                    double to_s) {
  constexpr double kStep_s = 0.001;
  std::size_t rep_cursor = 0, move_cursor = 0, reach_cursor = 0;
  PeakTurn peak;
  for (double t = from_s; t <= to_s; t += kStep_s) {
    AngleState turn = EvaluateProfile(reps, t, &rep_cursor);
    Accumulate(turn, EvaluateProfile(body.moves, t, &move_cursor));
    Accumulate(turn, EvaluateProfile(body.reaches, t, &reach_cursor));
    peak.angle_deg = std::max(peak.angle_deg, std::abs(turn.angle_rad) * kRadToDeg);
    peak.rate_deg_s = std::max(peak.rate_deg_s, std::abs(turn.rate_rad_s) * kRadToDeg);
  }
  return peak;
}

// A lunge: the leading leg steps out before each of its reps and back after it. Swinging, the
// foot lifts and the knee flexes the shank (a bump about the ankle's medio-lateral axis, the
// body axis of the squat's rest pose) and straightens it again; stepping out, the shank also
// reaches past vertical to land (a reach, added to the bump where they overlap).
void PlanLunges(const StepSpec& step, SessionPlan& plan) {
  BodyPlan& body = step.leading == Side::kLeft ? plan.left_body : plan.right_body;
  const double half_s = 0.5 * step.swing_s;
  for (const PlannedRep& rep : plan.side(step.leading)) {
    const double out_s = rep.start_s - step.swing_s;
    body.steps.push_back(
        {out_s, step.swing_s, rep.end_s() - rep.start_s, step.swing_s, step.length_m});
    for (double swing_from_s : {out_s, rep.end_s()}) {
      body.moves.push_back({swing_from_s, half_s, 0.0, half_s, step.swing_knee_deg * kDegToRad});
      body.lifts.push_back({swing_from_s, half_s, 0.0, half_s, step.lift_m});
    }
    // The reach: from a third of the way through the swing to the landing, then settled.
    body.reaches.push_back({out_s + step.swing_s / 3.0, 2.0 * step.swing_s / 3.0, 0.0,
                            step.reach_settle_s, -step.reach_deg * kDegToRad});
  }
}

// One leg's trip onto the box and back: its swing up, its time on the box and its swing down,
// and, where the leg leads the step-up, the index of its own planned rep (the stance that lifts
// the body onto the box).
struct StepUpTrip {
  PlannedRep trip;
  std::optional<std::size_t> stance;
};
using StepUpTrips = std::array<std::vector<StepUpTrip>, 2>;  // left, right; in time order

std::vector<StepUpTrip>& TripsOf(StepUpTrips& trips, Side side) {
  return trips[side == Side::kLeft ? 0 : 1];
}

// A step-up (StepSpec::box_m): the leading leg swings up onto the box before each of its reps,
// landing with the shank tilted forward by the rep's range; its planned rep (negative) turns the
// shank back to vertical and forward again; it steps down after. The trailing leg swings up at
// the end of the rise and back down during the lowering. Bilateral, 'step.leading' leads every
// step-up and the trailing leg's own planned reps turn nothing; unilateral, each side leads the
// step-ups of its own set (the first side's set comes first, so each leg's trips are in order).
StepUpTrips PlanStepUps(const SessionSpec& spec, SessionPlan& plan) {
  const StepSpec& step = spec.step;
  StepUpTrips trips;
  const double knee_rad = step.swing_knee_deg * kDegToRad;
  const auto swing = [&](Side side, double from_s, double up_s, double on_box_s, double down_s,
                         std::optional<std::size_t> stance) {
    BodyPlan& body = side == Side::kLeft ? plan.left_body : plan.right_body;
    const PlannedRep trip{from_s, up_s, on_box_s, down_s, step.length_m};
    body.steps.push_back(trip);
    body.lifts.push_back({from_s, up_s, on_box_s, down_s, step.box_m});
    body.moves.push_back({from_s, 0.5 * up_s, 0.0, 0.5 * up_s, knee_rad});
    body.moves.push_back({from_s + up_s + on_box_s, 0.5 * down_s, 0.0, 0.5 * down_s, knee_rad});
    TripsOf(trips, side).push_back({trip, stance});
  };
  const bool bilateral = spec.mode == fusion::SetMode::kBilateral;
  const Side first = bilateral ? step.leading : spec.unilateral_first_side;
  for (Side leading : {first, fusion::OtherSide(first)}) {
    if (bilateral && leading != step.leading) continue;
    BodyPlan& lead = leading == Side::kLeft ? plan.left_body : plan.right_body;
    auto& reps = leading == Side::kLeft ? plan.left : plan.right;
    for (std::size_t i = 0; i < reps.size(); ++i) {
      PlannedRep& rep = reps[i];
      const double landing_tilt_rad = rep.rom_rad;
      rep.rom_rad = -landing_tilt_rad;
      swing(leading, rep.start_s - step.swing_s, step.swing_s, rep.end_s() - rep.start_s,
            step.swing_s, i);
      // The tilt builds over the last two thirds of the swing up and goes over the swing down.
      lead.reaches.push_back({rep.start_s - 2.0 * step.swing_s / 3.0, 2.0 * step.swing_s / 3.0,
                              rep.end_s() - rep.start_s, step.swing_s, landing_tilt_rad});
      const double up_s = std::min(step.swing_s, rep.first_phase_s);
      const double down_s = std::min(step.swing_s, rep.second_phase_s);
      const double up_from_s = rep.start_s + rep.first_phase_s - up_s;
      const double down_from_s = rep.start_s + rep.first_phase_s + rep.hold_s;
      swing(fusion::OtherSide(leading), up_from_s, up_s, down_from_s - (up_from_s + up_s), down_s,
            std::nullopt);
    }
  }
  if (bilateral) {
    for (PlannedRep& rep : fusion::OtherSide(step.leading) == Side::kLeft ? plan.left : plan.right)
      rep.rom_rad = 0.0;
  }
  return trips;
}

// The truth of a leg's step-up trips: each trip is a rep, timed by its steps (the trip's way up
// is the lift; leading, it ends standing tall on the box, after the stance's rise). Its range is
// the largest tilt of the shank on the way: the knee's flexion as it swings (and, leading, the
// landing's tilt with it). Its peak speeds are the shank's fastest turn on the way up, and on
// the whole trip.
// A trip belongs to the set of the leg that leads its step-up.
std::vector<fusion::Rep> TripTruth(const SessionSpec& spec, Side side,
                                   const std::vector<StepUpTrip>& trips,
                                   const std::vector<PlannedRep>& planned, const BodyPlan& body) {
  std::vector<fusion::Rep> reps;
  const int per_set = std::max(1, spec.side(side).rep_count);
  int set_index = 0;
  int in_set = 0;
  double previous_end_s = -1.0;
  for (std::size_t k = 0; k < trips.size(); ++k) {
    const StepUpTrip& t = trips[k];
    PlannedRep way = t.trip;
    if (t.stance) {
      const PlannedRep& stance = planned[*t.stance];
      way.first_phase_s += stance.first_phase_s;
      way.hold_s = stance.hold_s;
      way.second_phase_s += stance.second_phase_s;
    }
    const Side leader = t.stance ? side : fusion::OtherSide(side);
    const int set = spec.mode == fusion::SetMode::kBilateral
                        ? static_cast<int>(k) / per_set + 1
                        : (leader == spec.unilateral_first_side ? 1 : 2);
    if (set != set_index) {
      set_index = set;
      in_set = 0;
      previous_end_s = -1.0;
    }
    const PeakTurn whole = PeakTurnOf(planned, body, way.start_s, way.end_s());
    way.rom_rad = whole.angle_deg * kDegToRad;
    const SideRepParams phases{way.rom_rad, way.first_phase_s, way.second_phase_s, way.hold_s};
    fusion::Rep rep = TruthOf(way, phases, {side, LimbOf(spec.exercise)}, ++in_set, previous_end_s);
    rep.set_index = set;
    rep.peak_concentric_speed_deg_s =
        PeakTurnOf(planned, body, way.start_s, way.start_s + way.first_phase_s).rate_deg_s;
    rep.peak_speed_deg_s = whole.rate_deg_s;
    reps.push_back(rep);
    previous_end_s = way.end_s();
  }
  return reps;
}

}  // namespace

SessionPlan PlanSession(const SessionSpec& spec) {
  if (const std::string err = Validate(spec); !err.empty()) throw std::invalid_argument(err);
  const bool step_up = spec.step.step_up();
  // A step-up's stance begins with the rise onto the box.
  const fusion::Phase first = step_up ? fusion::Phase::kConcentric : FirstPhaseOf(spec.exercise);
  const fusion::Limb limb = LimbOf(spec.exercise);
  const int set_count = spec.mode == fusion::SetMode::kBilateral ? spec.sets.set_count : 1;
  const auto left_params = DrawReps(spec.left, set_count, DeriveSeed(spec.seed, kStreamPlanLeft));
  const auto right_params =
      DrawReps(spec.right, set_count, DeriveSeed(spec.seed, kStreamPlanRight));

  SessionPlan plan;
  double t = spec.rest_before_s;
  // Walking to the station: arm swing in anti-phase, body bounce once per step.
  if (spec.walk.duration_s > 0.0) {
    const WalkSpec& w = spec.walk;
    const double ramp_s = 1.0 / w.frequency_hz;
    const double amplitude_rad = 0.5 * w.swing_deg * kDegToRad;
    plan.left_body.swings.push_back(
        {t, t + w.duration_s, amplitude_rad, w.frequency_hz, 0.0, ramp_s});
    plan.right_body.swings.push_back(
        {t, t + w.duration_s, amplitude_rad, w.frequency_hz, std::numbers::pi, ramp_s});
    for (BodyPlan* body : {&plan.left_body, &plan.right_body}) {
      body->bounces.push_back({t, t + w.duration_s, w.bounce_m, 2.0 * w.frequency_hz, 0.0, ramp_s});
    }
    t += w.duration_s + w.stand_s;
  }
  // Picking the weights up: reach out, grip, slow lift back to the rest pose, settle.
  const HandlingSpec& h = spec.handling;
  if (h.enabled) {
    const PlannedRep pick_up{t, h.reach_s, h.grip_s, h.lift_s, h.angle_deg * kDegToRad};
    plan.left_body.moves.push_back(pick_up);
    plan.right_body.moves.push_back(pick_up);
    t = pick_up.end_s() + h.settle_s;
  }
  std::vector<std::pair<double, double>> set_rests;  // between sets, weights in hand
  // A lunge's leading leg swings out before each rep and back after it.
  const double swing_s = spec.step.enabled ? spec.step.swing_s : 0.0;
  if (spec.mode == fusion::SetMode::kBilateral) {
    const double lag_s = spec.right_lag_ms / 1000.0;
    const std::size_t n = std::max(left_params.size(), right_params.size());
    const std::size_t per_set = n / static_cast<std::size_t>(set_count);
    for (std::size_t i = 0; i < n; ++i) {
      if (per_set > 0 && i > 0 && i % per_set == 0) {
        // The loop left t one rep rest after the last rep: the set rest starts at that rep's end.
        double last_end = 0.0;
        for (const auto* reps : {&plan.left, &plan.right}) {
          if (!reps->empty()) last_end = std::max(last_end, reps->back().end_s());
        }
        set_rests.push_back({last_end, last_end + spec.sets.rest_s});
        t = last_end + spec.sets.rest_s;
      }
      double next = t;
      t += swing_s;
      if (i < left_params.size()) {
        plan.left.push_back(MakePlanned(left_params[i], t + std::max(0.0, -lag_s), first));
        next = std::max(next, plan.left.back().end_s() + swing_s + spec.left.rest_between_s);
      }
      if (i < right_params.size()) {
        plan.right.push_back(MakePlanned(right_params[i], t + std::max(0.0, lag_s), first));
        next = std::max(next, plan.right.back().end_s() + swing_s + spec.right.rest_between_s);
      }
      t = next;
    }
  } else {
    const Side first_side = spec.unilateral_first_side;
    for (Side s : {first_side, fusion::OtherSide(first_side)}) {
      const auto& params = s == Side::kLeft ? left_params : right_params;
      auto& out = s == Side::kLeft ? plan.left : plan.right;
      for (const SideRepParams& p : params) {
        t += swing_s;
        out.push_back(MakePlanned(p, t, first));
        t = out.back().end_s() + swing_s + spec.side(s).rest_between_s;
      }
      if (s == first_side) t += spec.rest_between_sets_s;
    }
  }
  // The loops leave t one rest interval after the last rep; end rest_after_s after that rep.
  double last_end = t;
  if (!plan.left.empty() || !plan.right.empty()) {
    last_end = 0.0;
    for (const auto* reps : {&plan.left, &plan.right}) {
      if (!reps->empty()) last_end = std::max(last_end, reps->back().end_s());
    }
  }
  // Fidgeting with the weights in hand between sets (left and right not in step).
  for (const auto& [from_s, to_s] : set_rests) {
    if (spec.sets.fidget_deg <= 0.0) continue;
    const double amplitude_rad = spec.sets.fidget_deg * kDegToRad;
    const double ramp_s = std::min(2.0, 0.25 * (to_s - from_s));
    plan.left_body.swings.push_back(
        {from_s, to_s, amplitude_rad, spec.sets.fidget_hz, 0.0, ramp_s});
    plan.right_body.swings.push_back(
        {from_s, to_s, amplitude_rad, spec.sets.fidget_hz * 1.13, 1.0, ramp_s});
  }
  // Putting the weights down: settle, slow lowering out, release, back to the rest pose.
  if (h.enabled) {
    const PlannedRep put_down{last_end + h.settle_s, h.lift_s, h.grip_s, h.reach_s,
                              h.angle_deg * kDegToRad};
    plan.left_body.moves.push_back(put_down);
    plan.right_body.moves.push_back(put_down);
    last_end = put_down.end_s();
  }
  StepUpTrips trips;
  if (step_up) {
    trips = PlanStepUps(spec, plan);
  } else if (spec.step.enabled) {
    PlanLunges(spec.step, plan);
  }
  // A following limb rocks with every rep of the other side (same timing, its own angle).
  for (Side s : {Side::kLeft, Side::kRight}) {
    const FollowSpec& follow = spec.side(s).follow;
    if (follow.max_deg <= 0.0) continue;
    Prng rng(DeriveSeed(spec.seed, s == Side::kLeft ? kStreamFollowLeft : kStreamFollowRight));
    BodyPlan& body = s == Side::kLeft ? plan.left_body : plan.right_body;
    for (PlannedRep rock : plan.side(fusion::OtherSide(s))) {
      rock.rom_rad =
          (follow.min_deg + (follow.max_deg - follow.min_deg) * rng.Uniform()) * kDegToRad;
      // Drawn only when asked for, so the plain rock's draws stay as they were.
      if (follow.lag_max_s > 0.0) rock.start_s += follow.lag_max_s * rng.Uniform();
      body.moves.push_back(rock);
      if (follow.roll_frac > 0.0) {
        PlannedRep roll = rock;
        roll.start_s += kRollDelayOfFirstPhase * rock.first_phase_s;
        const double sign = rng.Uniform() < 0.5 ? -1.0 : 1.0;
        roll.rom_rad = sign * follow.roll_frac * rng.Uniform() * rock.rom_rad;
        body.rolls.push_back(roll);
      }
    }
  }
  const auto by_start = [](const PlannedRep& a, const PlannedRep& b) {
    return a.start_s < b.start_s;
  };
  for (BodyPlan* body : {&plan.left_body, &plan.right_body}) {
    std::sort(body->moves.begin(), body->moves.end(), by_start);
    std::sort(body->rolls.begin(), body->rolls.end(), by_start);
  }

  GroundTruth& truth = plan.truth;
  truth.preset = spec.name;
  truth.exercise = spec.exercise;
  truth.first_phase = first;
  truth.mode = spec.mode;
  truth.unilateral_first_side = spec.unilateral_first_side;
  truth.duration_s = last_end + spec.rest_after_s;
  truth.right_lag_ms = spec.mode == fusion::SetMode::kBilateral ? spec.right_lag_ms : 0.0;
  truth.commanded_rom_diff_pct = PercentDiff(spec.left.rom_deg, spec.right.rom_deg);
  truth.commanded_concentric_diff_pct =
      PercentDiff(spec.left.concentric_s, spec.right.concentric_s);
  truth.commanded_eccentric_diff_pct = PercentDiff(spec.left.eccentric_s, spec.right.eccentric_s);
  for (Side s : {Side::kLeft, Side::kRight}) {
    SideTruth& st = s == Side::kLeft ? truth.left : truth.right;
    BodyPlan& body = s == Side::kLeft ? plan.left_body : plan.right_body;
    const auto& planned = plan.side(s);
    const auto& params = s == Side::kLeft ? left_params : right_params;
    st.placement = {s, limb};
    st.hinge_axis_world = RestPoseOf(spec.exercise, s).hinge_axis_world;
    if (step_up) {
      st.reps = TripTruth(spec, s, TripsOf(trips, s), planned, body);
    } else {
      const int per_set = std::max(1, spec.side(s).rep_count);
      // A unilateral session's sets are the first side's, then the other's.
      const int own_set = s == spec.unilateral_first_side ? 1 : 2;
      double previous_end = -1.0;
      for (std::size_t i = 0; i < planned.size(); ++i) {
        const int in_set = static_cast<int>(i) % per_set;
        if (in_set == 0) previous_end = -1.0;
        fusion::Rep rep = TruthOf(planned[i], params[i], st.placement, in_set + 1, previous_end);
        rep.set_index =
            spec.mode == fusion::SetMode::kBilateral ? static_cast<int>(i) / per_set + 1 : own_set;
        if (spec.step.enabled && s == spec.step.leading) {
          // The stepping leg's rep is the whole lunge, from stepping out to stepping back: its
          // range of motion (here the stance's tilt) is not the largest turn of its shank.
          rep.start = fusion::TimeFromSeconds(planned[i].start_s - spec.step.swing_s);
          rep.end = fusion::TimeFromSeconds(planned[i].end_s() + spec.step.swing_s);
        }
        st.reps.push_back(rep);
        previous_end = planned[i].end_s();
      }
    }
    body.loss_bursts = DrawLossBursts(
        spec.side(s), spec.rate_hz, truth.duration_s,
        DeriveSeed(spec.seed, s == Side::kLeft ? kStreamLossLeft : kStreamLossRight));
    st.loss_bursts = body.loss_bursts;
    // A lunge's and a step-up's swings are part of their reps, not moves around them.
    if (!(spec.step.enabled && (s == spec.step.leading || step_up))) {
      for (const PlannedRep& move : body.moves)
        st.non_rep_moves.push_back({move.start_s, move.end_s()});
    }
  }
  return plan;
}

SensorSampler::SensorSampler(const SessionSpec& spec, const SessionPlan& plan, Side side)
    : placement_{side, LimbOf(spec.exercise)},
      reps_(plan.side(side)),
      dropouts_(spec.side(side).dropouts),
      duration_s_(plan.truth.duration_s),
      rate_hz_(spec.rate_hz),
      device_per_true_(1.0 + spec.side(side).clock.drift_ppm * 1e-6),
      device_offset_s_(spec.side(side).clock.offset_s),
      lever_arm_m_(spec.side(side).lever_arm_m),
      with_mag_(spec.with_mag),
      noise_(spec.side(side).noise),
      noise_rng_(
          DeriveSeed(spec.seed, side == Side::kLeft ? kStreamNoiseLeft : kStreamNoiseRight)) {
  const RestPose pose = RestPoseOf(spec.exercise, side);
  const Eigen::Matrix3d mount =
      ToEigen(spec.side(side).mount_sensor_to_segment).normalized().toRotationMatrix();
  const Eigen::Matrix3d rest_to_sensor = SegmentRestToWorld(pose) * mount;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) rest_to_sensor_[3 * r + c] = rest_to_sensor(r, c);
  }
  hinge_axis_[0] = pose.hinge_axis_world.x;
  hinge_axis_[1] = pose.hinge_axis_world.y;
  hinge_axis_[2] = pose.hinge_axis_world.z;
  segment_dir_[0] = pose.segment_dir_world.x;
  segment_dir_[1] = pose.segment_dir_world.y;
  segment_dir_[2] = pose.segment_dir_world.z;
  // Earth field in NWU: north component, and a downward (negative z) component at positive dip.
  const double dip = spec.mag_dip_deg * kDegToRad;
  mag_world_uT_[0] = spec.mag_field_uT * std::cos(dip);
  mag_world_uT_[1] = 0.0;
  mag_world_uT_[2] = -spec.mag_field_uT * std::sin(dip);
  // Sway: a seeded random axis and phase per side.
  Prng sway_rng(DeriveSeed(spec.seed, side == Side::kLeft ? kStreamSwayLeft : kStreamSwayRight));
  Eigen::Vector3d axis(sway_rng.Gaussian(), sway_rng.Gaussian(), sway_rng.Gaussian());
  if (axis.norm() < 1e-9) axis = Eigen::Vector3d::UnitX();
  axis.normalize();
  sway_axis_[0] = axis.x();
  sway_axis_[1] = axis.y();
  sway_axis_[2] = axis.z();
  sway_amplitude_rad_ = spec.side(side).sway.amplitude_deg * kDegToRad;
  sway_omega_rad_s_ = 2.0 * std::numbers::pi * spec.side(side).sway.frequency_hz;
  sway_phase_rad_ = 2.0 * std::numbers::pi * sway_rng.Uniform();
  body_ = plan.body(side);
  dropouts_.insert(dropouts_.end(), body_.loss_bursts.begin(), body_.loss_bursts.end());
  body_moves_ = !body_.moves.empty() || !body_.rolls.empty() || !body_.swings.empty() ||
                !body_.bounces.empty() || !body_.steps.empty() || !body_.lifts.empty() ||
                !body_.reaches.empty();
  body_axis_[0] = pose.body_axis_world.x;
  body_axis_[1] = pose.body_axis_world.y;
  body_axis_[2] = pose.body_axis_world.z;
  pivot_to_joint_[0] = pose.pivot_to_joint_world.x;
  pivot_to_joint_[1] = pose.pivot_to_joint_world.y;
  pivot_to_joint_[2] = pose.pivot_to_joint_world.z;
  const Eigen::Vector3d upper = ToEigen(pose.pivot_to_joint_world);
  const Eigen::Vector3d roll = upper.norm() > 1e-9 ? upper.normalized() : Vec(segment_dir_);
  roll_axis_[0] = roll.x();
  roll_axis_[1] = roll.y();
  roll_axis_[2] = roll.z();
}

bool SensorSampler::InDropout(double t_s) const {
  for (const Dropout& d : dropouts_) {
    if (t_s >= d.start_s && t_s < d.end_s) return true;
  }
  return false;
}

std::size_t SensorSampler::ExpectedSampleCount() const {
  std::size_t count = 0;
  for (std::int64_t k = 0;; ++k) {
    const double t = static_cast<double>(k) / rate_hz_ / device_per_true_;
    if (t > duration_s_) break;
    if (!InDropout(t)) ++count;
  }
  return count;
}

bool SensorSampler::Next(SimSample* out) {
  double t = 0.0;
  for (;; ++tick_) {
    // Tick k is at device time offset + k / rate; the device clock runs (1 + drift) fast.
    t = static_cast<double>(tick_) / rate_hz_ / device_per_true_;
    if (t > duration_s_) return false;
    if (!InDropout(t)) break;
  }
  const double device_s = device_offset_s_ + static_cast<double>(tick_) / rate_hz_;
  ++tick_;

  const AngleState angle = EvaluateProfile(reps_, t, &cursor_);
  const Eigen::Vector3d hinge = Vec(hinge_axis_);

  // Sway: R_sway(t) about a fixed world axis, with its rate and acceleration.
  Eigen::Matrix3d sway = Eigen::Matrix3d::Identity();
  Eigen::Vector3d omega_sway = Eigen::Vector3d::Zero();
  Eigen::Vector3d alpha_sway = Eigen::Vector3d::Zero();
  if (sway_amplitude_rad_ > 0.0) {
    const Eigen::Vector3d u = Vec(sway_axis_);
    const double phase = sway_omega_rad_s_ * t + sway_phase_rad_;
    const double a = sway_amplitude_rad_;
    const double w = sway_omega_rad_s_;
    sway = Eigen::AngleAxisd(a * std::sin(phase), u).toRotationMatrix();
    omega_sway = a * w * std::cos(phase) * u;
    alpha_sway = -a * w * w * std::sin(phase) * u;
  }
  const Eigen::Matrix3d hinge_rot = Eigen::AngleAxisd(angle.angle_rad, hinge).toRotationMatrix();
  Eigen::Vector3d accel_world;
  Eigen::Vector3d omega;
  Eigen::Matrix3d sensor_to_world;
  if (!body_moves_) {
    const Eigen::Vector3d hinge_world = sway * hinge;
    const Eigen::Vector3d hinge_rate = angle.rate_rad_s * hinge_world;
    omega = omega_sway + hinge_rate;
    const Eigen::Vector3d alpha =
        alpha_sway + angle.accel_rad_s2 * hinge_world + omega_sway.cross(hinge_rate);
    // Sensor position relative to the joint (which stays fixed in the world).
    const Eigen::Vector3d p = sway * (hinge_rot * (lever_arm_m_ * Vec(segment_dir_)));
    accel_world = alpha.cross(p) + omega.cross(omega.cross(p));
    sensor_to_world = sway * hinge_rot * Mat(rest_to_sensor_);
  } else {
    // The body turns the whole limb about the pivot: B = sway * R(beta about the body axis).
    AngleState beta = EvaluateProfile(body_.moves, t, &body_cursor_);
    Accumulate(beta, EvaluateProfile(body_.reaches, t, &reach_cursor_));
    for (const Oscillation& o : body_.swings) Accumulate(beta, EvaluateOscillation(o, t));
    double bounce_accel_m_s2 = 0.0;
    for (const Oscillation& o : body_.bounces)
      bounce_accel_m_s2 += EvaluateOscillation(o, t).accel_rad_s2;
    // A lunge's step (north) and the foot's lift (up) carry the whole limb.
    bounce_accel_m_s2 += EvaluateProfile(body_.lifts, t, &lift_cursor_).accel_rad_s2;
    const double step_accel_m_s2 = EvaluateProfile(body_.steps, t, &step_cursor_).accel_rad_s2;
    // A roll about v after the rotation about u: B = sway * R(beta, u) * R(gamma, v), u and v
    // fixed at rest. Its rate is beta' u + R_u gamma' v, and differentiating R_u adds
    // beta' u x (R_u gamma' v) to the angular acceleration.
    const AngleState gamma =
        body_.rolls.empty() ? AngleState{} : EvaluateProfile(body_.rolls, t, &roll_cursor_);
    const Eigen::Vector3d u = Vec(body_axis_);
    const Eigen::Vector3d v = Vec(roll_axis_);
    const Eigen::Matrix3d turn = Eigen::AngleAxisd(beta.angle_rad, u).toRotationMatrix();
    const Eigen::Matrix3d body =
        sway * turn * Eigen::AngleAxisd(gamma.angle_rad, v).toRotationMatrix();
    const Eigen::Vector3d roll_rate = turn * (gamma.rate_rad_s * v);
    const Eigen::Vector3d body_rate = sway * (beta.rate_rad_s * u + roll_rate);
    const Eigen::Vector3d omega_body = omega_sway + body_rate;
    const Eigen::Vector3d alpha_body =
        alpha_sway +
        sway * (beta.accel_rad_s2 * u + (beta.rate_rad_s * u).cross(roll_rate) +
                turn * (gamma.accel_rad_s2 * v)) +
        omega_sway.cross(body_rate);
    // In the body frame: q = pivot->joint + R_hinge (lever along the segment).
    const Eigen::Vector3d r = hinge_rot * (lever_arm_m_ * Vec(segment_dir_));
    const Eigen::Vector3d q = Vec(pivot_to_joint_) + r;
    const Eigen::Vector3d dq = angle.rate_rad_s * hinge.cross(r);
    const Eigen::Vector3d ddq = angle.accel_rad_s2 * hinge.cross(r) +
                                angle.rate_rad_s * hinge.cross(angle.rate_rad_s * hinge.cross(r));
    const Eigen::Vector3d x = body * q;
    omega = omega_body + angle.rate_rad_s * (body * hinge);
    accel_world = alpha_body.cross(x) + omega_body.cross(omega_body.cross(x)) +
                  2.0 * omega_body.cross(body * dq) + body * ddq +
                  Eigen::Vector3d(step_accel_m_s2, 0.0, bounce_accel_m_s2);
    sensor_to_world = body * hinge_rot * Mat(rest_to_sensor_);
  }
  const Eigen::Matrix3d world_to_sensor = sensor_to_world.transpose();

  Eigen::Vector3d f = world_to_sensor * (accel_world + Eigen::Vector3d(0.0, 0.0, kGravity_m_s2));
  Eigen::Vector3d g = world_to_sensor * omega;
  f += ToEigen(noise_.accel_bias_m_s2);
  g += ToEigen(noise_.gyro_bias_rad_s);
  if (noise_.accel_noise_m_s2 > 0.0) {
    f += noise_.accel_noise_m_s2 *
         Eigen::Vector3d(noise_rng_.Gaussian(), noise_rng_.Gaussian(), noise_rng_.Gaussian());
  }
  if (noise_.gyro_noise_rad_s > 0.0) {
    g += noise_.gyro_noise_rad_s *
         Eigen::Vector3d(noise_rng_.Gaussian(), noise_rng_.Gaussian(), noise_rng_.Gaussian());
  }

  out->true_time_s = t;
  out->segment_angle_rad = angle.angle_rad;
  out->imu.time = fusion::TimeFromSeconds(device_s);
  out->imu.accel_m_s2 = ToVec3(f);
  out->imu.gyro_rad_s = ToVec3(g);
  out->imu.has_mag = with_mag_;
  if (with_mag_) {
    Eigen::Vector3d m = world_to_sensor * Vec(mag_world_uT_);
    if (noise_.mag_noise_uT > 0.0) {
      m += noise_.mag_noise_uT *
           Eigen::Vector3d(noise_rng_.Gaussian(), noise_rng_.Gaussian(), noise_rng_.Gaussian());
    }
    out->imu.mag_uT = ToVec3(m);
  } else {
    out->imu.mag_uT = {};
  }
  const Eigen::Quaterniond q(sensor_to_world);
  out->sensor_to_earth = {q.w(), q.x(), q.y(), q.z()};
  return true;
}

SimulatedSession Simulate(const SessionSpec& spec) {
  const SessionPlan plan = PlanSession(spec);
  SimulatedSession session;
  session.spec = spec;
  session.truth = plan.truth;
  for (Side s : {Side::kLeft, Side::kRight}) {
    SensorSampler sampler(spec, plan, s);
    SimulatedSensor sensor;
    sensor.placement = sampler.placement();
    const std::size_t n = sampler.ExpectedSampleCount();
    sensor.samples.reserve(n);
    sensor.true_time_s.reserve(n);
    SimSample sample;
    while (sampler.Next(&sample)) {
      sensor.samples.push_back(sample.imu);
      sensor.true_time_s.push_back(sample.true_time_s);
    }
    session.sensors.push_back(std::move(sensor));
  }
  return session;
}

}  // namespace ambi::sim
