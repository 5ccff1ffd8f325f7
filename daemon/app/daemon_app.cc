#include "daemon/app/daemon_app.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "ambi/v1/service.pb.h"
#include "daemon/app/athlete_session.h"
#include "daemon/app/event_output.h"
#include "daemon/app/replay_driver.h"
#include "daemon/app/systemd_notifier.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/rpc/control.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rpc_server.h"
#include "daemon/sim/demo_roster.h"
#include "daemon/sim/pty_simulator.h"
#include "daemon/store/session_store.h"
#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"
#include "daemon/transport/ble_source.h"
#include "daemon/transport/serial_source.h"
#include "proto/convert/event_convert.h"
#include "daemon/replay/capture_feeder.h"
#include "daemon/sim/session_spec.h"

namespace ambi::daemon {
namespace {

namespace fs = std::filesystem;
using Code = ControlStatus::Code;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How often buffered capture bytes are handed to the OS: what a crash of the daemon can lose.
constexpr milliseconds kCaptureFlushInterval{200};
// Window of the measured sample rate in device listings.
constexpr milliseconds kRateWindow{2000};
// A control call waits this long for the io thread before answering UNAVAILABLE.
constexpr milliseconds kControlTimeout{3000};
// Calls still running this long after a stop request are cancelled.
constexpr milliseconds kShutdownGrace{2000};

std::int64_t UnixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CatalogPath(const config::DaemonConfig& config) {
  if (!config.catalog.empty()) return config.catalog;
  if (const char* from_env = std::getenv("AMBI_CATALOG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  if (fs::exists(AMBI_INSTALLED_CATALOG)) return AMBI_INSTALLED_CATALOG;
  return AMBI_SOURCE_CATALOG;
}

// "alice-20261123T101500Z.capture" in 'dir', with a counter when the name is taken.
std::string NewCapturePath(const std::string& dir, const std::string& athlete) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const std::string stem = dir + "/" + athlete + "-" + stamp;
  std::string path = stem + ".capture";
  for (int n = 2; fs::exists(path); ++n) path = stem + "-" + std::to_string(n) + ".capture";
  return path;
}

v1::DeviceInfo::State ToProto(ByteSourceState state) {
  switch (state) {
    case ByteSourceState::kConnecting: return v1::DeviceInfo::STATE_CONNECTING;
    case ByteSourceState::kConnected: return v1::DeviceInfo::STATE_CONNECTED;
    case ByteSourceState::kStopped: return v1::DeviceInfo::STATE_DISCONNECTED;
  }
  return v1::DeviceInfo::STATE_UNSPECIFIED;
}

ControlStatus FromQueryError(store::QueryError kind, std::string message) {
  switch (kind) {
    case store::QueryError::kNone: return ControlStatus::Ok();
    case store::QueryError::kInvalidArgument: return {Code::kInvalidArgument, std::move(message)};
    case store::QueryError::kNotFound: return {Code::kNotFound, std::move(message)};
    case store::QueryError::kInternal: return {Code::kInternal, std::move(message)};
  }
  return {Code::kInternal, std::move(message)};
}

class BusOutput final : public EventOutput {
 public:
  explicit BusOutput(EventBus* bus) : bus_(bus) {}
  void OnLiveEvent(const v1::LiveEvent& event) override { bus_->Publish(event); }

 private:
  EventBus* bus_;
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

class DaemonApp::Impl final : public Control {
 public:
  explicit Impl(DaemonOptions options) : options_(std::move(options)) {}
  ~Impl() override = default;

  int Run();

  // Control (gRPC threads).
  ControlStatus StartSet(const v1::StartSetRequest& request,
                         v1::StartSetResponse* response) override;
  ControlStatus EndSet(const v1::EndSetRequest& request, v1::EndSetResponse* response) override;
  ControlStatus StartSession(const v1::StartSessionRequest& request,
                             v1::StartSessionResponse* response) override;
  ControlStatus EndSession(const v1::EndSessionRequest& request,
                           v1::EndSessionResponse* response) override;
  ControlStatus ListDevices(const v1::ListDevicesRequest& request,
                            v1::ListDevicesResponse* response) override;
  ControlStatus ListSessions(const v1::ListSessionsRequest& request,
                             v1::ListSessionsResponse* response) override;
  ControlStatus GetSession(const v1::GetSessionRequest& request,
                           v1::GetSessionResponse* response) override;
  ControlStatus GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                 v1::WeeklyBalanceResponse* response) override;

 private:
  struct Device {
    config::DeviceConfig config;
    std::unique_ptr<ByteSource> source;
    std::int64_t rate_samples = 0;  // pipeline sample count at rate_time
    steady_clock::time_point rate_time;
    double measured_rate_hz = 0.0;
    bool lost = false;  // lost and not back yet
  };
  struct Athlete {
    config::AthleteConfig config;
    std::vector<Device> devices;
    std::string exercise;  // the session's exercise (catalog key), may be empty
    bool automatic_sets = true;
    std::unique_ptr<AthleteSession> session;
  };

  bool SetUp();
  bool SetUpSimulation();
  bool SetUpReplay();
  void StartSources();
  std::optional<std::string> BeginSession(Athlete& athlete, std::string* error);
  void EndSession(Athlete& athlete);
  fusion::SessionParams ParamsFor(const Athlete& athlete) const;
  std::unique_ptr<ByteSource> MakeSource(int athlete_index, int device_index);
  void OnSignal(int signal_number);
  void BeginStop(const std::string& why);
  void ScheduleCaptureFlush();
  void ScheduleRateUpdate();
  void ScheduleWatchdog(std::chrono::microseconds interval);
  Athlete* FindAthlete(const std::string& name);
  // The configured athlete 'name' (NOT_FOUND otherwise) with a live session when
  // 'need_session' (FAILED_PRECONDITION otherwise).
  ControlStatus LookUpAthlete(const std::string& name, bool need_session, Athlete** athlete);
  std::optional<fusion::Exercise> ResolveExercise(const std::string& name) const;
  v1::SessionInfo InfoOf(const Athlete& athlete) const;

  // Runs 'work' on the io thread and waits for it (control calls arrive on gRPC threads; the
  // sessions belong to the io thread). The response is copied out only once the work is done.
  template <typename Response, typename Work>
  ControlStatus OnIoThread(Response* response, Work work);

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
  EventBus bus_;
  std::unique_ptr<BusOutput> bus_output_;
  std::unique_ptr<StoreOutput> store_output_;
  std::unique_ptr<RpcServer> server_;
  std::unique_ptr<PtySimulator> simulator_;
  std::shared_ptr<BleBus> ble_bus_;
  std::unique_ptr<ReplayDriver> replay_;
  std::vector<std::unique_ptr<Athlete>> athletes_;  // fixed after SetUp (read by gRPC threads)
  std::atomic<bool> stopping_{false};
  int exit_code_ = 0;
};

template <typename Response, typename Work>
ControlStatus DaemonApp::Impl::OnIoThread(Response* response, Work work) {
  if (stopping_) return {Code::kUnavailable, "the daemon is stopping"};
  struct Result {
    ControlStatus status;
    Response response;
  };
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  asio::post(io_, [this, promise, work = std::move(work)]() mutable {
    Result result;
    result.status = stopping_ ? ControlStatus{Code::kUnavailable, "the daemon is stopping"}
                              : work(&result.response);
    promise->set_value(std::move(result));
  });
  if (future.wait_for(kControlTimeout) != std::future_status::ready) {
    return {Code::kUnavailable, "the daemon did not answer in time; try again"};
  }
  try {
    Result result = future.get();
    if (result.status.ok()) *response = std::move(result.response);
    return result.status;
  } catch (const std::future_error&) {
    return {Code::kUnavailable, "the daemon is stopping"};
  }
}

DaemonApp::Impl::Athlete* DaemonApp::Impl::FindAthlete(const std::string& name) {
  for (auto& athlete : athletes_) {
    if (athlete->config.name == name) return athlete.get();
  }
  return nullptr;
}

ControlStatus DaemonApp::Impl::LookUpAthlete(const std::string& name, bool need_session,
                                             Athlete** athlete) {
  *athlete = FindAthlete(name);
  if (*athlete == nullptr) return {Code::kNotFound, "athlete \"" + name + "\" is not configured"};
  if (need_session && !(*athlete)->session) {
    return {Code::kFailedPrecondition,
            "athlete \"" + name + "\" has no live session; StartSession first"};
  }
  return ControlStatus::Ok();
}

std::optional<fusion::Exercise> DaemonApp::Impl::ResolveExercise(const std::string& name) const {
  if (name.empty() || !catalog_) return std::nullopt;
  if (const fusion::Exercise* exercise = catalog_->Find(name)) return *exercise;
  return std::nullopt;
}

fusion::SessionParams DaemonApp::Impl::ParamsFor(const Athlete& athlete) const {
  const config::DaemonConfig& config = options_.config;
  fusion::SessionParams params;
  for (const Device& device : athlete.devices) {
    fusion::SensorConfig sensor;
    sensor.placement = device.config.placement;
    sensor.protocol = device.config.protocol;
    sensor.nominal_rate_hz = device.config.rate_hz;
    sensor.witmotion_mag_uT_per_count = device.config.mag_uT_per_count;
    params.sensors.push_back(sensor);
  }
  if (auto exercise = ResolveExercise(athlete.exercise)) {
    params.exercise = *exercise;
  } else {
    params.exercise = fusion::GenericExercise(athlete.devices.front().config.placement.limb);
  }
  params.automatic_sets = athlete.automatic_sets;
  params.set_end_rest_s = config.set_end_rest_s;
  params.asymmetry.stop_speed_loss_pct = config.stop_speed_loss_pct;
  return params;
}

std::optional<std::string> DaemonApp::Impl::BeginSession(Athlete& athlete, std::string* error) {
  const std::string capture_dir = options_.config.data_dir + "/captures";
  const std::string capture_path = NewCapturePath(capture_dir, athlete.config.name);
  const std::string session_id = store_->BeginSession(athlete.config.name, UnixNowNs(),
                                                      capture_path);
  if (session_id.empty()) {
    *error = "the session store refused a new session for " + athlete.config.name;
    return std::nullopt;
  }
  AthleteSessionOptions options;
  options.athlete = athlete.config.name;
  options.session_id = session_id;
  options.capture_path = capture_path;
  options.exercise = athlete.exercise;
  options.params = ParamsFor(athlete);
  options.epoch = steady_clock::now();
  for (std::size_t i = 0; i < athlete.devices.size(); ++i) {
    const config::DeviceConfig& device = athlete.devices[i].config;
    v1::SensorInfo info;
    info.set_sensor_id(static_cast<std::uint32_t>(i + 1));
    info.set_side(proto::ToProto(device.placement.side));
    info.set_limb(proto::ToProto(device.placement.limb));
    info.set_device_model(options_.simulate ? "ambi-sim (pseudo-terminal)"
                                            : (device.transport == config::TransportKind::kSerial
                                                   ? "WitMotion serial"
                                                   : "WitMotion BLE"));
    info.set_protocol(proto::ToProto(device.protocol));
    info.set_nominal_rate_hz(device.rate_hz);
    info.set_address(device.transport == config::TransportKind::kSerial ? device.path
                                                                        : device.address);
    info.set_witmotion_mag_ut_per_count(device.mag_uT_per_count);
    options.sensors.push_back(info);
  }
  athlete.session = AthleteSession::Create(std::move(options),
                                           {bus_output_.get(), store_output_.get()}, error);
  if (!athlete.session) {
    store_->EndSession(session_id, UnixNowNs());
    return std::nullopt;
  }
  spdlog::info("athlete {}: session {} started, recording to {}", athlete.config.name,
               session_id, capture_path);
  return session_id;
}

void DaemonApp::Impl::EndSession(Athlete& athlete) {
  if (!athlete.session) return;
  athlete.session->End(steady_clock::now());
  store_->EndSession(athlete.session->session_id(), UnixNowNs());
  spdlog::info("athlete {}: session {} ended ({} sets, {} reps), capture {}",
               athlete.config.name, athlete.session->session_id(), athlete.session->set_count(),
               athlete.session->rep_count(), athlete.session->capture_path());
  athlete.session.reset();
}

std::unique_ptr<ByteSource> DaemonApp::Impl::MakeSource(int athlete_index, int device_index) {
  Athlete& athlete = *athletes_[static_cast<std::size_t>(athlete_index)];
  const config::DeviceConfig& config =
      athlete.devices[static_cast<std::size_t>(device_index)].config;
  ByteSourceCallbacks callbacks;
  callbacks.on_bytes = [&athlete, device_index](SteadyTime arrival,
                                                std::span<const std::uint8_t> bytes) {
    if (athlete.session) athlete.session->OnBytes(device_index, arrival, bytes);
  };
  Device& device = athlete.devices[static_cast<std::size_t>(device_index)];
  callbacks.on_connected = [&athlete, &device, device_index](SteadyTime time,
                                                             const std::string& detail) {
    spdlog::info("device {}: connected ({})", device.config.name, detail);
    // The first connection is the normal start, not news; a return after a loss is.
    if (device.lost && athlete.session) {
      athlete.session->OnDeviceBack(device_index, time, detail);
    }
    device.lost = false;
  };
  callbacks.on_lost = [&athlete, &device, device_index](SteadyTime time,
                                                        const std::string& reason) {
    spdlog::warn("device {}: lost: {}", device.config.name, reason);
    device.lost = true;
    if (athlete.session) athlete.session->OnDeviceLost(device_index, time, reason);
  };
  if (config.transport == config::TransportKind::kSerial) {
    SerialSourceOptions serial;
    serial.path = config.path;
    serial.baud = config.baud;
    if (config.configure) {
      WitMotionSetup setup;
      setup.rate_hz = static_cast<int>(config.rate_hz);
      setup.with_mag = config.mag_uT_per_count > 0.0;
      serial.witmotion = setup;
    }
    serial.backoff_seed = std::hash<std::string>{}(config.name);
    return std::make_unique<SerialSource>(io_, serial, std::move(callbacks));
  }
  if (!ble_bus_) ble_bus_ = std::make_shared<BleBus>();
  BleSourceConfig ble;
  ble.address = config.address;
  ble.adapter = config.adapter;
  if (config.configure) ble.rate_hz = static_cast<int>(config.rate_hz);
  return std::make_unique<BleSource>(io_, ble_bus_, ble, std::move(callbacks));
}

bool DaemonApp::Impl::SetUpSimulation() {
  PtySimulatorOptions sim_options;
  sim_options.link_dir = DefaultSimLinkDir();
  // Real time only: ambid stamps WitMotion serial samples with their arrival time (the frames
  // carry none), so faster playback would shrink every dt and with it every angle and tempo.
  simulator_ = std::make_unique<PtySimulator>(io_, sim_options);
  options_.config.athletes.clear();
  for (const SimAthlete& sim_athlete : DemoRoster()) {
    config::AthleteConfig athlete;
    athlete.name = sim_athlete.name;
    athlete.exercise = std::string(sim::CatalogNameOf(sim_athlete.session.exercise));
    for (const std::size_t index : simulator_->AddAthlete(sim_athlete)) {
      const SimDeviceInfo info = simulator_->device(index);
      config::DeviceConfig device;
      device.placement = info.placement;
      device.name = athlete.name + "-" + std::string(fusion::ToString(info.placement));
      device.transport = config::TransportKind::kSerial;
      device.protocol = info.protocol;
      device.rate_hz = info.rate_hz;
      device.path = info.link_path;
      athlete.devices.push_back(device);
    }
    spdlog::info("simulated athlete {} ({}) on {} pseudo-terminals in {}", athlete.name,
                 athlete.exercise, athlete.devices.size(), sim_options.link_dir);
    options_.config.athletes.push_back(std::move(athlete));
  }
  if (std::string error = config::ValidateDaemonConfig(options_.config); !error.empty()) {
    spdlog::critical("simulated roster: {}", error);
    return false;
  }
  return true;
}

bool DaemonApp::Impl::SetUpReplay() {
  auto reader = std::make_unique<capture::CaptureReader>();
  v1::CaptureHeader header;
  if (capture::CaptureStatus status = reader->Open(options_.replay_path, &header); !status.ok()) {
    spdlog::critical("--replay: {}", status.message());
    return false;
  }
  std::string error;
  fusion::SessionParams base;
  auto params = replay::SessionParamsFromHeader(header, base, &error);
  if (!params) {
    spdlog::critical("--replay {}: {}", options_.replay_path, error);
    return false;
  }
  auto athlete = std::make_unique<Athlete>();
  athlete->config.name = header.athlete().empty() ? "replay" : header.athlete();
  athlete->exercise = header.exercise();
  athlete->automatic_sets = options_.config.automatic_sets;
  for (const v1::SensorInfo& sensor : header.sensors()) {
    Device device;
    device.config.placement = {*proto::FromProto(sensor.side()), *proto::FromProto(sensor.limb())};
    device.config.name =
        athlete->config.name + "-" + std::string(fusion::ToString(device.config.placement));
    device.config.protocol = *proto::FromProto(sensor.protocol());
    device.config.rate_hz = sensor.nominal_rate_hz();
    device.config.mag_uT_per_count = sensor.witmotion_mag_ut_per_count();
    device.config.path = options_.replay_path;
    athlete->devices.push_back(std::move(device));
  }
  athletes_.push_back(std::move(athlete));
  Athlete& replayed = *athletes_.back();
  if (!BeginSession(replayed, &error)) {
    spdlog::critical("--replay: {}", error);
    return false;
  }
  // The driver stamps records with the session's epoch + recorded time, so session times equal
  // the recorded ones.
  replay_ = std::make_unique<ReplayDriver>(
      io_, std::move(reader), header, replayed.session.get(), replayed.session->epoch(),
      options_.config.pace,
      [this](const std::string& name) { return ResolveExercise(name); },
      [this, &replayed](const std::string& summary) {
        spdlog::info("replay of {} done: {}", options_.replay_path, summary);
        EndSession(replayed);
        if (options_.exit_after_replay) BeginStop("replay finished");
      });
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
  bus_output_ = std::make_unique<BusOutput>(&bus_);
  store_output_ = std::make_unique<StoreOutput>(store_.get());

  if (options_.simulate && !SetUpSimulation()) return false;
  if (!options_.replay_path.empty()) {
    if (!SetUpReplay()) return false;
  } else {
    for (const config::AthleteConfig& athlete_config : options_.config.athletes) {
      auto athlete = std::make_unique<Athlete>();
      athlete->config = athlete_config;
      athlete->exercise = athlete_config.exercise;
      athlete->automatic_sets = options_.config.automatic_sets;
      for (const config::DeviceConfig& device_config : athlete_config.devices) {
        Device device;
        device.config = device_config;
        athlete->devices.push_back(std::move(device));
      }
      athletes_.push_back(std::move(athlete));
    }
    for (auto& athlete : athletes_) {
      if (!BeginSession(*athlete, &error)) {
        spdlog::critical("athlete {}: {}", athlete->config.name, error);
        return false;
      }
    }
    for (std::size_t a = 0; a < athletes_.size(); ++a) {
      for (std::size_t d = 0; d < athletes_[a]->devices.size(); ++d) {
        try {
          athletes_[a]->devices[d].source = MakeSource(static_cast<int>(a), static_cast<int>(d));
        } catch (const std::exception& e) {
          spdlog::critical("device {}: {}", athletes_[a]->devices[d].config.name, e.what());
          return false;
        }
      }
    }
  }
  if (athletes_.empty()) {
    spdlog::warn("no athletes configured: serving history only (add [[athletes]] to the config)");
  }

  RpcServerOptions server_options;
  server_options.addresses = config.listen;
  server_options.socket_group = config.socket_group;
  server_options.subscriber_queue_capacity = config.subscriber_queue;
  std::vector<std::string> names;
  for (const auto& athlete : athletes_) names.push_back(athlete->config.name);
  server_options.athlete_exists = [names](const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  server_ = std::make_unique<RpcServer>(server_options, &bus_, this);
  try {
    server_->Start();
  } catch (const std::exception& e) {
    spdlog::critical("gRPC server: {}", e.what());
    return false;
  }
  for (const ListeningAddress& address : server_->listening_addresses()) {
    spdlog::info("listening on {}", address.bound);
  }
  return true;
}

void DaemonApp::Impl::StartSources() {
  if (simulator_) simulator_->Start();
  for (auto& athlete : athletes_) {
    for (Device& device : athlete->devices) {
      if (device.source) device.source->Start();
      device.rate_time = steady_clock::now();
    }
  }
  if (replay_) replay_->Start();
}

void DaemonApp::Impl::ScheduleCaptureFlush() {
  flush_timer_.expires_after(kCaptureFlushInterval);
  flush_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    for (auto& athlete : athletes_) {
      if (athlete->session) athlete->session->FlushCapture();
    }
    ScheduleCaptureFlush();
  });
}

void DaemonApp::Impl::ScheduleRateUpdate() {
  rate_timer_.expires_after(kRateWindow);
  rate_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_) return;
    const auto now = steady_clock::now();
    for (auto& athlete : athletes_) {
      for (std::size_t d = 0; d < athlete->devices.size(); ++d) {
        Device& device = athlete->devices[d];
        const std::int64_t samples =
            athlete->session ? athlete->session->counters(static_cast<int>(d)).samples : 0;
        const double dt_s = std::chrono::duration<double>(now - device.rate_time).count();
        device.measured_rate_hz =
            dt_s > 0.0 && samples >= device.rate_samples
                ? static_cast<double>(samples - device.rate_samples) / dt_s
                : 0.0;
        device.rate_samples = samples;
        device.rate_time = now;
      }
    }
    ScheduleRateUpdate();
  });
}

