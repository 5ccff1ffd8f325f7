#include "fusion/orientation/madgwick.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "tests/orientation/orientation_test_util.h"

namespace ambi::fusion {
namespace {

using testing::AttitudeErrorRad;
using testing::AxisAngle;
using testing::InclinationErrorRad;
using testing::kPi;
using testing::kVectorDir;
using testing::MaxAbsDiff;
using testing::ReadCsv;
using testing::RestSample;
using testing::SampleFromRow;
using testing::Table;

constexpr double kRateHz = 100.0;

TEST(MadgwickFilter, InitialisesFromGravityAndMagnetometer) {
  const Quaternion truth = AxisAngle({0.3, -1.0, 0.2}, 70.0 * kPi / 180.0);
  MadgwickFilter six({}, kRateHz);
  six.UpdateWithDt(RestSample(truth, {}), 0.01);
  EXPECT_LT(InclinationErrorRad(truth, six.sensor_to_earth()), 1e-9);
  for (int i = 0; i < 300; ++i) six.UpdateWithDt(RestSample(truth, {}), 0.01);
  EXPECT_LT(InclinationErrorRad(truth, six.sensor_to_earth()), 1e-6);

  // Field 50 uT, dip 65 deg, NWU: (cos, 0, -sin) * 50; measured m = R^T m_E.
  const double dip = 65.0 * kPi / 180.0;
  const Vec3 m_e{50.0 * std::cos(dip), 0.0, -50.0 * std::sin(dip)};
  const Quaternion& q = truth;
  const double r[3][3] = {
      {1 - 2 * (q.y * q.y + q.z * q.z), 2 * (q.x * q.y - q.w * q.z), 2 * (q.x * q.z + q.w * q.y)},
      {2 * (q.x * q.y + q.w * q.z), 1 - 2 * (q.x * q.x + q.z * q.z), 2 * (q.y * q.z - q.w * q.x)},
      {2 * (q.x * q.z - q.w * q.y), 2 * (q.y * q.z + q.w * q.x), 1 - 2 * (q.x * q.x + q.y * q.y)}};
  ImuSample s = RestSample(truth, {});
  s.has_mag = true;
  s.mag_uT = {r[0][0] * m_e.x + r[1][0] * m_e.y + r[2][0] * m_e.z,
              r[0][1] * m_e.x + r[1][1] * m_e.y + r[2][1] * m_e.z,
              r[0][2] * m_e.x + r[1][2] * m_e.y + r[2][2] * m_e.z};
  MadgwickFilter nine({}, kRateHz);
  nine.UpdateWithDt(s, 0.01);
  EXPECT_LT(AttitudeErrorRad(truth, nine.sensor_to_earth()), 1e-7);  // acos resolution
  for (int i = 0; i < 300; ++i) nine.UpdateWithDt(s, 0.01);
  EXPECT_LT(AttitudeErrorRad(truth, nine.sensor_to_earth()), 1e-6);
}

TEST(MadgwickFilter, BiasEstimateConvergesToInjectedBiasAtRest) {
  const Quaternion truth = AxisAngle({1.0, 0.5, 0.0}, 0.4);
  const Vec3 bias{0.5 * kPi / 180, -0.3 * kPi / 180, 0.4 * kPi / 180};
  MadgwickFilter filter({}, kRateHz);
  // Deterministic zero-mean "noise" of +-0.2 deg/s.
  const double noise = 0.2 * kPi / 180;
  for (int i = 0; i < 500; ++i) {
    const double n = (i % 2 == 0 ? 1.0 : -1.0) * noise;
    filter.UpdateWithDt(RestSample(truth, {bias.x + n, bias.y - n, bias.z + n}), 0.01);
  }
  EXPECT_TRUE(filter.diagnostics().at_rest);
  const Vec3& estimate = filter.state().gyro_bias_rad_s;
  EXPECT_NEAR(estimate.x, bias.x, 1e-4);
  EXPECT_NEAR(estimate.y, bias.y, 1e-4);
  EXPECT_NEAR(estimate.z, bias.z, 1e-4);
  // Integrating the compensated gyro, the estimate no longer drifts.
  EXPECT_LT(InclinationErrorRad(truth, filter.sensor_to_earth()), 1e-3);
}

// Gaussian gyro noise of 'sigma_deg_s' per axis, from 'seed'.
Vec3 NoisyGyro(const Vec3& bias, double sigma_deg_s, std::mt19937& rng) {
  std::normal_distribution<double> noise(0.0, sigma_deg_s * kPi / 180);
  return {bias.x + noise(rng), bias.y + noise(rng), bias.z + noise(rng)};
}

// Feeds 1000 samples (10 s) of a sensor held still in 'truth': the gyro reads 'bias' plus
// Gaussian noise of 'gyro_sigma_deg_s' per axis, the accelerometer gravity plus noise of
// 'accel_sigma_m_s2' per axis. Returns how many samples the filter judged at rest.
int FeedStill(MadgwickFilter& filter, const Quaternion& truth, const Vec3& bias,
              double gyro_sigma_deg_s, double accel_sigma_m_s2, std::mt19937& rng) {
  std::normal_distribution<double> accel_noise(0.0, accel_sigma_m_s2);
  int rest_samples = 0;
  for (int i = 0; i < 1000; ++i) {
    ImuSample sample = RestSample(truth, NoisyGyro(bias, gyro_sigma_deg_s, rng));
    if (accel_sigma_m_s2 > 0.0) {
      sample.accel_m_s2 = {sample.accel_m_s2.x + accel_noise(rng),
                           sample.accel_m_s2.y + accel_noise(rng),
                           sample.accel_m_s2.z + accel_noise(rng)};
    }
    filter.UpdateWithDt(sample, 0.01);
    rest_samples += filter.diagnostics().at_rest ? 1 : 0;
  }
  return rest_samples;
}

double ErrorDegS(const Vec3& estimate, const Vec3& truth) {
  const Vec3 e{estimate.x - truth.x, estimate.y - truth.y, estimate.z - truth.z};
  return std::sqrt(e.x * e.x + e.y * e.y + e.z * e.z) * 180 / kPi;
}

// The first estimate, made the moment a stretch of stillness qualifies as rest, averages the
// whole stretch: one sample alone is off by its noise (0.35 deg/s per axis here, ~0.55 in all).
TEST(MadgwickFilter, FirstBiasEstimateAveragesTheStillnessThatFoundRest) {
  const Quaternion truth = AxisAngle({0.3, 1.0, 0.0}, 0.7);
  const Vec3 bias{0.8 * kPi / 180, -0.5 * kPi / 180, 0.3 * kPi / 180};
  double worst_deg_s = 0.0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    MadgwickFilter filter({}, kRateHz);
    for (int i = 0; i < 300 && !filter.diagnostics().at_rest; ++i) {
      filter.UpdateWithDt(RestSample(truth, NoisyGyro(bias, 0.35, rng)), 0.01);
    }
    ASSERT_TRUE(filter.diagnostics().at_rest) << "seed " << seed;
    worst_deg_s = std::max(worst_deg_s, ErrorDegS(filter.state().gyro_bias_rad_s, bias));
  }
  EXPECT_LT(worst_deg_s, 0.25);
}

// A sensor three times noisier than a typical one (0.7 deg/s per axis, in the range of cheap
// modules and of a strap that vibrates) still finds rest and learns a 2.3 deg/s bias.
TEST(MadgwickFilter, NoisySensorFindsRestAndLearnsItsBias) {
  const Quaternion truth = AxisAngle({1.0, 0.0, 0.4}, 0.5);
  const Vec3 bias{1.0 * kPi / 180, -2.0 * kPi / 180, 0.5 * kPi / 180};
  std::mt19937 rng(7);
  MadgwickFilter filter({}, kRateHz);
  EXPECT_GT(FeedStill(filter, truth, bias, 0.7, 0.0, rng), 500);
  EXPECT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 0.2);
}

