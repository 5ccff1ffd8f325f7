#include "daemon/store/schema.h"

#include <sqlite3.h>

#include <cstdint>

namespace ambi::store {
namespace {

// Version 1. Enums are stored as their ambi.v1 numbers (Side: 1 left, 2 right; Limb: 1 wrist,
// 2 ankle; SetMode, Band, Metric, Cue.Kind likewise). Times: *_unix_ns is the wall clock when
// the event was recorded, *_s are session seconds as in the events. The serialized messages
// (summary, pair, cue, event) let GetSession return exactly what was published; the columns
// beside them are what queries filter and aggregate on.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE athletes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  athlete_id INTEGER NOT NULL REFERENCES athletes(id),
  start_unix_ns INTEGER NOT NULL,
  end_unix_ns INTEGER NOT NULL DEFAULT 0,
  capture_path TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_athlete ON sessions(athlete_id, start_unix_ns);
CREATE INDEX sessions_by_start ON sessions(start_unix_ns);
CREATE TABLE sets (
  session_id TEXT NOT NULL REFERENCES sessions(id),
  set_index INTEGER NOT NULL,
  exercise TEXT NOT NULL DEFAULT '',
  mode INTEGER NOT NULL DEFAULT 0,
  limb INTEGER NOT NULL DEFAULT 0,
  side INTEGER NOT NULL DEFAULT 0,
  automatic INTEGER NOT NULL DEFAULT 0,
  start_unix_ns INTEGER NOT NULL,
  end_unix_ns INTEGER NOT NULL DEFAULT 0,
  start_s REAL NOT NULL DEFAULT 0,
  end_s REAL,
  left_reps INTEGER,
  right_reps INTEGER,
  weaker_side INTEGER,
  band INTEGER,
  significant INTEGER,
  rom_percent_difference REAL,
  rom_symmetry_index_pct REAL,
  rom_band INTEGER,
  compared_with_set_index INTEGER,
  summary BLOB,
  PRIMARY KEY (session_id, set_index)
);
CREATE INDEX sets_by_start ON sets(start_unix_ns);
CREATE TABLE reps (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  set_index INTEGER NOT NULL,
  rep_index INTEGER NOT NULL,
  side INTEGER NOT NULL,
  limb INTEGER NOT NULL,
  start_s REAL NOT NULL,
  turnaround_s REAL NOT NULL,
  end_s REAL NOT NULL,
  rom_deg REAL NOT NULL,
  concentric_s REAL NOT NULL,
  eccentric_s REAL NOT NULL,
  peak_speed_deg_s REAL NOT NULL,
  unix_ns INTEGER NOT NULL
);
CREATE INDEX reps_by_set ON reps(session_id, set_index, side);
CREATE TABLE rep_pairs (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  set_index INTEGER NOT NULL,
  pair_index INTEGER NOT NULL,
  limb INTEGER NOT NULL,
  lead_ms REAL NOT NULL,
  unix_ns INTEGER NOT NULL,
  pair BLOB NOT NULL
);
CREATE INDEX rep_pairs_by_set ON rep_pairs(session_id, set_index, pair_index);
CREATE TABLE rep_pair_metrics (
  rep_pair_id INTEGER NOT NULL REFERENCES rep_pairs(id),
  metric INTEGER NOT NULL,
  left_value REAL NOT NULL,
  right_value REAL NOT NULL,
  percent_difference REAL NOT NULL,
  symmetry_index_pct REAL NOT NULL,
  weaker_side INTEGER NOT NULL,
  band INTEGER NOT NULL,
  significant INTEGER NOT NULL
);
CREATE INDEX rep_pair_metrics_by_pair ON rep_pair_metrics(rep_pair_id);
CREATE TABLE cues (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  set_index INTEGER NOT NULL,
  limb INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  side INTEGER NOT NULL,
  target_reps INTEGER NOT NULL,
  value_pct REAL NOT NULL,
  message TEXT NOT NULL,
  t_s REAL NOT NULL,
  unix_ns INTEGER NOT NULL,
  cue BLOB NOT NULL
);
CREATE INDEX cues_by_session ON cues(session_id);
-- Sensor status, fatigue and unpaired-rep events, whole. GetSession returns the sensor status
-- events as data-quality notes; the rest is for forensics.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  kind TEXT NOT NULL,
  t_s REAL NOT NULL,
  unix_ns INTEGER NOT NULL,
  event BLOB NOT NULL
);
CREATE INDEX events_by_session ON events(session_id, unix_ns);
)sql";

