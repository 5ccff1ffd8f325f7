#include "daemon/config/catalog_check.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace ambi::config {

std::string ResolveCatalogPath(const DaemonConfig& config, const std::string& installed,
                               const std::string& source) {
  if (!config.catalog.empty()) return config.catalog;
  if (const char* from_env = std::getenv("AMBI_CATALOG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  if (std::filesystem::exists(installed)) return installed;
  return source;
}

std::string CheckConfigAgainstCatalog(const DaemonConfig& config, const ExerciseCatalog& catalog,
                                      const std::string& catalog_path) {
  for (const AthleteConfig& athlete : config.athletes) {
    if (athlete.exercise.empty()) continue;
    const fusion::Exercise* exercise = catalog.Find(athlete.exercise);
    if (exercise == nullptr) {
      std::string known;
      for (const fusion::Exercise& e : catalog.exercises())
        known += (known.empty() ? "" : ", ") + e.name;
      return "athlete \"" + athlete.name + "\": exercise \"" + athlete.exercise +
             "\" is not in the catalog " + catalog_path + "; known: " + known;
    }
    const bool has_limb =
        athlete.devices.empty() ||
        std::any_of(athlete.devices.begin(), athlete.devices.end(),
                    [&](const DeviceConfig& d) { return d.placement.limb == exercise->limb; });
    if (!has_limb) {
      const std::string limb(fusion::ToString(exercise->limb));
      return "athlete \"" + athlete.name + "\": exercise \"" + athlete.exercise +
             "\" is measured at the " + limb + "s (catalog " + catalog_path +
             "), and the athlete has no " + limb + " sensors";
    }
  }
  return "";
}

}  // namespace ambi::config
