#ifndef AMBI_CLIENTS_WEB_HTTP_ROUTER_H_
#define AMBI_CLIENTS_WEB_HTTP_ROUTER_H_

#include <string>
#include <string_view>

namespace ambi::web {

// What a request asks for, decided from its method, target and headers alone (no I/O), so the
// rules (authentication, Origin, methods) are one testable function.
enum class RouteKind {
  kError,          // answer 'status' with 'message'
  kStatic,         // a file of the page ('path')
  kPairPage,       // the pairing form, with status 401 (not paired yet)
  kPair,           // POST a pairing code
  kEvents,         // the Server-Sent Events stream
  kExercises,      // GET the exercise catalog
  kStartSet,       // POST start a set
  kEndSet,         // POST end a set
  kSessionReport,  // GET /report/session/<id>: the session report ('param' is the id)
  kAthleteReport,  // GET /report/athlete/<name>?weeks=N ('param' the name, 'weeks' N)
};

struct RouteRequest {
  std::string_view method;  // "GET" or "POST"; anything else is refused
  std::string_view target;  // "/events?x=1"
  std::string_view host;    // Host header
  std::string_view origin;  // Origin header, empty when absent
  bool tls = false;
  bool pairing_required = false;  // a LAN listener
  bool paired = false;            // the request carries a valid session cookie
};

struct Route {
  RouteKind kind = RouteKind::kError;
  int status = 200;
  std::string message;  // for kError: one sentence for the person or script that sent it
  std::string path;     // for kStatic: the path without query ("/" is "/index.html")
  std::string param;    // for the reports: the decoded session id or athlete name
  int weeks = 0;        // for kAthleteReport
  std::string box;      // ?box=NAME on reports and the catalog: which box to ask ("" if none)
};

// Longest target accepted; the page's own URLs are short.
constexpr std::size_t kMaxTargetLength = 2048;
// A session id or athlete name in a report URL: ids are short and names are people's names, so
// anything longer is not one of ours.
constexpr std::size_t kMaxReportParamLength = 128;
// The weekly report: 4 weeks unless asked; at most a year (the daemon reads every set in range).
constexpr int kDefaultReportWeeks = 4;
constexpr int kMaxReportWeeks = 52;

Route RouteFor(const RouteRequest& request);

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_HTTP_ROUTER_H_
