#ifndef AMBI_DAEMON_CONFIG_EXERCISE_CATALOG_H_
#define AMBI_DAEMON_CONFIG_EXERCISE_CATALOG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusion/core/exercise.h"

namespace ambi::config {

// Muscle groups a catalog may name (the weekly balance counts sets per group, so a typo would
// silently open a new group). Sorted.
const std::vector<std::string_view>& KnownMuscleGroups();

class ExerciseCatalog;
struct CatalogLoadResult;

// The exercises the system knows (data/exercises.toml): for each, its muscle groups, push/pull,
// whether reps start concentric or eccentric, bilateral or unilateral by default, which sensors
// (wrists or ankles) measure it, and optional per-metric band limits. The format is documented
// at the top of the shipped file. Immutable after loading; safe to share between threads.
class ExerciseCatalog {
 public:
  // Loads and validates the TOML file at 'path'.
  static CatalogLoadResult LoadFile(const std::string& path);
  // Parses 'text'; 'source_name' (a path) is used in error messages.
  static CatalogLoadResult Parse(std::string_view text, std::string_view source_name);

  // The exercise named 'name': its catalog key, or the key or one of its aliases written the
  // way people type (any case, spaces or hyphens for '_': "Dumbbell Row", "one-arm row").
  // nullptr when none matches.
  const fusion::Exercise* Find(std::string_view name) const;
  // The aliases of the exercise with key 'key' as the catalog lists them (empty if none).
  const std::vector<std::string>& AliasesOf(std::string_view key) const;
  // Up to 'max_matches' exercise keys close to 'name' (spelling within a few letters, or sharing
  // a word with a key or alias), closest first.
  std::vector<std::string> CloseMatches(std::string_view name, std::size_t max_matches = 4) const;
  // 'exercise "NAME" is not in the exercise catalog; close matches: ...' (or the known keys when
  // nothing is close): the message for a name Find() does not know.
  std::string UnknownNameError(std::string_view name) const;
  // All exercises, sorted by key.
  const std::vector<fusion::Exercise>& exercises() const { return exercises_; }
  std::size_t size() const { return exercises_.size(); }

 private:
  ExerciseCatalog() = default;

  std::vector<fusion::Exercise> exercises_;
  std::vector<std::vector<std::string>> aliases_;  // parallel to exercises_
  // Normalized key or alias -> index into exercises_, sorted by name.
  std::vector<std::pair<std::string, std::size_t>> names_;
};

// How a name is compared: lower case, runs of spaces, '-', '_' and '.' become one '_', none at
// either end. "One-Arm  Row" -> "one_arm_row".
std::string NormalizeExerciseName(std::string_view name);

// The result of loading a catalog: the catalog, or an error message naming the file, the key
// path, the offending value and the allowed values.
struct CatalogLoadResult {
  std::optional<ExerciseCatalog> catalog;
  std::string error;
  bool ok() const { return catalog.has_value(); }
};

}  // namespace ambi::config

#endif  // AMBI_DAEMON_CONFIG_EXERCISE_CATALOG_H_
