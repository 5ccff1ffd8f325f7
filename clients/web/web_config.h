#ifndef AMBI_CLIENTS_WEB_WEB_CONFIG_H_
#define AMBI_CLIENTS_WEB_WEB_CONFIG_H_

#include <cstddef>
#include <optional>
#include <string>

namespace ambi::web {

// Where to listen: a host (name or address) and a TCP port.
struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};

// Everything ambi-web can be told. Each flag has a key of the same name in the TOML file
// (--listen <-> listen, ...); a flag given on the command line wins over the file.
struct WebConfig {
  std::string listen = "127.0.0.1:8080";
  std::string connect;  // ambid's address; empty: the default unix socket
  // ambid over TCP: a file holding a (read) bearer token, and the CA of ambid's certificate.
  std::string connect_token_file;
  std::string connect_tls_ca;
  std::string www_dir;   // the page's files; empty: installed or source location
  std::string tls_cert;  // PEM certificate chain; with tls_key, the listener speaks HTTPS
  std::string tls_key;   // PEM private key
  // A coach's tablets plus a few spare: each open page holds one event stream.
  std::size_t max_browsers = 16;
  // Every open socket (streams, page loads, API calls); a flood beyond it gets 503.
  std::size_t max_connections = 64;
  // Frames one browser may have waiting: a set is ~100 events, so 1024 is minutes of backlog
  // for a browser that stalls; beyond it the browser is dropped (it reconnects and resumes).
  std::size_t browser_queue_frames = 1024;
  // Events kept for Last-Event-ID resume: hours of a gym session's events.
  std::size_t replay_events = 8192;
};

// Parses "host:port" or "[v6]:port". nullopt (and 'error' says why) when malformed.
std::optional<ListenAddress> ParseListen(const std::string& text, std::string* error);

// True when 'host' can only be reached from this machine (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

// Reads the TOML file at 'path' into 'config' (keys it does not name keep their value). False
// with 'error' naming the file, the key and what was wrong.
bool LoadConfigFile(const std::string& path, WebConfig* config, std::string* error);

// Same, from text ('source' names it in errors). For tests.
bool ParseConfigText(const std::string& text, const std::string& source, WebConfig* config,
                     std::string* error);

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_WEB_CONFIG_H_
