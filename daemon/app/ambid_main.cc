// ambid: the ambi daemon. Flags and configuration here; everything else is DaemonApp's wiring.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/app/daemon_app.h"
#include "daemon/config/daemon_config.h"

namespace {

namespace fs = std::filesystem;
using ambi::config::DaemonConfig;

constexpr const char* kSystemConfig = "/etc/ambi/ambid.toml";

// Defaults that work without root: a user's runtime and state directories.
std::string UserRuntimeDir() {
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir) {
    return std::string(dir) + "/ambi";
  }
  return "/tmp/ambi-" + std::to_string(getuid());
}

std::string UserStateDir() {
  if (const char* dir = std::getenv("XDG_STATE_HOME"); dir != nullptr && *dir) {
    return std::string(dir) + "/ambi";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home) {
    return std::string(home) + "/.local/state/ambi";
  }
  return UserRuntimeDir() + "/data";
}

void SetUpLogging(const std::string& level) {
  // Under systemd (JOURNAL_STREAM is set for services) log to the journal with priorities;
  // else to stderr with times.
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger = std::make_shared<spdlog::logger>(
        "ambid", std::make_shared<spdlog::sinks::systemd_sink_mt>("ambid"));
  } else {
    logger = spdlog::stderr_color_mt("ambid");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// The directory of each unix socket must exist; make it (0755) as systemd's RuntimeDirectory=
// would.
bool MakeSocketDirectories(const std::vector<std::string>& listen) {
  for (const std::string& address : listen) {
    if (!address.starts_with("unix:")) continue;
    const fs::path dir = fs::path(address.substr(5)).parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      spdlog::critical("--listen {}: cannot create {}: {}", address, dir.string(), ec.message());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Captures, the SQLite store and their folders are health data: 0640 files, 0750 folders.
  ::umask(0027);
  CLI::App app{"ambid: reads paired left/right IMUs over serial and Bluetooth LE, measures every "
               "rep and publishes left/right asymmetry over gRPC, recording every session."};
  app.set_version_flag("--version", "ambid " AMBI_VERSION);
  std::string config_path;
  bool check_config = false;
  std::vector<std::string> listen;
  std::string data_dir;
  bool simulate = false;
  std::string replay_path;
  double pace = -1.0;
  bool exit_after_replay = false;
  std::string log_level;
  app.add_option("--config", config_path,
                 std::string("Configuration file (TOML, see data/ambid.toml); default ") +
                     kSystemConfig + " when it exists");
  app.add_flag("--check-config", check_config, "Validate the configuration and exit");
  app.add_option("--listen", listen,
                 "Address to serve on, repeatable: unix:/path or host:port (overrides the "
                 "configuration)");
  app.add_option("--data-dir", data_dir, "Directory of the session store and captures");
  app.add_flag("--simulate", simulate,
               "Simulated athletes on pseudo-terminals, read through the serial path (demo)");
  app.add_option("--replay", replay_path, "Feed this capture through the live path");
  app.add_option("--pace", pace, "Replay speed: 1 recorded speed, 0 as fast as possible")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--exit-after-replay", exit_after_replay, "Stop once the replay is fed");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  DaemonConfig config;
  const bool root = getuid() == 0;
  config.listen = {root ? "unix:/run/ambi/ambid.sock" : "unix:" + UserRuntimeDir() + "/ambid.sock"};
  config.data_dir = root ? "/var/lib/ambi" : UserStateDir();
  if (config_path.empty() && !simulate && replay_path.empty() && fs::exists(kSystemConfig)) {
    config_path = kSystemConfig;
  }
  if (!config_path.empty()) {
    ambi::config::DaemonConfigResult loaded = ambi::config::LoadDaemonConfigFile(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "ambid: %s\n", loaded.error.c_str());
      return 2;
    }
    config = std::move(*loaded.config);
  }
  if (check_config) {
    std::size_t devices = 0;
    for (const auto& athlete : config.athletes) devices += athlete.devices.size();
    std::printf("%s: ok (%zu athletes, %zu devices)\n",
                config_path.empty() ? "built-in defaults" : config_path.c_str(),
                config.athletes.size(), devices);
    return 0;
  }
  if (!listen.empty()) {
    for (const std::string& address : listen) {
      std::string reason;
      if (!ambi::config::IsValidListenAddress(address, &reason)) {
        std::fprintf(stderr, "ambid: --listen %s: %s\n", address.c_str(), reason.c_str());
        return 2;
      }
    }
    config.listen = listen;
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!log_level.empty()) config.log_level = log_level;
  if (pace >= 0.0) config.pace = pace;
  if (simulate && !replay_path.empty()) {
    std::fprintf(stderr, "ambid: --simulate and --replay exclude each other\n");
    return 2;
  }

  SetUpLogging(config.log_level);
  if (!MakeSocketDirectories(config.listen)) return 1;

  ambi::daemon::DaemonOptions options;
  options.config = std::move(config);
  options.simulate = simulate;
  options.replay_path = replay_path;
  options.exit_after_replay = exit_after_replay;
  ambi::daemon::DaemonApp daemon(std::move(options));
  return daemon.Run();
}
