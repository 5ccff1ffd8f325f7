#ifndef AMBI_CLIENTS_HISTORY_CENTRAL_HISTORY_H_
#define AMBI_CLIENTS_HISTORY_CENTRAL_HISTORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "ambi/v1/service.pb.h"

namespace ambi::history {

// Why a history query failed; a client maps it onto its exit code or HTTP status.
enum class HistoryError { kNone, kInvalidArgument, kNotFound, kUnavailable, kInternal };

// The history of every box that ships to one central PostgreSQL database (the schema of
// daemon/central/schema/), answering the same questions, with the same messages, as ambid's
// ListSessions, GetSession and GetWeeklyBalance answer for one box. Sessions carry their box_id;
// an athlete is one name across boxes, so a weekly balance counts every box.
//
// One connection, used by one thread at a time.
class CentralHistory {
 public:
  // 'url': a libpq URI (postgresql://...); the password comes from libpq's usual sources
  // (PGPASSFILE, ~/.pgpass, PGPASSWORD). nullptr and *error on failure.
  static std::unique_ptr<CentralHistory> Open(const std::string& url, std::string* error);
  ~CentralHistory();
  CentralHistory(const CentralHistory&) = delete;
  CentralHistory& operator=(const CentralHistory&) = delete;

  bool ListSessions(const v1::ListSessionsRequest& request, v1::ListSessionsResponse* response,
                    std::string* error, HistoryError* kind);
  bool GetSession(const v1::GetSessionRequest& request, v1::GetSessionResponse* response,
                  std::string* error, HistoryError* kind);
  // 'now_unix_ns' stands for a request without until_unix_ns.
  bool WeeklyBalance(const v1::WeeklyBalanceRequest& request, std::int64_t now_unix_ns,
                     v1::WeeklyBalanceResponse* response, std::string* error, HistoryError* kind);

 private:
  class Impl;
  explicit CentralHistory(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True for the URLs CentralHistory reads (postgresql:// or postgres://).
bool IsCentralUrl(const std::string& store);

}  // namespace ambi::history

#endif  // AMBI_CLIENTS_HISTORY_CENTRAL_HISTORY_H_
