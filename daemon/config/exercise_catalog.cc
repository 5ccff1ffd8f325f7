#include "daemon/config/exercise_catalog.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

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
    "display_name", "muscle_groups", "direction",  "first_phase",  "mode",
    "limb",         "bands",         "coaching",   "reaching",     "aliases",
    "min_rom_deg",  "axis",          "other_side", "working_side", "climbs"};
const std::vector<std::string_view> kCoachingKeys = {"stop_speed_loss_pct", "lead_amber_from_ms",
                                                     "lead_red_from_ms"};
const std::vector<std::string_view> kDirections = {"push", "pull", "neither"};
const std::vector<std::string_view> kPhases = {"concentric", "eccentric"};
const std::vector<std::string_view> kModes = {"bilateral", "unilateral"};
const std::vector<std::string_view> kLimbs = {"wrist", "ankle"};
const std::vector<std::string_view> kAxes = {"any", "tilt"};
const std::vector<std::string_view> kOtherSides = {"moves", "rests"};
const std::vector<std::string_view> kWorkingSides = {"first_to_move", "turns_less",
                                                     "longer_way_up"};
const std::vector<std::string_view> kMetricKeys = {"rom", "concentric_time", "eccentric_time",
                                                   "peak_speed"};
const std::vector<std::string_view> kBandKeys = {"amber_from_pct", "red_from_pct"};

Exercise ParseExercise(const Validator& v, std::string_view key, const toml::node& node) {
  const std::string path = "exercises." + std::string(key);
  if (!IsCatalogKey(key)) {
    v.Fail(&node, path,
           "invalid exercise key; allowed are lowercase letters, digits and '_', "
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
  exercise.reaching = v.Bool(table, path, "reaching", false);
  exercise.climbs = v.Bool(table, path, "climbs", false);
  exercise.min_rom_deg = v.Number(table, path, "min_rom_deg", 0.0, 0.5, 90.0, "deg");
  if (table.get("axis") != nullptr) exercise.tilt_only = v.Choice(table, path, "axis", kAxes) == 1;
  if (table.get("other_side") != nullptr) {
    exercise.other_side_rests = v.Choice(table, path, "other_side", kOtherSides) == 1;
  }
  if (table.get("working_side") != nullptr) {
    // In the order of kWorkingSides.
    constexpr std::array kRules = {fusion::WorkingSideRule::kFirstToMove,
                                   fusion::WorkingSideRule::kTurnsLess,
                                   fusion::WorkingSideRule::kLongerWayUp};
    exercise.working_side = kRules[v.Choice(table, path, "working_side", kWorkingSides)];
  }
  if (const toml::node* coaching_node = table.get("coaching")) {
    // docs/coaching.md: the per-exercise thresholds of the cues.
    const std::string coaching_path = path + ".coaching";
    const toml::table& coaching = v.Table(coaching_node, coaching_path);
    v.OnlyKeys(coaching, coaching_path, kCoachingKeys);
    fusion::CoachingLimits& limits = exercise.coaching;
    if (coaching.get("stop_speed_loss_pct") != nullptr) {
      limits.stop_speed_loss_pct =
          v.Number(coaching, coaching_path, "stop_speed_loss_pct", 0.0, 5.0, 60.0, "%");
    }
    limits.lead_amber_from_ms = v.Number(coaching, coaching_path, "lead_amber_from_ms",
                                         limits.lead_amber_from_ms, 10.0, 2000.0, "ms");
    limits.lead_red_from_ms = v.Number(coaching, coaching_path, "lead_red_from_ms",
                                       limits.lead_red_from_ms, 10.0, 2000.0, "ms");
    if (!(limits.lead_amber_from_ms < limits.lead_red_from_ms)) {
      v.Fail(coaching_node, coaching_path + ".lead_red_from_ms",
             "must be greater than lead_amber_from_ms");
    }
  }
  return exercise;
}

}  // namespace

const std::vector<std::string_view>& KnownMuscleGroups() {
  static const std::vector<std::string_view> kGroups = {
      "biceps",     "calves",     "chest",         "core",          "front_delts", "forearms",
      "glutes",     "hamstrings", "hip_abductors", "hip_adductors", "hip_flexors", "lats",
      "lower_back", "quadriceps", "rear_delts",    "rotator_cuff",  "serratus",    "side_delts",
      "tibialis",   "trapezius",  "triceps",       "upper_back"};
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
    std::vector<std::pair<Exercise, std::vector<std::string>>> entries;
    for (const auto& [key, node] : exercises) {
      Exercise exercise = ParseExercise(v, key.str(), node);
      const std::string path = "exercises." + std::string(key.str());
      std::vector<std::string> aliases = v.StringArray(*node.as_table(), path, "aliases");
      for (const std::string& alias : aliases) {
        if (NormalizeExerciseName(alias).empty()) {
          v.Fail(node.as_table()->get("aliases"), path + ".aliases",
                 "has \"" + alias + "\", which holds no letter or digit");
        }
      }
      entries.emplace_back(std::move(exercise), std::move(aliases));
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first.name < b.first.name; });
    for (std::size_t i = 0; i < entries.size(); ++i) {
      catalog.exercises_.push_back(std::move(entries[i].first));
      catalog.aliases_.push_back(std::move(entries[i].second));
      catalog.names_.emplace_back(NormalizeExerciseName(catalog.exercises_[i].name), i);
      for (const std::string& alias : catalog.aliases_[i]) {
        catalog.names_.emplace_back(NormalizeExerciseName(alias), i);
      }
    }
    std::sort(catalog.names_.begin(), catalog.names_.end());
    // One name, one exercise: an alias may not repeat a key or another exercise's alias.
    for (std::size_t i = 1; i < catalog.names_.size(); ++i) {
      const auto& [name, index] = catalog.names_[i];
      const auto& [previous_name, previous_index] = catalog.names_[i - 1];
      if (name == previous_name) {
        const std::string& a = catalog.exercises_[previous_index].name;
        const std::string& b = catalog.exercises_[index].name;
        v.Fail(exercises.get(b), "exercises." + b + ".aliases",
               a == b ? "names \"" + name + "\" twice"
                      : "name \"" + name + "\" is also exercise " + a +
                            "'s (key or alias); each name must mean one exercise");
      }
    }
    return {std::move(catalog), ""};
  } catch (const ValidationError& error) {
    return {std::nullopt, error.message};
  }
}