// Version 2: each rep also kept whole, as published, so GetSession returns every rep of a
// session (a unilateral set's reps are in no pair and no unpaired-rep event) with all its fields.
// Reps recorded before it have NULL there and are read from their columns.
constexpr const char* kSchemaV2 = "ALTER TABLE reps ADD COLUMN rep BLOB;";

// Migrations[i] brings a database from version i to i + 1. Version 0 is an empty database.
constexpr const char* kMigrations[kSchemaVersion] = {kSchemaV1, kSchemaV2};

}  // namespace

bool EnsureSchema(SqliteConnection* connection, std::string* error) {
  // BEGIN IMMEDIATE takes the write lock before reading the version, so two processes opening
  // a new file at once cannot both create the schema.
  if (!connection->Exec("BEGIN IMMEDIATE", error)) return false;
  std::int64_t version = 0;
  if (!connection->QueryInt64("PRAGMA user_version", &version, error)) {
    std::string ignored;
    connection->Exec("ROLLBACK", &ignored);
    return false;
  }
  auto fail = [&](std::string message) {
    *error = std::move(message);
    std::string ignored;
    connection->Exec("ROLLBACK", &ignored);
    return false;
  };
  if (version > kSchemaVersion) {
    return fail("session store '" + connection->path() + "' has schema version " +
                std::to_string(version) + ", newer than the version " +
                std::to_string(kSchemaVersion) +
                " this ambid understands; run a newer ambid or point it at another file");
  }
  if (version < 0) {
    return fail("session store '" + connection->path() + "' has an invalid schema version " +
                std::to_string(version));
  }
  if (version == 0) {
    // An ambi store always sets user_version; tables without it mean another program's file.
    std::int64_t tables = 0;
    if (!connection->QueryInt64("SELECT COUNT(*) FROM sqlite_schema", &tables, error)) {
      return fail(*error);
    }
    if (tables != 0) {
      return fail("session store '" + connection->path() +
                  "' is a SQLite database of another program (it has tables but no ambi schema "
                  "version); point ambid at another file");
    }
  }
  for (std::int64_t from = version; from < kSchemaVersion; ++from) {
    std::string step_error;
    if (!connection->Exec(kMigrations[from], &step_error)) {
      return fail("migrating session store '" + connection->path() + "' from schema version " +
                  std::to_string(from) + " failed: " + step_error);
    }
  }
  if (version != kSchemaVersion &&
      !connection->Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion), error)) {
    return fail(*error);
  }
  return connection->Exec("COMMIT", error);
}

int CloseAbandonedSessions(SqliteConnection* connection, std::string* error) {
  // MAX() with several arguments is NULL if any is NULL, hence the COALESCEs.
  constexpr const char* kSql = R"sql(
UPDATE sessions SET end_unix_ns = MAX(
  start_unix_ns,
  COALESCE((SELECT MAX(unix_ns) FROM reps WHERE session_id = sessions.id), 0),
  COALESCE((SELECT MAX(unix_ns) FROM rep_pairs WHERE session_id = sessions.id), 0),
  COALESCE((SELECT MAX(unix_ns) FROM cues WHERE session_id = sessions.id), 0),
  COALESCE((SELECT MAX(unix_ns) FROM events WHERE session_id = sessions.id), 0),
  COALESCE((SELECT MAX(MAX(start_unix_ns, end_unix_ns)) FROM sets
            WHERE session_id = sessions.id), 0))
WHERE end_unix_ns = 0)sql";
  Statement statement(*connection, kSql);
  if (!statement.Run(error)) return -1;
  return sqlite3_changes(connection->get());
}

}  // namespace ambi::store
