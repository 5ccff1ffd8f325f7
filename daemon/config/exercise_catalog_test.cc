#include "daemon/config/exercise_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace ambi::config {
namespace {

using fusion::Band;
using fusion::ForceDirection;
using fusion::Limb;
using fusion::Metric;
using fusion::Phase;
using fusion::SetMode;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kShippedCatalog = std::string(AMBI_SOURCE_DIR) + "/data/exercises.toml";

std::size_t Index(Metric metric) { return static_cast<std::size_t>(metric); }

TEST(ShippedCatalogTest, LoadsAndCoversWristsAndAnkles) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  const ExerciseCatalog& catalog = *result.catalog;
  EXPECT_GE(catalog.size(), 20u);
  int wrists = 0;
  int ankles = 0;
  for (const fusion::Exercise& e : catalog.exercises()) {
    (e.limb == Limb::kWrist ? wrists : ankles) += 1;
    EXPECT_FALSE(e.display_name.empty()) << e.name;
    EXPECT_FALSE(e.muscle_groups.empty()) << e.name;
    for (const auto& limits : e.bands) {
      EXPECT_LT(limits.amber_from_pct, limits.red_from_pct) << e.name;
    }
  }
  EXPECT_GE(wrists, 8);
  EXPECT_GE(ankles, 8);
  // The exercises the design names are all there.
  for (const char* name :
       {"biceps_curl", "hammer_curl", "lateral_raise", "front_raise", "shoulder_press",
        "overhead_triceps_extension", "bent_over_row", "bench_press", "deadlift", "squat", "lunge",
        "split_squat", "step_up", "leg_extension", "leg_curl", "calf_raise", "straight_leg_raise",
        "hip_abduction"}) {
    EXPECT_NE(catalog.Find(name), nullptr) << name;
  }
}

TEST(ShippedCatalogTest, FieldsOfKnownExercises) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  const fusion::Exercise* curl = result.catalog->Find("biceps_curl");
  ASSERT_NE(curl, nullptr);
  EXPECT_EQ(curl->display_name, "Biceps curl");
  EXPECT_EQ(curl->direction, ForceDirection::kPull);
  EXPECT_EQ(curl->first_phase, Phase::kConcentric);
  EXPECT_EQ(curl->default_mode, SetMode::kBilateral);
  EXPECT_EQ(curl->limb, Limb::kWrist);
  EXPECT_THAT(curl->muscle_groups, ::testing::Contains("biceps"));
  EXPECT_EQ(curl->bands[Index(Metric::kRom)].amber_from_pct, 10.0);  // defaults
  EXPECT_EQ(curl->bands[Index(Metric::kRom)].red_from_pct, 25.0);

  const fusion::Exercise* squat = result.catalog->Find("squat");
  ASSERT_NE(squat, nullptr);
  EXPECT_EQ(squat->first_phase, Phase::kEccentric);
  EXPECT_EQ(squat->limb, Limb::kAnkle);
  EXPECT_EQ(squat->direction, ForceDirection::kPush);
  EXPECT_EQ(result.catalog->Find("bench_press")->first_phase, Phase::kEccentric);
  EXPECT_EQ(result.catalog->Find("lunge")->default_mode, SetMode::kUnilateral);

  const fusion::Exercise* raise = result.catalog->Find("straight_leg_raise");
  ASSERT_NE(raise, nullptr);
  EXPECT_EQ(raise->bands[Index(Metric::kRom)].amber_from_pct, 5.0);
  EXPECT_EQ(raise->bands[Index(Metric::kRom)].red_from_pct, 15.0);
  EXPECT_EQ(raise->bands[Index(Metric::kPeakSpeed)].amber_from_pct, 10.0);  // untouched

  EXPECT_EQ(result.catalog->Find("no_such_exercise"), nullptr);
  EXPECT_EQ(result.catalog->Find(""), nullptr);
}

TEST(ShippedCatalogTest, RaisesStopLaterAndReachingWorkIsMarked) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->Find("lateral_raise")->coaching.stop_speed_loss_pct, 30.0);
  EXPECT_TRUE(result.catalog->Find("shoulder_press")->reaching);
  EXPECT_FALSE(result.catalog->Find("biceps_curl")->reaching);
}

TEST(ShippedCatalogTest, OpenChainExercisesRestTheOtherSide) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  for (const char* name : {"straight_leg_raise", "hip_abduction", "one_arm_row",
                           "concentration_curl", "biceps_curl", "single_leg_extension"}) {
    EXPECT_TRUE(result.catalog->Find(name)->other_side_rests) << name;
  }
  // Both feet on the ground: the other shank tilts with every rep.
  for (const char* name :
       {"split_squat", "bulgarian_split_squat", "lunge", "step_up", "single_leg_squat", "squat"}) {
    EXPECT_FALSE(result.catalog->Find(name)->other_side_rests) << name;
  }
}

