// libFuzzer target: bytes from a browser's socket through what ambi-web does with them before
// any gRPC call: Beast's request parser with ambi-web's limits, the session cookie check and
// the router (clients/web/http_router). Checks the router's rules, not only "no crash": an
// unpaired browser on a LAN listener reaches the pairing page or the pairing call only; a POST
// that is routed came from the page's own origin; each route has its one method; report
// parameters and weeks are within their bounds; only the one token handed out is paired.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clients/web/http_router.h"
#include "clients/web/pairing.h"

namespace {

namespace http = boost::beast::http;
using ambi::web::Route;
using ambi::web::RouteKind;
using ambi::web::RouteRequest;

// ambi-web's limits (http_server.cc).
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 16 * 1024;

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string_view Sv(boost::beast::string_view text) { return {text.data(), text.size()}; }

// One Pairing whose one token is known: a fixed random source, one code entered.
struct PairedTablet {
  ambi::web::Pairing pairing{[](unsigned char* out, std::size_t size) {
                               for (std::size_t i = 0; i < size; ++i) {
                                 out[i] = static_cast<unsigned char>(i * 37 + 11);
                               }
                             },
                             [](const std::string&) {}};
  std::string token = *pairing.Pair(pairing.code());
};

void CheckRoute(const RouteRequest& in, const Route& route) {
  Check(route.status >= 100 && route.status <= 599);
  if (route.kind == RouteKind::kError) {
    Check(route.status >= 400 && !route.message.empty());
    return;
  }
  const bool get = in.method == "GET";
  const bool post = in.method == "POST";
  Check(get || post);
  if (post) {
    Check(in.origin == std::string(in.tls ? "https://" : "http://") + std::string(in.host));
  }
  if (in.pairing_required && !in.paired) {
    Check(route.kind == RouteKind::kPair || route.kind == RouteKind::kPairPage);
  }
  switch (route.kind) {
    case RouteKind::kPair:
    case RouteKind::kStartSet:
    case RouteKind::kEndSet:
      Check(post);
      break;
    case RouteKind::kStatic:
      Check(get && route.path.starts_with('/') && route.path.find('?') == std::string::npos);
      break;
    case RouteKind::kSessionReport:
    case RouteKind::kAthleteReport:
      Check(get && !route.param.empty() && route.param.size() <= ambi::web::kMaxReportParamLength);
      for (const char c : route.param) {
        Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '/');
      }
      if (route.kind == RouteKind::kAthleteReport) {
        Check(route.weeks >= 1 && route.weeks <= ambi::web::kMaxReportWeeks);
      }
      break;
    default:
      Check(get);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static PairedTablet tablet;
  http::request_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  boost::beast::error_code error;
  std::size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), error);
    if (error == http::error::need_more) break;
    if (error) return 0;
    if (used == 0) break;
    offset += used;
  }
  if (!parser.is_done()) {
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }
  const http::request<http::string_body>& request = parser.get();
  Check(request.body().size() <= kMaxBodyBytes);

  const std::string_view cookie = Sv(request[http::field::cookie]);
  const bool paired = tablet.pairing.IsPaired(cookie);
  if (paired) Check(cookie.find(tablet.token) != std::string_view::npos);

  RouteRequest in;
  in.method = Sv(request.method_string());
  in.target = Sv(request.target());
  in.host = Sv(request[http::field::host]);
  in.origin = Sv(request[http::field::origin]);
  in.paired = paired;
  for (const bool tls : {false, true}) {
    for (const bool pairing_required : {false, true}) {
      in.tls = tls;
      in.pairing_required = pairing_required;
      CheckRoute(in, ambi::web::RouteFor(in));
    }
  }
  return 0;
}