void DaemonApp::Impl::ScheduleWatchdog(std::chrono::microseconds interval) {
  // Pinged from the io thread: if the sensor loop stalls, the pings stop and systemd restarts
  // the daemon.
  notifier_.WatchdogPing();
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this, interval](const boost::system::error_code& error) {
    if (!error && !stopping_) ScheduleWatchdog(interval);
  });
}

void DaemonApp::Impl::OnSignal(int signal_number) {
  if (signal_number == SIGHUP) {
    spdlog::info("SIGHUP: reopening capture files");
    for (auto& athlete : athletes_) {
      if (athlete->session) athlete->session->ReopenCapture();
    }
  } else {
    BeginStop(signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
  signals_.async_wait([this](const boost::system::error_code& error, int number) {
    if (!error) OnSignal(number);
  });
}

void DaemonApp::Impl::BeginStop(const std::string& why) {
  if (stopping_.exchange(true)) return;
  spdlog::info("stopping ({}): flushing sessions, captures and the store", why);
  notifier_.Stopping();
  if (replay_) replay_->Stop();
  for (auto& athlete : athletes_) {
    for (Device& device : athlete->devices) {
      if (device.source) device.source->Stop();
    }
  }
  if (simulator_) simulator_->Stop();
  for (auto& athlete : athletes_) EndSession(*athlete);
  std::string error;
  if (!store_->Flush(&error)) spdlog::error("session store: {}", error);
  signals_.cancel();
  flush_timer_.cancel();
  rate_timer_.cancel();
  watchdog_timer_.cancel();
  work_.reset();
}

int DaemonApp::Impl::Run() {
  work_.emplace(io_.get_executor());
  if (!SetUp()) return 1;
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const boost::system::error_code& error, int number) {
    if (!error) OnSignal(number);
  });
  StartSources();
  ScheduleCaptureFlush();
  ScheduleRateUpdate();
  if (auto interval = SystemdNotifier::WatchdogPingInterval()) ScheduleWatchdog(*interval);
  std::size_t devices = 0;
  for (const auto& athlete : athletes_) devices += athlete->devices.size();
  const std::string status = std::to_string(athletes_.size()) + " athletes, " +
                             std::to_string(devices) + " devices";
  notifier_.Ready(status);
  spdlog::info("ambid {} ready: {}", AMBI_VERSION, status);

  io_.run();

  // The sessions are ended and the store flushed (BeginStop). Now end the subscriber streams
  // and stop the server; control calls that arrive meanwhile are answered (UNAVAILABLE) by
  // running the io thread until the server is down.
  std::thread shutdown([this] { server_->Shutdown(kShutdownGrace); });
  bool done = false;
  while (!done) {
    io_.restart();
    io_.run_for(milliseconds(20));
    done = !server_->running();
  }
  shutdown.join();
  store_->Close();
  spdlog::info("stopped");
  return exit_code_;
}

