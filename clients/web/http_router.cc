#include "clients/web/http_router.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace ambi::web {
namespace {

Route Error(int status, std::string message) {
  return Route{RouteKind::kError, status, std::move(message), {}, {}, 0, {}};
}

Route Of(RouteKind kind) { return Route{kind, 200, {}, {}, {}, 0, {}}; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A report URL's path segment, percent-decoded and checked: not empty, bounded, no '/', no
// control characters (they would end up in a gRPC request and in the page's title).
std::optional<std::string> ReportParam(std::string_view raw, const char* what, std::string* error) {
  std::string decoded;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      decoded += raw[i];
      continue;
    }
    const int high = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
    const int low = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
    if (high < 0 || low < 0) {
      *error = std::string(what) + " has a bad percent escape";
      return std::nullopt;
    }
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (decoded.empty()) {
    *error = std::string(what) + " is missing";
    return std::nullopt;
  }
  if (decoded.size() > kMaxReportParamLength) {
    *error =
        std::string(what) + " is longer than " + std::to_string(kMaxReportParamLength) + " bytes";
    return std::nullopt;
  }
  for (const char c : decoded) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '/') {
      *error = std::string(what) + " contains a control character or '/'";
      return std::nullopt;
    }
  }
  return decoded;
}

// ?weeks=N: absent is the default; anything else must be a whole number in 1..kMaxReportWeeks.
std::optional<int> ReportWeeks(std::string_view query, std::string* error) {
  std::string_view value;
  bool found = false;
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.starts_with("weeks=")) {
      value = pair.substr(6);
      found = true;
    }
  }
  if (!found) return kDefaultReportWeeks;
  int weeks = 0;
  const auto [end, parse_error] = std::from_chars(value.data(), value.data() + value.size(), weeks);
  if (value.empty() || parse_error != std::errc() || end != value.data() + value.size() ||
      weeks < 1 || weeks > kMaxReportWeeks) {
    *error = "weeks '" + std::string(value) + "' must be a whole number from 1 to " +
             std::to_string(kMaxReportWeeks);
    return std::nullopt;
  }
  return weeks;
}

// ?box=NAME: absent is ""; present, it is checked as a report parameter is.
std::optional<std::string> BoxParam(std::string_view query, std::string* error) {
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.starts_with("box=")) return ReportParam(pair.substr(4), "box name", error);
  }
  return std::string();
}

}  // namespace

Route RouteFor(const RouteRequest& request) {
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (!get && !post) {
    return Error(405, "method " + std::string(request.method) + " is not allowed; use GET or POST");
  }
  if (request.target.empty() || request.target.front() != '/') {
    return Error(400, "request target must be an absolute path starting with '/'");
  }
  if (request.target.size() > kMaxTargetLength) {
    return Error(414, "request target longer than " + std::to_string(kMaxTargetLength) + " bytes");
  }
  std::string path(request.target.substr(0, request.target.find('?')));
  if (post) {
    // A page on another site must not drive set control or pairing through this browser
    // (cross-site request forgery): a POST must come from this very origin.
    const std::string expected =
        std::string(request.tls ? "https://" : "http://") + std::string(request.host);
    if (request.origin.empty()) return Error(403, "POST without an Origin header is refused");
    if (request.origin != expected) {
      return Error(403, "POST from origin '" + std::string(request.origin) +
                            "' is refused; expected '" + expected + "'");
    }
  }
  if (post && path == "/api/pair") return Of(RouteKind::kPair);
  if (request.pairing_required && !request.paired) {
    if (get && (path == "/" || path == "/index.html")) {
      Route route = Of(RouteKind::kPairPage);
      route.status = 401;
      return route;
    }
    return Error(401, "not paired: open / and enter the code ambi-web printed");
  }
  if (path == "/events") {
    return get ? Of(RouteKind::kEvents) : Error(405, "/events takes GET");
  }
  const std::string_view query = request.target.size() > path.size()
                                     ? request.target.substr(path.size() + 1)
                                     : std::string_view();
  if (path == "/api/exercises") {
    if (!get) return Error(405, "/api/exercises takes GET");
    std::string error;
    const auto box = BoxParam(query, &error);
    if (!box) return Error(400, error);
    Route route = Of(RouteKind::kExercises);
    route.box = *box;
    return route;
  }
  if (path == "/api/set/start" || path == "/api/set/end") {
    if (!post) return Error(405, path + " takes POST");
    return Of(path == "/api/set/start" ? RouteKind::kStartSet : RouteKind::kEndSet);
  }
  if (path.starts_with("/report/")) {
    if (!get) return Error(405, path + " takes GET");
    std::string error;
    const bool session = path.starts_with("/report/session/");
    const bool athlete = path.starts_with("/report/athlete/");
    constexpr std::size_t kPrefixLength = 16;  // both "/report/session/" and "/report/athlete/"
    if (!session && !athlete) {
      return Error(404, "no report " + path + "; use /report/session/ID or /report/athlete/NAME");
    }
    const auto param = ReportParam(std::string_view(path).substr(kPrefixLength),
                                   session ? "session id" : "athlete name", &error);
    if (!param) return Error(400, error);
    const auto box = BoxParam(query, &error);
    if (!box) return Error(400, error);
    Route route = Of(session ? RouteKind::kSessionReport : RouteKind::kAthleteReport);
    route.param = *param;
    route.box = *box;
    if (athlete) {
      const auto weeks = ReportWeeks(query, &error);
      if (!weeks) return Error(400, error);
      route.weeks = *weeks;
    }
    return route;
  }
  if (path.starts_with("/api/")) return Error(404, "no API call " + path);
  if (post) return Error(405, path + " takes GET");
  Route route = Of(RouteKind::kStatic);
  route.path = path == "/" ? "/index.html" : path;
  return route;
}

}  // namespace ambi::web
