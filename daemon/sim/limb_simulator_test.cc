#include "daemon/sim/limb_simulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>

#include "daemon/sim/presets.h"

namespace ambi::sim {
namespace {

using fusion::Side;
using ::testing::HasSubstr;

constexpr double kG = 9.80665;
constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180.0;

Eigen::Vector3d E(const fusion::Vec3& v) { return {v.x, v.y, v.z}; }
Eigen::Quaterniond E(const fusion::Quaternion& q) { return {q.w, q.x, q.y, q.z}; }

// A noiseless, jitter-free session: every number is a closed form of the spec.
SessionSpec CleanSpec(ExerciseKind kind, double rate_hz = 100.0) {
  SessionSpec spec = DefaultSpec(kind);
  for (SideSpec* s : {&spec.left, &spec.right}) {
    s->noise = {};
    s->sway.amplitude_deg = 0.0;
    s->rom_jitter_pct = 0.0;
    s->tempo_jitter_pct = 0.0;
    s->rep_count = 3;
  }
  spec.rate_hz = rate_hz;
  return spec;
}

// Minimum-jerk angle written out independently of the simulator.
double MinJerkAngle(double rom, double t, double duration) {
  const double x = std::clamp(t / duration, 0.0, 1.0);
  return rom * (10 * std::pow(x, 3) - 15 * std::pow(x, 4) + 6 * std::pow(x, 5));
}

// Commanded angle from the ground truth reps (start, turnaround, end, rom, hold).
double TruthAngle(const SideTruth& truth, double t) {
  for (const fusion::Rep& r : truth.reps) {
    const double start = fusion::ToSeconds(r.start);
    const double turn = fusion::ToSeconds(r.turnaround);
    const double end = fusion::ToSeconds(r.end);
    if (t < start || t >= end) continue;
    const double rom = r.rom_deg * kDeg;
    if (t < turn) return MinJerkAngle(rom, t - start, turn - start);
    const double back_start = turn + r.pause_turnaround_s;
    if (t < back_start) return rom;
    return rom - MinJerkAngle(rom, t - back_start, end - back_start);
  }
  return 0.0;
}

TEST(LimbSimulatorTest, AtRestAccelIsGravityAlongTheRestPose) {
  // Gravity "up" in the segment frame (x along the segment away from the joint, y hinge axis,
  // z = x cross y), from the physical poses: hanging forearm/arm/shank point down, the squat
  // shank points up from the ankle, the lying leg is horizontal with z_seg pointing down.
  const struct {
    ExerciseKind kind;
    Eigen::Vector3d up_in_segment;
  } cases[] = {
      {ExerciseKind::kCurl, {-1, 0, 0}},
      {ExerciseKind::kLateralRaise, {-1, 0, 0}},
      {ExerciseKind::kKneeExtension, {-1, 0, 0}},
      {ExerciseKind::kSquat, {1, 0, 0}},
      {ExerciseKind::kStraightLegRaise, {0, 0, -1}},
  };
  for (const auto& c : cases) {
    const SessionSpec spec = CleanSpec(c.kind);
    const SimulatedSession session = Simulate(spec);
    for (int i = 0; i < 2; ++i) {
      const Side side = i == 0 ? Side::kLeft : Side::kRight;
      const auto& first = session.sensors[i].samples.front();
      const Eigen::Vector3d f = E(first.accel_m_s2);
      EXPECT_NEAR(f.norm(), kG, 1e-9) << ToString(c.kind);
      const Eigen::Matrix3d mount = E(spec.side(side).mount_sensor_to_segment).toRotationMatrix();
      const Eigen::Vector3d expected = mount.transpose() * (kG * c.up_in_segment);
      EXPECT_LT((f - expected).norm(), 1e-9) << ToString(c.kind) << " side " << i;
      EXPECT_LT(E(first.gyro_rad_s).norm(), 1e-12);
    }
  }
}

TEST(LimbSimulatorTest, IntegratedGyroReproducesTheCommandedAngle) {
  for (ExerciseKind kind : {ExerciseKind::kCurl, ExerciseKind::kSquat}) {
    SessionSpec spec = CleanSpec(kind, 200.0);
    const fusion::Vec3 bias{0.02, -0.01, 0.005};
    spec.left.noise.gyro_bias_rad_s = bias;
    const SimulatedSession session = Simulate(spec);
    const auto& sensor = session.sensors[0];
    const Eigen::Vector3d axis = E(HingeAxisInSensor(spec, Side::kLeft));
    double angle = 0.0;
    double max_error = 0.0;
    double max_angle = 0.0;
    for (std::size_t k = 1; k < sensor.samples.size(); ++k) {
      const double dt = sensor.true_time_s[k] - sensor.true_time_s[k - 1];
      const double w0 = (E(sensor.samples[k - 1].gyro_rad_s) - E(bias)).dot(axis);
      const double w1 = (E(sensor.samples[k].gyro_rad_s) - E(bias)).dot(axis);
      angle += 0.5 * (w0 + w1) * dt;
      max_angle = std::max(max_angle, angle);
      max_error = std::max(max_error,
                           std::abs(angle - TruthAngle(session.truth.left, sensor.true_time_s[k])));
    }
    // Trapezoidal integration of a quintic at 200 Hz: error well below 0.01 deg.
    EXPECT_LT(max_error, 0.01 * kDeg) << ToString(kind);
    EXPECT_NEAR(max_angle, spec.left.rom_deg * kDeg, 0.01 * kDeg);
    EXPECT_NEAR(angle, 0.0, 0.01 * kDeg);
  }
}

TEST(LimbSimulatorTest, GroundTruthEqualsTheCommandedRepsAndPhases) {
  SessionSpec spec = CleanSpec(ExerciseKind::kSquat);
  spec.right.rom_deg = 30.0;
  spec.right.concentric_s = 0.8;
  const SessionPlan plan = PlanSession(spec);
  ASSERT_EQ(plan.truth.left.reps.size(), 3u);
  ASSERT_EQ(plan.truth.right.reps.size(), 3u);
  EXPECT_EQ(plan.truth.first_phase, fusion::Phase::kEccentric);
  for (const auto* side : {&plan.truth.left, &plan.truth.right}) {
    const SideSpec& s = spec.side(side->placement.side);
    EXPECT_EQ(side->placement.limb, fusion::Limb::kAnkle);
    for (const fusion::Rep& r : side->reps) {
      EXPECT_DOUBLE_EQ(r.rom_deg, s.rom_deg);
      EXPECT_DOUBLE_EQ(r.concentric_s, s.concentric_s);
      EXPECT_DOUBLE_EQ(r.eccentric_s, s.eccentric_s);
      // Squat: the first phase (start -> turnaround) is the eccentric one.
      EXPECT_NEAR(fusion::ToSeconds(r.turnaround - r.start), s.eccentric_s, 1e-9);
      EXPECT_NEAR(fusion::ToSeconds(r.end - r.turnaround), s.pause_turnaround_s + s.concentric_s,
                  1e-9);
      EXPECT_NEAR(r.peak_concentric_speed_deg_s, 1.875 * s.rom_deg / s.concentric_s, 1e-9);
    }
  }
  EXPECT_NEAR(plan.truth.commanded_rom_diff_pct, (30.0 - 35.0) / 35.0 * 100.0, 1e-9);
  EXPECT_NEAR(fusion::ToSeconds(plan.truth.left.reps[0].start), spec.rest_before_s, 1e-9);
}

TEST(LimbSimulatorTest, MeasuredPeakSpeedMatchesTruth) {
  const SessionSpec spec = CleanSpec(ExerciseKind::kCurl, 200.0);
  const SimulatedSession session = Simulate(spec);
  const auto& sensor = session.sensors[1];
  const fusion::Rep& rep = session.truth.right.reps[1];
  double peak = 0.0;
  for (std::size_t k = 0; k < sensor.samples.size(); ++k) {
    const double t = sensor.true_time_s[k];
    if (t >= fusion::ToSeconds(rep.start) && t < fusion::ToSeconds(rep.turnaround)) {
      peak = std::max(peak, E(sensor.samples[k].gyro_rad_s).norm());
    }
  }
  EXPECT_NEAR(peak / kDeg, rep.peak_concentric_speed_deg_s, 0.01);
}

TEST(LimbSimulatorTest, MountDoesNotChangeMagnitudesOrTheHingeAngle) {
  SessionSpec a = CleanSpec(ExerciseKind::kLateralRaise);
  SessionSpec b = a;
  a.left.mount_sensor_to_segment = {};
  b.left.mount_sensor_to_segment = QuaternionFromAxisAngle({1.0, 2.0, -0.5}, 123.0);
  const SimulatedSession sa = Simulate(a);
  const SimulatedSession sb = Simulate(b);
  ASSERT_EQ(sa.sensors[0].samples.size(), sb.sensors[0].samples.size());
  const Eigen::Vector3d axis_a = E(HingeAxisInSensor(a, Side::kLeft));
  const Eigen::Vector3d axis_b = E(HingeAxisInSensor(b, Side::kLeft));
  EXPECT_LT((axis_a - Eigen::Vector3d::UnitY()).norm(), 1e-12);
  for (std::size_t k = 0; k < sa.sensors[0].samples.size(); ++k) {
    const auto& x = sa.sensors[0].samples[k];
    const auto& y = sb.sensors[0].samples[k];
    EXPECT_NEAR(E(x.gyro_rad_s).norm(), E(y.gyro_rad_s).norm(), 1e-12);
    EXPECT_NEAR(E(x.accel_m_s2).norm(), E(y.accel_m_s2).norm(), 1e-9);
    EXPECT_NEAR(E(x.gyro_rad_s).dot(axis_a), E(y.gyro_rad_s).dot(axis_b), 1e-12);
  }
}

TEST(LimbSimulatorTest, MidPhaseAccelIsCentripetalOmegaSquaredR) {
  // Minimum-jerk has zero angular acceleration at mid-phase: only omega^2 r towards the joint.
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl, 100.0);
  spec.rest_before_s = 2.0;
  spec.left.concentric_s = 1.0;
  const SessionPlan plan = PlanSession(spec);
  SensorSampler sampler(spec, plan, Side::kLeft);
  SimSample s;
  while (sampler.Next(&s) && s.true_time_s < 2.5 - 1e-9) {
  }
  ASSERT_NEAR(s.true_time_s, 2.5, 1e-9);
  const double rom = spec.left.rom_deg * kDeg;
  const double omega = 1.875 * rom / 1.0;
  const double theta = rom / 2.0;
  const double r = spec.left.lever_arm_m;
  // Forearm hanging, flexing forward (north): joint -> wrist = (sin, 0, -cos).
  const Eigen::Vector3d dir(std::sin(theta), 0.0, -std::cos(theta));
  const Eigen::Vector3d expected_world = -omega * omega * r * dir + Eigen::Vector3d(0, 0, kG);
  const Eigen::Vector3d world = E(s.sensor_to_earth) * E(s.imu.accel_m_s2);
  EXPECT_LT((world - expected_world).norm(), 1e-9);
  EXPECT_NEAR(E(s.imu.gyro_rad_s).norm(), omega, 1e-9);
  EXPECT_NEAR(s.segment_angle_rad, theta, 1e-12);
}

TEST(LimbSimulatorTest, DeviceClockOffsetAndDrift) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl, 50.0);
  spec.left.clock = {100.0, 500.0};
  spec.right.clock = {-3.0, -250.0};
  const SimulatedSession session = Simulate(spec);
  for (int i = 0; i < 2; ++i) {
    const DeviceClockSpec& clock = spec.side(i == 0 ? Side::kLeft : Side::kRight).clock;
    const auto& sensor = session.sensors[i];
    const double drift = 1.0 + clock.drift_ppm * 1e-6;
    for (std::size_t k = 0; k < sensor.samples.size(); ++k) {
      const double device = fusion::ToSeconds(sensor.samples[k].time);
      EXPECT_NEAR(device, clock.offset_s + static_cast<double>(k) / 50.0, 1e-9);
      EXPECT_NEAR(device, clock.offset_s + sensor.true_time_s[k] * drift, 1e-9);
    }
    const double expected_count = std::floor(session.truth.duration_s * 50.0 * drift) + 1.0;
    EXPECT_EQ(static_cast<double>(sensor.samples.size()), expected_count);
  }
}

