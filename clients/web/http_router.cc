#include "clients/web/http_router.h"

namespace ambi::web {
namespace {

Route Error(int status, std::string message) {
  return Route{RouteKind::kError, status, std::move(message), {}};
}

Route Of(RouteKind kind) { return Route{kind, 200, {}, {}}; }

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
  if (path == "/api/exercises") {
    return get ? Of(RouteKind::kExercises) : Error(405, "/api/exercises takes GET");
  }
  if (path == "/api/set/start" || path == "/api/set/end") {
    if (!post) return Error(405, path + " takes POST");
    return Of(path == "/api/set/start" ? RouteKind::kStartSet : RouteKind::kEndSet);
  }
  if (path.starts_with("/api/")) return Error(404, "no API call " + path);
  if (post) return Error(405, path + " takes GET");
  Route route = Of(RouteKind::kStatic);
  route.path = path == "/" ? "/index.html" : path;
  return route;
}

}  // namespace ambi::web
