// ambi-web: the coach's live page. A gRPC client of one or several ambid boxes (one event
// subscription per box for every browser) and an HTTP server (Boost.Beast) serving the page,
// Server-Sent Events and set control. See clients/web/README.md.
//
// Exit status: 0 stopped by a signal, 1 could not start, 2 usage or configuration error.

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "clients/history/central_history.h"
#include "clients/web/central_reports.h"
#include "clients/web/floor.h"
#include "clients/web/http_server.h"
#include "clients/web/pairing.h"
#include "clients/web/sse_hub.h"
#include "clients/web/static_files.h"
#include "clients/web/upstream.h"
#include "clients/web/web_config.h"
#include "proto/client/ambid_channel.h"

#ifndef AMBI_WEB_VERSION
#define AMBI_WEB_VERSION "0.0.0"
#endif
#ifndef AMBI_WEB_INSTALLED_WWW
#define AMBI_WEB_INSTALLED_WWW ""
#endif
#ifndef AMBI_WEB_SOURCE_WWW
#define AMBI_WEB_SOURCE_WWW ""
#endif

namespace ambi::web {
namespace {

constexpr int kStartFailed = 1;
constexpr int kUsageError = 2;

// The page's files: the configured directory, else the installed one, else the source tree's
// (running from the build folder).
std::string FindWwwDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code error;
  if (std::filesystem::is_regular_file(std::string(AMBI_WEB_INSTALLED_WWW) + "/index.html",
                                       error)) {
    return AMBI_WEB_INSTALLED_WWW;
  }
  return AMBI_WEB_SOURCE_WWW;
}

void Say(const std::string& line) {
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);  // tests and the journal read it line by line
}