TEST(LimbSimulatorTest, DropoutsRemoveExactlyTheirInterval) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl, 100.0);
  spec.left.dropouts = {{3.0, 3.5}, {6.0, 6.25}};
  const SimulatedSession session = Simulate(spec);
  const auto& left = session.sensors[0];
  const auto& right = session.sensors[1];
  EXPECT_EQ(right.samples.size() - left.samples.size(), 75u);  // 50 + 25 samples at 100 Hz
  for (double t : left.true_time_s) {
    EXPECT_FALSE(t >= 3.0 - 1e-9 && t < 3.5 - 1e-9) << t;
    EXPECT_FALSE(t >= 6.0 - 1e-9 && t < 6.25 - 1e-9) << t;
  }
  // Device time jumps over the gap: the clock stage must see it.
  bool saw_gap = false;
  for (std::size_t k = 1; k < left.samples.size(); ++k) {
    const double dt = fusion::ToSeconds(left.samples[k].time - left.samples[k - 1].time);
    if (dt > 0.011) {
      EXPECT_NEAR(dt, left.true_time_s[k] - left.true_time_s[k - 1], 1e-9);
      saw_gap = true;
    }
  }
  EXPECT_TRUE(saw_gap);
}

TEST(LimbSimulatorTest, DeterministicPerSeed) {
  SessionSpec spec = *MakePreset("curl");
  const SimulatedSession a = Simulate(spec);
  const SimulatedSession b = Simulate(spec);
  ASSERT_EQ(a.sensors[1].samples.size(), b.sensors[1].samples.size());
  for (std::size_t k = 0; k < a.sensors[1].samples.size(); ++k) {
    ASSERT_EQ(a.sensors[1].samples[k].accel_m_s2, b.sensors[1].samples[k].accel_m_s2);
    ASSERT_EQ(a.sensors[1].samples[k].gyro_rad_s, b.sensors[1].samples[k].gyro_rad_s);
  }
  // Fixed seed -> fixed value on every platform (our own PRNG, no std:: distributions):
  // the published SplitMix64 sequence for seed 1234567.
  Prng rng(1234567);
  EXPECT_EQ(rng.NextU64(), 6457827717110365317ULL);
  EXPECT_EQ(rng.NextU64(), 3203168211198807973ULL);
  spec.seed += 1;
  const SimulatedSession c = Simulate(spec);
  EXPECT_NE(a.sensors[1].samples[5].gyro_rad_s, c.sensors[1].samples[5].gyro_rad_s);
  EXPECT_NE(a.truth.right.reps[0].rom_deg, c.truth.right.reps[0].rom_deg);
}

