#include "daemon/sim/set_sequence.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "daemon/sim/demo_roster.h"
#include "daemon/sim/presets.h"

namespace ambi::sim {
namespace {

SimAthlete Curler() {
  SimAthlete athlete;
  athlete.name = "carol";
  athlete.session = sim::DefaultSpec(sim::ExerciseKind::kCurl);
  athlete.session.left.rep_count = 3;
  athlete.session.right.rep_count = 3;
  athlete.rest_between_sets_s = 20.0;
  athlete.extra_reps_max = 2;
  return athlete;
}

TEST(SetSequenceTest, LoopingSetsAreContiguousWithTheRequestedRest) {
  SetSequence sequence(Curler());
  std::shared_ptr<const SimSet> previous = sequence.Next();
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(previous->index, 0);
  EXPECT_EQ(previous->start_s, 0.0);
  for (int i = 1; i < 6; ++i) {
    std::shared_ptr<const SimSet> set = sequence.Next();
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->index, i);
    EXPECT_DOUBLE_EQ(set->start_s, previous->end_s());
    EXPECT_NE(set->spec.seed, previous->spec.seed);
    // Rest from the last rep of the previous set to the first of this one.
    const double last_rep_end_s = previous->start_s + previous->plan.left.back().end_s();
    const double first_rep_start_s = set->start_s + set->plan.left.front().start_s;
    EXPECT_NEAR(first_rep_start_s - last_rep_end_s, 20.0, 0.5) << "set " << i;
    previous = set;
  }
}

TEST(SetSequenceTest, RepCountsVaryWithinTheRangeAndMatchOnBothSides) {
  SetSequence sequence(Curler());
  bool saw_base = false;
  bool saw_more = false;
  for (int i = 0; i < 30; ++i) {
    const auto set = sequence.Next();
    const int reps = set->spec.left.rep_count;
    EXPECT_EQ(set->spec.right.rep_count, reps);
    EXPECT_GE(reps, 3);
    EXPECT_LE(reps, 5);
    EXPECT_EQ(static_cast<int>(set->plan.left.size()), reps);
    EXPECT_EQ(static_cast<int>(set->plan.right.size()), reps);
    saw_base |= reps == 3;
    saw_more |= reps > 3;
  }
  EXPECT_TRUE(saw_base);
  EXPECT_TRUE(saw_more);
}

TEST(SetSequenceTest, DeviceClockKeepsIncreasingAcrossSets) {
  SimAthlete athlete = Curler();
  athlete.session.left.clock.offset_s = 100.0;
  SetSequence sequence(athlete);
  const auto first = sequence.Next();
  const auto second = sequence.Next();
  EXPECT_DOUBLE_EQ(second->spec.left.clock.offset_s, 100.0 + second->start_s);
}

TEST(SetSequenceTest, SameSeedSamePlans) {
  SetSequence a(Curler());
  SetSequence b(Curler());
  for (int i = 0; i < 3; ++i) {
    const auto set_a = a.Next();
    const auto set_b = b.Next();
    EXPECT_EQ(set_a->spec.seed, set_b->spec.seed);
    EXPECT_DOUBLE_EQ(set_a->plan.truth.duration_s, set_b->plan.truth.duration_s);
  }
}

TEST(SetSequenceTest, WithoutLoopOneSetThenNothing) {
  SimAthlete athlete = Curler();
  athlete.loop = false;
  SetSequence sequence(athlete);
  const auto only = sequence.Next();
  ASSERT_NE(only, nullptr);
  EXPECT_EQ(only->spec.rest_after_s, athlete.session.rest_after_s);
  EXPECT_EQ(sequence.Next(), nullptr);
}

TEST(SetSequenceTest, InvalidAthletesAreNamed) {
  SimAthlete bad_name = Curler();
  bad_name.name = "al ice";
  EXPECT_NE(Validate(bad_name).find("al ice"), std::string::npos);
  EXPECT_THROW(SetSequence{bad_name}, std::invalid_argument);

  SimAthlete bad_spec = Curler();
  bad_spec.session.rate_hz = 0.0;
  const std::string error = Validate(bad_spec);
  EXPECT_NE(error.find("carol"), std::string::npos) << error;
  EXPECT_NE(error.find("rate_hz"), std::string::npos) << error;
}

TEST(DemoRosterTest, AliceCurlsWithLessLeftRomBobKneeExtensionsSymmetric) {
  const std::vector<SimAthlete> roster = DemoRoster();
  ASSERT_EQ(roster.size(), 2u);
  EXPECT_EQ(roster[0].name, "alice");
  EXPECT_EQ(roster[0].session.exercise, sim::ExerciseKind::kCurl);
  EXPECT_NEAR(roster[0].session.left.rom_deg / roster[0].session.right.rom_deg, 0.88, 1e-12);
  EXPECT_EQ(roster[1].name, "bob");
  EXPECT_EQ(roster[1].session.exercise, sim::ExerciseKind::kKneeExtension);
  EXPECT_EQ(roster[1].session.left.rom_deg, roster[1].session.right.rom_deg);
  for (const SimAthlete& athlete : roster) {
    EXPECT_TRUE(athlete.loop);
    EXPECT_EQ(athlete.rest_between_sets_s, 25.0);
    EXPECT_EQ(athlete.session.left.rep_count, 8);
    EXPECT_EQ(athlete.extra_reps_max, 2);
    EXPECT_EQ(Validate(athlete), "");
  }
  EXPECT_FALSE(AthleteFromPreset("x", "no-such-preset").has_value());
  EXPECT_EQ(AthleteFromPreset("x", "squat")->session.exercise, sim::ExerciseKind::kSquat);
}

}  // namespace
}  // namespace ambi::sim
