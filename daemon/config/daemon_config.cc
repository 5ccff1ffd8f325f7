#include "daemon/config/daemon_config.h"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/config/safe_name.h"
#include "daemon/config/toml_validator.h"

namespace ambi::config {
namespace {

using detail::ValidationError;
using detail::Validator;

const std::vector<std::string_view> kTopKeys = {"daemon", "athletes", "central"};
const std::vector<std::string_view> kCentralKeys = {"url", "box_id", "password", "passfile",
                                                    "retry_longest_s"};
const std::vector<std::string_view> kDaemonKeys = {"listen",
                                                   "socket_group",
                                                   "data_dir",
                                                   "catalog",
                                                   "log_level",
                                                   "subscriber_queue",
                                                   "automatic_sets",
                                                   "set_end_rest_s",
                                                   "set_end_min_rest_s",
                                                   "stop_speed_loss_pct",
                                                   "pace",
                                                   "token_file",
                                                   "tls"};
const std::vector<std::string_view> kTlsKeys = {"cert_file", "key_file", "client_ca_file"};
const std::vector<std::string_view> kAthleteKeys = {"name", "exercise", "devices"};
const std::vector<std::string_view> kDeviceKeys = {
    "name", "placement", "transport", "rate_hz", "configure", "mag_uT_per_count",
    "path", "baud",      "address",   "adapter"};
const std::vector<std::string_view> kLogLevels = {"trace", "debug", "info", "warn", "error"};
const std::vector<std::string_view> kTransports = {"serial", "ble"};
const std::vector<std::string_view> kPlacements = {"left_wrist", "right_wrist", "left_ankle",
                                                   "right_ankle"};
// termios speeds a WitMotion device supports (PROTOCOLS.md).
const std::vector<unsigned> kBauds = {2400,  4800,   9600,   19200,  38400,
                                      57600, 115200, 230400, 460800, 921600};

bool IsBleAddress(std::string_view address) {
  if (address.size() != 17) return false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    const char c = address[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string BaudList() {
  std::string text;
  for (std::size_t i = 0; i < kBauds.size(); ++i)
    text += (i ? ", " : "") + std::to_string(kBauds[i]);
  return text;
}

DeviceConfig ParseDevice(const Validator& v, const std::string& athlete, const std::string& path,
                         const toml::node& node) {
  const toml::table& table = v.Table(&node, path);
  v.OnlyKeys(table, path, kDeviceKeys);
  DeviceConfig device;
  const std::size_t placement = v.Choice(table, path, "placement", kPlacements);
  device.placement = *fusion::ParsePlacement(kPlacements[placement]);
  device.name =
      v.OptionalString(table, path, "name", athlete + "-" + std::string(kPlacements[placement]));
  if (const std::string problem = SafeName::Problem(device.name); !problem.empty()) {
    v.Fail(table.get("name"), path + ".name",
           "= \"" + EscapeForMessage(device.name) + "\" is not a valid name: it " + problem);
  }
  device.transport = static_cast<TransportKind>(v.Choice(table, path, "transport", kTransports));
  device.protocol = device.transport == TransportKind::kSerial ? fusion::Protocol::kWitMotionSerial
                                                               : fusion::Protocol::kWitMotionBle;
  device.rate_hz = v.Number(table, path, "rate_hz", 100.0, 1.0, 1000.0, "Hz");
  device.configure = v.Bool(table, path, "configure", false);
  device.mag_uT_per_count = v.Number(table, path, "mag_uT_per_count", 0.0, 0.0, 10.0, "uT");
  if (device.transport == TransportKind::kSerial) {
    for (const char* key : {"address", "adapter"}) {
      if (table.get(key) != nullptr) {
        v.Fail(table.get(key), path + "." + key, "applies to transport = \"ble\" only");
      }
    }
    device.path = v.String(table, path, "path");
    if (device.path.empty() || device.path[0] != '/') {
      v.Fail(table.get("path"), path + ".path",
             "= \"" + device.path + "\" is not an absolute path to a tty (e.g. /dev/ttyUSB0)");
    }
    const double baud = v.Number(table, path, "baud", 115200, 0, 1e7, "");
    device.baud = static_cast<unsigned>(baud);
    if (std::find(kBauds.begin(), kBauds.end(), device.baud) == kBauds.end() ||
        static_cast<double>(device.baud) != baud) {
      v.Fail(table.get("baud"), path + ".baud",
             "= " + Validator::Show(*table.get("baud")) + " is not allowed; allowed values are " +
                 BaudList());
    }
  } else {
    for (const char* key : {"path", "baud"}) {
      if (table.get(key) != nullptr) {
        v.Fail(table.get(key), path + "." + key, "applies to transport = \"serial\" only");
      }
    }
    device.address = v.String(table, path, "address");
    if (!IsBleAddress(device.address)) {
      v.Fail(table.get("address"), path + ".address",
             "= \"" + device.address +
                 "\" is not a Bluetooth address; expected six hex "
                 "bytes like \"AA:BB:CC:DD:EE:FF\"");
    }
    device.adapter = v.OptionalString(table, path, "adapter", "hci0");
    if (!SafeName::Problem(device.adapter).empty()) {
      v.Fail(table.get("adapter"), path + ".adapter",
             "= \"" + EscapeForMessage(device.adapter) + "\" is not an adapter name like \"hci0\"");
    }
  }
  return device;
}

AthleteConfig ParseAthlete(const Validator& v, const std::string& path, const toml::node& node) {
  const toml::table& table = v.Table(&node, path);
  v.OnlyKeys(table, path, kAthleteKeys);
  AthleteConfig athlete;
  athlete.name = v.String(table, path, "name");
  if (const std::string problem = SafeName::Problem(athlete.name); !problem.empty()) {
    v.Fail(table.get("name"), path + ".name",
           "= \"" + EscapeForMessage(athlete.name) + "\" is not a valid name: it " + problem);
  }
  athlete.exercise = v.OptionalString(table, path, "exercise", "");
  const toml::node* devices_node = table.get("devices");
  const auto* devices = devices_node != nullptr ? devices_node->as_array() : nullptr;
  if (devices == nullptr || devices->empty()) {
    v.Fail(devices_node != nullptr ? devices_node : &table, path + ".devices",
           "must list at least one device ([[athletes.devices]] tables)");
  }
  for (std::size_t i = 0; i < devices->size(); ++i) {
    athlete.devices.push_back(ParseDevice(
        v, athlete.name, path + ".devices[" + std::to_string(i) + "]", *devices->get(i)));
  }
  return athlete;
}

void ParseDaemonTable(const Validator& v, const toml::table& table, DaemonConfig* config) {
  const std::string path = "daemon";
  v.OnlyKeys(table, path, kDaemonKeys);
  if (table.get("listen") != nullptr) {
    config->listen = v.StringArray(table, path, "listen");
    if (config->listen.empty()) {
      v.Fail(table.get("listen"), "daemon.listen",
             "is empty; give at least one address (\"unix:/run/ambi/ambid.sock\" or "
             "\"127.0.0.1:50051\")");
    }
    for (std::size_t i = 0; i < config->listen.size(); ++i) {
      std::string reason;
      if (!IsValidListenAddress(config->listen[i], &reason)) {
        v.Fail(table.get("listen"), "daemon.listen[" + std::to_string(i) + "]",
               "= \"" + config->listen[i] + "\" " + reason);
      }
    }
  }
  config->socket_group = v.OptionalString(table, path, "socket_group", "");
  const auto absolute_file = [&](const toml::table& in, const std::string& in_path,
                                 std::string_view key, bool required) {
    std::string file =
        required ? v.String(in, in_path, key) : v.OptionalString(in, in_path, key, "");
    if ((required || !file.empty()) && !file.starts_with("/")) {
      v.Fail(in.get(key), in_path + "." + std::string(key),
             "= \"" + EscapeForMessage(file) + "\" is not an absolute path");
    }
    return file;
  };
  config->token_file = absolute_file(table, path, "token_file", false);
  if (const toml::node* tls_node = table.get("tls")) {
    const toml::table& tls = v.Table(tls_node, "daemon.tls");
    v.OnlyKeys(tls, "daemon.tls", kTlsKeys);
    TlsConfig files;
    files.cert_file = absolute_file(tls, "daemon.tls", "cert_file", true);
    files.key_file = absolute_file(tls, "daemon.tls", "key_file", true);
    files.client_ca_file = absolute_file(tls, "daemon.tls", "client_ca_file", false);
    config->tls = std::move(files);
  }
  config->data_dir = v.OptionalString(table, path, "data_dir", config->data_dir);
  if (config->data_dir.empty()) v.Fail(table.get("data_dir"), "daemon.data_dir", "is empty");
  config->catalog = v.OptionalString(table, path, "catalog", "");
  if (table.get("log_level") != nullptr) {
    config->log_level = kLogLevels[v.Choice(table, path, "log_level", kLogLevels)];
  }
  config->subscriber_queue = static_cast<std::size_t>(
      v.Number(table, path, "subscriber_queue", 1024, 16, 1'000'000, "events"));
  config->automatic_sets = v.Bool(table, path, "automatic_sets", true);
  config->set_end_rest_s = v.Number(table, path, "set_end_rest_s", 20.0, 3.0, 600.0, "s");
  config->set_end_min_rest_s = v.Number(table, path, "set_end_min_rest_s", 12.0, 3.0, 600.0, "s");
  config->stop_speed_loss_pct = v.Number(table, path, "stop_speed_loss_pct", 20.0, 1.0, 90.0, "%");
  config->pace = v.Number(table, path, "pace", 1.0, 0.0, 1000.0, "x recorded speed");
}

CentralConfig ParseCentralTable(const Validator& v, const toml::table& table) {
  const std::string path = "central";
  v.OnlyKeys(table, path, kCentralKeys);
  CentralConfig central;
  central.url = v.String(table, path, "url");
  if (!central.url.starts_with("postgresql://") && !central.url.starts_with("postgres://")) {
    v.Fail(table.get("url"), "central.url",
           "= \"" + central.url + "\" is not a PostgreSQL URI; expected postgresql://host/db");
  }
  // A password in the URL would be printed wherever the URL is: it goes in 'password' or a
  // passfile instead.
  const std::size_t authority = central.url.find("://") + 3;
  const std::size_t at = central.url.find('@', authority);
  const std::size_t end = central.url.find_first_of("/?", authority);
  if (at != std::string::npos && (end == std::string::npos || at < end) &&
      central.url.substr(authority, at - authority).find(':') != std::string::npos) {
    v.Fail(table.get("url"), "central.url",
           "carries a password; put it in central.password or a passfile (PGPASSFILE) instead");
  }
  central.box_id = v.String(table, path, "box_id");
  if (const std::string problem = SafeName::Problem(central.box_id); !problem.empty()) {
    v.Fail(table.get("box_id"), "central.box_id", "= \"" + central.box_id + "\" " + problem);
  }
  central.password = v.OptionalString(table, path, "password", "");
  central.passfile = v.OptionalString(table, path, "passfile", "");
  central.retry_longest_s = v.Number(table, path, "retry_longest_s", 5.0, 0.1, 3600.0, "s");
  return central;
}

}  // namespace

std::string_view ToString(TransportKind kind) {
  return kind == TransportKind::kSerial ? "serial" : "ble";
}

bool IsValidListenAddress(std::string_view address, std::string* reason) {
  if (address.starts_with("unix:")) {
    const std::string_view path = address.substr(5);
    if (path.empty() || path[0] != '/') {
      *reason = "is not a unix socket address; expected unix:/absolute/path";
      return false;
    }
    return true;
  }
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    *reason = "is neither unix:/path nor host:port";
    return false;
  }
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value > 65535) {
    *reason = "has no valid port (0-65535) after the last ':'";
    return false;
  }
  return true;
}

bool IsLoopbackListenAddress(std::string_view address) {
  if (address.starts_with("unix:")) return true;
  const std::string_view host = std::string_view(address).substr(0, address.rfind(':'));
  // 127.0.0.0/8 as a numeric address only: "127.example.com" is a host name like any other.
  const bool numeric = host.find_first_not_of("0123456789.") == std::string_view::npos;
  return (host.starts_with("127.") && numeric) || host == "localhost" || host == "[::1]";
}

std::string CheckRemoteAccess(const DaemonConfig& config) {
  for (const std::string& address : config.listen) {
    if (IsLoopbackListenAddress(address)) continue;
    if (!config.tls) {
      return "listen address \"" + address +
             "\" is reachable from the network and [daemon.tls] is missing (cert_file and "
             "key_file): ambid serves TCP off loopback only over TLS";
    }
    if (config.token_file.empty()) {
      return "listen address \"" + address +
             "\" is reachable from the network and [daemon] token_file is missing: ambid serves "
             "TCP off loopback only to clients with a bearer token";
    }
  }
  return {};
}

std::string ValidateDaemonConfig(const DaemonConfig& config) {
  std::set<std::string> athletes;
  std::set<std::string> devices;
  std::set<std::string> endpoints;
  for (std::size_t a = 0; a < config.athletes.size(); ++a) {
    const AthleteConfig& athlete = config.athletes[a];
    const std::string path = "athletes[" + std::to_string(a) + "]";
    if (!athletes.insert(athlete.name).second) {
      return path + ".name: = \"" + athlete.name + "\" is used by an earlier athlete; names " +
             "must be unique";
    }
    std::set<std::string> placements;
    for (std::size_t d = 0; d < athlete.devices.size(); ++d) {
      const DeviceConfig& device = athlete.devices[d];
      const std::string device_path = path + ".devices[" + std::to_string(d) + "]";
      const std::string placement(fusion::ToString(device.placement));
      if (!placements.insert(placement).second) {
        return device_path + ".placement: = \"" + placement + "\" is already taken by another " +
               "device of athlete \"" + athlete.name + "\"; one device per placement";
      }
      if (!devices.insert(device.name).second) {
        return device_path + ".name: = \"" + device.name + "\" is used by an earlier device; " +
               "names must be unique";
      }
      const std::string endpoint = device.transport == TransportKind::kSerial
                                       ? device.path
                                       : device.adapter + "/" + device.address;
      if (!endpoints.insert(endpoint).second) {
        return device_path + ": " + std::string(ToString(device.transport)) + " endpoint \"" +
               endpoint + "\" is used by an earlier device; two devices cannot share it";
      }
    }
  }
  return {};
}

DaemonConfigResult ParseDaemonConfig(std::string_view text, std::string_view source_name) {
  DaemonConfigResult result;
  std::optional<toml::table> parsed = detail::ParseToml(text, source_name, &result.error);
  if (!parsed) return result;
  const toml::table& root = *parsed;
  const Validator v(source_name);
  try {
    v.OnlyKeys(root, "", kTopKeys);
    DaemonConfig config;
    if (const toml::node* daemon = root.get("daemon")) {
      ParseDaemonTable(v, v.Table(daemon, "daemon"), &config);
    }
    if (const toml::node* central = root.get("central")) {
      config.central = ParseCentralTable(v, v.Table(central, "central"));
    }
    if (const toml::node* athletes_node = root.get("athletes")) {
      const auto* athletes = athletes_node->as_array();
      if (athletes == nullptr) {
        v.Fail(athletes_node, "athletes", "must be an array of tables ([[athletes]])");
      }
      for (std::size_t i = 0; i < athletes->size(); ++i) {
        config.athletes.push_back(
            ParseAthlete(v, "athletes[" + std::to_string(i) + "]", *athletes->get(i)));
      }
    }
    if (std::string error = ValidateDaemonConfig(config); !error.empty()) {
      result.error = std::string(source_name) + ": " + error;
      return result;
    }
    result.config = std::move(config);
  } catch (const ValidationError& error) {
    result.error = error.message;
  }
  return result;
}

DaemonConfigResult LoadDaemonConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    DaemonConfigResult result;
    result.error = path + ": cannot open the configuration file";
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseDaemonConfig(text.str(), path);
}

}  // namespace ambi::config
