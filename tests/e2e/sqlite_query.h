#ifndef AMBI_TESTS_E2E_SQLITE_QUERY_H_
#define AMBI_TESTS_E2E_SQLITE_QUERY_H_

#include <string>
#include <vector>

namespace ambi::e2e {

using SqlRow = std::vector<std::string>;

// Runs one read-only query on the database file 'path' (opened read-only, so looking never
// changes what the daemon left behind, e.g. a session a crash left open) and returns its rows,
// every column as text ("" for NULL). Throws std::runtime_error naming the file and the query.
std::vector<SqlRow> QueryRows(const std::string& path, const std::string& sql);

}  // namespace ambi::e2e

#endif  // AMBI_TESTS_E2E_SQLITE_QUERY_H_
