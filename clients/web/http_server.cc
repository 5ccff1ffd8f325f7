#include "clients/web/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "clients/web/floor.h"
#include "clients/web/http_router.h"
#include "clients/web/pairing.h"
#include "clients/web/sse_hub.h"
#include "clients/web/static_files.h"
#include "clients/web/upstream.h"

namespace ambi::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A request's headers fit in a few hundred bytes; 8 KiB leaves room for cookies.
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
// Set control bodies are tiny JSON objects.
constexpr std::uint64_t kMaxBodyBytes = 16 * 1024;
// A client that has not sent a whole request (or TLS handshake) by then is cut off.
constexpr auto kReadTimeout = std::chrono::seconds(15);
// A browser that cannot take one frame within this is gone or hopeless: dropped.
constexpr auto kSseWriteTimeout = std::chrono::seconds(10);
// A comment line on a quiet stream, so dead connections are noticed and proxies keep it open.
constexpr auto kSseHeartbeat = std::chrono::seconds(10);

constexpr char kSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'";
// The reports: inline CSS and SVG, no script, nothing fetched.
constexpr char kReportPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
constexpr char kPairPagePolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

const std::string& SseHeader() {
  static const std::string header =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\n\r\nretry: 2000\n\n";
  return header;
}

// Beast's string_view is Boost's in this Boost version: one conversion point.
std::string_view Sv(beast::string_view text) { return {text.data(), text.size()}; }

std::string JsonError(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

// The code in a pairing POST: JSON {"code": "..."} or a form's code=...
std::string PairingCode(const Request& request) {
  const std::string& body = request.body();
  if (std::string(request[http::field::content_type]).starts_with("application/json")) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json.contains("code") && json["code"].is_string()) {
      return json["code"].get<std::string>();
    }
    return {};
  }
  const auto start = body.find("code=");
  if (start == std::string::npos) return {};
  std::string code = body.substr(start + 5, body.find('&', start) - start - 5);
  for (char& c : code) {
    if (c == '+') c = ' ';
  }
  return code;  // codes are letters and digits: nothing else to decode
}