ControlStatus DaemonApp::Impl::StartSet(const v1::StartSetRequest& request,
                                        v1::StartSetResponse* response) {
  return OnIoThread(response, [this, request](v1::StartSetResponse* out) -> ControlStatus {
    Athlete* athlete = nullptr;
    if (ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete); !status.ok()) {
      return status;
    }
    const std::string name = request.exercise().empty() ? athlete->exercise : request.exercise();
    std::optional<fusion::Exercise> exercise = ResolveExercise(name);
    if (!exercise) {
      if (!request.exercise().empty()) {
        return {Code::kInvalidArgument,
                "exercise \"" + request.exercise() + "\" is not in the exercise catalog"};
      }
      exercise = fusion::GenericExercise(athlete->devices.front().config.placement.limb);
    }
    const bool has_limb = std::any_of(
        athlete->devices.begin(), athlete->devices.end(),
        [&](const Device& device) { return device.config.placement.limb == exercise->limb; });
    if (!has_limb) {
      return {Code::kFailedPrecondition,
              "exercise \"" + exercise->name + "\" is measured at the " +
                  std::string(fusion::ToString(exercise->limb)) + "s, and athlete \"" +
                  request.athlete() + "\" has no " + std::string(fusion::ToString(exercise->limb)) +
                  " sensors"};
    }
    if (!v1::SetMode_IsValid(request.mode())) {
      return {Code::kInvalidArgument, "mode " + std::to_string(request.mode()) + " is unknown"};
    }
    if (!v1::Side_IsValid(request.side())) {
      return {Code::kInvalidArgument, "side " + std::to_string(request.side()) + " is unknown"};
    }
    const fusion::SetMode mode = proto::FromProto(request.mode()).value_or(exercise->default_mode);
    if (mode == fusion::SetMode::kBilateral && request.side() != v1::SIDE_UNSPECIFIED) {
      return {Code::kInvalidArgument, "a working side applies to unilateral sets only"};
    }
    const int set_index =
        athlete->session->StartSet(steady_clock::now(), *exercise, mode,
                                   proto::FromProto(request.side()));
    out->set_set_index(static_cast<std::uint32_t>(set_index));
    return ControlStatus::Ok();
  });
}

