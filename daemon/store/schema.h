#ifndef AMBI_DAEMON_STORE_SCHEMA_H_
#define AMBI_DAEMON_STORE_SCHEMA_H_

#include <string>

#include "daemon/store/sqlite_handle.h"

namespace ambi::store {

// The schema version this build writes, kept in PRAGMA user_version.
inline constexpr int kSchemaVersion = 2;

// Creates the schema in an empty database, migrates an older one step by step, and refuses a
// database written by a newer ambid (or one that is not an ambi store) with a message naming
// the path and both versions. Runs in one transaction: a failed migration changes nothing.
bool EnsureSchema(SqliteConnection* connection, std::string* error);

// Sessions with end_unix_ns 0 were left open by a process that died (ambid ends its sessions
// before it exits). They end at their last recorded event, or their start when nothing was
// recorded. Returns how many were closed, or -1 and *error.
int CloseAbandonedSessions(SqliteConnection* connection, std::string* error);

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_SCHEMA_H_