// Four times a typical sensor's noise on both parts (0.12 m/s^2 and 0.9 deg/s per axis) with a
// 4 deg/s bias: the accelerometer's deviation from its low-pass broke every stretch of stillness
// until it was smoothed as the gyro is.
TEST(MadgwickFilter, VeryNoisySensorFindsRestThroughItsAccelerometerNoise) {
  const Quaternion truth = AxisAngle({1.0, 0.3, 0.0}, 0.4);
  const Vec3 bias{3.0 * kPi / 180, -2.0 * kPi / 180, 1.5 * kPi / 180};
  std::mt19937 rng(5);
  MadgwickFilter filter({}, kRateHz);
  // 20 before the accelerometer was smoothed.
  EXPECT_GT(FeedStill(filter, truth, bias, 0.9, 0.12, rng), 300);
  EXPECT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 0.3);
}

// An arm hanging with the weights in hand between sets sways (3 deg at 0.25 Hz): that is not
// rest, and the bias learned before it must not learn the sway's rate.
TEST(MadgwickFilter, ArmSwayingBetweenSetsDoesNotTeachTheBias) {
  const Vec3 bias{0.5 * kPi / 180, -0.4 * kPi / 180, 0.3 * kPi / 180};
  const Vec3 axis{1.0, 0.0, 0.0};
  constexpr double kAmplitudeRad = 3.0 * kPi / 180;
  constexpr double kOmega = 2.0 * kPi * 0.25;
  MadgwickFilter filter({}, kRateHz);
  for (int i = 0; i < 200; ++i) filter.UpdateWithDt(RestSample(Quaternion{}, bias), 0.01);
  ASSERT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 0.05);
  double worst_deg_s = 0.0;
  for (int i = 0; i < 3000; ++i) {
    const double t = 0.01 * i;
    const Quaternion pose = AxisAngle(axis, kAmplitudeRad * std::sin(kOmega * t));
    const double rate = kAmplitudeRad * kOmega * std::cos(kOmega * t);
    filter.UpdateWithDt(RestSample(pose, {bias.x + rate, bias.y, bias.z}), 0.01);
    worst_deg_s = std::max(worst_deg_s, ErrorDegS(filter.state().gyro_bias_rad_s, bias));
  }
  EXPECT_LT(worst_deg_s, 0.2);  // 0.52 deg/s with the raw accelerometer at 0.3 m/s^2
}

