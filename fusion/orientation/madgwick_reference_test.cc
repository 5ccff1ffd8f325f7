#include "fusion/orientation/madgwick_reference.h"

#include <gtest/gtest.h>

#include <cmath>

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
using testing::Sci;
using testing::Table;

constexpr double kRateHz = 100.0;  // the vectors' rate

struct VectorCase {
  const char* input;
  const char* output;
  bool nine_axis;
  bool missing_x2;
};

class ReferenceVectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(ReferenceVectorTest, MatchesPublishedAlgorithmWithFixedDt) {
  const VectorCase& c = GetParam();
  const Table in = ReadCsv(kVectorDir + c.input + "_input.csv");
  const Table out = ReadCsv(kVectorDir + c.input + c.output);
  ASSERT_EQ(in.rows.size(), 2000u);
  ASSERT_EQ(out.rows.size(), 2000u);
  MadgwickReference filter({.missing_x2 = c.missing_x2}, kRateHz);
  double worst = 0.0;
  for (std::size_t k = 0; k < in.rows.size(); ++k) {
    filter.UpdateWithDt(SampleFromRow(in, k, c.nine_axis), 0.01);
    const Quaternion expected{out.At(k, "q_w"), out.At(k, "q_x"), out.At(k, "q_y"),
                              out.At(k, "q_z")};
    worst = std::max(worst, MaxAbsDiff(filter.sensor_to_earth(), expected));
  }
  EXPECT_LT(worst, 1e-10);  // measured ~7e-16; the margin allows FMA contraction
  RecordProperty("max_abs_dq", Sci(worst));
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ReferenceVectorTest,
    ::testing::Values(VectorCase{"synthetic", "_madgwick6_exact_f64.csv", false, false},
                      VectorCase{"recorded", "_madgwick6_exact_f64.csv", false, false},
                      VectorCase{"synthetic", "_madgwick9_exact_f64.csv", true, true},
                      VectorCase{"recorded", "_madgwick9_exact_f64.csv", true, true},
                      VectorCase{"synthetic", "_madgwick9_exact_f64_x2fix.csv", true, false},
                      VectorCase{"recorded", "_madgwick9_exact_f64_x2fix.csv", true, false}));

// The gain is the reference's own: doubling it must change the result (it was once silently
// replaced by another field), and a published-gain filter must not.
TEST(MadgwickReference, GainIsUsed) {
  const Table in = ReadCsv(kVectorDir + "synthetic_input.csv");
  MadgwickReference published({}, kRateHz);
  MadgwickReference doubled({.gain_rad_s = 0.2}, kRateHz);
  for (std::size_t k = 0; k < 300; ++k) {
    published.UpdateWithDt(SampleFromRow(in, k, false), 0.01);
    doubled.UpdateWithDt(SampleFromRow(in, k, false), 0.01);
  }
  EXPECT_GT(MaxAbsDiff(published.sensor_to_earth(), doubled.sensor_to_earth()), 1e-3);
}

// The synthetic t_s column is float32 (steps of 0.01 +- ~1e-6): dt from timestamps must stay
// close to the fixed-dt oracle, and the first sample must use the nominal dt.
TEST(MadgwickReference, TimestampDtStaysCloseToFixedDt) {
  const Table in = ReadCsv(kVectorDir + "synthetic_input.csv");
  const Table out = ReadCsv(kVectorDir + "synthetic_madgwick6_exact_f64.csv");
  MadgwickReference filter({}, kRateHz);
  double worst = 0.0;
  for (std::size_t k = 0; k < in.rows.size(); ++k) {
    filter.Update(SampleFromRow(in, k, false));
    const Quaternion expected{out.At(k, "q_w"), out.At(k, "q_x"), out.At(k, "q_y"),
                              out.At(k, "q_z")};
    worst = std::max(worst, MaxAbsDiff(filter.sensor_to_earth(), expected));
    if (k == 0) {
      EXPECT_DOUBLE_EQ(filter.last_dt_s(), 0.01);
    }
  }
  EXPECT_LT(worst, 1e-5);
  RecordProperty("max_abs_dq", Sci(worst));
}

