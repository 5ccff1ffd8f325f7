#ifndef AMBI_DAEMON_CONFIG_CATALOG_CHECK_H_
#define AMBI_DAEMON_CONFIG_CATALOG_CHECK_H_

#include <string>

#include "daemon/config/daemon_config.h"
#include "daemon/config/exercise_catalog.h"

namespace ambi::config {

// The catalog the daemon uses: the configuration's `catalog`, else $AMBI_CATALOG, else
// 'installed' when that file exists, else 'source' (a build tree's data/exercises.toml).
std::string ResolveCatalogPath(const DaemonConfig& config, const std::string& installed,
                               const std::string& source);

// Checks the configuration against the catalog at 'catalog_path': every athlete's exercise is in
// it (the message lists the known ones), and is measured at a limb the athlete has sensors on
// (a wrist exercise on ankle sensors is refused). Empty when all is well, else the first problem,
// naming the athlete, the exercise and the catalog path.
std::string CheckConfigAgainstCatalog(const DaemonConfig& config, const ExerciseCatalog& catalog,
                                      const std::string& catalog_path);

}  // namespace ambi::config

#endif  // AMBI_DAEMON_CONFIG_CATALOG_CHECK_H_
