#ifndef AMBI_CLIENTS_WEB_HTTP_SERVER_H_
#define AMBI_CLIENTS_WEB_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "clients/web/web_config.h"

namespace ambi::web {

class Pairing;
class SseHub;
class StaticFiles;
class Floor;

struct HttpServerOptions {
  ListenAddress listen;
  std::string tls_cert;  // both set: HTTPS
  std::string tls_key;
  std::size_t max_connections = 64;
};

// What the server serves; all owned elsewhere and used on the io thread only ('floor' answers
// on its threads and the server posts back). 'pairing' null: no pairing (loopback).
struct HttpServices {
  SseHub* hub = nullptr;
  Pairing* pairing = nullptr;
  const StaticFiles* files = nullptr;
  Floor* floor = nullptr;
};

// The HTTP(S) server on Boost.Beast: one io thread, one session object per connection. Every
// read has a deadline and size limits, so a slow or malicious client costs one socket and a
// few KiB; bad requests get a 4xx naming the problem.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpServices services);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Throws std::runtime_error naming the address or the TLS file.
  void Start();
  // Stops accepting (open connections end with the io_context).
  void Stop();
  unsigned short port() const;
  bool tls() const;

  struct Impl;  // public only so that the connection sessions in the .cc file can name it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_HTTP_SERVER_H_