TEST(LimbSimulatorTest, RatesOf25And200Hz) {
  for (double rate : {25.0, 200.0}) {
    const SessionSpec spec = CleanSpec(ExerciseKind::kKneeExtension, rate);
    const SimulatedSession session = Simulate(spec);
    const auto& s = session.sensors[0];
    EXPECT_EQ(s.samples.size(),
              static_cast<std::size_t>(std::floor(session.truth.duration_s * rate)) + 1);
    EXPECT_NEAR(fusion::ToSeconds(s.samples[1].time - s.samples[0].time), 1.0 / rate, 1e-9);
    EXPECT_EQ(session.truth.left.reps.size(), 3u);
    EXPECT_DOUBLE_EQ(session.truth.left.reps[0].rom_deg, spec.left.rom_deg);
  }
}

TEST(LimbSimulatorTest, BilateralLagAndUnilateralOrder) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.right_lag_ms = 120.0;
  GroundTruth t = PlanSession(spec).truth;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(fusion::ToSeconds(t.right.reps[i].start - t.left.reps[i].start), 0.120, 1e-9);
  }
  spec.mode = fusion::SetMode::kUnilateral;
  spec.unilateral_first_side = Side::kRight;
  const SimulatedSession session = Simulate(spec);
  t = session.truth;
  EXPECT_NEAR(fusion::ToSeconds(t.left.reps[0].start),
              fusion::ToSeconds(t.right.reps.back().end) + spec.right.rest_between_s +
                  spec.rest_between_sets_s,
              1e-9);
  // The idle left side is exactly still (no sway in the clean spec) while the right works.
  const auto& left = session.sensors[0];
  for (std::size_t k = 0; k < left.samples.size(); ++k) {
    if (left.true_time_s[k] < fusion::ToSeconds(t.left.reps[0].start)) {
      ASSERT_LT(E(left.samples[k].gyro_rad_s).norm(), 1e-12);
    }
  }
}