ControlStatus DaemonApp::Impl::EndSet(const v1::EndSetRequest& request,
                                      v1::EndSetResponse* response) {
  return OnIoThread(response, [this, request](v1::EndSetResponse*) -> ControlStatus {
    Athlete* athlete = nullptr;
    if (ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete); !status.ok()) {
      return status;
    }
    athlete->session->EndSet(steady_clock::now());
    return ControlStatus::Ok();
  });
}

v1::SessionInfo DaemonApp::Impl::InfoOf(const Athlete& athlete) const {
  v1::SessionInfo info;
  if (!athlete.session) return info;
  info.set_session_id(athlete.session->session_id());
  info.set_athlete(athlete.config.name);
  info.set_capture_path(athlete.session->capture_path());
  info.set_set_count(static_cast<std::uint32_t>(athlete.session->set_count()));
  info.set_rep_count(static_cast<std::uint32_t>(athlete.session->rep_count()));
  return info;
}

ControlStatus DaemonApp::Impl::StartSession(const v1::StartSessionRequest& request,
                                            v1::StartSessionResponse* response) {
  if (!options_.replay_path.empty()) {
    return {Code::kFailedPrecondition, "sessions are fixed while replaying a capture"};
  }
  return OnIoThread(response, [this, request](v1::StartSessionResponse* out) -> ControlStatus {
    Athlete* athlete = nullptr;
    if (ControlStatus status = LookUpAthlete(request.athlete(), false, &athlete); !status.ok()) {
      return status;
    }
    if (!request.exercise().empty()) {
      const std::optional<fusion::Exercise> exercise = ResolveExercise(request.exercise());
      if (!exercise) {
        return {Code::kInvalidArgument,
                "exercise \"" + request.exercise() + "\" is not in the exercise catalog"};
      }
    }
    EndSession(*athlete);
    athlete->exercise = request.exercise().empty() ? athlete->config.exercise : request.exercise();
    athlete->automatic_sets = request.has_automatic_sets() ? request.automatic_sets()
                                                           : options_.config.automatic_sets;
    std::string error;
    if (!BeginSession(*athlete, &error)) return {Code::kInternal, error};
    *out->mutable_session() = InfoOf(*athlete);
    return ControlStatus::Ok();
  });
}