// Gyro only (zero accel: no correction). One Euler step plus normalisation rotates by exactly
// 2 atan(|w| dt / 2) about w, so after n steps the closed form is known to rounding.
TEST(MadgwickReference, ConstantRateMatchesClosedForm) {
  MadgwickReference filter({}, kRateHz);
  const Vec3 axis{1.0 / std::sqrt(3.0), -1.0 / std::sqrt(3.0), 1.0 / std::sqrt(3.0)};
  const double rate = 2.0;  // rad/s
  const double dt = 0.01;
  const int n = 300;
  ImuSample s;
  s.gyro_rad_s = {axis.x * rate, axis.y * rate, axis.z * rate};
  for (int i = 0; i < n; ++i) filter.UpdateWithDt(s, dt);
  const double discrete_angle = n * 2.0 * std::atan(rate * dt / 2.0);
  const Quaternion discrete{std::cos(discrete_angle / 2), axis.x * std::sin(discrete_angle / 2),
                            axis.y * std::sin(discrete_angle / 2),
                            axis.z * std::sin(discrete_angle / 2)};
  EXPECT_LT(MaxAbsDiff(filter.sensor_to_earth(), discrete), 1e-12);
  // And the continuous rotation rate * t, within the O(dt^2) Euler error.
  const double angle = rate * n * dt;
  const Quaternion continuous{std::cos(angle / 2), axis.x * std::sin(angle / 2),
                              axis.y * std::sin(angle / 2), axis.z * std::sin(angle / 2)};
  EXPECT_LT(AttitudeErrorRad(filter.sensor_to_earth(), continuous), n * std::pow(rate * dt, 3));
}

TEST(MadgwickReference, VariableDtFromTimestamps) {
  MadgwickReference by_time({}, kRateHz);
  MadgwickReference by_dt({}, kRateHz);
  ImuSample s;
  s.gyro_rad_s = {0.3, 0.1, -0.5};
  const double steps[] = {0.01, 0.012, 0.007, 0.02, 0.01};
  double t = 5.0;
  for (int i = 0; i < 5; ++i) {
    t += steps[i];
    s.time = TimeFromSeconds(t);
    by_time.Update(s);
    by_dt.UpdateWithDt(s, i == 0 ? 0.01 : steps[i]);  // first sample: nominal dt
  }
  EXPECT_LT(MaxAbsDiff(by_time.sensor_to_earth(), by_dt.sensor_to_earth()), 1e-12);
  // Absurd steps (backwards, or far beyond the nominal period) and gaps use the nominal dt.
  s.time = TimeFromSeconds(t - 1.0);
  by_time.Update(s);
  EXPECT_DOUBLE_EQ(by_time.last_dt_s(), 0.01);
  s.time = TimeFromSeconds(t + 10.0);
  by_time.Update(s);
  EXPECT_DOUBLE_EQ(by_time.last_dt_s(), 0.01);
  by_time.RestartAfterGap();
  s.time = TimeFromSeconds(t + 10.004);
  by_time.Update(s);
  EXPECT_DOUBLE_EQ(by_time.last_dt_s(), 0.01);
  s.time = TimeFromSeconds(t + 10.009);
  by_time.Update(s);
  EXPECT_NEAR(by_time.last_dt_s(), 0.005, 1e-9);
}

TEST(MadgwickReference, RestAtTiltConvergesToGravity) {
  const Quaternion truth = AxisAngle({0.3, -1.0, 0.2}, 70.0 * kPi / 180.0);
  MadgwickReference filter({}, kRateHz);
  // gain 0.1 rad/s closes a 70 deg error in about 70/5.7 = 12 s (it is a rate limit).
  for (int i = 0; i < 2000; ++i) filter.UpdateWithDt(RestSample(truth, {}), 0.01);
  EXPECT_LT(InclinationErrorRad(truth, filter.sensor_to_earth()), 1e-3);
}

// The vector README's figures for the published algorithm: the metric and the algorithm agree.
TEST(MadgwickReference, SyntheticErrorsMatchTheVectorReadme) {
  MadgwickReference six({}, kRateHz);
  EXPECT_NEAR(testing::RunSynthetic(six, false).inclination_rms_deg, 2.69, 0.01);
  MadgwickReference nine({}, kRateHz);
  EXPECT_NEAR(testing::RunSynthetic(nine, true).attitude_rms_deg, 2.64, 0.01);  // x2fix
}

}  // namespace
}  // namespace ambi::fusion
