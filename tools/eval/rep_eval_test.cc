// Regression over the real recordings of shared/data/real (read-only, never copied here), run
// through the product path (CSV -> capture -> SessionPipeline with default settings and the
// catalog exercise): the rep counts ambi-rep-eval reports may not get worse, per half of the
// real-data split (docs/accuracy.md). The expected counts are the recordings' ground truth; the
// floors are what the detector reaches today. CI always has the data: a missing folder fails.
#include "tools/eval/rep_eval.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

namespace ambi::eval {
namespace {

const std::string& RealDirectory() {
  static const std::string directory = std::string(AMBI_SHARED_DATA_DIR) + "/real";
  return directory;
}

// The source tree's catalog, loaded once for the whole test program.
const config::CatalogLoadResult& Catalog() {
  static const config::CatalogLoadResult catalog =
      config::ExerciseCatalog::LoadFile(std::string(AMBI_SOURCE_DIR) + "/data/exercises.toml");
  return catalog;
}

// Evaluated once for the whole test program (about a second of replay).
const std::vector<RecordingResult>& Results() {
  static const std::vector<RecordingResult> results = [] {
    const config::CatalogLoadResult& catalog = Catalog();
    EXPECT_TRUE(catalog.ok()) << catalog.error;
    if (!catalog.ok()) return std::vector<RecordingResult>{};
    return EvaluateAll(RealDirectory(), fusion::SessionParams{}, *catalog.catalog);
  }();
  return results;
}

void Report(const char* label, const Totals& t) {
  std::cout << label << ": " << t.rows << " rows, exact " << t.exact << ", within one "
            << t.within_one << ", count error " << t.count_error << ", phantom reps " << t.phantoms
            << " (" << t.outside_sets << " outside every set), still side exact " << t.still_exact
            << " of " << t.still_rows << "\n";
}

TEST(RepEvalTest, MapsDatasetExercisesToTheCatalog) {
  EXPECT_EQ(CatalogExerciseFor("cmu_sub22_SqDL"), "squat");
  EXPECT_EQ(CatalogExerciseFor("cmu_sub22_HeelRaise"), "calf_raise");
  EXPECT_EQ(CatalogExerciseFor("cmu_sub22_StepUpL"), "step_up");
  EXPECT_EQ(CatalogExerciseFor("pt_s1_e1_test"), "leg_extension");
  EXPECT_EQ(CatalogExerciseFor("pt_s2_e3_test"), "straight_leg_raise");
  EXPECT_EQ(CatalogExerciseFor("pt_s1_e4_test"), "hip_abduction");
  EXPECT_EQ(CatalogExerciseFor("pt_s1_e6_test"), "biceps_curl");
  EXPECT_EQ(CatalogExerciseFor("pt_s2_e7_test"), "front_raise");
  EXPECT_EQ(CatalogExerciseFor("broad_07_undisturbed_fast_rotation_B"), "");
}

// A recording whose code the table does not know is named by its ground truth's description.
TEST(RepEvalTest, AnUnknownCodeIsNamedByItsDescription) {
  const config::CatalogLoadResult& catalog = Catalog();
  ASSERT_TRUE(catalog.ok()) << catalog.error;
  EXPECT_EQ(CatalogExerciseFor("cmu_sub05_CalfRaise", "heel raise (calf raise)", *catalog.catalog),
            "calf_raise");
  EXPECT_EQ(CatalogExerciseFor("pt_s3_e9_test", "straight-leg raise", *catalog.catalog),
            "straight_leg_raise");
  EXPECT_EQ(CatalogExerciseFor("pt_s3_e9_test", "Dumbbell curl", *catalog.catalog), "biceps_curl");
  EXPECT_EQ(CatalogExerciseFor("pt_s3_e9_test", "supine leg movement", *catalog.catalog), "");
  // The code wins over the description.
  EXPECT_EQ(CatalogExerciseFor("cmu_sub22_SqDL", "heel raise", *catalog.catalog), "squat");
}

TEST(RepEvalTest, ParsesHalfNames) {
  EXPECT_EQ(ParseHalfFilter("tuning"), HalfFilter::kTuning);
  EXPECT_EQ(ParseHalfFilter("test"), HalfFilter::kTest);
  EXPECT_EQ(ParseHalfFilter("all"), HalfFilter::kAll);
  EXPECT_EQ(ParseHalfFilter("unseen"), HalfFilter::kUnseen);
  EXPECT_TRUE(Covers(HalfFilter::kUnseen, Half::kUnseen));
  EXPECT_FALSE(Covers(HalfFilter::kTest, Half::kUnseen));
  EXPECT_EQ(ParseHalfFilter("Test"), std::nullopt);
  EXPECT_TRUE(Covers(HalfFilter::kAll, Half::kTest));
  EXPECT_FALSE(Covers(HalfFilter::kTuning, Half::kTest));
}

TEST(RepEvalTest, RealDataIsPresent) {
  ASSERT_TRUE(std::filesystem::is_directory(RealDirectory()))
      << RealDirectory() << " is missing: CI always has ../shared/data";
}

// Every recording with rep truth is in one half, and both halves are as docs/accuracy.md says.
TEST(RepEvalTest, EveryRecordingIsInOneHalf) {
  const auto& results = Results();
  ASSERT_EQ(results.size(), 14u) << "recordings with rep truth under " << RealDirectory();
  int tuning = 0;
  int test = 0;
  for (const auto& result : results) {
    EXPECT_NE(result.half, Half::kUnseen) << result.recording;
    EXPECT_FALSE(result.exercise.empty()) << result.recording;
    tuning += result.half == Half::kTuning;
    test += result.half == Half::kTest;
  }
  EXPECT_EQ(tuning, 6);
  EXPECT_EQ(test, 8);
}

// Recordings whose truth has counts only (no rep windows) are one row per sensor with the total.
TEST(RepEvalTest, CountsOnlyRecordingsAreOneRowPerSensor) {
  for (const auto& result : Results()) {
    if (result.recording != "pt_s2_e3_test") continue;
    ASSERT_EQ(result.rows.size(), 2u);
    EXPECT_EQ(result.rows[0].set, 0);
    EXPECT_TRUE(result.rows[0].still);
    EXPECT_EQ(result.rows[0].true_reps, 0);
    EXPECT_EQ(result.rows[1].true_reps, 30);
    return;
  }
  FAIL() << "pt_s2_e3_test not evaluated";
}

// `ambi-rep-eval --reps` prints the reps each row counted: they are the ones its count and ROMs
// come from, in time order, each inside the row's set.
TEST(RepEvalTest, EveryRowKeepsTheRepsItCounted) {
  int reps_seen = 0;
  for (const auto& result : Results()) {
    for (const auto& row : result.rows) {
      SCOPED_TRACE(row.recording + " " + row.sensor + " set " + std::to_string(row.set));
      ASSERT_EQ(row.reps.size(), static_cast<std::size_t>(row.detected));
      const std::vector<double> roms_deg = row.rom_deg();
      for (std::size_t i = 0; i < row.reps.size(); ++i) {
        const fusion::Rep& rep = row.reps[i];
        EXPECT_DOUBLE_EQ(rep.rom_deg, roms_deg[i]);
        EXPECT_LE(rep.start, rep.turnaround);
        EXPECT_LE(rep.turnaround, rep.end);
        if (i > 0) {
          EXPECT_LE(row.reps[i - 1].turnaround, rep.turnaround);
        }
        ++reps_seen;
      }
    }
  }
  EXPECT_GT(reps_seen, 300);
}

// The floors are what the current detector reaches (docs/accuracy.md gives the rows); the
// redesign of issue 8 raises them. Aim: test half >= 95 % exact, no phantom on a still side.
TEST(RepEvalTest, TuningHalfHoldsItsTotals) {
  const Totals t = Summarize(Results(), /*headline=*/true, HalfFilter::kTuning);
  Report("tuning half, headline", t);
  Report("tuning half, CMU wrists", Summarize(Results(), false, HalfFilter::kTuning));
  EXPECT_EQ(t.rows, 21);
  // 19 / 20 / 3 since the merge of the other branches; unchanged by the swing and relearn rules.
  // 20 / 21 / 1 since the calf raise is measured as the shank's tilt (its misses were 8/10 and
  // 9/10 of the heel raises; the right side's first rep is still lost before its axis is known).
  EXPECT_GE(t.exact, 20);
  EXPECT_GE(t.within_one, 21);
  EXPECT_LE(t.count_error, 1);
  EXPECT_LE(t.phantoms, 0);
  EXPECT_EQ(t.still_rows, 6);
  EXPECT_EQ(t.still_exact, 6);
}

TEST(RepEvalTest, TestHalfHoldsItsTotals) {
  const Totals t = Summarize(Results(), /*headline=*/true, HalfFilter::kTest);
  Report("test half, headline", t);
  Report("test half, CMU wrists", Summarize(Results(), false, HalfFilter::kTest));
  EXPECT_EQ(t.rows, 18);
  // The rep screen (issue 8) took the following limb's phantoms from 26 to 5 and the count error
  // from 29 to 9, and cost one exact row (CMU Lunge right 5 -> 4): 14 / 17 / 29 / 28 before.
  // Since then (14 / 17 / 7 / 5 at the merge of the other branches) the swing rule and learning
  // the axis afresh at rest before the set (walking, handling) cost one rep of one hip
  // abduction set (9 -> 8 of 10), and the screen's axis rule for the first rep of a run the
  // first straight-leg raise of s2 (30 -> 29): 13 / 16 / 9 / 5. Then the follower rules (a
  // rock between the working side's reps, and a unilateral set's 0.4 fraction) took the
  // following ankle's 4 phantoms to 0 and cost one step-up rep of the trailing leg (14 deg
  // beside 36): 13 / 17 / 6 / 1. Then the detector measured the gyro less the filter's bias
  // (chosen on the simulator's slow small reps; this half run once after): one hip abduction
  // set 8 -> 10 of 10 and its phantom gone: 14 / 18 / 4 / 0. Then (eighth round, found by
  // reading this half's misses, so this half is no longer held out for these two rules) a rep
  // reported with the axis it turned about (the s2 raise 29 -> 30) and a set rest forgetting the
  // old set's size (a low-amplitude hip abduction set after a full one, 9 -> 10): 16 / 18 / 2 / 0.
  EXPECT_GE(t.exact, 16);
  EXPECT_GE(t.within_one, 18);
  EXPECT_LE(t.count_error, 2);
  EXPECT_LE(t.phantoms, 0);
  EXPECT_EQ(t.still_rows, 5);
  EXPECT_GE(t.still_exact, 5);
}

// A split-stance set (WorkingSideRule::kTurnsLess) is the set of the leg in front, whichever
// leg was seen moving first; the reference joint angles name it: the front knee flexes more.
// The rule was chosen from how the legs move in a split stance, with both split-stance
// recordings (one per half) in view: neither is a held-out check of it.
TEST(RepEvalTest, ASplitStanceSetIsTheSetOfTheLegWhoseKneeFlexesMore) {
  int checked = 0;
  for (const RecordingResult& result : Results()) {
    const fusion::Exercise* exercise = Catalog().catalog->Find(result.exercise);
    if (exercise == nullptr || exercise->working_side != fusion::WorkingSideRule::kTurnsLess ||
        !result.knee_working_side) {
      continue;
    }
    ++checked;
    EXPECT_EQ(result.working_side, result.knee_working_side) << result.recording;
  }
  EXPECT_GE(checked, 2);  // a split squat and a lunge
}

// The recordings as another athlete's session would differ from them (perturb.h). The counts
// may not depend on how the sensor was strapped on: every frame is turned by a random rotation.
TEST(RepEvalTest, ASensorWornTurnedCountsTheSame) {
  const config::CatalogLoadResult& catalog = Catalog();
  ASSERT_TRUE(catalog.ok()) << catalog.error;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    Perturbation turned;
    turned.mount_seed = seed;
    const auto results =
        EvaluateAll(RealDirectory(), fusion::SessionParams{}, *catalog.catalog, false, turned);
    ASSERT_EQ(results.size(), Results().size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      ASSERT_EQ(results[i].rows.size(), Results()[i].rows.size());
      for (std::size_t k = 0; k < results[i].rows.size(); ++k) {
        const RepCountRow& row = results[i].rows[k];
        if (!row.headline) continue;
        EXPECT_EQ(row.detected, Results()[i].rows[k].detected)
            << row.recording << " " << row.sensor << " set " << row.set << ", mount seed " << seed;
      }
    }
  }
}

// A sensor sampling at half the rate (the 100 Hz recordings averaged to 50 Hz, as a sensor's
// output-rate averaging does): the tuning half counts as recorded, and nothing is invented
// anywhere. (At 25 Hz some per-rep files, which begin and end mid-movement, are not: see
// docs/accuracy.md, fifteenth round.)
TEST(RepEvalTest, ASensorAtHalfTheRateCountsTheTuningHalfTheSame) {
  const config::CatalogLoadResult& catalog = Catalog();
  ASSERT_TRUE(catalog.ok()) << catalog.error;
  Perturbation slower;
  slower.max_rate_hz = 50.0;
  const auto results =
      EvaluateAll(RealDirectory(), fusion::SessionParams{}, *catalog.catalog, false, slower);
  ASSERT_EQ(results.size(), Results().size());
  int averaged = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_EQ(results[i].rows.size(), Results()[i].rows.size());
    for (std::size_t k = 0; k < results[i].rows.size(); ++k) {
      const RepCountRow& row = results[i].rows[k];
      if (!row.headline) continue;
      EXPECT_EQ(row.phantoms(), 0) << row.recording << " " << row.sensor << " set " << row.set;
      if (row.half != Half::kTuning) continue;
      EXPECT_EQ(row.detected, Results()[i].rows[k].detected)
          << row.recording << " " << row.sensor << " set " << row.set;
      if (row.rom_deg() != Results()[i].rows[k].rom_deg()) ++averaged;
    }
  }
  EXPECT_GT(averaged, 0) << "the 100 Hz recordings were averaged down";
}

