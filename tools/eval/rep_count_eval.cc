// ambi-rep-eval: rep counts on the real recordings (shared/data/real), per recording, sensor and
// set, then totals. Each recording goes through the product path (CSV -> capture -> the
// SessionPipeline with default settings and the catalog exercise), as `ambi-replay --sensor`.
// Usage: ambi-rep-eval [REAL_DATA_DIR [CATALOG.toml]]
#include <cstdio>
#include <string>

#include "tools/eval/rep_eval.h"

namespace {

std::string Join(const std::vector<double>& values) {
  std::string out;
  char buffer[32];
  for (double v : values) {
    std::snprintf(buffer, sizeof(buffer), "%s%.0f", out.empty() ? "" : " ", v);
    out += buffer;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string directory =
      argc > 1 ? argv[1] : std::string(AMBI_DEFAULT_DATA_DIR) + "/real";
  const std::string catalog_path = argc > 2 ? argv[2] : std::string(AMBI_SOURCE_CATALOG);
  const ambi::config::CatalogLoadResult catalog =
      ambi::config::ExerciseCatalog::LoadFile(catalog_path);
  if (!catalog.ok()) {
    std::fprintf(stderr, "ambi-rep-eval: %s\n", catalog.error.c_str());
    return 2;
  }
  // Default settings: what the tool measures is what users get.
  const ambi::fusion::SessionParams base;
  const auto results = ambi::eval::EvaluateAll(directory, base, *catalog.catalog);
  if (results.empty()) {
    std::fprintf(stderr, "no recordings with rep ground truth under %s\n", directory.c_str());
    return 1;
  }
  std::printf("%-20s %-10s %-5s %-5s %3s %4s %4s %-4s  %-28s %s\n", "recording", "sensor", "side",
              "limb", "set", "true", "det", "ok", "segment ROM deg", "knee range deg (ref)");
  for (const auto& result : results) {
    for (const auto& row : result.rows) {
      const char* verdict = row.detected == row.true_reps                ? "yes"
                            : std::abs(row.detected - row.true_reps) <= 1 ? "~1"
                                                                         : "NO";
      std::printf("%-20s %-10s %-5s %-5s %3d %4d %4d %-4s  %-28s %s%s\n", row.recording.c_str(),
                  row.sensor.c_str(), row.side.c_str(), row.limb.c_str(), row.set, row.true_reps,
                  row.detected, verdict, Join(row.rom_deg).c_str(),
                  Join(row.knee_range_deg).c_str(), row.headline ? "" : "  [wrist, not headline]");
    }
    std::printf("%-20s exercise %s, %d gap events\n", result.recording.c_str(),
                result.exercise.empty() ? "(generic)" : result.exercise.c_str(), result.gaps);
    if (result.outside_sets > 0) {
      std::printf("%-20s %d detected reps outside every set window\n", result.recording.c_str(),
                  result.outside_sets);
    }
  }
  const ambi::eval::Totals headline = ambi::eval::Summarize(results, true);
  const ambi::eval::Totals other = ambi::eval::Summarize(results, false);
  std::printf("\nheadline (CMU shanks, PT ankles incl. the still left side, PT e6 wrist): "
              "%d rows, exact %.1f %% (%d), within one %.1f %% (%d), count error %d reps\n",
              headline.rows, headline.exact_pct(), headline.exact, headline.within_one_pct(),
              headline.within_one, headline.count_error);
  std::printf("CMU wrists (squat-type exercises, reported apart): "
              "%d rows, exact %.1f %% (%d), within one %.1f %% (%d), count error %d reps\n",
              other.rows, other.exact_pct(), other.exact, other.within_one_pct(),
              other.within_one, other.count_error);
  return 0;
}