// A raw part whose zero-rate offset (9.7 deg/s here) is above rest_gyro_max_rad_s: its first
// rest is found under first_rest_gyro_max_rad_s, the bias is learned, and from then on rest is
// judged about it. Before, the sensor never rested and its tilt drifted by the bias.
TEST(MadgwickFilter, SensorWithABiasAboveTheRestLimitLearnsIt) {
  const Quaternion truth = AxisAngle({0.2, 1.0, 0.3}, 0.6);
  const Vec3 bias{7.0 * kPi / 180, -6.0 * kPi / 180, 3.0 * kPi / 180};
  std::mt19937 rng(11);
  MadgwickFilter filter({}, kRateHz);
  EXPECT_GT(FeedStill(filter, truth, bias, 0.25, 0.0, rng), 800);
  EXPECT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 0.2);
  EXPECT_LT(InclinationErrorRad(truth, filter.sensor_to_earth()), 0.2 * kPi / 180);
}

// The wider first-rest limit admits a slow steady turn about the vertical (the accelerometer
// cannot see it) when it comes before any real rest. The next real rest unlearns it; once a whole
// rest has been quiet about the bias learned before it, the same turn is motion again.
TEST(MadgwickFilter, ASlowTurnTakenForTheFirstRestIsUnlearnedAtTheNextRest) {
  const Quaternion level{};  // sensor z up: a turn about z leaves the accelerometer as it is
  const Vec3 bias{0.4 * kPi / 180, -0.3 * kPi / 180, 0.2 * kPi / 180};
  const Vec3 turning{bias.x, bias.y, bias.z + 8.0 * kPi / 180};
  const Vec3 moving{bias.x + 1.0, bias.y, bias.z};  // a brief movement: ends a still stretch
  MadgwickFilter filter({}, kRateHz);
  auto feed = [&](const Vec3& gyro, int samples) {
    for (int i = 0; i < samples; ++i) filter.UpdateWithDt(RestSample(level, gyro), 0.01);
  };
  feed(turning, 100);
  ASSERT_TRUE(filter.diagnostics().at_rest);
  EXPECT_GT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 6.0);

  feed(bias, 1000);
  EXPECT_TRUE(filter.diagnostics().at_rest);
  EXPECT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, bias), 0.2);

  feed(moving, 5);
  feed(bias, 300);
  ASSERT_TRUE(filter.diagnostics().at_rest);
  const Vec3 learned = filter.state().gyro_bias_rad_s;
  feed(turning, 200);
  EXPECT_FALSE(filter.diagnostics().at_rest);
  EXPECT_LT(ErrorDegS(filter.state().gyro_bias_rad_s, learned), 0.05);
}

TEST(MadgwickFilter, BiasIsBoundedAndNotLearnedInMotion) {
  MadgwickFilter filter({}, kRateHz);
  const Quaternion truth{};
  // A steady 0.5 rad/s turn about up is not rest (above rest_gyro_max_rad_s).
  for (int i = 0; i < 500; ++i) filter.UpdateWithDt(RestSample(truth, {0.0, 0.0, 0.5}), 0.01);
  EXPECT_FALSE(filter.diagnostics().at_rest);
  EXPECT_EQ(filter.state().gyro_bias_rad_s.z, 0.0);
}