std::optional<std::uint64_t> ParseEventId(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return id;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_in, HttpServerOptions options_in, HttpServices services_in)
      : io(io_in),
        options(std::move(options_in)),
        services(services_in),
        acceptor(io_in),
        ssl(asio::ssl::context::tls_server) {}

  void Accept();

  asio::io_context& io;
  HttpServerOptions options;
  HttpServices services;
  tcp::acceptor acceptor;
  asio::ssl::context ssl;
  bool use_tls = false;
  std::size_t connections = 0;
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server, Stream stream)
      : server_(std::move(server)), stream_(std::move(stream)), timer_(server_->io) {
    ++server_->connections;
  }
  ~Session() {
    if (sse_) server_->services.hub->Detach(sse_);
    --server_->connections;
  }

  void Run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (!error) self->ReadRequest();
                              });
    } else {
      ReadRequest();
    }
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                       self->OnRead(error);
                     });
  }

  void OnRead(beast::error_code error) {
    if (error == http::error::end_of_stream || error == asio::error::eof ||
        error == beast::error::timeout || error == asio::error::connection_reset ||
        error == asio::error::operation_aborted) {
      return Close();
    }
    if (error == http::error::body_limit) {
      return SendError(413, "request body larger than " + std::to_string(kMaxBodyBytes) + " bytes",
                       false);
    }
    if (error == http::error::header_limit) {
      return SendError(
          431, "request headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes", false);
    }
    if (error) return SendError(400, "malformed HTTP request: " + error.message(), false);
    request_ = parser_->release();
    Handle();
  }

  bool Paired() const {
    return server_->services.pairing == nullptr ||
           server_->services.pairing->IsPaired(Sv(request_[http::field::cookie]));
  }

  void Handle() {
    RouteRequest in;
    in.method = Sv(request_.method_string());
    in.target = Sv(request_.target());
    in.host = Sv(request_[http::field::host]);
    in.origin = Sv(request_[http::field::origin]);
    in.tls = server_->use_tls;
    in.pairing_required = server_->services.pairing != nullptr;
    in.paired = Paired();
    const Route route = RouteFor(in);
    switch (route.kind) {
      case RouteKind::kError:
        if (in.target.starts_with("/report/")) {
          // A report is opened by a person on the tablet: one plain line, not JSON.
          return Send(MakeResponse(static_cast<unsigned>(route.status), "text/plain; charset=utf-8",
                                   route.message + "\n", "no-store"),
                      true);
        }
        return SendError(route.status, route.message, true);
      case RouteKind::kStatic:
        return SendStatic(route.path);
      case RouteKind::kPairPage:
        return SendPairPage(401, "");
      case RouteKind::kPair:
        return HandlePair();
      case RouteKind::kEvents:
        return StartEvents();
      case RouteKind::kExercises:
        return server_->services.floor->ListExercises(route.box, Answerer());
      case RouteKind::kStartSet:
        return server_->services.floor->StartSet(request_.body(), Answerer());
      case RouteKind::kEndSet:
        return server_->services.floor->EndSet(request_.body(), Answerer());
      case RouteKind::kSessionReport:
        return server_->services.floor->SessionReport(route.param, route.box, Answerer());
      case RouteKind::kAthleteReport:
        return server_->services.floor->AthleteReport(route.param, route.weeks, route.box,
                                                      Answerer());
    }
  }

  // A callback for the upstream: the answer comes on a gRPC thread, the write happens here.
  std::function<void(ControlResult)> Answerer() {
    return [self = this->shared_from_this()](ControlResult result) {
      asio::post(self->server_->io, [self, result = std::move(result)] {
        Response response = self->MakeResponse(static_cast<unsigned>(result.http_status),
                                               result.content_type, result.json, "no-store");
        if (result.content_type.starts_with("text/html")) {
          response.set("Content-Security-Policy", kReportPolicy);
        }
        self->Send(std::move(response), true);
      });
    };
  }

  Response MakeResponse(unsigned status, const std::string& type, std::string body,
                        const char* cache) {
    Response response{static_cast<http::status>(status), request_.version()};
    response.set(http::field::server, "ambi-web");
    response.set(http::field::content_type, type);
    response.set(http::field::cache_control, cache);
    response.set("X-Content-Type-Options", "nosniff");
    // Not no-referrer: with it Chromium sends "Origin: null" on form POSTs (the pairing form).
    response.set("Referrer-Policy", "same-origin");
    response.set("Content-Security-Policy", kSecurityPolicy);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
  }

  void SendError(unsigned status, const std::string& message, bool keep_alive) {
    Send(MakeResponse(status, "application/json", JsonError(message), "no-store"), keep_alive);
  }

  void SendStatic(const std::string& path) {
    const StaticFile* file = server_->services.files->Find(path);
    if (file == nullptr) return SendError(404, "no file " + path, true);
    Send(MakeResponse(200, file->content_type, *file->body, "no-cache"), true);
  }

  void SendPairPage(unsigned status, const std::string& message) {
    const StaticFile* file = server_->services.files->Find("/pair.html");
    std::string page = file ? *file->body : "<p>enter the pairing code</p><!--message-->";
    const auto marker = page.find("<!--message-->");
    if (marker != std::string::npos) page.replace(marker, 14, message);
    Response response = MakeResponse(status, "text/html; charset=utf-8", page, "no-store");
    response.set("Content-Security-Policy", kPairPagePolicy);
    Send(std::move(response), true);
  }

  void HandlePair() {
    const bool json =
        std::string(request_[http::field::content_type]).starts_with("application/json");
    if (server_->services.pairing == nullptr) {
      return Send(MakeResponse(200, "application/json", R"({"paired":true})", "no-store"), true);
    }
    const auto token = server_->services.pairing->Pair(PairingCode(request_));
    if (!token) {
      if (json) return SendError(401, "wrong pairing code", true);
      return SendPairPage(401, "<p class=wrong>That code is not right. Try again.</p>");
    }
    Response response =
        json ? MakeResponse(200, "application/json", R"({"paired":true})", "no-store")
             : MakeResponse(303, "text/plain", "paired", "no-store");
    if (!json) response.set(http::field::location, "/");
    response.set(http::field::set_cookie, Pairing::SetCookieValue(*token, server_->use_tls));
    Send(std::move(response), true);
  }

  void Send(Response response, bool keep_alive) {
    response.keep_alive(keep_alive && request_.keep_alive());
    response_ = std::make_shared<Response>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(kSseWriteTimeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                        if (error || !self->response_->keep_alive()) return self->Close();
                        self->ReadRequest();
                      });
  }

  // ---- Server-Sent Events ----

  void StartEvents() {
    std::optional<std::uint64_t> last_id;
    const std::string_view header = Sv(request_["Last-Event-ID"]);
    const std::string_view target = Sv(request_.target());
    if (!header.empty()) {
      last_id = ParseEventId(header);
      if (!last_id)
        return SendError(
            400,
            "Last-Event-ID '" + std::string(header) + "' is not an event id (a decimal number)",
            false);
    } else if (const auto pos = target.find("last_event_id="); pos != std::string_view::npos) {
      // A page that opens a new EventSource itself passes its last id in the URL.
      std::string_view value = target.substr(pos + 14);
      value = value.substr(0, value.find('&'));
      last_id = ParseEventId(value);
      if (!last_id) return SendError(400, "last_event_id is not a decimal number", false);
    }
    sse_ = server_->services.hub->Attach(last_id);
    if (!sse_) {
      sse_.reset();
      return SendError(503, "too many browsers are open (limit reached); close one", false);
    }
    // The waker owns the session while the stream is open (between writes nothing else does);
    // Close() clears it, which ends the session once its handlers are done.
    sse_->SetWaker([self = this->shared_from_this()] { self->PumpEvents(); });
    pending_ = std::make_shared<const std::string>(SseHeader());
    WriteFrame();
    ArmHeartbeat();
  }

  void PumpEvents() {
    if (writing_ || closed_) return;
    if (sse_->dropped()) {
      // Called from inside the hub's publish loop: close after it, not during it.
      asio::post(server_->io, [self = this->shared_from_this()] { self->Close(); });
      return;
    }
    pending_ = sse_->Pop();
    if (pending_) WriteFrame();
  }

  void WriteFrame() {
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(kSseWriteTimeout);
    asio::async_write(stream_, asio::buffer(*pending_),
                      [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                        self->writing_ = false;
                        self->pending_.reset();
                        if (error) return self->Close();
                        beast::get_lowest_layer(self->stream_).expires_never();
                        self->PumpEvents();
                      });
  }

  void ArmHeartbeat() {
    timer_.expires_after(kSseHeartbeat);
    timer_.async_wait(
        [weak = std::weak_ptr<Session>(this->shared_from_this())](beast::error_code error) {
          auto self = weak.lock();
          if (error || !self || self->closed_) return;
          if (!self->writing_) {
            static const Frame ping = std::make_shared<const std::string>(": ping\n\n");
            self->pending_ = ping;
            self->WriteFrame();
          }
          self->ArmHeartbeat();
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    const auto keep = this->shared_from_this();  // clearing the waker may drop the last owner
    timer_.cancel();
    if (sse_) {
      server_->services.hub->Detach(sse_);
      sse_->SetWaker(nullptr);
      sse_.reset();
    }
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  std::shared_ptr<Response> response_;
  std::shared_ptr<SseClient> sse_;
  Frame pending_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!error) {
      if (self->connections >= self->options.max_connections) {
        // Over the cap: a short answer without reading the request, then close.
        static const std::string kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            "Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n";
        auto held = std::make_shared<tcp::socket>(std::move(socket));
        if (!self->use_tls) {
          asio::async_write(*held, asio::buffer(kBusy), [held](beast::error_code, std::size_t) {
            beast::error_code ignored;
            held->close(ignored);
          });
        }
      } else if (self->use_tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            self, beast::ssl_stream<beast::tcp_stream>(std::move(socket), self->ssl))
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(self, beast::tcp_stream(std::move(socket)))
            ->Run();
      }
    }
    self->Accept();
  });
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, HttpServices services)
    : impl_(std::make_shared<Impl>(io, std::move(options), services)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  Impl& impl = *impl_;
  if (!impl.options.tls_cert.empty() || !impl.options.tls_key.empty()) {
    if (impl.options.tls_cert.empty() || impl.options.tls_key.empty()) {
      throw std::runtime_error("TLS needs both tls_cert and tls_key");
    }
    beast::error_code error;
    impl.ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    impl.ssl.use_certificate_chain_file(impl.options.tls_cert, error);
    if (error) {
      throw std::runtime_error("tls_cert '" + impl.options.tls_cert + "': " + error.message());
    }
    impl.ssl.use_private_key_file(impl.options.tls_key, asio::ssl::context::pem, error);
    if (error) {
      throw std::runtime_error("tls_key '" + impl.options.tls_key + "': " + error.message());
    }
    impl.use_tls = true;
  }
  const std::string where =
      impl.options.listen.host + ":" + std::to_string(impl.options.listen.port);
  beast::error_code error;
  tcp::resolver resolver(impl.io);
  const auto endpoints =
      resolver.resolve(impl.options.listen.host, std::to_string(impl.options.listen.port),
                       tcp::resolver::passive, error);
  if (error || endpoints.empty()) {
    throw std::runtime_error("cannot resolve listen address '" + where + "': " + error.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl.acceptor.open(endpoint.protocol(), error);
  if (!error) impl.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl.acceptor.bind(endpoint, error);
  if (!error) impl.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw std::runtime_error("cannot listen on '" + where + "': " + error.message());
  impl_->Accept();
}

void HttpServer::Stop() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

unsigned short HttpServer::port() const {
  beast::error_code error;
  const auto endpoint = impl_->acceptor.local_endpoint(error);
  return error ? 0 : endpoint.port();
}

bool HttpServer::tls() const { return impl_->use_tls; }

}  // namespace ambi::web
