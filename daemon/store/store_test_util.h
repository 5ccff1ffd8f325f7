#ifndef AMBI_DAEMON_STORE_STORE_TEST_UTIL_H_
#define AMBI_DAEMON_STORE_STORE_TEST_UTIL_H_

// Helpers shared by the store's tests.

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ambi/v1/events.pb.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/testing/temp_dir.h"

namespace ambi::store::testing {

using ::ambi::testing::TempDir;

// The events of a golden replay (tests/golden/<name>.events.jsonl): real pipeline output.
inline std::vector<v1::Event> GoldenEvents(const std::string& name) {
  const std::string path = std::string(AMBI_SOURCE_DIR) + "/tests/golden/" + name + ".events.jsonl";
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::vector<v1::Event> events;
  for (std::string line; std::getline(file, line);) {
    if (line.empty()) continue;
    v1::Event event;
    const auto status = google::protobuf::util::JsonStringToMessage(line, &event);
    EXPECT_TRUE(status.ok()) << path << ": " << status.ToString();
    events.push_back(std::move(event));
  }
  return events;
}

// Nanoseconds since 1970 of a UTC date and time.
inline std::int64_t UnixNs(int year, unsigned month, unsigned day, int hour = 0, int minute = 0) {
  using namespace std::chrono;
  const sys_days date = std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day};
  return duration_cast<nanoseconds>(date.time_since_epoch() + hours{hour} + minutes{minute})
      .count();
}

// A small catalog whose muscle groups and directions the weekly tests count by hand.
inline config::ExerciseCatalog TestCatalog() {
  constexpr const char* kToml = R"toml(
[exercises.biceps_curl]
display_name = "Biceps curl"
muscle_groups = ["biceps", "forearms"]
direction = "pull"
first_phase = "concentric"
mode = "bilateral"
limb = "wrist"

[exercises.concentration_curl]
display_name = "Concentration curl"
muscle_groups = ["biceps"]
direction = "pull"
first_phase = "concentric"
mode = "unilateral"
limb = "wrist"

[exercises.bench_press]
display_name = "Bench press"
muscle_groups = ["chest", "triceps"]
direction = "push"
first_phase = "eccentric"
mode = "bilateral"
limb = "wrist"

[exercises.squat]
display_name = "Squat"
muscle_groups = ["quadriceps", "glutes"]
direction = "push"
first_phase = "eccentric"
mode = "bilateral"
limb = "ankle"

[exercises.leg_curl]
display_name = "Leg curl"
muscle_groups = ["hamstrings"]
direction = "pull"
first_phase = "concentric"
mode = "unilateral"
limb = "ankle"
)toml";
  config::CatalogLoadResult loaded = config::ExerciseCatalog::Parse(kToml, "test_catalog.toml");
  EXPECT_TRUE(loaded.ok()) << loaded.error;
  return std::move(*loaded.catalog);
}

// One value of a query run directly on the database file (not through the store).
inline std::string SqliteValue(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      value = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    } else {
      value = std::string("<error: ") + sqlite3_errmsg(db) + ">";
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(db);
  return value;
}

}  // namespace ambi::store::testing

#endif  // AMBI_DAEMON_STORE_STORE_TEST_UTIL_H_
