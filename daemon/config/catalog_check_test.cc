#include "daemon/config/catalog_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace ambi::config {
namespace {

using ::testing::HasSubstr;

const ExerciseCatalog& Catalog() {
  static const CatalogLoadResult loaded = ExerciseCatalog::Parse(R"toml(
[exercises.biceps_curl]
display_name = "Biceps curl"
muscle_groups = ["biceps"]
direction = "pull"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"
)toml",
                                                                 "cat.toml");
  return *loaded.catalog;
}

AthleteConfig Athlete(const std::string& exercise, fusion::Limb limb) {
  AthleteConfig athlete;
  athlete.name = "alice";
  athlete.exercise = exercise;
  for (fusion::Side side : {fusion::Side::kLeft, fusion::Side::kRight}) {
    DeviceConfig device;
    device.placement = {side, limb};
    athlete.devices.push_back(device);
  }
  return athlete;
}

TEST(CatalogCheckTest, KnownExerciseOnItsLimbIsFine) {
  DaemonConfig config;
  config.athletes = {Athlete("biceps_curl", fusion::Limb::kWrist)};
  EXPECT_EQ(CheckConfigAgainstCatalog(config, Catalog(), "cat.toml"), "");
}

TEST(CatalogCheckTest, UnknownExerciseIsNamedWithTheCatalogAndTheKnownOnes) {
  DaemonConfig config;
  config.athletes = {Athlete("bicep_curl", fusion::Limb::kWrist)};
  const std::string error = CheckConfigAgainstCatalog(config, Catalog(), "cat.toml");
  EXPECT_THAT(error, HasSubstr("\"bicep_curl\" is not in the catalog cat.toml"));
  EXPECT_THAT(error, HasSubstr("known: biceps_curl"));
}

TEST(CatalogCheckTest, WristExerciseOnAnkleSensorsIsRefused) {
  DaemonConfig config;
  config.athletes = {Athlete("biceps_curl", fusion::Limb::kAnkle)};
  EXPECT_THAT(CheckConfigAgainstCatalog(config, Catalog(), "cat.toml"),
              HasSubstr("measured at the wrists (catalog cat.toml), and the athlete has no wrist"));
}

TEST(CatalogCheckTest, CatalogPathFromTheConfigurationFirst) {
  DaemonConfig config;
  config.catalog = "/etc/ambi/mine.toml";
  EXPECT_EQ(ResolveCatalogPath(config, "/nonexistent/a", "/nonexistent/b"), "/etc/ambi/mine.toml");
  config.catalog.clear();
  if (std::getenv("AMBI_CATALOG") == nullptr) {
    EXPECT_EQ(ResolveCatalogPath(config, "/nonexistent/a", "/src/data/x.toml"), "/src/data/x.toml");
  }
}

}  // namespace
}  // namespace ambi::config
