#ifndef AMBI_DAEMON_STORE_SESSION_READER_H_
#define AMBI_DAEMON_STORE_SESSION_READER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/store/session_store.h"
#include "daemon/store/sqlite_handle.h"
#include "proto/history/weekly_balance.h"

namespace ambi::store {

// The store's queries, on a read-only connection; each query reads one consistent snapshot
// (one read transaction), so a GetSession never mixes two commits. Thread-safe: queries take
// turns on the connection.
class SessionReader {
 public:
  explicit SessionReader(std::unique_ptr<SqliteConnection> connection);

  // Arguments as SessionStore's queries, validated by the caller except for names that must be
  // looked up (athlete, session id).
  bool ListSessions(const v1::ListSessionsRequest& request, std::uint32_t limit,
                    v1::ListSessionsResponse* response, std::string* error, QueryError* kind);
  bool GetSession(const std::string& session_id, v1::GetSessionResponse* response,
                  std::string* error, QueryError* kind);
  // The sets of 'athlete' that started in [range.from, range.to).
  bool BalanceSets(const std::string& athlete, const proto::WeekRange& range,
                   std::vector<proto::BalanceSet>* sets, std::string* error, QueryError* kind);

 private:
  // Runs 'query' inside a read transaction; false when the transaction could not start.
  template <typename Query>
  bool InSnapshot(std::string* error, QueryError* kind, Query&& query);
  bool AthleteExists(const std::string& athlete, std::string* error, QueryError* kind);

  std::mutex mutex_;
  std::unique_ptr<SqliteConnection> connection_;
};

}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_SESSION_READER_H_
