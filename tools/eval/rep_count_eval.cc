// ambi-rep-eval: rep counts on the real recordings (shared/data/real), per recording, sensor and
// set, then totals per half of the real-data split (docs/accuracy.md). Each recording goes
// through the product path (CSV -> capture -> the SessionPipeline with default settings and the
// catalog exercise), as `ambi-replay --sensor`.
// Usage: ambi-rep-eval [--half tuning|test|unseen|all] [--reps] [REAL_DATA_DIR [CATALOG.toml]]
#include <CLI/CLI.hpp>
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

// One detected rep, indented under its row: when it happened and how it moved, to see why a
// row is off (a first rep cut at a file edge, a hold read as the return, a missed start).
void PrintRep(const ambi::fusion::Rep& rep) {
  std::printf(
      "    rep %2d  %7.2f %7.2f %7.2f s  ROM %5.1f deg  up %.2f s  hold %.2f s  down %.2f s  "
      "rest before %.2f s  peak %.0f deg/s%s\n",
      rep.index, ambi::fusion::ToSeconds(rep.start), ambi::fusion::ToSeconds(rep.turnaround),
      ambi::fusion::ToSeconds(rep.end), rep.rom_deg, rep.concentric_s, rep.pause_turnaround_s,
      rep.eccentric_s, rep.pause_before_s, rep.peak_speed_deg_s, rep.bridged ? "  bridged" : "");
}