ControlStatus DaemonApp::Impl::EndSession(const v1::EndSessionRequest& request,
                                          v1::EndSessionResponse* response) {
  return OnIoThread(response, [this, request](v1::EndSessionResponse* out) -> ControlStatus {
    Athlete* athlete = nullptr;
    if (ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete); !status.ok()) {
      return status;
    }
    *out->mutable_session() = InfoOf(*athlete);
    out->mutable_session()->set_end_unix_ns(UnixNowNs());
    EndSession(*athlete);
    return ControlStatus::Ok();
  });
}

ControlStatus DaemonApp::Impl::ListDevices(const v1::ListDevicesRequest& request,
                                           v1::ListDevicesResponse* response) {
  if (!request.athlete().empty() && FindAthlete(request.athlete()) == nullptr) {
    return {Code::kNotFound, "athlete \"" + request.athlete() + "\" is not configured"};
  }
  return OnIoThread(response, [this, request](v1::ListDevicesResponse* out) -> ControlStatus {
    for (const auto& athlete : athletes_) {
      if (!request.athlete().empty() && athlete->config.name != request.athlete()) continue;
      for (std::size_t d = 0; d < athlete->devices.size(); ++d) {
        const Device& device = athlete->devices[d];
        v1::DeviceInfo* info = out->add_devices();
        info->set_name(device.config.name);
        info->set_athlete(athlete->config.name);
        info->set_side(proto::ToProto(device.config.placement.side));
        info->set_limb(proto::ToProto(device.config.placement.limb));
        info->set_protocol(proto::ToProto(device.config.protocol));
        info->set_nominal_rate_hz(device.config.rate_hz);
        info->set_measured_rate_hz(device.measured_rate_hz);
        if (device.source) {
          const ByteSourceStats stats = device.source->stats();
          info->set_transport(device.source->transport());
          info->set_address(device.source->address());
          info->set_state(ToProto(stats.state));
          info->set_reconnects(stats.reconnects);
          info->set_last_error(stats.last_error);
        } else {
          info->set_transport("replay");
          info->set_address(device.config.path);
          info->set_state(replay_ ? v1::DeviceInfo::STATE_CONNECTED
                                  : v1::DeviceInfo::STATE_DISCONNECTED);
        }
        if (athlete->session) {
          const fusion::SensorCounters& counters =
              athlete->session->counters(static_cast<int>(d));
          info->set_samples(counters.samples);
          info->set_gaps(counters.gaps);
          info->set_missing_samples(counters.missing_samples);
          info->set_rejected_samples(counters.rejected_samples);
          info->set_bytes_discarded(counters.bytes_discarded);
          info->set_checksum_errors(counters.checksum_errors);
        }
      }
    }
    return ControlStatus::Ok();
  });
}

