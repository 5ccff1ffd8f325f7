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

namespace ambi::eval {

// One (sensor, set) row.
struct RepCountRow {
  std::string recording;
  std::string sensor;     // file stem, e.g. "LeftShank", "u2"
  std::string side;       // "left" / "right"
  std::string limb;       // "ankle" / "wrist"
  bool headline = false;  // counted in the headline totals (shanks/ankles, exercising wrists)
  int set = 0;
  int true_reps = 0;
  int detected = 0;
  std::vector<double> rom_deg;          // per detected rep of the set
  std::vector<double> knee_range_deg;   // reference per true rep of that side, when known
};

struct RecordingResult {
  std::string recording;
  std::string exercise;  // catalog name the pipeline ran with; empty: generic
  std::vector<RepCountRow> rows;
  int outside_sets = 0;  // detected reps whose turnaround lies in no set window
  int gaps = 0;          // gap events of the busiest sensor
};

// The catalog exercise of a recording ("cmu_sub22_SqDL" -> "squat"), from the dataset's own
// exercise code; empty when none fits (the pipeline then runs its generic exercise).
std::string CatalogExerciseFor(const std::string& recording);

// Evaluates one recording folder; empty when it has no rep ground truth or no usable sensor.
// 'base' holds the stage settings (SessionParams{} is what users get); its exercise is replaced
// by the catalog's entry for the recording when there is one.
std::optional<RecordingResult> EvaluateRecording(const std::string& directory,
                                                 const fusion::SessionParams& base,
                                                 const config::ExerciseCatalog& catalog);

// Every recording folder under 'real_directory' (sorted).
std::vector<RecordingResult> EvaluateAll(const std::string& real_directory,
                                         const fusion::SessionParams& base,
                                         const config::ExerciseCatalog& catalog);

struct Totals {
  int rows = 0;
  int exact = 0;
  int within_one = 0;
  int count_error = 0;  // sum over rows of |detected - true|: moves even when no row turns exact
  double exact_pct() const { return rows > 0 ? 100.0 * exact / rows : 0.0; }
  double within_one_pct() const { return rows > 0 ? 100.0 * within_one / rows : 0.0; }
};

// 'headline' true: the headline rows; false: the others (CMU wrists).
Totals Summarize(const std::vector<RecordingResult>& results, bool headline);

}  // namespace ambi::eval

#endif  // AMBI_TOOLS_EVAL_REP_EVAL_H_
