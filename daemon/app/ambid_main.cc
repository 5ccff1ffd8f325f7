// ambid: the ambi daemon. Flags and configuration here; everything else is DaemonApp's wiring.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/app/daemon_app.h"
#include "daemon/app/private_dir.h"
#include "daemon/config/catalog_check.h"
#include "daemon/config/daemon_config.h"
#include "daemon/config/exercise_catalog.h"

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

// The directory of each unix socket must exist; make it as systemd's RuntimeDirectory= would.
// The /tmp/ambi-<uid> fallback must be ambid's own (another user could have made it first).
bool MakeSocketDirectories(const std::vector<std::string>& listen) {
  const std::string fallback = "/tmp/ambi-" + std::to_string(getuid());
  for (const std::string& address : listen) {
    if (address.starts_with("unix:" + fallback + "/")) {
      if (const std::string problem = ambi::app::EnsurePrivateDirectory(fallback);
          !problem.empty()) {
        spdlog::critical("--listen {}: {}", address, problem);
        return false;
      }
    }
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

// "2026-11-02", "2026-11-02T10:15" or "2026-11-02T10:15:30" (UTC, optional trailing Z) as
// Unix ns; nullopt for anything else.
std::optional<std::int64_t> ParseUtcTime(const std::string& text) {
  std::tm utc{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &consumed) != 3) {
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<std::size_t>(consumed));
  if (rest.ends_with("Z")) rest.pop_back();
  if (!rest.empty()) {
    int tail = 0;
    const int fields = std::sscanf(rest.c_str(), "T%2d:%2d%n:%2d%n", &utc.tm_hour, &utc.tm_min,
                                   &tail, &utc.tm_sec, &tail);
    if (fields < 2 || static_cast<std::size_t>(tail) != rest.size()) return std::nullopt;
  }
  if (utc.tm_mon < 1 || utc.tm_mon > 12 || utc.tm_mday < 1 || utc.tm_mday > 31 ||
      utc.tm_hour > 23 || utc.tm_min > 59 || utc.tm_sec > 60) {
    return std::nullopt;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const std::time_t seconds = timegm(&utc);
  if (seconds <= 0) return std::nullopt;
  return static_cast<std::int64_t>(seconds) * 1'000'000'000;
}

}  // namespace

int main(int argc, char** argv) {
  // Captures, the SQLite store and their folders are health data: 0640 files, 0750 folders.
  ::umask(0027);
  CLI::App app{
      "ambid: reads paired left/right IMUs over serial and Bluetooth LE, measures every "
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
  std::string replay_start;
  app.add_option("--replay-start", replay_start,
                 "Dates of the replayed session: 'recorded' (the capture's creation time) or a "
                 "UTC time YYYY-MM-DD[THH:MM[:SS]] as its start; default: now");
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
  {
    // The exercises named in the configuration against the catalog it will use: a typo, or a
    // wrist exercise for an athlete wearing ankle sensors, stops the daemon before it starts.
    const std::string catalog_path =
        ambi::config::ResolveCatalogPath(config, AMBI_INSTALLED_CATALOG, AMBI_SOURCE_CATALOG);
    const ambi::config::CatalogLoadResult catalog =
        ambi::config::ExerciseCatalog::LoadFile(catalog_path);
    if (!catalog.ok()) {
      std::fprintf(stderr, "ambid: exercise catalog: %s\n", catalog.error.c_str());
      return 2;
    }
    const std::string problem =
        ambi::config::CheckConfigAgainstCatalog(config, *catalog.catalog, catalog_path);
    if (!problem.empty()) {
      std::fprintf(stderr, "ambid: %s: %s\n",
                   config_path.empty() ? "built-in defaults" : config_path.c_str(),
                   problem.c_str());
      return 2;
    }
    if (check_config) std::printf("exercise catalog %s: ok\n", catalog_path.c_str());
  }
  if (check_config) {
    if (const std::string problem = ambi::config::CheckRemoteAccess(config); !problem.empty()) {
      std::fprintf(stderr, "ambid: %s: %s\n",
                   config_path.empty() ? "built-in defaults" : config_path.c_str(),
                   problem.c_str());
      return 2;
    }
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
  if (const std::string problem = ambi::config::CheckRemoteAccess(config); !problem.empty()) {
    std::fprintf(stderr, "ambid: %s\n", problem.c_str());
    return 2;
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

  ambi::app::DaemonOptions options;
  options.config = std::move(config);
  options.simulate = simulate;
  options.replay_path = replay_path;
  options.exit_after_replay = exit_after_replay;
  if (!replay_start.empty()) {
    if (replay_path.empty()) {
      std::fprintf(stderr, "ambid: --replay-start needs --replay\n");
      return 2;
    }
    options.replay_recorded_dates = replay_start == "recorded";
    if (!options.replay_recorded_dates) {
      const std::optional<std::int64_t> start = ParseUtcTime(replay_start);
      if (!start) {
        std::fprintf(stderr,
                     "ambid: --replay-start '%s' is not 'recorded' nor a UTC time "
                     "YYYY-MM-DD[THH:MM[:SS]]\n",
                     replay_start.c_str());
        return 2;
      }
      options.replay_start_unix_ns = *start;
    }
  }
  ambi::app::DaemonApp daemon(std::move(options));
  return daemon.Run();
}