TEST(ShippedCatalogTest, SplitStanceExercisesWorkTheLegThatTurnsLess) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  for (const char* name : {"split_squat", "bulgarian_split_squat", "lunge"}) {
    EXPECT_EQ(result.catalog->Find(name)->working_side, fusion::WorkingSideRule::kTurnsLess)
        << name;
  }
  // A step-up's leading leg lifts the body onto the box; the trailing leg only swings up.
  EXPECT_EQ(result.catalog->Find("step_up")->working_side, fusion::WorkingSideRule::kLongerWayUp);
  // One leg works, the other is off the ground or rests: the first to move is the working one.
  for (const char* name : {"single_leg_squat", "straight_leg_raise"}) {
    EXPECT_EQ(result.catalog->Find(name)->working_side, fusion::WorkingSideRule::kFirstToMove)
        << name;
  }
}

// A step-up climbs: its legs' trips up and down are told by the sensor's height. Nothing else
// does, as over seconds that height is unsure (RepDetectorParams::climbing).
TEST(ShippedCatalogTest, OnlyTheStepUpClimbs) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(result.catalog->Find("step_up")->climbs);
  for (const char* name : {"lunge", "split_squat", "squat", "straight_leg_raise", "biceps_curl"}) {
    EXPECT_FALSE(result.catalog->Find(name)->climbs) << name;
  }
}

TEST(ShippedCatalogTest, EveryMuscleGroupIsKnown) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  const std::set<std::string_view> known(KnownMuscleGroups().begin(), KnownMuscleGroups().end());
  for (const fusion::Exercise& e : result.catalog->exercises()) {
    for (const std::string& group : e.muscle_groups) EXPECT_TRUE(known.count(group)) << group;
  }
}

// ---- Bad catalogs, written to temporary files ------------------------------------------

class BadCatalogTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }

  CatalogLoadResult Load(const std::string& text) {
    std::ofstream(path_) << text;
    return ExerciseCatalog::LoadFile(path_.string());
  }

  std::string File() const { return path_.string(); }

  std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                ("ambi_catalog_test_" + std::to_string(::getpid()) + ".toml");
};

const char kGoodEntry[] = R"(
[exercises.curl]
display_name = "Curl"
muscle_groups = ["biceps"]
direction = "pull"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"
)";

TEST_F(BadCatalogTest, GoodMinimalEntryLoads) {
  const CatalogLoadResult result = Load(kGoodEntry);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->size(), 1u);
}

TEST_F(BadCatalogTest, WrongEnumValueNamesFileKeyValueAndAllowedValues) {
  std::string text = kGoodEntry;
  text.replace(text.find("\"pull\""), 6, "\"pulll\"");
  const CatalogLoadResult result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr(File() + ":5:"), HasSubstr("exercises.curl.direction"),
                                  HasSubstr("\"pulll\""), HasSubstr("push, pull, neither")));
}

TEST_F(BadCatalogTest, WrongLimbAndPhase) {
  std::string text = kGoodEntry;
  text.replace(text.find("\"wrist\""), 7, "\"knee\"");
  CatalogLoadResult result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.limb"), HasSubstr("\"knee\""),
                                  HasSubstr("wrist, ankle")));
  text = kGoodEntry;
  text.replace(text.find("\"concentric\""), 12, "3");
  result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.first_phase"), HasSubstr("= 3 "),
                                  HasSubstr("concentric, eccentric")));
}

TEST_F(BadCatalogTest, MissingKeyIsNamed) {
  std::string text = kGoodEntry;
  text.erase(text.find("mode = \"bilateral\"\n"), 19);
  const CatalogLoadResult result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr(File()), HasSubstr("exercises.curl.mode"),
                                  HasSubstr("missing"), HasSubstr("bilateral, unilateral")));
}

TEST_F(BadCatalogTest, UnknownKeyAndUnknownMuscleGroup) {
  CatalogLoadResult result = Load(std::string(kGoodEntry) + "colour = \"red\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.colour"), HasSubstr("unknown key"),
                                  HasSubstr("display_name")));
  std::string text = kGoodEntry;
  text.replace(text.find("[\"biceps\"]"), 10, "[\"biceps\", \"bicepz\"]");
  result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.muscle_groups[1]"),
                                  HasSubstr("\"bicepz\""), HasSubstr("hamstrings")));
}

