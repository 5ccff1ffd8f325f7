#include "daemon/config/exercise_catalog.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

#include "daemon/config/toml_validator.h"

namespace ambi::config {
namespace {

using fusion::BandLimits;
using fusion::Exercise;
using fusion::Metric;

using detail::ValidationError;
using detail::Validator;

bool IsCatalogKey(std::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

const std::vector<std::string_view> kExerciseKeys = {
    "display_name", "muscle_groups", "direction", "first_phase", "mode", "limb", "bands"};
const std::vector<std::string_view> kDirections = {"push", "pull", "neither"};
const std::vector<std::string_view> kPhases = {"concentric", "eccentric"};
const std::vector<std::string_view> kModes = {"bilateral", "unilateral"};
const std::vector<std::string_view> kLimbs = {"wrist", "ankle"};
const std::vector<std::string_view> kMetricKeys = {"rom", "concentric_time", "eccentric_time",
                                                   "peak_speed"};
const std::vector<std::string_view> kBandKeys = {"amber_from_pct", "red_from_pct"};

Exercise ParseExercise(const Validator& v, std::string_view key, const toml::node& node) {
  const std::string path = "exercises." + std::string(key);
  if (!IsCatalogKey(key)) {
    v.Fail(&node, path, "invalid exercise key; allowed are lowercase letters, digits and '_', "
                        "starting with a letter");
  }
  const toml::table& table = v.Table(&node, path);
  v.OnlyKeys(table, path, kExerciseKeys);

  Exercise exercise;
  exercise.name = std::string(key);
  exercise.display_name = v.String(table, path, "display_name");
  if (exercise.display_name.empty()) {
    v.Fail(table.get("display_name"), path + ".display_name", "= \"\" must not be empty");
  }

  const toml::node* groups_node = table.get("muscle_groups");
  const std::string groups_path = path + ".muscle_groups";
  const auto* groups = groups_node != nullptr ? groups_node->as_array() : nullptr;
  if (groups == nullptr || groups->empty()) {
    v.Fail(groups_node != nullptr ? groups_node : &table, groups_path,
           "must be a non-empty array of strings; allowed values are " +
               Validator::Join(KnownMuscleGroups()));
  }
  for (std::size_t i = 0; i < groups->size(); ++i) {
    const toml::node& group = *groups->get(i);
    const auto* s = group.as_string();
    const auto& known = KnownMuscleGroups();
    if (s == nullptr || std::find(known.begin(), known.end(), s->get()) == known.end()) {
      v.Fail(&group, groups_path + "[" + std::to_string(i) + "]",
             "= " + Validator::Show(group) + " is not a known muscle group; allowed values are " +
                 Validator::Join(known));
    }
    exercise.muscle_groups.push_back(s->get());
  }

  exercise.direction =
      static_cast<fusion::ForceDirection>(v.Choice(table, path, "direction", kDirections));
  exercise.first_phase = static_cast<fusion::Phase>(v.Choice(table, path, "first_phase", kPhases));
  exercise.default_mode = static_cast<fusion::SetMode>(v.Choice(table, path, "mode", kModes));
  exercise.limb = static_cast<fusion::Limb>(v.Choice(table, path, "limb", kLimbs));

  if (const toml::node* bands_node = table.get("bands")) {
    const std::string bands_path = path + ".bands";
    const toml::table& bands = v.Table(bands_node, bands_path);
    v.OnlyKeys(bands, bands_path, kMetricKeys);
    for (std::size_t m = 0; m < kMetricKeys.size(); ++m) {
      const toml::node* limits_node = bands.get(kMetricKeys[m]);
      if (limits_node == nullptr) continue;  // the default limits stay
      const std::string limits_path = bands_path + "." + std::string(kMetricKeys[m]);
      const toml::table& limits_table = v.Table(limits_node, limits_path);
      v.OnlyKeys(limits_table, limits_path, kBandKeys);
      BandLimits limits;
      limits.amber_from_pct = v.Percent(limits_table, limits_path, "amber_from_pct");
      limits.red_from_pct = v.Percent(limits_table, limits_path, "red_from_pct");
      if (!(limits.amber_from_pct < limits.red_from_pct)) {
        v.Fail(limits_table.get("red_from_pct"), limits_path + ".red_from_pct",
               "= " + Validator::Show(*limits_table.get("red_from_pct")) +
                   " must be greater than amber_from_pct");
      }
      exercise.bands[m] = limits;
    }
  }
  return exercise;
}

}  // namespace

const std::vector<std::string_view>& KnownMuscleGroups() {
  static const std::vector<std::string_view> kGroups = {
      "biceps",        "calves",         "chest",          "core",
      "front_delts",   "forearms",       "glutes",         "hamstrings",
      "hip_abductors", "hip_adductors",  "hip_flexors",    "lats",
      "lower_back",    "quadriceps",     "rear_delts",     "rotator_cuff",
      "serratus",      "side_delts",     "tibialis",       "trapezius",
      "triceps",       "upper_back"};
  return kGroups;
}

CatalogLoadResult ExerciseCatalog::LoadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return {std::nullopt, path + ": cannot open the exercise catalog for reading"};
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return Parse(text, path);
}

CatalogLoadResult ExerciseCatalog::Parse(std::string_view text, std::string_view source_name) {
  std::string syntax_error;
  std::optional<toml::table> parsed = detail::ParseToml(text, source_name, &syntax_error);
  if (!parsed) return {std::nullopt, syntax_error};
  const toml::table& root = *parsed;
  const Validator v(source_name);
  try {
    v.OnlyKeys(root, "", {"exercises"});
    const toml::table& exercises = v.Table(root.get("exercises"), "exercises");
    if (exercises.empty()) v.Fail(&exercises, "exercises", "is empty; at least one is required");
    ExerciseCatalog catalog;
    for (const auto& [key, node] : exercises) {
      catalog.exercises_.push_back(ParseExercise(v, key.str(), node));
    }
    std::sort(catalog.exercises_.begin(), catalog.exercises_.end(),
              [](const Exercise& a, const Exercise& b) { return a.name < b.name; });
    return {std::move(catalog), ""};
  } catch (const ValidationError& error) {
    return {std::nullopt, error.message};
  }
}

const fusion::Exercise* ExerciseCatalog::Find(std::string_view name) const {
  const auto it = std::lower_bound(
      exercises_.begin(), exercises_.end(), name,
      [](const Exercise& exercise, std::string_view key) { return exercise.name < key; });
  return it != exercises_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace ambi::config