std::string NormalizeExerciseName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool separator = false;
  for (const char c : name) {
    if (c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t') {
      separator = !out.empty();
      continue;
    }
    if (separator) out += '_';
    separator = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

const fusion::Exercise* ExerciseCatalog::Find(std::string_view name) const {
  const auto it = std::lower_bound(
      exercises_.begin(), exercises_.end(), name,
      [](const Exercise& exercise, std::string_view key) { return exercise.name < key; });
  if (it != exercises_.end() && it->name == name) return &*it;
  const std::string normalized = NormalizeExerciseName(name);
  const auto found = std::lower_bound(names_.begin(), names_.end(), normalized,
                                      [](const std::pair<std::string, std::size_t>& entry,
                                         const std::string& key) { return entry.first < key; });
  return found != names_.end() && found->first == normalized ? &exercises_[found->second] : nullptr;
}

const std::vector<std::string>& ExerciseCatalog::AliasesOf(std::string_view key) const {
  static const std::vector<std::string> kNone;
  for (std::size_t i = 0; i < exercises_.size(); ++i) {
    if (exercises_[i].name == key) return aliases_[i];
  }
  return kNone;
}

namespace {

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string_view> Words(std::string_view normalized) {
  std::vector<std::string_view> words;
  while (!normalized.empty()) {
    const auto cut = normalized.find('_');
    words.push_back(normalized.substr(0, cut));
    if (cut == std::string_view::npos) break;
    normalized.remove_prefix(cut + 1);
  }
  return words;
}

}  // namespace

std::vector<std::string> ExerciseCatalog::CloseMatches(std::string_view name,
                                                       std::size_t max_matches) const {
  const std::string wanted = NormalizeExerciseName(name);
  // A typo: within a third of the name's letters (at least 2); a shared word of 3+ letters
  // ("row", "curl", "squat") counts as distance 3 + the other words' difference.
  const std::size_t typo_limit = std::max<std::size_t>(2, wanted.size() / 3);
  const std::vector<std::string_view> wanted_words = Words(wanted);
  std::vector<std::size_t> best(exercises_.size(), std::numeric_limits<std::size_t>::max());
  for (const auto& [candidate, index] : names_) {
    std::size_t score = EditDistance(wanted, candidate);
    if (score > typo_limit) {
      bool shares_word = false;
      for (std::string_view w : Words(candidate)) {
        for (std::string_view v : wanted_words) shares_word |= w.size() >= 3 && w == v;
      }
      score = shares_word ? typo_limit + 1 + score / 4 : std::numeric_limits<std::size_t>::max();
    }
    best[index] = std::min(best[index], score);
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < best.size(); ++i) {
    if (best[i] != std::numeric_limits<std::size_t>::max()) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return best[a] < best[b]; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < order.size() && out.size() < max_matches; ++i) {
    out.push_back(exercises_[order[i]].name);
  }
  return out;
}

std::string ExerciseCatalog::UnknownNameError(std::string_view name) const {
  std::string message = "exercise \"" + std::string(name) + "\" is not in the exercise catalog";
  const std::vector<std::string> close = CloseMatches(name);
  if (!close.empty()) {
    message += "; close matches:";
    for (const std::string& key : close) {
      message += " " + key;
      if (const auto& aliases = AliasesOf(key); !aliases.empty()) {
        message += " (\"" + aliases.front() + "\")";
      }
      message += key == close.back() ? "" : ",";
    }
  } else {
    message += "; known:";
    for (const Exercise& exercise : exercises_) message += " " + exercise.name;
  }
  return message;
}

}  // namespace ambi::config
