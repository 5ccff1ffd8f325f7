#include "daemon/central/central_schema.h"

#include <algorithm>
#include <pqxx/pqxx>

namespace ambi::central {
namespace {

// Any constant: every box takes the same lock around schema changes.
constexpr long long kSchemaLockKey = 0x616d6269'5f736368;  // "ambi_sch"

}  // namespace

int CentralSchemaVersion() {
  int newest = 0;
  for (const CentralMigration& migration : CentralMigrations()) {
    newest = std::max(newest, migration.version);
  }
  return newest;
}

bool EnsureCentralSchema(pqxx::connection_base& connection, std::string* error) {
  const int known = CentralSchemaVersion();
  try {
    pqxx::work work(connection, "ambi_schema");
    work.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")");
    work.exec0(
        "CREATE TABLE IF NOT EXISTS ambi_schema_version (version integer PRIMARY KEY, "
        "file_name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const int current =
        work.exec1("SELECT COALESCE(MAX(version), 0) FROM ambi_schema_version")[0].as<int>();
    if (current > known) {
      *error = "central database has schema version " + std::to_string(current) +
               ", newer than version " + std::to_string(known) +
               " this ambid understands; upgrade ambid on this box (nothing was shipped)";
      return false;
    }
    for (const CentralMigration& migration : CentralMigrations()) {
      if (migration.version <= current) continue;
      try {
        work.exec0(std::string(migration.sql));
        work.exec_params0("INSERT INTO ambi_schema_version (version, file_name) VALUES ($1, $2)",
                          migration.version, std::string(migration.file_name));
      } catch (const std::exception& failure) {
        *error = "central schema migration " + std::string(migration.file_name) + " (version " +
                 std::to_string(current) + " to " + std::to_string(migration.version) +
                 ") failed, nothing changed: " + failure.what();
        return false;
      }
    }
    work.commit();
    return true;
  } catch (const std::exception& failure) {
    *error = std::string("central schema: ") + failure.what();
    return false;
  }
}

}  // namespace ambi::central