TEST_F(BadCatalogTest, BandLimits) {
  CatalogLoadResult result =
      Load(std::string(kGoodEntry) + "bands.rom = { amber_from_pct = 20, red_from_pct = 10 }\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.bands.rom.red_from_pct"),
                                  HasSubstr("= 10"), HasSubstr("greater than amber_from_pct")));
  result =
      Load(std::string(kGoodEntry) + "bands.rom = { amber_from_pct = -1, red_from_pct = 10 }\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("bands.rom.amber_from_pct"), HasSubstr("= -1"),
                                  HasSubstr("> 0 and <= 100")));
  result =
      Load(std::string(kGoodEntry) + "bands.tempo = { amber_from_pct = 5, red_from_pct = 9 }\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.bands.tempo"),
                                  HasSubstr("rom, concentric_time, eccentric_time, peak_speed")));
  result = Load(std::string(kGoodEntry) +
                "bands.eccentric_time = { amber_from_pct = 7.5, red_from_pct = 12 }\n");
  ASSERT_TRUE(result.ok()) << result.error;
  const auto& limits = result.catalog->Find("curl")->bands[Index(Metric::kEccentricTime)];
  EXPECT_EQ(limits.amber_from_pct, 7.5);
  EXPECT_EQ(limits.red_from_pct, 12.0);
}

TEST_F(BadCatalogTest, CoachingThresholdsAndReaching) {
  CatalogLoadResult result = Load(std::string(kGoodEntry));
  ASSERT_TRUE(result.ok()) << result.error;
  const fusion::Exercise& plain = *result.catalog->Find("curl");
  EXPECT_FALSE(plain.coaching.stop_speed_loss_pct.has_value());  // the daemon's applies
  EXPECT_EQ(plain.coaching.lead_amber_from_ms, 100.0);
  EXPECT_FALSE(plain.reaching);
  result =
      Load(std::string(kGoodEntry) +
           "reaching = true\ncoaching = { stop_speed_loss_pct = 30, lead_amber_from_ms = 80 }\n");
  ASSERT_TRUE(result.ok()) << result.error;
  const fusion::Exercise& tuned = *result.catalog->Find("curl");
  EXPECT_EQ(tuned.coaching.stop_speed_loss_pct, 30.0);
  EXPECT_EQ(tuned.coaching.lead_amber_from_ms, 80.0);
  EXPECT_EQ(tuned.coaching.lead_red_from_ms, 250.0);
  EXPECT_TRUE(tuned.reaching);
  result = Load(std::string(kGoodEntry) + "coaching = { stop_speed_loss_pct = 95 }\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.coaching.stop_speed_loss_pct"),
                                  HasSubstr("= 95"), HasSubstr("5 to 60 %")));
  result = Load(std::string(kGoodEntry) + "coaching = { stop_speed = 20 }\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, HasSubstr("exercises.curl.coaching.stop_speed"));
}

TEST_F(BadCatalogTest, SmallestRepAndTiltAxis) {
  CatalogLoadResult result = Load(std::string(kGoodEntry));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->Find("curl")->min_rom_deg, 0.0);  // the detector's own floors
  EXPECT_FALSE(result.catalog->Find("curl")->tilt_only);
  result = Load(std::string(kGoodEntry) + "min_rom_deg = 2\naxis = \"tilt\"\n");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->Find("curl")->min_rom_deg, 2.0);
  EXPECT_TRUE(result.catalog->Find("curl")->tilt_only);
  result = Load(std::string(kGoodEntry) + "axis = \"twist\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.axis"), HasSubstr("any, tilt")));
  result = Load(std::string(kGoodEntry) + "min_rom_deg = 0\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.min_rom_deg"), HasSubstr("deg")));
}

TEST_F(BadCatalogTest, WhatTheOtherSideDoes) {
  CatalogLoadResult result = Load(std::string(kGoodEntry));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_FALSE(result.catalog->Find("curl")->other_side_rests);  // no assumption made
  result = Load(std::string(kGoodEntry) + "other_side = \"rests\"\n");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_TRUE(result.catalog->Find("curl")->other_side_rests);
  result = Load(std::string(kGoodEntry) + "other_side = \"idle\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error,
              AllOf(HasSubstr("exercises.curl.other_side"), HasSubstr("moves, rests")));
}

TEST_F(BadCatalogTest, WhichSideWorks) {
  CatalogLoadResult result = Load(std::string(kGoodEntry));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->Find("curl")->working_side, fusion::WorkingSideRule::kFirstToMove);
  result = Load(std::string(kGoodEntry) + "working_side = \"turns_less\"\n");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.catalog->Find("curl")->working_side, fusion::WorkingSideRule::kTurnsLess);
  result = Load(std::string(kGoodEntry) + "working_side = \"front\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.curl.working_side"),
                                  HasSubstr("first_to_move, turns_less")));
}