TEST(LimbSimulatorTest, FatigueSlowsTheConcentricPhase) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.left.rep_count = 6;
  spec.left.fatigue_speed_loss_pct_per_rep = 4.0;
  const GroundTruth t = PlanSession(spec).truth;
  const double first = t.left.reps[0].peak_concentric_speed_deg_s;
  for (std::size_t i = 0; i < t.left.reps.size(); ++i) {
    EXPECT_NEAR(t.left.reps[i].peak_concentric_speed_deg_s / first,
                1.0 - 0.04 * static_cast<double>(i), 1e-12);
    EXPECT_DOUBLE_EQ(t.left.reps[i].rom_deg, spec.left.rom_deg);
  }
}

TEST(LimbSimulatorTest, SwayMovesTheSensorAtRestButKeepsGravity) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.left.sway = {0.5, 0.5};
  spec.rest_before_s = 3.0;  // more than one sway period before the first rep
  const SimulatedSession session = Simulate(spec);
  const auto& s = session.sensors[0].samples;
  double max_rate = 0.0;
  for (std::size_t k = 0; k < 250; ++k) {
    max_rate = std::max(max_rate, E(s[k].gyro_rad_s).norm());
    EXPECT_NEAR(E(s[k].accel_m_s2).norm(), kG, 0.01);
  }
  // Peak rate = amplitude * 2 pi f; sampling at 100 Hz sees it within 0.1 %.
  EXPECT_GT(max_rate, 0.999 * 0.5 * kDeg * 2.0 * kPi * 0.5);
  EXPECT_LE(max_rate, 0.5 * kDeg * 2.0 * kPi * 0.5 + 1e-12);
}

TEST(LimbSimulatorTest, MagnetometerHasFieldAndDip) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.with_mag = true;
  const SimulatedSession session = Simulate(spec);
  for (const auto& sample : session.sensors[1].samples) {
    ASSERT_TRUE(sample.has_mag);
    EXPECT_NEAR(E(sample.mag_uT).norm(), 50.0, 1e-9);
  }
  const auto& rest = session.sensors[1].samples.front();
  const double cos_up = E(rest.mag_uT).normalized().dot(E(rest.accel_m_s2).normalized());
  EXPECT_NEAR(cos_up, -std::sin(65.0 * kDeg), 1e-9);
}

TEST(LimbSimulatorTest, ValidateNamesTheFieldAndValue) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.rate_hz = 0.0;
  spec.right.rom_deg = -5.0;
  const std::string err = Validate(spec);
  EXPECT_THAT(err, HasSubstr("rate_hz = 0"));
  EXPECT_THAT(err, HasSubstr("right.rom_deg = -5"));
  EXPECT_THROW(Simulate(spec), std::invalid_argument);
  EXPECT_EQ(Validate(CleanSpec(ExerciseKind::kCurl)), "");
}

TEST(LimbSimulatorTest, ProfileCursorHandlesAnyTimeOrder) {
  const std::vector<PlannedRep> reps = {{1.0, 1.0, 0.5, 1.0, 1.0}, {5.0, 1.0, 0.0, 1.0, 2.0}};
  std::size_t cursor = 0;
  EXPECT_NEAR(EvaluateProfile(reps, 5.5, &cursor).angle_rad, 1.0, 1e-12);  // mid first phase
  EXPECT_NEAR(EvaluateProfile(reps, 2.2, &cursor).angle_rad, 1.0, 1e-12);  // hold
  EXPECT_NEAR(EvaluateProfile(reps, 1.5, &cursor).rate_rad_s, 1.875, 1e-12);
  EXPECT_EQ(EvaluateProfile(reps, 4.0, &cursor).angle_rad, 0.0);
  EXPECT_EQ(EvaluateProfile(reps, 9.0, &cursor).angle_rad, 0.0);
}

// ---- Everyday situations around a set (issue 8) ----------------------------------------------

// Samples of one side with their true orientation, from the streaming sampler.
std::vector<SimSample> SamplesOf(const SessionSpec& spec, Side side) {
  const SessionPlan plan = PlanSession(spec);
  SensorSampler sampler(spec, plan, side);
  std::vector<SimSample> out;
  SimSample sample;
  while (sampler.Next(&sample)) out.push_back(sample);
  return out;
}

// Angle (rad) between the segment's orientation at a sample and at the first sample.
double AngleFromStart(const std::vector<SimSample>& samples, std::size_t k) {
  return E(samples.front().sensor_to_earth).angularDistance(E(samples[k].sensor_to_earth));
}

