#ifndef AMBI_CLIENTS_WEB_CENTRAL_REPORTS_H_
#define AMBI_CLIENTS_WEB_CENTRAL_REPORTS_H_

#include <functional>
#include <memory>
#include <string>

#include "clients/web/upstream.h"

namespace ambi::web {

// The coach's reports (clients/report) drawn from the central history of every box
// (clients/history, PostgreSQL) instead of one box: ambi-web --store postgresql://... . One
// connection, opened on first use and again after it is lost, used by one worker thread so a
// slow database never holds the HTTP io thread. 'done' is called once, on that thread.
class CentralReports {
 public:
  // 'url': a libpq URI without a password (libpq's PGPASSFILE, ~/.pgpass or a passfile=
  // parameter supply it).
  explicit CentralReports(std::string url);
  ~CentralReports();
  CentralReports(const CentralReports&) = delete;
  CentralReports& operator=(const CentralReports&) = delete;

  // Unknown session or athlete 404, database unreachable 503.
  void SessionReport(const std::string& session_id, std::function<void(ControlResult)> done);
  void AthleteReport(const std::string& athlete, int weeks,
                     std::function<void(ControlResult)> done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_CENTRAL_REPORTS_H_
