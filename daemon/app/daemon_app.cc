#include "daemon/app/daemon_app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/app/athlete_registry.h"
#include "daemon/app/athlete_spec.h"
#include "daemon/app/control_service.h"
#include "daemon/app/device_sources.h"
#include "daemon/app/event_output.h"
#include "daemon/app/io_guard.h"
#include "daemon/app/replay_driver.h"
#include "daemon/app/session_opener.h"
#include "daemon/app/systemd_notifier.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/central/shipper.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/replay/capture_feeder.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_server.h"
#include "daemon/sim/demo_roster.h"
#include "daemon/sim/pty_simulator.h"
#include "daemon/store/session_store.h"
#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"

namespace ambi::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How often buffered capture bytes are handed to the OS: what a crash of the daemon can lose.
constexpr milliseconds kCaptureFlushInterval{200};
// Window of the measured sample rate in device listings.
constexpr milliseconds kRateWindow{2000};
// Calls still running this long after a stop request are cancelled.
constexpr milliseconds kShutdownGrace{2000};

std::string CatalogPath(const config::DaemonConfig& config) {
  if (!config.catalog.empty()) return config.catalog;
  if (const char* from_env = std::getenv("AMBI_CATALOG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  if (fs::exists(AMBI_INSTALLED_CATALOG)) return AMBI_INSTALLED_CATALOG;
  return AMBI_SOURCE_CATALOG;
}

class BusOutput final : public EventOutput {
 public:
  explicit BusOutput(rpc::EventBus* bus) : bus_(bus) {}
  void OnLiveEvent(const v1::LiveEvent& event) override { bus_->Publish(event); }

 private:
  rpc::EventBus* bus_;
};

class StoreOutput final : public EventOutput {
 public:
  explicit StoreOutput(store::SessionStore* store) : store_(store) {}
  void OnLiveEvent(const v1::LiveEvent& event) override {
    store_->RecordEvent(event.session_id(), event.event(), event.published_unix_ns());
  }

 private:
  store::SessionStore* store_;
};

}  // namespace

// The lifecycle owner: builds the parts in order (catalog, store, athletes of the run mode, their
// sessions and feeds, the gRPC server), runs the timers and signals on the io thread, and stops
// the parts in the reverse order. The athletes come from one builder per mode (athlete_spec.h);
// the RPCs are ControlService's.
class DaemonApp::Impl {
 public:
  explicit Impl(DaemonOptions options) : options_(std::move(options)) {}

  int Run();

 private:
  bool SetUp();
  bool StartShipper(const config::CentralConfig& central, const std::string& store_path);
  std::optional<std::vector<AthleteSpec>> BuildAthletes();
  bool BeginSessions();
  bool AttachFeeds();
  void OnSignal(int signal_number);
  void BeginStop(const std::string& why);
  void StopParts();
  void ScheduleCaptureFlush();
  void ScheduleRateUpdate();
  void ScheduleWatchdog(std::chrono::microseconds interval);

  DaemonOptions options_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::signal_set signals_{io_};
  asio::steady_timer flush_timer_{io_};
  asio::steady_timer rate_timer_{io_};
  asio::steady_timer watchdog_timer_{io_};
  SystemdNotifier notifier_;
  std::optional<config::ExerciseCatalog> catalog_;
  std::unique_ptr<store::SessionStore> store_;
  std::unique_ptr<central::Shipper> shipper_;  // null without [central]
  rpc::EventBus bus_;
  std::unique_ptr<BusOutput> bus_output_;
  std::unique_ptr<StoreOutput> store_output_;
  std::optional<AthleteRegistry> athletes_;  // fixed after SetUp (read by gRPC threads)
  std::optional<SessionOpener> sessions_;
  std::unique_ptr<ControlService> control_;
  std::unique_ptr<rpc::RpcServer> server_;
  // What feeds the sessions: the simulator's pseudo-terminals and the devices' transports, or a
  // capture being replayed.
  std::unique_ptr<sim::PtySimulator> simulator_;
  std::shared_ptr<transport::BleBus> ble_bus_;
  std::unique_ptr<capture::CaptureReader> replay_reader_;
  v1::CaptureHeader replay_header_;
  std::unique_ptr<ReplayDriver> replay_;
  bool stopping_ = false;
  bool watchdog_withheld_ = false;  // the API stopped accepting: no more pings
  int exit_code_ = 0;
};

// The shipper gets the exercises' traits from the catalog, so the central weekly balance needs no
// catalog of its own. An unreachable server does not stop the box: it only delays the copy.
bool DaemonApp::Impl::StartShipper(const config::CentralConfig& central,
                                   const std::string& store_path) {
  central::ShipperOptions options;
  options.url = central.url;
  options.password = central.password;
  options.passfile = central.passfile;
  options.box_id = central.box_id;
  options.store_path = store_path;
  options.retry_longest = milliseconds(static_cast<long>(central.retry_longest_s * 1000.0));
  const config::ExerciseCatalog* catalog = &*catalog_;
  auto traits_of = [catalog](const std::string& name) {
    central::ExerciseTraits traits;
    const fusion::Exercise* exercise = catalog->Find(name);
    if (exercise == nullptr) return traits;
    for (const std::string& group : exercise->muscle_groups) {
      traits.muscle_groups += (traits.muscle_groups.empty() ? "" : ",") + group;
    }
    traits.direction = std::string(fusion::ToString(exercise->direction));
    traits.reaching = exercise->reaching;
    return traits;
  };
  std::string error;
  shipper_ = central::Shipper::Start(options, traits_of, &error);
  if (!shipper_) {
    spdlog::critical("{}", error);
    return false;
  }
  spdlog::info("central {}: shipping this box's history as '{}'", central::RedactUrl(central.url),
               central.box_id);
  return true;
}

std::optional<std::vector<AthleteSpec>> DaemonApp::Impl::BuildAthletes() {
  std::string error;
  if (!options_.replay_path.empty()) {
    replay_reader_ = std::make_unique<capture::CaptureReader>();
    if (capture::CaptureStatus status = replay_reader_->Open(options_.replay_path, &replay_header_);
        !status.ok()) {
      spdlog::critical("--replay: {}", status.message());
      return std::nullopt;
    }
    if (!replay::SessionParamsFromHeader(replay_header_, fusion::SessionParams{}, &error)) {
      spdlog::critical("--replay {}: {}", options_.replay_path, error);
      return std::nullopt;
    }
    auto athlete = AthleteFromCapture(replay_header_, options_.replay_path,
                                      options_.config.automatic_sets, &error);
    if (!athlete) {
      spdlog::critical("--replay: {}", error);
      return std::nullopt;
    }
    // A replayed session keeps its own timeline: its start (recorded, chosen, or now) plus the
    // recorded session time, so it ends as long after its start as it was recorded, however fast
    // it was replayed.
    std::int64_t start = options_.replay_recorded_dates ? replay_header_.created_unix_ns()
                                                        : options_.replay_start_unix_ns;
    if (start <= 0) {
      if (options_.replay_recorded_dates) {
        spdlog::warn("--replay-start recorded: {} has no creation time; it is dated now",
                     options_.replay_path);
      }
      start = UnixNowNs();
    }
    athlete->recorded_start_unix_ns = start;
    return std::vector<AthleteSpec>{std::move(*athlete)};
  }
  if (options_.simulate) {
    sim::PtySimulatorOptions sim_options;
    sim_options.link_dir = sim::DefaultSimLinkDir();
    sim_options.own_folder = true;  // another simulating ambid on this machine keeps its own
    // Real time only: ambid stamps WitMotion serial samples with their arrival time (the frames
    // carry none), so faster playback would shrink every dt and with it every angle and tempo.
    simulator_ = std::make_unique<sim::PtySimulator>(io_, sim_options);
    spdlog::info("simulated sensors on pseudo-terminals in {}", simulator_->link_folder());
    auto athletes =
        AthletesFromSimulator(sim::DemoRoster(), options_.config, simulator_.get(), &error);
    if (!athletes) spdlog::critical("{}", error);
    return athletes;
  }
  return AthletesFromConfig(options_.config);
}

bool DaemonApp::Impl::BeginSessions() {
  for (const auto& athlete : athletes_->athletes()) {
    std::string error;
    if (!sessions_->Begin(*athlete, &error)) {
      spdlog::critical("athlete {}: {}", athlete->name(), error);
      return false;
    }
  }
  return true;
}

bool DaemonApp::Impl::AttachFeeds() {
  if (replay_reader_) {
    // The driver stamps records with the session's epoch + recorded time, so session times
    // equal the recorded ones.
    Athlete& replayed = *athletes_->athletes().front();
    replay_ = std::make_unique<ReplayDriver>(
        io_, std::move(replay_reader_), replay_header_, replayed.session.get(),
        replayed.session->epoch(), options_.config.pace,
        [this](const std::string& name) { return sessions_->ResolveExercise(name); },
        [this, &replayed](const std::string& summary) {
          spdlog::info("replay of {} done: {}", options_.replay_path, summary);
          sessions_->End(replayed);
          if (options_.exit_after_replay) BeginStop("replay finished");
        });
    return true;
  }
  for (const auto& athlete : athletes_->athletes()) {
    for (std::size_t d = 0; d < athlete->devices.size(); ++d) {
      Device& device = athlete->devices[d];
      try {
        device.source = MakeDeviceSource(io_, *athlete, static_cast<int>(d), &ble_bus_);
      } catch (const std::exception& e) {
        spdlog::critical("device {}: {}", device.spec.device.name, e.what());
        return false;
      }
    }
  }
  return true;
}

bool DaemonApp::Impl::SetUp() {
  const config::DaemonConfig& config = options_.config;
  const std::string catalog_path = CatalogPath(config);
  config::CatalogLoadResult catalog = config::ExerciseCatalog::LoadFile(catalog_path);
  if (!catalog.ok()) {
    spdlog::critical("exercise catalog: {}", catalog.error);
    return false;
  }
  catalog_ = std::move(*catalog.catalog);
  for (const config::AthleteConfig& athlete : config.athletes) {
    if (!athlete.exercise.empty() && catalog_->Find(athlete.exercise) == nullptr) {
      spdlog::critical("athlete {}: exercise \"{}\" is not in the catalog {}", athlete.name,
                       athlete.exercise, catalog_path);
      return false;
    }
  }

  std::error_code ec;
  fs::create_directories(config.data_dir + "/captures", ec);
  if (ec) {
    spdlog::critical("data directory {}: cannot create it: {}", config.data_dir, ec.message());
    return false;
  }
  store::SessionStoreOptions store_options;
  store_options.path = config.data_dir + "/ambi.sqlite";
  std::string error;
  store_ = store::SessionStore::Open(store_options, &*catalog_, &error);
  if (!store_) {
    spdlog::critical("session store: {}", error);
    return false;
  }
  if (config.central && !StartShipper(*config.central, store_options.path)) return false;
  bus_output_ = std::make_unique<BusOutput>(&bus_);
  store_output_ = std::make_unique<StoreOutput>(store_.get());
  sessions_.emplace(config, &*catalog_, store_.get(),
                    std::vector<EventOutput*>{bus_output_.get(), store_output_.get()});

  std::optional<std::vector<AthleteSpec>> athletes = BuildAthletes();
  if (!athletes) return false;
  athletes_.emplace(std::move(*athletes));
  if (!BeginSessions() || !AttachFeeds()) return false;
  if (athletes_->athletes().empty()) {
    spdlog::warn("no athletes configured: serving history only (add [[athletes]] to the config)");
  }

  ControlServiceOptions control_options;
  control_options.sessions_fixed = replay_ != nullptr;
  control_options.automatic_sets = config.automatic_sets;
  if (shipper_) {
    control_options.central_status = [this](v1::CentralStatus* out) {
      const central::ShipperStatus status = shipper_->status();
      out->set_target(status.target);
      out->set_box_id(status.box_id);
      out->set_connected(status.connected);
      out->set_backlog_rows(status.backlog_rows);
      out->set_behind_s(status.behind_s);
      out->set_shipped_rows(status.shipped_rows);
      out->set_last_error(status.last_error);
    };
  }
  control_ = std::make_unique<ControlService>(io_, &*athletes_, &*sessions_, store_.get(),
                                              control_options);
  rpc::RpcServerOptions server_options;
  server_options.addresses = config.listen;
  server_options.socket_group = config.socket_group;
  server_options.token_file = config.token_file;
  if (config.tls) {
    server_options.tls =
        rpc::RpcTlsFiles{config.tls->cert_file, config.tls->key_file, config.tls->client_ca_file};
  }
  server_options.subscriber_queue_capacity = config.subscriber_queue;
  server_options.athlete_exists = [this](const std::string& name) {
    return athletes_->Contains(name);
  };
  // Probed as often as the watchdog is pinged, so a listener that stopped accepting withholds
  // the pings within a few intervals.
  if (auto interval = SystemdNotifier::WatchdogPingInterval()) {
    server_options.accept_probe_interval =
        std::max(milliseconds(1000), std::chrono::duration_cast<milliseconds>(*interval));
  }
  server_ = std::make_unique<rpc::RpcServer>(server_options, &bus_, control_.get());
  try {
    server_->Start();
  } catch (const std::exception& e) {
    spdlog::critical("gRPC server: {}", e.what());
    return false;
  }
  for (const rpc::ListeningAddress& address : server_->listening_addresses()) {
    spdlog::info("listening on {}", address.bound);
  }
  return true;
}

void DaemonApp::Impl::ScheduleCaptureFlush() {
  flush_timer_.expires_after(kCaptureFlushInterval);
  flush_timer_.async_wait(Guarded("capture flush", [this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    ScheduleCaptureFlush();  // first: a throw below must not end the flushing
    for (const auto& athlete : athletes_->athletes()) {
      if (athlete->session) athlete->session->FlushCapture();
    }
  }));
}

void DaemonApp::Impl::ScheduleRateUpdate() {
  rate_timer_.expires_after(kRateWindow);
  rate_timer_.async_wait(Guarded("rate update", [this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    ScheduleRateUpdate();
    athletes_->UpdateRates(steady_clock::now());
  }));
}

void DaemonApp::Impl::ScheduleWatchdog(std::chrono::microseconds interval) {
  // Pinged from the io thread: if the sensor loop stalls, the pings stop and systemd restarts
  // the daemon. So they stop too when a TCP listener accepts no more connections (gRPC 1.51's
  // acceptor after EMFILE): only a restart brings it back.
  if (server_->accepting()) {
    notifier_.WatchdogPing();
  } else if (!watchdog_withheld_) {
    watchdog_withheld_ = true;
    spdlog::critical(
        "watchdog: pings stop because an rpc listener accepts no connections; systemd restarts "
        "ambid when WatchdogSec= runs out");
  }
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait(
      Guarded("watchdog", [this, interval](const boost::system::error_code& error) {
        if (!error && !stopping_) ScheduleWatchdog(interval);
      }));
}

void DaemonApp::Impl::OnSignal(int signal_number) {
  if (signal_number != SIGHUP) {
    BeginStop(signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
  // Re-armed first: a reopen that throws must not leave SIGTERM unhandled.
  signals_.async_wait(Guarded("signal", [this](const boost::system::error_code& error, int number) {
    if (!error) OnSignal(number);
  }));
  spdlog::info("SIGHUP: reopening capture files");
  for (const auto& athlete : athletes_->athletes()) {
    if (athlete->session) athlete->session->ReopenCapture();
  }
}

// Shutdown order: no new control calls, then the feeds stop (no bytes after this), then the
// sessions end (pending reps are reported and recorded), then the store is flushed; the server
// and the store are closed by Run once the io loop is done.
void DaemonApp::Impl::BeginStop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  control_->Stop();
  spdlog::info("stopping ({}): flushing sessions, captures and the store", why);
  notifier_.Stopping();
  try {
    StopParts();
  } catch (const std::exception& e) {
    // The loop must still end, or the daemon would hang in a half-stopped state.
    LogEscapedException("stop", e.what());
  }
  signals_.cancel();
  flush_timer_.cancel();
  rate_timer_.cancel();
  watchdog_timer_.cancel();
  work_.reset();
}

void DaemonApp::Impl::StopParts() {
  if (replay_) replay_->Stop();
  for (const auto& athlete : athletes_->athletes()) {
    for (Device& device : athlete->devices) {
      if (device.source) device.source->Stop();
    }
  }
  if (simulator_) simulator_->Stop();
  for (const auto& athlete : athletes_->athletes()) sessions_->End(*athlete);
  std::string error;
  if (!store_->Flush(&error)) spdlog::error("session store: {}", error);
}

int DaemonApp::Impl::Run() {
  work_.emplace(io_.get_executor());
  if (!SetUp()) return 1;
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.async_wait(Guarded("signal", [this](const boost::system::error_code& error, int number) {
    if (!error) OnSignal(number);
  }));
  if (simulator_) simulator_->Start();
  for (const auto& athlete : athletes_->athletes()) {
    for (Device& device : athlete->devices) {
      if (device.source) device.source->Start();
    }
  }
  athletes_->StartRateWindow(steady_clock::now());
  if (replay_) replay_->Start();
  ScheduleCaptureFlush();
  ScheduleRateUpdate();
  if (auto interval = SystemdNotifier::WatchdogPingInterval()) ScheduleWatchdog(*interval);
  const std::string status = std::to_string(athletes_->athletes().size()) + " athletes, " +
                             std::to_string(athletes_->device_count()) + " devices";
  notifier_.Ready(status);
  spdlog::info("ambid {} ready: {}", AMBI_VERSION, status);

  RunIoGuarded(io_);

  // The sessions are ended and the store flushed (BeginStop). Now end the subscriber streams
  // and stop the server; control calls that arrive meanwhile are answered (UNAVAILABLE) by
  // running the io thread until the server is down.
  std::thread shutdown([this] { server_->Shutdown(kShutdownGrace); });
  bool done = false;
  while (!done) {
    io_.restart();
    RunIoGuardedFor(io_, milliseconds(20));
    done = !server_->running();
  }
  shutdown.join();
  store_->Close();
  if (shipper_) {
    // The store is closed: what it committed is in the outbox; ship it while the drain lasts.
    shipper_->Stop();
    const central::ShipperStatus left = shipper_->status();
    if (left.backlog_rows > 0) {
      spdlog::warn("central {}: {} rows wait in the local store for the next start", left.target,
                   left.backlog_rows);
    } else {
      spdlog::info("central {}: everything shipped ({} rows since start)", left.target,
                   left.shipped_rows);
    }
  }
  spdlog::info("stopped");
  return exit_code_;
}

DaemonApp::DaemonApp(DaemonOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
DaemonApp::~DaemonApp() = default;
int DaemonApp::Run() { return impl_->Run(); }

}  // namespace ambi::app