TEST_F(BadCatalogTest, SyntaxErrorAndMissingFile) {
  CatalogLoadResult result = Load("[exercises.curl\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr(File() + ":1:"), HasSubstr("not valid TOML")));
  result = ExerciseCatalog::LoadFile("/nonexistent/exercises.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, HasSubstr("/nonexistent/exercises.toml: cannot open"));
  result = Load("title = \"x\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("title"), HasSubstr("allowed keys are exercises")));
  result = Load("[exercises.Bad-Name]\ndisplay_name = \"x\"\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.Bad-Name"), HasSubstr("lowercase")));
}

}  // namespace
}  // namespace ambi::config

namespace ambi::config {
namespace {

// ---- Names people type --------------------------------------------------------------------

TEST(ExerciseNameTest, NormalizesCaseAndSeparators) {
  EXPECT_EQ(NormalizeExerciseName("One-Arm  Row"), "one_arm_row");
  EXPECT_EQ(NormalizeExerciseName("  dumbbell_row "), "dumbbell_row");
  EXPECT_EQ(NormalizeExerciseName("SLR"), "slr");
  EXPECT_EQ(NormalizeExerciseName(" - "), "");
}

TEST(ShippedCatalogTest, CommonNamesFindTheirExercise) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  const ExerciseCatalog& catalog = *result.catalog;
  const std::pair<const char*, const char*> kTyped[] = {
      {"dumbbell row", "one_arm_row"},     {"Dumbbell Row", "one_arm_row"},
      {"one-arm row", "one_arm_row"},      {"bicep curl", "biceps_curl"},
      {"Biceps Curl", "biceps_curl"},      {"overhead press", "shoulder_press"},
      {"knee extension", "leg_extension"}, {"heel raise", "calf_raise"},
      {"hamstring curl", "leg_curl"},      {"SLR", "straight_leg_raise"},
  };
  for (const auto& [typed, key] : kTyped) {
    const fusion::Exercise* exercise = catalog.Find(typed);
    ASSERT_NE(exercise, nullptr) << typed;
    EXPECT_EQ(exercise->name, key) << typed;
  }
  EXPECT_EQ(catalog.Find("dumbel row"), nullptr);
  EXPECT_THAT(catalog.AliasesOf("one_arm_row"), ::testing::Contains("dumbbell row"));
  EXPECT_TRUE(catalog.AliasesOf("glute_kickback").empty());
}

TEST(ShippedCatalogTest, UnknownNamesGetCloseMatches) {
  const CatalogLoadResult result = ExerciseCatalog::LoadFile(kShippedCatalog);
  ASSERT_TRUE(result.ok()) << result.error;
  const ExerciseCatalog& catalog = *result.catalog;
  // A typo of an alias, and of a key.
  EXPECT_EQ(catalog.CloseMatches("dumbel row").front(), "one_arm_row");
  EXPECT_EQ(catalog.CloseMatches("lateral rise").front(), "lateral_raise");
  // A shared word: every row.
  const std::vector<std::string> rows = catalog.CloseMatches("cable row");
  EXPECT_THAT(rows, ::testing::IsSupersetOf({"bent_over_row", "one_arm_row"}));
  EXPECT_THAT(catalog.UnknownNameError("dumbel row"),
              AllOf(HasSubstr("exercise \"dumbel row\" is not in the exercise catalog"),
                    HasSubstr("close matches: one_arm_row (\"dumbbell row\")")));
  // Nothing close: the known keys.
  EXPECT_THAT(catalog.UnknownNameError("zzz"), AllOf(HasSubstr("known:"), HasSubstr("squat")));
}

TEST_F(BadCatalogTest, AnAliasMeansOneExercise) {
  std::string text = std::string(kGoodEntry) + R"(
[exercises.hammer]
display_name = "Hammer"
aliases = ["Curl"]
muscle_groups = ["biceps"]
direction = "pull"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"
)";
  CatalogLoadResult result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, AllOf(HasSubstr("exercises.hammer.aliases"), HasSubstr("\"curl\""),
                                  HasSubstr("also exercise curl's")));
  text.replace(text.find("[\"Curl\"]"), 8, "[\"--\"]");
  result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, HasSubstr("no letter or digit"));
  text.replace(text.find("[\"--\"]"), 6, "\"hammer\"");
  result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error, HasSubstr("exercises.hammer.aliases"));
}

}  // namespace
}  // namespace ambi::config