namespace {

// History queries read the store's own connection: no need to visit the io thread.
template <typename Request, typename Response, typename Query>
ControlStatus QueryStore(const Request& request, Response* response, Query query) {
  std::string error;
  store::QueryError kind = store::QueryError::kNone;
  if (!query(request, response, &error, &kind)) return FromQueryError(kind, error);
  return ControlStatus::Ok();
}

}  // namespace

ControlStatus DaemonApp::Impl::ListSessions(const v1::ListSessionsRequest& request,
                                            v1::ListSessionsResponse* response) {
  return QueryStore(request, response, [this](const auto&... args) {
    return store_->ListSessions(args...);
  });
}

ControlStatus DaemonApp::Impl::GetSession(const v1::GetSessionRequest& request,
                                          v1::GetSessionResponse* response) {
  return QueryStore(request, response, [this](const auto&... args) {
    return store_->GetSession(args...);
  });
}

ControlStatus DaemonApp::Impl::GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                                v1::WeeklyBalanceResponse* response) {
  return QueryStore(request, response, [this](const auto& r, auto* out, auto* error, auto* kind) {
    return store_->WeeklyBalance(r, UnixNowNs(), out, error, kind);
  });
}

DaemonApp::DaemonApp(DaemonOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
DaemonApp::~DaemonApp() = default;
int DaemonApp::Run() { return impl_->Run(); }

}  // namespace ambi::daemon