void PrintTotals(const char* label, const ambi::eval::Totals& t) {
  std::printf(
      "%s: %d rows, exact %.1f %% (%d), within one %.1f %% (%d), count error %d reps, "
      "phantom reps %d (%d outside every set), still side exact %d of %d rows\n",
      label, t.rows, t.exact_pct(), t.exact, t.within_one_pct(), t.within_one, t.count_error,
      t.phantoms, t.outside_sets, t.still_exact, t.still_rows);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ambi-rep-eval: rep counts on the real recordings, per half of the split"};
  std::string directory = std::string(AMBI_DEFAULT_DATA_DIR) + "/real";
  std::string catalog_path = AMBI_SOURCE_CATALOG;
  std::string half_text = "all";
  app.add_option("--half", half_text,
                 "tuning, test, unseen (recordings in neither half: no rule was written on "
                 "them) or all (docs/accuracy.md, Real-data split)")
      ->check(CLI::IsMember({"tuning", "test", "unseen", "all"}));
  bool generic = false;
  app.add_flag("--generic", generic,
               "count every recording as its limb's generic exercise, not the catalog's entry: how "
               "an exercise the catalog does not know is counted");
  ambi::eval::Perturbation perturbation;
  app.add_option("--mount-seed", perturbation.mount_seed,
                 "turn each sensor's frame by a random rotation drawn from this seed (0: as "
                 "recorded): the sensor worn another way");
  app.add_option("--loss-bursts-per-s", perturbation.loss_bursts_per_s,
                 "drop BLE-like bursts of 1-10 samples (at most 0.2 s) this often per second")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--loss-seed", perturbation.loss_seed, "seed of the loss bursts");
  app.add_option("--max-rate-hz", perturbation.max_rate_hz,
                 "average recordings faster than this down to about it (a slower sensor)")
      ->check(CLI::PositiveNumber);
  bool print_reps = false;
  app.add_flag("--reps", print_reps,
               "under each row, every rep counted in it: start, turnaround and end (s from the "
               "recording's first sample), ROM, phases, hold, rest before, peak speed");
  app.add_option("real_dir", directory, "folder of recordings");
  app.add_option("catalog", catalog_path, "exercise catalog (TOML)");
  CLI11_PARSE(app, argc, argv);
  const ambi::eval::HalfFilter half = *ambi::eval::ParseHalfFilter(half_text);

  const ambi::config::CatalogLoadResult catalog =
      ambi::config::ExerciseCatalog::LoadFile(catalog_path);
  if (!catalog.ok()) {
    std::fprintf(stderr, "ambi-rep-eval: %s\n", catalog.error.c_str());
    return 2;
  }
  // Default settings: what the tool measures is what users get.
  const ambi::fusion::SessionParams base;
  const auto results =
      ambi::eval::EvaluateAll(directory, base, *catalog.catalog, generic, perturbation);
  if (results.empty()) {
    std::fprintf(stderr, "no recordings with rep ground truth under %s\n", directory.c_str());
    return 1;
  }
  std::printf("%-20s %-6s %-10s %-5s %-5s %3s %4s %4s %-4s  %-28s %s\n", "recording", "half",
              "sensor", "side", "limb", "set", "true", "det", "ok", "segment ROM deg",
              "knee range deg (ref)");
  for (const auto& result : results) {
    if (!ambi::eval::Covers(half, result.half)) continue;
    for (const auto& row : result.rows) {
      const char* verdict = row.detected == row.true_reps                 ? "yes"
                            : std::abs(row.detected - row.true_reps) <= 1 ? "~1"
                                                                          : "NO";
      std::printf("%-20s %-6s %-10s %-5s %-5s %3d %4d %4d %-4s  %-28s %s%s%s\n",
                  row.recording.c_str(), ambi::eval::HalfName(row.half), row.sensor.c_str(),
                  row.side.c_str(), row.limb.c_str(), row.set, row.true_reps, row.detected, verdict,
                  Join(row.rom_deg()).c_str(), Join(row.knee_range_deg).c_str(),
                  row.still ? "  [still side]" : "", row.headline ? "" : "  [wrist, not headline]");
      if (print_reps) {
        for (const ambi::fusion::Rep& rep : row.reps) PrintRep(rep);
      }
    }
    std::printf("%-20s exercise %s, %d gap events\n", result.recording.c_str(),
                result.exercise.empty() ? "(generic)" : result.exercise.c_str(), result.gaps);
    if (result.working_side) {
      const auto name = [](std::optional<ambi::fusion::Side> side) {
        return !side ? "unknown" : *side == ambi::fusion::Side::kLeft ? "left" : "right";
      };
      std::printf("%-20s working side %s (the knee that flexes more: %s)\n",
                  result.recording.c_str(), name(result.working_side),
                  name(result.knee_working_side));
    }
    if (result.outside_sets > 0) {
      std::printf("%-20s %d detected reps outside every set window\n", result.recording.c_str(),
                  result.outside_sets);
    }
  }
  std::printf(
      "\nset 0 = the whole recording (truth has counts only). Headline rows: CMU shanks, "
      "PT ankles incl. the still left side, PT wrists.\n");
  const struct {
    ambi::eval::HalfFilter filter;
    const char* headline_label;
    const char* other_label;
  } kGroups[] = {
      {ambi::eval::HalfFilter::kTuning, "tuning half, headline", "tuning half, CMU wrists"},
      {ambi::eval::HalfFilter::kTest, "test half,   headline", "test half,   CMU wrists"},
      {ambi::eval::HalfFilter::kUnseen, "unseen,      headline", "unseen,      CMU wrists"},
      {ambi::eval::HalfFilter::kAll, "all,         headline", "all,         CMU wrists"},
  };
  int unseen = 0;
  for (const auto& result : results) unseen += result.half == ambi::eval::Half::kUnseen ? 1 : 0;
  for (const auto& group : kGroups) {
    if (half != ambi::eval::HalfFilter::kAll && group.filter != half) continue;
    if (group.filter == ambi::eval::HalfFilter::kUnseen && unseen == 0) continue;
    PrintTotals(group.headline_label, ambi::eval::Summarize(results, true, group.filter));
    PrintTotals(group.other_label, ambi::eval::Summarize(results, false, group.filter));
  }
  for (const auto& result : results) {
    if (result.half == ambi::eval::Half::kUnseen) {
      std::printf(
          "recording %s is unseen (in neither half): held out; if it joins shared/data, add it "
          "to the split (docs/accuracy.md)\n",
          result.recording.c_str());
    }
  }
  return 0;
}