// Physical consistency of every body motion at once (walk, handling, two sets with fidgeting in
// between): the gyro integrates to the true orientation, and the accelerometer minus gravity,
// turned to the world and integrated, gives a velocity that returns to zero whenever the body is
// still again (positions are bounded: nothing drifts away).
TEST(LimbSimulatorTest, BodyMotionIsPhysicallyConsistent) {
  SessionSpec spec = *MakePreset("curl-gym");
  for (SideSpec* s : {&spec.left, &spec.right}) {
    s->noise = {};
    s->sway.amplitude_deg = 0.0;
    s->loss.bursts_per_s = 0.0;
  }
  spec.rate_hz = 1000.0;
  for (Side side : {Side::kLeft, Side::kRight}) {
    const std::vector<SimSample> samples = SamplesOf(spec, side);
    Eigen::Quaterniond q = E(samples.front().sensor_to_earth);
    Eigen::Vector3d velocity = Eigen::Vector3d::Zero();
    double max_orientation_error = 0.0;
    double max_speed = 0.0;
    for (std::size_t k = 1; k < samples.size(); ++k) {
      const double dt = samples[k].true_time_s - samples[k - 1].true_time_s;
      const Eigen::Vector3d w =
          0.5 * (E(samples[k - 1].imu.gyro_rad_s) + E(samples[k].imu.gyro_rad_s));
      if (w.norm() > 0.0)
        q = q * Eigen::Quaterniond(Eigen::AngleAxisd(w.norm() * dt, w.normalized()));
      q.normalize();
      max_orientation_error =
          std::max(max_orientation_error, q.angularDistance(E(samples[k].sensor_to_earth)));
      auto linear = [&](std::size_t i) {
        return Eigen::Vector3d(E(samples[i].sensor_to_earth) * E(samples[i].imu.accel_m_s2) -
                               Eigen::Vector3d(0.0, 0.0, kG));
      };
      velocity += 0.5 * (linear(k - 1) + linear(k)) * dt;
      max_speed = std::max(max_speed, velocity.norm());
    }
    EXPECT_LT(max_orientation_error, 0.05 * kDeg);
    EXPECT_LT(velocity.norm(), 0.01);  // still at the end, as at the start
    EXPECT_GT(max_speed, 0.3);         // it did move: walking swing, handling, curls
    EXPECT_LT(max_speed, 3.0);
  }
}

TEST(LimbSimulatorTest, WalkingSwingsTheArmsInAntiPhase) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.walk.duration_s = 6.0;
  const std::vector<SimSample> left = SamplesOf(spec, Side::kLeft);
  const std::vector<SimSample> right = SamplesOf(spec, Side::kRight);
  ASSERT_EQ(left.size(), right.size());
  const double walk_from_s = spec.rest_before_s;
  const double walk_to_s = walk_from_s + spec.walk.duration_s;
  double max_left = 0.0;
  double product = 0.0;  // of the two sides' gyro about the body axis: negative in anti-phase
  int crossings = 0;
  double previous = 0.0;
  for (std::size_t k = 0; k < left.size(); ++k) {
    const double t = left[k].true_time_s;
    if (t < walk_from_s || t > walk_to_s) continue;
    max_left = std::max(max_left, AngleFromStart(left, k));
    const Eigen::Vector3d axis(0.0, -1.0, 0.0);
    const double wl = (E(left[k].sensor_to_earth) * E(left[k].imu.gyro_rad_s)).dot(axis);
    const double wr = (E(right[k].sensor_to_earth) * E(right[k].imu.gyro_rad_s)).dot(axis);
    product += wl * wr;
    if (previous < 0.0 && wl >= 0.0) ++crossings;
    previous = wl;
  }
  EXPECT_NEAR(max_left, 22.5 * kDeg, 0.5 * kDeg);  // 45 deg peak to peak
  EXPECT_LT(product, 0.0);
  EXPECT_NEAR(crossings, 0.9 * spec.walk.duration_s, 1.0);  // 0.9 Hz
  // The reps start after the walk and the stand.
  EXPECT_GE(fusion::ToSeconds(Simulate(spec).truth.left.reps.front().start),
            walk_to_s + spec.walk.stand_s - 1e-9);
}

TEST(LimbSimulatorTest, HandlingLiftsSlowlyAtBothEdgesOfTheSet) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.handling.enabled = true;
  const SimulatedSession session = Simulate(spec);
  const SideTruth& truth = session.truth.left;
  ASSERT_EQ(truth.reps.size(), 3u);
  ASSERT_EQ(truth.non_rep_moves.size(), 2u);  // pick-up and put-down, not reps
  const double set_start = fusion::ToSeconds(truth.reps.front().start);
  const double set_end = fusion::ToSeconds(truth.reps.back().end);
  EXPECT_LE(truth.non_rep_moves[0].end_s, set_start);
  EXPECT_GE(truth.non_rep_moves[1].start_s, set_end);
  const std::vector<SimSample> samples = SamplesOf(spec, Side::kLeft);
  double max_before = 0.0;
  double max_after = 0.0;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const double t = samples[k].true_time_s;
    if (t < set_start) max_before = std::max(max_before, AngleFromStart(samples, k));
    if (t > set_end) max_after = std::max(max_after, AngleFromStart(samples, k));
  }
  EXPECT_NEAR(max_before, spec.handling.angle_deg * kDeg, 0.01 * kDeg);
  EXPECT_NEAR(max_after, spec.handling.angle_deg * kDeg, 0.01 * kDeg);
  const double lift_s = truth.non_rep_moves[0].end_s - truth.non_rep_moves[0].start_s -
                        spec.handling.reach_s - spec.handling.grip_s;
  EXPECT_DOUBLE_EQ(lift_s, spec.handling.lift_s);
}