int Run(int argc, char** argv) {
  CLI::App app{"ambi-web: the coach's live page for ambid (Server-Sent Events, set control)"};
  WebConfig config;
  std::string config_path;
  std::string listen;
  std::vector<std::string> connect;
  std::string store;
  std::string www_dir;
  std::string connect_token_file;
  std::string connect_tls_ca;
  app.set_version_flag("--version", std::string("ambi-web ") + AMBI_WEB_VERSION);
  app.add_option("--config", config_path,
                 "TOML file; keys: listen, connect (a string or an array of strings), "
                 "connect_token_file, connect_tls_ca, www_dir, tls_cert, tls_key, max_browsers, "
                 "max_connections, browser_queue_frames, replay_events, store, store_passfile");
  app.add_option("--listen", listen,
                 "HOST:PORT to serve on (default 127.0.0.1:8080); a non-loopback address "
                 "requires pairing each browser with a printed code");
  app.add_option("--connect", connect,
                 "ambid's gRPC address (default: its unix socket, " + DefaultDaemonAddress() +
                     "). Repeat it to show several boxes on one page, each as NAME=ADDRESS "
                     "(e.g. floor-a=10.0.0.2:50051): athletes are shown per box and set control "
                     "goes to the athlete's box; the same token and CA serve every box");
  app.add_option("--store", store,
                 "postgresql://... : the reports read the central history of every box "
                 "(clients/history) instead of the boxes. No password in the URL: libpq's "
                 "PGPASSFILE or ~/.pgpass, or store_passfile in the config file");
  app.add_option("--connect-token-file", connect_token_file,
                 "file holding the bearer token ambid asks of TCP clients (a control token: the "
                 "page starts and ends sets)");
  app.add_option("--connect-tls-ca", connect_tls_ca,
                 "PEM file of the CA that signed ambid's certificate: reach ambid over TLS");
  app.add_option("--www-dir", www_dir, "the page's files (default: installed with ambi-web)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  }
  std::string error;
  if (!config_path.empty() && !LoadConfigFile(config_path, &config, &error)) {
    std::fprintf(stderr, "ambi-web: %s\n", error.c_str());
    return kUsageError;
  }
  if (!listen.empty()) config.listen = listen;
  if (!connect.empty()) config.connect = connect;
  if (!store.empty()) config.store = store;
  if (!connect_token_file.empty()) config.connect_token_file = connect_token_file;
  if (!connect_tls_ca.empty()) config.connect_tls_ca = connect_tls_ca;
  const proto::ChannelSecurity upstream_security{config.connect_token_file, config.connect_tls_ca};
  const auto boxes = ParseBoxes(config.connect, &error);
  if (!boxes) {
    std::fprintf(stderr, "ambi-web: %s\n", error.c_str());
    return kUsageError;
  }
  for (const BoxAddress& box : *boxes) {
    const std::string address = box.address.empty() ? DefaultDaemonAddress() : box.address;
    if (!proto::CreateAmbidChannel(address, upstream_security, grpc::ChannelArguments(), &error)) {
      std::fprintf(stderr, "ambi-web: --connect %s: %s\n", address.c_str(), error.c_str());
      return kUsageError;
    }
  }
  std::unique_ptr<CentralReports> reports;
  if (!config.store.empty()) {
    if (!history::IsCentralUrl(config.store)) {
      std::fprintf(stderr, "ambi-web: --store '%s' is not a PostgreSQL URL (postgresql://...)\n",
                   config.store.c_str());
      return kUsageError;
    }
    if (UrlHasPassword(config.store)) {
      std::fprintf(stderr,
                   "ambi-web: --store: the URL holds a password; put it in a passfile "
                   "(PGPASSFILE, ~/.pgpass or store_passfile in the config file)\n");
      return kUsageError;
    }
    reports = std::make_unique<CentralReports>(WithPassfile(config.store, config.store_passfile));
  }
  if (!www_dir.empty()) config.www_dir = www_dir;
  const auto address = ParseListen(config.listen, &error);
  if (!address) {
    std::fprintf(stderr, "ambi-web: %s\n", error.c_str());
    return kUsageError;
  }

  StaticFiles files;
  try {
    files = StaticFiles::Load(FindWwwDir(config.www_dir));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ambi-web: %s\n", e.what());
    return kStartFailed;
  }

  // Declared before the io_context: sessions still queued in it at exit detach from the hub.
  SseHubOptions hub_options;
  hub_options.max_browsers = config.max_browsers;
  hub_options.browser_queue_frames = config.browser_queue_frames;
  hub_options.replay_events = config.replay_events;
  // Several boxes: ambi-web numbers the events (the daemons' sequences would collide), from a
  // start that no earlier run of ambi-web reached.
  hub_options.own_ids = boxes->size() > 1;
  hub_options.first_id =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()) *
      1'000'000;
  SseHub hub(hub_options);
  std::unique_ptr<Pairing> pairing;
  if (!IsLoopbackHost(address->host)) {
    pairing = std::make_unique<Pairing>(SystemRandomBytes, [](const std::string& code) {
      Say("ambi-web: pairing code " + code + " (enter it on the tablet; one tablet per code)");
    });
  }
  boost::asio::io_context io(1);
  std::unique_ptr<Floor> floor;
  try {
    floor = std::make_unique<Floor>(
        *boxes,
        Upstream::Callbacks{[&](HubEvent event) {
                              boost::asio::post(io, [&hub, event = std::move(event)]() mutable {
                                hub.Publish(std::move(event));
                              });
                            },
                            [&](std::string json) {
                              boost::asio::post(io, [&hub, json = std::move(json)] {
                                hub.Broadcast(FormatNamedFrame("upstream", json), "upstream");
                              });
                            },
                            [&](std::string json) {
                              boost::asio::post(io, [&hub, json = std::move(json)] {
                                hub.Broadcast(FormatNamedFrame("devices", json), "devices");
                              });
                            }},
        upstream_security, std::move(reports));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ambi-web: %s\n", e.what());
    return kUsageError;
  }
  HttpServer server(
      io, HttpServerOptions{*address, config.tls_cert, config.tls_key, config.max_connections},
      HttpServices{&hub, pairing.get(), &files, floor.get()});
  try {
    server.Start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ambi-web: %s\n", e.what());
    return kStartFailed;
  }
  floor->Start();
  const std::string host =
      address->host.find(':') != std::string::npos ? "[" + address->host + "]" : address->host;
  std::string where;
  for (const BoxAddress& box : *boxes) {
    where += std::string(where.empty() ? "" : ", ") + (box.name.empty() ? "" : box.name + " ") +
             "ambid at " + (box.address.empty() ? DefaultDaemonAddress() : box.address);
  }
  if (!config.store.empty()) where += "; reports from the central history";
  Say(std::string("ambi-web: serving http") + (server.tls() ? "s" : "") + "://" + host + ":" +
      std::to_string(server.port()) + "/ (" + where + ")");
  if (pairing) Say("ambi-web: LAN listener: each browser must pair with the code above");

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.Stop();
    io.stop();
  });
  io.run();
  floor->Stop();
  return 0;
}

}  // namespace
}  // namespace ambi::web

int main(int argc, char** argv) { return ambi::web::Run(argc, argv); }
