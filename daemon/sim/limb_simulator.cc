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

std::vector<SideRepParams> DrawReps(const SideSpec& s, std::uint64_t seed) {
  Prng rng(seed);
  std::vector<SideRepParams> reps;
  reps.reserve(static_cast<std::size_t>(s.rep_count));
  for (int i = 0; i < s.rep_count; ++i) {
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

RestPose RestPoseOf(ExerciseKind kind, Side side) {
  // Each axis is chosen so that a positive rotation moves the segment away from rest:
  // axis x rest_direction = direction of motion.
  switch (kind) {
    case ExerciseKind::kCurl:           // forearm down, hand moves forward (north)
    case ExerciseKind::kKneeExtension:  // shank down, foot moves forward
      return {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}};
    case ExerciseKind::kLateralRaise:  // arm down, hand moves outwards (left = west = +y)
      return {{side == Side::kLeft ? 1.0 : -1.0, 0.0, 0.0}, {0.0, 0.0, -1.0}};
    case ExerciseKind::kSquat:  // shank up from the ankle, knee moves forward
      return {{0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
    case ExerciseKind::kStraightLegRaise:  // lying supine, feet north, leg lifts up
      return {{0.0, -1.0, 0.0}, {1.0, 0.0, 0.0}};
  }
  return {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}};
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

SessionPlan PlanSession(const SessionSpec& spec) {
  if (const std::string err = Validate(spec); !err.empty()) throw std::invalid_argument(err);
  const fusion::Phase first = FirstPhaseOf(spec.exercise);
  const fusion::Limb limb = LimbOf(spec.exercise);
  const auto left_params = DrawReps(spec.left, DeriveSeed(spec.seed, kStreamPlanLeft));
  const auto right_params = DrawReps(spec.right, DeriveSeed(spec.seed, kStreamPlanRight));

  SessionPlan plan;
  double t = spec.rest_before_s;
  if (spec.mode == fusion::SetMode::kBilateral) {
    const double lag_s = spec.right_lag_ms / 1000.0;
    const std::size_t n = std::max(left_params.size(), right_params.size());
    for (std::size_t i = 0; i < n; ++i) {
      double next = t;
      if (i < left_params.size()) {
        plan.left.push_back(MakePlanned(left_params[i], t + std::max(0.0, -lag_s), first));
        next = std::max(next, plan.left.back().end_s() + spec.left.rest_between_s);
      }
      if (i < right_params.size()) {
        plan.right.push_back(MakePlanned(right_params[i], t + std::max(0.0, lag_s), first));
        next = std::max(next, plan.right.back().end_s() + spec.right.rest_between_s);
      }
      t = next;
    }
  } else {
    const Side first_side = spec.unilateral_first_side;
    for (Side s : {first_side, fusion::OtherSide(first_side)}) {
      const auto& params = s == Side::kLeft ? left_params : right_params;
      auto& out = s == Side::kLeft ? plan.left : plan.right;
      for (const SideRepParams& p : params) {
        out.push_back(MakePlanned(p, t, first));
        t = out.back().end_s() + spec.side(s).rest_between_s;
      }
      if (s == first_side) t += spec.rest_between_sets_s;
    }
  }
  // The loops leave t one rest interval after the last rep; end rest_after_s after that rep.
  double last_end = spec.rest_before_s;
  for (const auto* reps : {&plan.left, &plan.right}) {
    if (!reps->empty()) last_end = std::max(last_end, reps->back().end_s());
  }

  GroundTruth& truth = plan.truth;
  truth.preset = spec.name;
  truth.exercise = spec.exercise;
  truth.first_phase = first;
  truth.mode = spec.mode;
  truth.duration_s = last_end + spec.rest_after_s;
  truth.right_lag_ms = spec.mode == fusion::SetMode::kBilateral ? spec.right_lag_ms : 0.0;
  truth.commanded_rom_diff_pct = PercentDiff(spec.left.rom_deg, spec.right.rom_deg);
  truth.commanded_concentric_diff_pct =
      PercentDiff(spec.left.concentric_s, spec.right.concentric_s);
  truth.commanded_eccentric_diff_pct = PercentDiff(spec.left.eccentric_s, spec.right.eccentric_s);
  for (Side s : {Side::kLeft, Side::kRight}) {
    SideTruth& st = s == Side::kLeft ? truth.left : truth.right;
    const auto& planned = plan.side(s);
    const auto& params = s == Side::kLeft ? left_params : right_params;
    st.placement = {s, limb};
    st.hinge_axis_world = RestPoseOf(spec.exercise, s).hinge_axis_world;
    double previous_end = -1.0;
    for (std::size_t i = 0; i < planned.size(); ++i) {
      st.reps.push_back(
          TruthOf(planned[i], params[i], st.placement, static_cast<int>(i) + 1, previous_end));
      previous_end = planned[i].end_s();
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
  const Eigen::Vector3d hinge_world = sway * hinge;
  const Eigen::Vector3d hinge_rate = angle.rate_rad_s * hinge_world;
  const Eigen::Vector3d omega = omega_sway + hinge_rate;
  const Eigen::Vector3d alpha =
      alpha_sway + angle.accel_rad_s2 * hinge_world + omega_sway.cross(hinge_rate);
  // Sensor position relative to the joint (which stays fixed in the world).
  const Eigen::Vector3d p = sway * (hinge_rot * (lever_arm_m_ * Vec(segment_dir_)));
  const Eigen::Vector3d accel_world = alpha.cross(p) + omega.cross(omega.cross(p));
  const Eigen::Matrix3d sensor_to_world = sway * hinge_rot * Mat(rest_to_sensor_);
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