TEST(LimbSimulatorTest, LossBurstsDropOneToTenSamplesUpTo200Ms) {
  for (double rate_hz : {25.0, 50.0, 100.0, 200.0}) {
    SCOPED_TRACE(rate_hz);
    SessionSpec spec = CleanSpec(ExerciseKind::kCurl, rate_hz);
    spec.left.loss.bursts_per_s = 1.0;
    const SimulatedSession session = Simulate(spec);
    const auto& bursts = session.truth.left.loss_bursts;
    ASSERT_GE(bursts.size(), 5u);
    EXPECT_TRUE(session.truth.right.loss_bursts.empty());
    std::size_t lost = 0;
    for (const Dropout& burst : bursts) {
      const double samples = (burst.end_s - burst.start_s) * rate_hz;
      EXPECT_GE(samples, 1.0 - 1e-6);
      EXPECT_LE(samples, 10.0 + 1e-6);
      EXPECT_LE(burst.end_s - burst.start_s, 0.2 + 1e-9);
      lost += static_cast<std::size_t>(std::lround(samples));
    }
    EXPECT_EQ(session.sensors[0].samples.size() + lost, session.sensors[1].samples.size());
  }
}

TEST(LimbSimulatorTest, AFollowingLimbRocksWithTheOtherSidesReps) {
  SessionSpec spec = *MakePreset("knee-extension-follower");
  for (SideSpec* s : {&spec.left, &spec.right}) {
    s->noise = {};
    s->sway.amplitude_deg = 0.0;
  }
  const SimulatedSession session = Simulate(spec);
  EXPECT_TRUE(session.truth.left.reps.empty());
  ASSERT_EQ(session.truth.left.non_rep_moves.size(), session.truth.right.reps.size());
  const std::vector<SimSample> left = SamplesOf(spec, Side::kLeft);
  for (const fusion::Rep& rep : session.truth.right.reps) {
    double most = 0.0;
    for (std::size_t k = 0; k < left.size(); ++k) {
      const double t = left[k].true_time_s;
      if (t >= fusion::ToSeconds(rep.start) && t <= fusion::ToSeconds(rep.end)) {
        most = std::max(most, AngleFromStart(left, k));
      }
    }
    EXPECT_GE(most, 5.0 * kDeg - 1e-3);
    EXPECT_LE(most, 12.0 * kDeg + 1e-3);
  }
}

// A rolling follower (FollowSpec::roll_frac, lag_max_s) is still physically consistent, rocks
// by its drawn angle and is no hinge: the direction of its rotation in the world wanders.
TEST(LimbSimulatorTest, ARollingFollowerIsNoHingeAndStaysConsistent) {
  for (ExerciseKind kind : {ExerciseKind::kKneeExtension, ExerciseKind::kStraightLegRaise}) {
    SCOPED_TRACE(std::string(ToString(kind)));
    SessionSpec spec = DefaultSpec(kind);
    spec.mode = fusion::SetMode::kUnilateral;
    spec.unilateral_first_side = Side::kRight;
    spec.left.rep_count = 0;
    spec.left.follow = {10.0, 20.0, 0.6, 0.3};
    for (SideSpec* s : {&spec.left, &spec.right}) {
      s->noise = {};
      s->sway.amplitude_deg = 0.0;
    }
    spec.rate_hz = 1000.0;
    const SimulatedSession session = Simulate(spec);
    ASSERT_EQ(session.truth.left.non_rep_moves.size(), session.truth.right.reps.size());
    const std::vector<SimSample> left = SamplesOf(spec, Side::kLeft);
    Eigen::Quaterniond q = E(left.front().sensor_to_earth);
    Eigen::Vector3d velocity = Eigen::Vector3d::Zero();
    double max_orientation_error = 0.0;
    double most = 0.0;
    double axis_spread = 0.0;  // largest angle between world rotation directions in a rock
    Eigen::Vector3d first_direction = Eigen::Vector3d::Zero();  // zero: none yet in this rock
    for (std::size_t k = 1; k < left.size(); ++k) {
      const double dt = left[k].true_time_s - left[k - 1].true_time_s;
      const Eigen::Vector3d w = 0.5 * (E(left[k - 1].imu.gyro_rad_s) + E(left[k].imu.gyro_rad_s));
      if (w.norm() > 0.0) {
        q = q * Eigen::Quaterniond(Eigen::AngleAxisd(w.norm() * dt, w.normalized()));
      }
      q.normalize();
      max_orientation_error =
          std::max(max_orientation_error, q.angularDistance(E(left[k].sensor_to_earth)));
      auto linear = [&](std::size_t i) {
        return Eigen::Vector3d(E(left[i].sensor_to_earth) * E(left[i].imu.accel_m_s2) -
                               Eigen::Vector3d(0.0, 0.0, kG));
      };
      velocity += 0.5 * (linear(k - 1) + linear(k)) * dt;
      most = std::max(most, AngleFromStart(left, k));
      const Eigen::Vector3d world = E(left[k].sensor_to_earth) * E(left[k].imu.gyro_rad_s);
      if (world.norm() > 0.2) {  // rotating briskly: compare the direction, sign-free
        const Eigen::Vector3d d = world.normalized();
        if (first_direction.isZero()) first_direction = d;
        axis_spread =
            std::max(axis_spread, std::acos(std::min(1.0, std::abs(d.dot(first_direction)))));
      } else if (world.norm() < 1e-6) {
        first_direction.setZero();  // at rest between rocks: the next rock starts afresh
      }
    }
    EXPECT_LT(max_orientation_error, 0.05 * kDeg);
    EXPECT_LT(velocity.norm(), 0.01);  // still at the end, as at the start
    EXPECT_GE(most, 10.0 * kDeg);
    EXPECT_LE(most, 20.0 * std::sqrt(1.0 + 0.6 * 0.6) * kDeg + 1e-3);
    EXPECT_GT(axis_spread, 10.0 * kDeg);  // not a hinge
  }
}