TEST(MadgwickFilter, RejectsLinearAccelerationWithTimeout) {
  const MadgwickSettings settings{.reject_accel = true};
  MadgwickFilter filter(settings, kRateHz);
  const Quaternion truth{};
  for (int i = 0; i < 200; ++i) filter.UpdateWithDt(RestSample(truth, {}), 0.01);
  EXPECT_FALSE(filter.diagnostics().accel_rejected);
  ImuSample push = RestSample(truth, {});
  push.accel_m_s2.x += 7.0;  // 7 m/s^2 sideways: direction off by 35 deg
  filter.UpdateWithDt(push, 0.01);
  EXPECT_TRUE(filter.diagnostics().accel_rejected);
  EXPECT_LT(InclinationErrorRad(truth, filter.sensor_to_earth()), 1e-6);
  // A persistent push is accepted again after the timeout.
  int rejected = 1;
  for (int i = 0; i < 400 && filter.diagnostics().accel_rejected; ++i, ++rejected) {
    filter.UpdateWithDt(push, 0.01);
  }
  EXPECT_FALSE(filter.diagnostics().accel_rejected);
  EXPECT_NEAR(rejected * 0.01, settings.accel_reject_timeout_s, 0.02);
}

// The gain an engineer sets is the gain the filter uses after startup.
TEST(MadgwickFilter, GainSettingIsTheGainUsed) {
  const Quaternion truth = AxisAngle({1.0, 0.0, 0.0}, 0.3);
  for (double gain : {0.01, 0.05}) {
    MadgwickFilter filter({.gain_rad_s = gain}, kRateHz);
    for (int i = 0; i < 200; ++i) filter.UpdateWithDt(RestSample(truth, {}), 0.01);
    EXPECT_FALSE(filter.diagnostics().initialising);
    EXPECT_EQ(filter.diagnostics().gain_rad_s, gain);
  }
}

// The state is the whole memory of the filter: a filter set to another's saved state continues
// exactly as that one does (orientation, bias, rest and ramp timers alike), and the bias can be
// carried into a new filter.
TEST(MadgwickFilter, SavedStateResumesExactly) {
  const Table in = ReadCsv(kVectorDir + "synthetic_input.csv");
  auto sample = [&](std::size_t k) {
    ImuSample s = SampleFromRow(in, k, true);
    s.accel_m_s2 = {s.accel_m_s2.x * testing::kG, s.accel_m_s2.y * testing::kG,
                    s.accel_m_s2.z * testing::kG};
    return s;
  };
  MadgwickFilter original({}, kRateHz);
  for (std::size_t k = 0; k < 700; ++k) original.Update(sample(k));
  const MadgwickState saved = original.state();
  ASSERT_NE(saved.gyro_bias_rad_s, Vec3{});  // the 5 s rest taught it a bias

  MadgwickFilter resumed({}, kRateHz);
  resumed.set_state(saved);
  EXPECT_EQ(resumed.sensor_to_earth(), original.sensor_to_earth());
  for (std::size_t k = 700; k < in.rows.size(); ++k) {
    original.Update(sample(k));
    resumed.Update(sample(k));
  }
  EXPECT_EQ(resumed.sensor_to_earth(), original.sensor_to_earth());
  EXPECT_EQ(resumed.state().gyro_bias_rad_s, original.state().gyro_bias_rad_s);

  // A fresh filter differs: the check above can fail.
  MadgwickFilter fresh({}, kRateHz);
  for (std::size_t k = 700; k < in.rows.size(); ++k) fresh.Update(sample(k));
  EXPECT_GT(MaxAbsDiff(fresh.sensor_to_earth(), original.sensor_to_earth()), 1e-6);
}

// Regression goal: plain Madgwick reaches 2.69 deg, x-io Fusion 1.68 deg (vector README).
TEST(MadgwickFilter, SyntheticInclinationErrorSixAxis) {
  MadgwickFilter filter({}, kRateHz);
  const testing::SyntheticErrors production = testing::RunSynthetic(filter, false);
  EXPECT_LT(production.inclination_rms_deg, 1.5);
  RecordProperty("inclination_rms_deg", std::to_string(production.inclination_rms_deg));
}

TEST(MadgwickFilter, SyntheticAttitudeErrorNineAxis) {
  MadgwickFilter filter({}, kRateHz);
  const testing::SyntheticErrors production = testing::RunSynthetic(filter, true);
  EXPECT_LT(production.attitude_rms_deg, 1.5);
  RecordProperty("attitude_rms_deg", std::to_string(production.attitude_rms_deg));
}

}  // namespace
}  // namespace ambi::fusion
