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

  // The exercise with catalog key 'name', or nullptr.
  const fusion::Exercise* Find(std::string_view name) const;
  // All exercises, sorted by key.
  const std::vector<fusion::Exercise>& exercises() const { return exercises_; }
  std::size_t size() const { return exercises_.size(); }

 private:
  ExerciseCatalog() = default;

  std::vector<fusion::Exercise> exercises_;
};

// The result of loading a catalog: the catalog, or an error message naming the file, the key
// path, the offending value and the allowed values.
struct CatalogLoadResult {
  std::optional<ExerciseCatalog> catalog;
  std::string error;
  bool ok() const { return catalog.has_value(); }
};

}  // namespace ambi::config

#endif  // AMBI_DAEMON_CONFIG_EXERCISE_CATALOG_H_
