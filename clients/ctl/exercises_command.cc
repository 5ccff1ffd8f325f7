// ambictl exercises: the exercise catalog with limbs and modes, read from the catalog file.

#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "clients/ctl/commands.h"
#include "clients/ctl/ctl_text.h"

namespace ambi::ctl {
namespace {

// The file ambid reads when its configuration names none: $AMBI_CATALOG, the installed one,
// else the source tree's.
std::string CatalogPath(const Options& options) {
  if (!options.catalog.empty()) return options.catalog;
  if (const char* from_env = std::getenv("AMBI_CATALOG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  std::error_code ec;
  if (std::filesystem::exists(AMBI_INSTALLED_CATALOG, ec)) return AMBI_INSTALLED_CATALOG;
  return AMBI_SOURCE_CATALOG;
}

std::string Text(const toml::table& table, const char* key) {
  return table[key].value_or(std::string());
}

}  // namespace

int Exercises(const Options& options) {
  const std::string path = CatalogPath(options);
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    PrintError("cannot read the exercise catalog " + path + ": " +
               std::string(error.description()) + " (use --catalog FILE)");
    return kExitError;
  }
  const toml::table* exercises = root["exercises"].as_table();
  if (exercises == nullptr) {
    PrintError(path + " has no [exercises] table: is it an exercise catalog? (use --catalog FILE)");
    return kExitError;
  }
  Table table({"EXERCISE", "NAME", "LIMB", "MODE", "DIRECTION", "MUSCLE GROUPS"});
  for (const auto& [key, node] : *exercises) {
    const toml::table* exercise = node.as_table();
    if (exercise == nullptr) continue;
    std::vector<std::string> groups;
    if (const toml::array* list = (*exercise)["muscle_groups"].as_array()) {
      for (const auto& group : *list) groups.push_back(group.value_or(std::string()));
    }
    if (options.json) {
      nlohmann::ordered_json o;
      o["exercise"] = std::string(key.str());
      o["display_name"] = Text(*exercise, "display_name");
      o["limb"] = Text(*exercise, "limb");
      o["default_mode"] = Text(*exercise, "mode");
      // Any exercise can be done either way; the mode of a set may override the default.
      o["modes"] = {"bilateral", "unilateral"};
      o["direction"] = Text(*exercise, "direction");
      o["first_phase"] = Text(*exercise, "first_phase");
      o["muscle_groups"] = groups;
      std::printf("%s\n", o.dump().c_str());
      continue;
    }
    std::string joined;
    for (const std::string& group : groups) joined += (joined.empty() ? "" : ",") + group;
    table.Add({std::string(key.str()), Text(*exercise, "display_name"), Text(*exercise, "limb"),
               Text(*exercise, "mode"), Text(*exercise, "direction"), joined});
  }
  if (!options.json) std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

}  // namespace ambi::ctl
