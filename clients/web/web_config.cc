#include "clients/web/web_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace ambi::web {
namespace {

std::string Where(const std::string& source, const toml::node& node) {
  const toml::source_region& region = node.source();
  return source + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

bool ReadString(const toml::table& table, const char* key, const std::string& source,
                std::string* out, std::string* error) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return true;
  if (!node->is_string()) {
    *error = Where(source, *node) + ": " + key + " must be a string";
    return false;
  }
  *out = node->as_string()->get();
  return true;
}

bool ReadCount(const toml::table& table, const char* key, const std::string& source,
               std::size_t* out, std::string* error) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return true;
  // Every limit needs at least one, and a million of anything is a typo here.
  constexpr std::int64_t kMaxCount = 1'000'000;
  if (!node->is_integer() || node->as_integer()->get() < 1 ||
      node->as_integer()->get() > kMaxCount) {
    *error = Where(source, *node) + ": " + key + " must be an integer from 1 to " +
             std::to_string(kMaxCount);
    return false;
  }
  *out = static_cast<std::size_t>(node->as_integer()->get());
  return true;
}

// A string, or an array of strings (the boxes of 'connect').
bool ReadStrings(const toml::table& table, const char* key, const std::string& source,
                 std::vector<std::string>* out, std::string* error) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return true;
  if (node->is_string()) {
    *out = {node->as_string()->get()};
    return true;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    *error = Where(source, *node) + ": " + key + " must be a string or an array of strings";
    return false;
  }
  std::vector<std::string> values;
  for (const toml::node& item : *array) {
    if (!item.is_string()) {
      *error = Where(source, item) + ": " + key + " must hold strings only";
      return false;
    }
    values.push_back(item.as_string()->get());
  }
  *out = std::move(values);
  return true;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

std::optional<std::vector<BoxAddress>> ParseBoxes(const std::vector<std::string>& connect,
                                                  std::string* error) {
  if (connect.empty()) return std::vector<BoxAddress>{BoxAddress{}};
  std::vector<BoxAddress> boxes;
  for (const std::string& text : connect) {
    BoxAddress box;
    const auto equals = text.find('=');
    // "floor-a=unix:/run/..." names the box; an address itself never has '=' before any ':'.
    const bool named =
        equals != std::string::npos && equals > 0 &&
        std::all_of(text.begin(), text.begin() + static_cast<long>(equals), IsNameChar);
    box.name = named ? text.substr(0, equals) : text;
    box.address = named ? text.substr(equals + 1) : text;
    if (box.address.empty()) {
      *error = "--connect '" + text + "' names no address (NAME=ADDRESS or ADDRESS)";
      return std::nullopt;
    }
    for (const BoxAddress& other : boxes) {
      if (other.name == box.name) {
        *error = "--connect: box '" + box.name + "' is given twice; name each box once";
        return std::nullopt;
      }
    }
    boxes.push_back(std::move(box));
  }
  if (boxes.size() == 1) boxes[0].name.clear();  // one box: events and devices as before
  return boxes;
}

bool UrlHasPassword(const std::string& url) {
  if (url.find("password=") != std::string::npos) return true;
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  const std::size_t authority = scheme + 3;
  const std::size_t end = std::min(url.find_first_of("/?", authority), url.size());
  const std::size_t at = url.rfind('@', end);
  if (at == std::string::npos || at < authority) return false;
  return url.find(':', authority) < at;
}

std::string WithPassfile(const std::string& url, const std::string& passfile) {
  if (passfile.empty()) return url;
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string encoded;
  for (const unsigned char c : passfile) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kDigits[c >> 4];
      encoded += kDigits[c & 0xF];
    }
  }
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "passfile=" + encoded;
}

std::optional<ListenAddress> ParseListen(const std::string& text, std::string* error) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    *error = "listen address '" + text + "' is not HOST:PORT";
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      *error = "listen address '" + text + "' has an unclosed [IPv6] host";
      return std::nullopt;
    }
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = std::string_view(text).substr(colon + 1);
  unsigned port = 0;
  const auto [end, status] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (status != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    *error = "listen address '" + text + "' has port '" + std::string(port_text) +
             "', expected 0..65535";
    return std::nullopt;
  }
  return ListenAddress{host, static_cast<unsigned short>(port)};
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

bool ParseConfigText(const std::string& text, const std::string& source, WebConfig* config,
                     std::string* error) {
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    *error =
        source + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return false;
  }
  static constexpr const char* kKnown[] = {"listen",          "connect",
                                           "www_dir",         "tls_cert",
                                           "tls_key",         "max_browsers",
                                           "max_connections", "browser_queue_frames",
                                           "replay_events",   "connect_token_file",
                                           "connect_tls_ca",  "store",
                                           "store_passfile"};
  for (const auto& [key, node] : table) {
    bool known = false;
    for (const char* name : kKnown) known = known || key.str() == name;
    if (!known) {
      std::string names;
      for (const char* name : kKnown) names += std::string(names.empty() ? "" : ", ") + name;
      *error = Where(source, node) + ": unknown key '" + std::string(key.str()) +
               "'; known keys: " + names;
      return false;
    }
  }
  return ReadString(table, "listen", source, &config->listen, error) &&
         ReadStrings(table, "connect", source, &config->connect, error) &&
         ReadString(table, "connect_token_file", source, &config->connect_token_file, error) &&
         ReadString(table, "connect_tls_ca", source, &config->connect_tls_ca, error) &&
         ReadString(table, "www_dir", source, &config->www_dir, error) &&
         ReadString(table, "tls_cert", source, &config->tls_cert, error) &&
         ReadString(table, "tls_key", source, &config->tls_key, error) &&
         ReadCount(table, "max_browsers", source, &config->max_browsers, error) &&
         ReadCount(table, "max_connections", source, &config->max_connections, error) &&
         ReadCount(table, "browser_queue_frames", source, &config->browser_queue_frames, error) &&
         ReadCount(table, "replay_events", source, &config->replay_events, error) &&
         ReadString(table, "store", source, &config->store, error) &&
         ReadString(table, "store_passfile", source, &config->store_passfile, error);
}

bool LoadConfigFile(const std::string& path, WebConfig* config, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read config file '" + path + "'";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfigText(text.str(), path, config, error);
}

}  // namespace ambi::web