TEST(LimbSimulatorTest, SeveralSetsWithARestInHand) {
  SessionSpec spec = CleanSpec(ExerciseKind::kCurl);
  spec.sets.set_count = 2;
  spec.sets.rest_s = 30.0;
  const SimulatedSession session = Simulate(spec);
  const auto& reps = session.truth.left.reps;
  ASSERT_EQ(reps.size(), 6u);
  EXPECT_EQ(reps[2].set_index, 1);
  EXPECT_EQ(reps[3].set_index, 2);
  EXPECT_EQ(reps[3].index, 1);
  EXPECT_NEAR(fusion::ToSeconds(reps[3].start) - fusion::ToSeconds(reps[2].end), 30.0, 1e-9);
  EXPECT_EQ(RepsPerSet(reps), (std::vector<int>{3, 3}));
  std::vector<fusion::Rep> merged = reps;
  for (fusion::Rep& rep : merged) rep.set_index = 1;
  EXPECT_EQ(RepsPerSet(merged), std::vector<int>{6});
  const std::vector<SimSample> samples = SamplesOf(spec, Side::kLeft);
  double most = 0.0;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const double t = samples[k].true_time_s;
    if (t > fusion::ToSeconds(reps[2].end) && t < fusion::ToSeconds(reps[3].start)) {
      most = std::max(most, AngleFromStart(samples, k));
    }
  }
  EXPECT_NEAR(most, spec.sets.fidget_deg * kDeg, 0.05 * kDeg);
}

// Where a sensor travelled by 'until_s' from rest at its first sample: its accelerometer, turned
// to the world and less gravity, integrated twice (trapezoids). 'at' sees each sample's index
// and the position so far.
template <typename At>
Eigen::Vector3d Travel(const std::vector<SimSample>& samples, double until_s, At at) {
  const auto linear = [&](std::size_t i) {
    return Eigen::Vector3d(E(samples[i].sensor_to_earth) * E(samples[i].imu.accel_m_s2) -
                           Eigen::Vector3d(0.0, 0.0, kG));
  };
  Eigen::Vector3d velocity = Eigen::Vector3d::Zero();
  Eigen::Vector3d position = Eigen::Vector3d::Zero();
  for (std::size_t k = 1; k < samples.size() && samples[k].true_time_s <= until_s; ++k) {
    const double dt = samples[k].true_time_s - samples[k - 1].true_time_s;
    const Eigen::Vector3d step_velocity = velocity + 0.5 * (linear(k - 1) + linear(k)) * dt;
    position += 0.5 * (velocity + step_velocity) * dt;
    velocity = step_velocity;
    at(k, position);
  }
  return position;
}

// A lunge: the stepping leg's sensor travels the step forward (its accelerometer, turned to the
// world and less gravity, integrates to the step length at the landing and back to zero), its
// shank turns with the swing and lands reaching past vertical, and its reps span the whole
// lunge; the rear leg does the rep in place.
TEST(LimbSimulatorTest, ALungeStepsOutAndBackAroundEachRep) {
  SessionSpec spec = CleanSpec(ExerciseKind::kSquat, 1000.0);
  spec.step.enabled = true;
  spec.step.leading = Side::kRight;
  spec.right.rom_deg = 25.0;
  spec.left.rom_deg = 85.0;
  const SimulatedSession session = Simulate(spec);
  const SideTruth& front = session.truth.right;
  const SideTruth& rear = session.truth.left;
  ASSERT_EQ(front.reps.size(), 3u);
  ASSERT_EQ(rear.reps.size(), 3u);
  EXPECT_TRUE(front.non_rep_moves.empty()) << "the swings are part of the lunge";
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(fusion::ToSeconds(rear.reps[i].start) - fusion::ToSeconds(front.reps[i].start),
                spec.step.swing_s, 1e-9);
    EXPECT_NEAR(fusion::ToSeconds(front.reps[i].end) - fusion::ToSeconds(rear.reps[i].end),
                spec.step.swing_s, 1e-9);
  }

  const std::vector<SimSample> samples = SamplesOf(spec, Side::kRight);
  const double landing_s = fusion::ToSeconds(rear.reps[0].start);
  const double back_s = fusion::ToSeconds(front.reps[0].end);
  Eigen::Vector3d at_landing = Eigen::Vector3d::Zero();
  double shank_at_landing_deg = 0.0;
  double most_swing_deg = 0.0;
  const Eigen::Vector3d position =
      Travel(samples, back_s, [&](std::size_t k, const Eigen::Vector3d& so_far) {
        const double t = samples[k].true_time_s;
        if (t < landing_s) {
          most_swing_deg = std::max(most_swing_deg, AngleFromStart(samples, k) / kDeg);
        }
        if (std::abs(t - landing_s) < 0.5e-3) {
          at_landing = so_far;
          shank_at_landing_deg = AngleFromStart(samples, k) / kDeg;
        }
      });
  // The sensor sits 0.12 m up the shank, which lands turned by the reach: the step moves it by
  // the step length less that turn's share.
  const double lever_m = spec.right.lever_arm_m;
  const double reach_rad = spec.step.reach_deg * kDeg;
  EXPECT_NEAR(at_landing.x(), spec.step.length_m - lever_m * std::sin(reach_rad), 0.01);
  EXPECT_NEAR(at_landing.z(), -lever_m * (1.0 - std::cos(reach_rad)), 0.01);
  EXPECT_NEAR(position.norm(), 0.0, 0.01) << "back where it started";
  EXPECT_NEAR(shank_at_landing_deg, spec.step.reach_deg, 0.5);
  EXPECT_GT(most_swing_deg, 0.7 * spec.step.swing_knee_deg);
}

