#include "daemon/sim/presets.h"

#include <gtest/gtest.h>

#include <cmath>

#include "daemon/sim/limb_simulator.h"

namespace ambi::sim {
namespace {

TEST(PresetsTest, EveryPresetIsValidAndDeliversItsReps) {
  ASSERT_GE(Presets().size(), 10u);
  for (const PresetInfo& info : Presets()) {
    const std::optional<SessionSpec> spec = MakePreset(info.name);
    ASSERT_TRUE(spec.has_value()) << info.name;
    EXPECT_EQ(Validate(*spec), "") << info.name;
    EXPECT_EQ(spec->name, info.name);
    const SimulatedSession session = Simulate(*spec);
    ASSERT_EQ(session.sensors.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      const fusion::Side side = i == 0 ? fusion::Side::kLeft : fusion::Side::kRight;
      const SideSpec& s = spec->side(side);
      const SideTruth& truth = session.truth.side(side);
      EXPECT_EQ(session.sensors[i].placement, truth.placement);
      EXPECT_EQ(truth.placement.limb, LimbOf(spec->exercise));
      ASSERT_EQ(truth.reps.size(), static_cast<std::size_t>(s.rep_count * spec->sets.set_count))
          << info.name;
      if (truth.reps.empty()) continue;  // a side that does nothing (it may follow the body)
      double mean_rom = 0.0;
      for (const fusion::Rep& r : truth.reps) mean_rom += r.rom_deg;
      mean_rom /= static_cast<double>(truth.reps.size());
      // 3 % jitter over >= 7 reps; fatigue presets keep the ROM.
      EXPECT_NEAR(mean_rom, s.rom_deg, 0.04 * s.rom_deg) << info.name;
      // At rest: gravity plus small biases, noise and sway.
      EXPECT_NEAR(Norm(session.sensors[i].samples.front().accel_m_s2), 9.80665, 0.3) << info.name;
    }
  }
}

TEST(PresetsTest, AsymmetryPresetsCommandWhatTheirNameSays) {
  EXPECT_NEAR(MakePreset("curl-asym10")->right.rom_deg / MakePreset("curl-asym10")->left.rom_deg,
              0.9, 1e-12);
  EXPECT_NEAR(PlanSession(*MakePreset("curl-asym10")).truth.commanded_rom_diff_pct, -10.0, 1e-9);
  EXPECT_NEAR(PlanSession(*MakePreset("squat-asym15")).truth.commanded_rom_diff_pct, -15.0, 1e-9);
  EXPECT_EQ(MakePreset("squat")->exercise, ExerciseKind::kSquat);
  EXPECT_EQ(FirstPhaseOf(ExerciseKind::kSquat), fusion::Phase::kEccentric);
  EXPECT_EQ(MakePreset("unilateral-curl")->mode, fusion::SetMode::kUnilateral);
  EXPECT_FALSE(MakePreset("no-such-preset").has_value());
  EXPECT_FALSE(MakePreset("curl-nonsense").has_value());
}

TEST(PresetsTest, QuaternionFromAxisAngleIsUnitAndRotatesRightHanded) {
  const fusion::Quaternion q = QuaternionFromAxisAngle({0.0, 0.0, 2.0}, 90.0);
  EXPECT_NEAR(q.w, std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(q.z, std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(q.x * q.x + q.y * q.y, 0.0, 1e-24);
}

TEST(PresetsTest, ExerciseKindNamesRoundTrip) {
  for (ExerciseKind k :
       {ExerciseKind::kCurl, ExerciseKind::kLateralRaise, ExerciseKind::kKneeExtension,
        ExerciseKind::kSquat, ExerciseKind::kStraightLegRaise}) {
    EXPECT_EQ(ParseExerciseKind(ToString(k)), k);
  }
  EXPECT_FALSE(ParseExerciseKind("bench").has_value());
}

}  // namespace
}  // namespace ambi::sim
