#ifndef AMBI_DAEMON_CENTRAL_CENTRAL_SCHEMA_H_
#define AMBI_DAEMON_CENTRAL_CENTRAL_SCHEMA_H_

#include <span>
#include <string>
#include <string_view>

namespace pqxx {
class connection_base;
}

namespace ambi::central {

// One file of daemon/central/schema/, NNN_name.sql, compiled into ambid (and installed beside
// it for database administrators). File N brings the database from version N-1 to N.
struct CentralMigration {
  int version = 0;
  std::string_view file_name;
  std::string_view sql;
};
std::span<const CentralMigration> CentralMigrations();
int CentralSchemaVersion();  // the newest version this build knows

// Creates the central schema in an empty database or migrates an older one, in one transaction
// (serialized between boxes by an advisory lock): a failed migration changes nothing. Refuses a
// database whose schema is newer than this build's, with a message naming both versions.
// False and *error otherwise; throws nothing.
bool EnsureCentralSchema(pqxx::connection_base& connection, std::string* error);

}  // namespace ambi::central

#endif  // AMBI_DAEMON_CENTRAL_CENTRAL_SCHEMA_H_
