#ifndef AMBI_CLIENTS_WEB_WEB_CONFIG_H_
#define AMBI_CLIENTS_WEB_WEB_CONFIG_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

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
  // ambid's address, or several boxes' ("NAME=ADDRESS" each; in the TOML file a string or an
  // array of strings). Empty: the default unix socket.
  std::vector<std::string> connect;
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
  // The reports read the central history (postgresql://...) instead of the boxes. Its password
  // comes from libpq's sources (PGPASSFILE, ~/.pgpass) or the file named by store_passfile
  // (config file only), never from the URL or the command line.
  std::string store;
  std::string store_passfile;
};

// One box ambi-web subscribes to. 'name' labels its athletes, devices and control calls when
// there are several; "" with one box.
struct BoxAddress {
  std::string name;
  std::string address;
};

// The boxes of config.connect: "NAME=ADDRESS" or a bare ADDRESS (named by its address). One
// entry with an empty address (the default socket) when none is given. nullopt (and 'error'
// says why) when a name repeats or is malformed.
std::optional<std::vector<BoxAddress>> ParseBoxes(const std::vector<std::string>& connect,
                                                  std::string* error);

// True when a PostgreSQL URL carries a password (user:password@ or password=): refused, so no
// secret sits on a command line or in a process listing.
bool UrlHasPassword(const std::string& url);

// 'url' with a libpq passfile parameter added (percent-encoded); 'url' when 'passfile' is empty.
std::string WithPassfile(const std::string& url, const std::string& passfile);

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
