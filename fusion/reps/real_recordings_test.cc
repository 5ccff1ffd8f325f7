// Regression over the real recordings of shared/data/real (read-only, never copied here): the
// rep counts ambi-rep-eval reports may not get worse. Skipped when the folder is absent.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tools/eval/rep_eval.h"

namespace ambi::fusion {
namespace {

TEST(RealRecordingsTest, RepCountsHoldTheirTotals) {
  const std::string directory = std::string(AMBI_SHARED_DATA_DIR) + "/real";
  if (!std::filesystem::exists(directory)) GTEST_SKIP() << "no " << directory;
  const auto results = eval::EvaluateAll(directory, RepDetectorParams{});
  ASSERT_FALSE(results.empty());
  // Reached on 2026-11: 18 of 27 headline rows exact, 24 within one rep.
  const eval::Totals headline = eval::Summarize(results, /*headline=*/true);
  EXPECT_EQ(headline.rows, 27);
  EXPECT_GE(headline.exact, 18);
  EXPECT_GE(headline.within_one, 24);
  for (const auto& result : results) {
    for (const auto& row : result.rows) {
      SCOPED_TRACE(row.recording + " " + row.sensor + " set " + std::to_string(row.set));
      // The still side of the physiotherapy recordings does no reps.
      if (row.recording.rfind("pt_", 0) == 0 && row.side == "left") {
        EXPECT_EQ(row.detected, 0);
      }
      // Knee extension and curl: every set exact (correct, fast and low-amplitude).
      if (row.recording == "pt_s1_e1_test" || row.recording == "pt_s1_e6_test") {
        EXPECT_EQ(row.detected, row.true_reps);
      }
    }
  }
}

}  // namespace
}  // namespace ambi::fusion
