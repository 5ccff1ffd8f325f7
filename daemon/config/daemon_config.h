#ifndef AMBI_DAEMON_CONFIG_DAEMON_CONFIG_H_
#define AMBI_DAEMON_CONFIG_DAEMON_CONFIG_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusion/core/placement.h"
#include "fusion/decode/protocol.h"

namespace ambi::config {

enum class TransportKind { kSerial, kBle };
std::string_view ToString(TransportKind kind);  // "serial", "ble"

// One IMU of an athlete and how to reach it.
struct DeviceConfig {
  std::string name;  // unique in the daemon; default "<athlete>-<placement>"
  fusion::Placement placement;
  TransportKind transport = TransportKind::kSerial;
  fusion::Protocol protocol = fusion::Protocol::kWitMotionSerial;  // follows the transport
  double rate_hz = 100.0;                                          // nominal output rate
  // Send the rate/content commands on connect (WitMotion); off by default: a device configured
  // once keeps its settings, and writing registers on every reconnect wears its flash.
  bool configure = false;
  double mag_uT_per_count = 0.0;  // 0: ignore WitMotion magnetometer frames
  // Serial
  std::string path;  // tty, e.g. /dev/ttyUSB0 or a udev symlink
  unsigned baud = 115200;
  // Bluetooth LE
  std::string address;  // AA:BB:CC:DD:EE:FF
  std::string adapter = "hci0";
};

struct AthleteConfig {
  std::string name;      // the athlete's key in the API and the store
  std::string exercise;  // catalog key used for automatic sets; empty: generic per limb
  std::vector<DeviceConfig> devices;
};

// [central]: a PostgreSQL database several boxes copy their history to (daemon/central).
struct CentralConfig {
  std::string url;       // postgresql://[user@]host[:port]/db[?sslmode=...]; never with a password
  std::string box_id;    // this box's name there; a safe name, unique among the boxes
  std::string password;  // optional; else libpq's sources: passfile, PGPASSFILE, ~/.pgpass
  std::string passfile;  // optional path of a libpq password file
  double retry_longest_s = 5.0;  // the longest pause between reconnection attempts
};

// [daemon.tls]: PEM files for the TCP listeners; 'client_ca_file' (optional) requires client
// certificates signed by it.
struct TlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

struct DaemonConfig {
  std::vector<std::string> listen = {"unix:/run/ambi/ambid.sock"};  // unix:/path or host:port
  std::string socket_group;      // group allowed to connect to unix sockets; empty: the daemon's
  std::string token_file;        // bearer tokens of TCP clients ("read <t>" / "control <t>" lines)
  std::optional<TlsConfig> tls;  // TLS on every TCP listener
  std::string data_dir = "/var/lib/ambi";  // session store and captures
  std::string catalog;  // exercise catalog; empty: the installed data/exercises.toml
  std::string log_level = "info";
  std::size_t subscriber_queue = 1024;  // events buffered per subscriber before it is dropped
  bool automatic_sets = true;
  double set_end_rest_s = 20.0;
  // A set whose reps follow each other closely ends sooner, but not under this (see
  // fusion::SessionParams::set_end_pause_ratio). As long as set_end_rest_s: every set rests that.
  double set_end_min_rest_s = 12.0;
  double stop_speed_loss_pct = 20.0;
  double pace = 1.0;  // --replay pacing: 1 = recorded speed, 0 = as fast as possible
  std::vector<AthleteConfig> athletes;
  std::optional<CentralConfig> central;  // absent: the local store only
};

// The loaded configuration, or an error naming the file, line, key, value and what is allowed.
struct DaemonConfigResult {
  std::optional<DaemonConfig> config;
  std::string error;
  bool ok() const { return config.has_value(); }
};

// The format is documented in data/ambid.toml (the example configuration).
DaemonConfigResult LoadDaemonConfigFile(const std::string& path);
DaemonConfigResult ParseDaemonConfig(std::string_view text, std::string_view source_name);

// Checks what the parser cannot see in one place (unique names, one device per placement and
// athlete, a listen address form); the loaders call it, and so does code that builds a config
// (--simulate). Returns an error message or empty.
std::string ValidateDaemonConfig(const DaemonConfig& config);

// Empty, or why the listeners may not start as configured: a TCP listener reachable from the
// network (not 127.0.0.0/8, ::1 or localhost) needs [daemon.tls] and [daemon] token_file.
// Run after --listen has replaced the configured addresses.
std::string CheckRemoteAccess(const DaemonConfig& config);
bool IsLoopbackListenAddress(std::string_view address);

// "unix:/path", "host:port", "[v6]:port". False with a reason otherwise.
bool IsValidListenAddress(std::string_view address, std::string* reason);

}  // namespace ambi::config

#endif  // AMBI_DAEMON_CONFIG_DAEMON_CONFIG_H_
