#ifndef AMBI_TOOLS_EVAL_REP_EVAL_H_
#define AMBI_TOOLS_EVAL_REP_EVAL_H_

// Rep counting on the real recordings of shared/data/real through the product path: the sensor
// CSVs become a capture (kAmbiSample bytes, BuildCaptureFromCsv), which a CaptureFeeder feeds
// into a SessionPipeline with the exercise from the catalog, exactly as `ambi-replay --sensor`
// does. The Rep events are compared with the ground_truth.json per (sensor, set). Shared by
// ambi-rep-eval and rep_eval_test.

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/exercise_catalog.h"
#include "fusion/core/events.h"
#include "fusion/pipeline/session_pipeline.h"
#include "tools/eval/perturb.h"

namespace ambi::eval {

// The two halves of shared/data/real (docs/accuracy.md, "Real-data split"): rules are tuned on
// kTuning only, kTest is reported but never tuned on. The split is by recording, fixed before
// the rep detector's redesign. A recording not in the table is kUnseen: no rule was written
// on it, so it is held out like the test half and reported on its own (rep_eval_test fails if
// shared/data/real holds one: a recording added there must join the split).
enum class Half { kTuning, kTest, kUnseen };

Half HalfOf(const std::string& recording);
const char* HalfName(Half half);

// Which rows a summary covers: one half, the unseen recordings, or all.
enum class HalfFilter { kTuning, kTest, kUnseen, kAll };

// "tuning" / "test" / "unseen" / "all"; nullopt for anything else.
std::optional<HalfFilter> ParseHalfFilter(const std::string& text);
bool Covers(HalfFilter filter, Half half);

// One (sensor, set) row. Where the truth has no rep windows (counts only), one row per sensor
// covers the whole recording (set 0, true count = the sum over its sets).
struct RepCountRow {
  std::string recording;
  std::string sensor;     // file stem, e.g. "LeftShank", "u2"
  std::string side;       // "left" / "right"
  std::string limb;       // "ankle" / "wrist"
  bool headline = false;  // counted in the headline totals (shanks/ankles, exercising wrists)
  bool still = false;     // the side that does no reps in this recording (true count 0)
  Half half = Half::kUnseen;
  int set = 0;  // 0: the whole recording (counts-only truth)
  int true_reps = 0;
  int detected = 0;
  // Detected reps that do not exist: every rep of a still side, the excess over the true count
  // of a working side.
  int phantoms() const { return detected > true_reps ? detected - true_reps : 0; }
  std::vector<fusion::Rep> reps;       // per detected rep of the set (times from the first sample)
  std::vector<double> knee_range_deg;  // reference per true rep of that side, when known
  // The ROM of each detected rep, in order.
  std::vector<double> rom_deg() const {
    std::vector<double> roms;
    roms.reserve(reps.size());
    for (const fusion::Rep& rep : reps) roms.push_back(rep.rom_deg);
    return roms;
  }
};

struct RecordingResult {
  std::string recording;
  Half half = Half::kUnseen;
  std::string exercise;  // catalog name the pipeline ran with; empty: generic
  std::vector<RepCountRow> rows;
  int outside_sets = 0;           // detected reps whose turnaround lies in no set window
  int outside_sets_headline = 0;  // of those, on headline sensors
  int gaps = 0;                   // gap events of the busiest sensor
  // Unilateral: the working side of the first set summary of the exercise's limb, and the side
  // whose knee flexes more on average per the reference joint angles (when known).
  std::optional<fusion::Side> working_side;
  std::optional<fusion::Side> knee_working_side;
};

// The catalog exercise of a recording ("cmu_sub22_SqDL" -> "squat"), from the dataset's own
// exercise code; empty when none fits (the pipeline then runs its generic exercise).
std::string CatalogExerciseFor(const std::string& recording);
// ... or, for a code not in that table, from the ground truth's description of the exercise
// ("heel raise (calf raise)"): the catalog's name or alias for the whole text, the text before
// its parenthesis or the text inside it; empty when none is an exercise of the catalog.
std::string CatalogExerciseFor(const std::string& recording, const std::string& description,
                               const config::ExerciseCatalog& catalog);

// Evaluates one recording folder; empty when it has no rep ground truth or no usable sensor.
// 'base' holds the stage settings (SessionParams{} is what users get); its exercise is replaced
// by the catalog's entry for the recording when there is one, and by the limb's generic
// exercise otherwise or when 'generic' (how an exercise the catalog does not know is counted).
// 'perturbation': the sensor CSVs are first changed as another athlete's session would differ
// (perturb.h); the truth stays.
std::optional<RecordingResult> EvaluateRecording(const std::string& directory,
                                                 const fusion::SessionParams& base,
                                                 const config::ExerciseCatalog& catalog,
                                                 bool generic = false,
                                                 const Perturbation& perturbation = {});

// Every recording folder under 'real_directory' (sorted).
std::vector<RecordingResult> EvaluateAll(const std::string& real_directory,
                                         const fusion::SessionParams& base,
                                         const config::ExerciseCatalog& catalog,
                                         bool generic = false,
                                         const Perturbation& perturbation = {});

struct Totals {
  int rows = 0;
  int exact = 0;
  int within_one = 0;
  int count_error = 0;  // sum over rows of |detected - true|: moves even when no row turns exact
  int still_rows = 0;   // rows of a side that does no reps
  int still_exact = 0;  // of those, rows with no rep counted
  int phantoms = 0;     // sum of RepCountRow::phantoms() plus reps outside every set window
  int outside_sets = 0;
  double exact_pct() const { return rows > 0 ? 100.0 * exact / rows : 0.0; }
  double within_one_pct() const { return rows > 0 ? 100.0 * within_one / rows : 0.0; }
};

// 'headline' true: the headline rows; false: the others (CMU wrists). Only recordings of the
// given half (or all).
Totals Summarize(const std::vector<RecordingResult>& results, bool headline,
                 HalfFilter half = HalfFilter::kAll);

}  // namespace ambi::eval

#endif  // AMBI_TOOLS_EVAL_REP_EVAL_H_