// A step-up onto a 0.35 m box: each leg's sensor rises by the box's height onto it and comes
// back down (its accelerometer, turned to the world and less gravity, integrates to that), and
// each leg's rep is that trip: the leading leg's from stepping up to stepping down, the
// trailing leg's from leaving the floor at the end of the rise to landing back during the
// lowering. Their ranges are the shank's largest tilt on the way.
TEST(LimbSimulatorTest, AStepUpTakesBothLegsUpOntoTheBoxAndBack) {
  SessionSpec spec = CleanSpec(ExerciseKind::kSquat, 1000.0);
  spec.step = StepUpOntoBox(Side::kRight);
  spec.right.rom_deg = 20.0;
  const SimulatedSession session = Simulate(spec);
  for (Side side : {Side::kRight, Side::kLeft}) {
    SCOPED_TRACE(side == Side::kRight ? "leading" : "trailing");
    const SideTruth& truth = session.truth.side(side);
    ASSERT_EQ(truth.reps.size(), static_cast<std::size_t>(spec.right.rep_count));
    EXPECT_TRUE(truth.non_rep_moves.empty()) << "the swings are part of the trip";
    const fusion::Rep& trip = truth.reps[0];
    EXPECT_GE(trip.rom_deg, spec.step.swing_knee_deg - 1e-6);
    if (side == Side::kLeft) {
      EXPECT_NEAR(trip.rom_deg, spec.step.swing_knee_deg, 1e-6);
    }

    const std::vector<SimSample> samples = SamplesOf(spec, side);
    const double top_s = fusion::ToSeconds(trip.turnaround);
    const double end_s = fusion::ToSeconds(trip.end);
    double on_box_m = 0.0;
    const Eigen::Vector3d position =
        Travel(samples, end_s, [&](std::size_t k, const Eigen::Vector3d& so_far) {
          if (std::abs(samples[k].true_time_s - top_s) < 0.5e-3) on_box_m = so_far.z();
        });
    // Standing tall on the box, the shank upright: the sensor is the box's height up.
    EXPECT_NEAR(on_box_m, spec.step.box_m, 0.01);
    EXPECT_NEAR(position.norm(), 0.0, 0.01) << "back where it started";
  }
}

// Unilateral step-ups, as the catalog runs them: the left leg leads set 1, the right leg set 2.
// Each leg trips in both sets, one rep per step-up: its own set's trips lead (up first, down
// last, its way up to the top of the rise the longer), the other set's trail. OwnSetReps gives
// each leg's trips of its own set.
TEST(LimbSimulatorTest, UnilateralStepUpsLeadEachSetWithItsOwnLeg) {
  SessionSpec spec = CleanSpec(ExerciseKind::kSquat, 200.0);
  spec.step = StepUpOntoBox(Side::kLeft);
  spec.mode = fusion::SetMode::kUnilateral;
  spec.unilateral_first_side = Side::kLeft;
  spec.left.rom_deg = spec.right.rom_deg = 20.0;
  const SessionPlan plan = PlanSession(spec);
  const int n = spec.left.rep_count;
  for (Side side : {Side::kLeft, Side::kRight}) {
    SCOPED_TRACE(side == Side::kLeft ? "left, leads set 1" : "right, leads set 2");
    const std::vector<fusion::Rep>& trips = plan.truth.side(side).reps;
    ASSERT_EQ(trips.size(), static_cast<std::size_t>(2 * n));
    const int own_set = side == Side::kLeft ? 1 : 2;
    const std::vector<fusion::Rep> own = OwnSetReps(plan.truth, side);
    ASSERT_EQ(own.size(), static_cast<std::size_t>(n));
    for (const fusion::Rep& own_trip : own) EXPECT_EQ(own_trip.set_index, own_set);
    // Each own trip encloses the other leg's trip of the same step-up, and its way up is longer.
    const std::vector<fusion::Rep>& other = plan.truth.side(fusion::OtherSide(side)).reps;
    for (int i = 0; i < n; ++i) {
      const fusion::Rep& lead = own[static_cast<std::size_t>(i)];
      const fusion::Rep& trail = other[static_cast<std::size_t>((own_set - 1) * n + i)];
      EXPECT_EQ(trail.set_index, own_set);
      EXPECT_LT(lead.start, trail.start);
      EXPECT_GT(lead.end, trail.end);
      EXPECT_GT(lead.concentric_s, trail.concentric_s + 0.5);
    }
  }
  // The second set begins after the first, and the rest between the sides.
  EXPECT_GE(fusion::ToSeconds(OwnSetReps(plan.truth, Side::kRight).front().start -
                              OwnSetReps(plan.truth, Side::kLeft).back().end),
            spec.rest_between_sets_s);
}

}  // namespace
}  // namespace ambi::sim