// A Bluetooth link losing bursts of 1-10 samples (at most 0.2 s; a sample kept between bursts,
// as the simulator's), once a second, in the single-leg raise whose other ankle follows the
// body. Before the running first rep's axis check (RepDetectorParams::
// confirm_axis_travel_factor), a loss at the first fast raise after the set rest locked the
// axis on the interpolated start; the raise, measured about that axis, never came back, took
// the next raises with it (27 or 28 of 30), and the following ankle's rocks beside them were
// counted (5 and 6 phantoms).
TEST(RepEvalTest, ALossyLinkLosesNoRaiseAndInventsNoRock) {
  const config::CatalogLoadResult& catalog = Catalog();
  ASSERT_TRUE(catalog.ok()) << catalog.error;
  for (const std::uint64_t seed : {2u, 5u}) {
    Perturbation lossy;
    lossy.loss_bursts_per_s = 1.0;
    lossy.loss_seed = seed;
    const auto result = EvaluateRecording(RealDirectory() + "/pt_s2_e3_test",
                                          fusion::SessionParams{}, *catalog.catalog, false, lossy);
    ASSERT_TRUE(result.has_value());
    ASSERT_EQ(result->rows.size(), 2u);
    EXPECT_EQ(result->rows[0].detected, 0) << "phantom rocks, loss seed " << seed;
    EXPECT_EQ(result->rows[1].detected, 30) << "raises, loss seed " << seed;
    EXPECT_GT(result->gaps, 100) << "the link lost bursts";
  }
}

}  // namespace
}  // namespace ambi::eval
