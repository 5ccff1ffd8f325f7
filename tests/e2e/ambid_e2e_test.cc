// End-to-end tests of the real ambid: simulated sensors on pseudo-terminals (in this process, so
// the test knows the ground truth and can pull cables), the daemon as a child process reading
// them through its serial path, and a real gRPC client on its unix socket. Each live test is
// bounded (about 30 s) by one short simulated set played in real time.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/sim/demo_roster.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/session_spec.h"
#include "daemon/store/session_store.h"
#include "fusion/core/placement.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/event_collector.h"
#include "tests/e2e/sim_rig.h"
#include "tests/e2e/sqlite_query.h"

namespace ambi::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using Events = EventCollector::Events;

constexpr int kRepsPerSide = 6;
constexpr double kLeftRomFactor = 0.85;  // the left side moves 15 % less
constexpr double kNominalRateHz = 100.0;
constexpr double kSetEndRestS = 4.0;
// Each rep pair's measured ROM percent difference against the simulated one, percentage points.
constexpr double kRomPdTolerancePp = 3.5;

// A set of kRepsPerSide is played in about 23 s (2 s still, 6 reps of 2.7 s, then the daemon
// needs kSetEndRestS without a rep to close the set); these bound the waits with margin.
constexpr milliseconds kStartTimeout{15000};
constexpr milliseconds kFewRepsTimeout{20000};
constexpr milliseconds kSetTimeout{32000};
constexpr milliseconds kStopTimeout{8000};
constexpr milliseconds kToolTimeout{30000};

// Bilateral curls played once (no loop): kRepsPerSide reps per side at a brisk tempo, the left
// side's ROM scaled by 'left_rom_factor'. The curl preset's noise, strap mounts and 3 % rep-to-
// rep jitter stay: the per-rep truth comes from the same plan (sim::PlanSession).
sim::SimAthlete ShortCurlSet(const std::string& name, double left_rom_factor) {
  std::optional<sim::SimAthlete> athlete = sim::AthleteFromPreset(name, "curl", /*loop=*/false);
  if (!athlete) throw std::logic_error("the ambi-sim preset 'curl' is gone");
  sim::SessionSpec& spec = athlete->session;
  spec.rest_before_s = 2.0;
  spec.rest_after_s = kSetEndRestS + 2.0;  // still samples while the daemon closes the set
  for (sim::SideSpec* side : {&spec.left, &spec.right}) {
    side->rep_count = kRepsPerSide;
    side->concentric_s = 0.8;
    side->eccentric_s = 1.1;
    side->pause_turnaround_s = 0.2;
    side->rest_between_s = 0.6;
  }
  spec.left.rom_deg *= left_rom_factor;
  return *athlete;
}

double PercentDifference(double left, double right) {
  return std::abs(left - right) / std::max(left, right) * 100.0;
}

double MeanRom(const sim::SideTruth& side) {
  double sum = 0.0;
  for (const fusion::Rep& rep : side.reps) sum += rep.rom_deg;
  return side.reps.empty() ? 0.0 : sum / static_cast<double>(side.reps.size());
}

const v1::MetricComparison* RomMetric(
    const google::protobuf::RepeatedPtrField<v1::MetricComparison>& metrics) {
  for (const v1::MetricComparison& metric : metrics) {
    if (metric.metric() == v1::METRIC_ROM) return &metric;
  }
  return nullptr;
}

std::chrono::system_clock::time_point After(milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

// The events of an ambi-replay run (JSON lines), parsed back into messages.
std::vector<v1::Event> ParseJsonLines(const std::string& text) {
  std::vector<v1::Event> events;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    v1::Event event;
    const auto status = google::protobuf::util::JsonStringToMessage(line, &event);
    if (!status.ok()) throw std::runtime_error("not an event: " + line);
    events.push_back(std::move(event));
  }
  return events;
}

int CountReps(const std::vector<v1::Event>& events, v1::Side side) {
  return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const v1::Event& e) {
    return e.has_rep() && e.rep().side() == side;
  }));
}

struct DaemonSettings {
  std::size_t subscriber_queue = 1024;
};

struct ConfiguredAthlete {
  sim::SimAthlete sim;
  std::vector<sim::SimDeviceInfo> devices;  // left, right
  const sim::SimDeviceInfo& device(fusion::Side side) const {
    return devices.at(devices[0].placement.side == side ? 0 : 1);
  }
};

class AmbidE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ambi-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
    socket_path_ = dir_ + "/run/ambid.sock";
    data_dir_ = dir_ + "/data";
    log_path_ = dir_ + "/ambid.log";
    sim_ = std::make_unique<SimRig>(dir_);
  }

  void TearDown() override {
    stub_.reset();
    channel_.reset();
    if (daemon_ && daemon_->running()) StopDaemon();
    daemon_.reset();
    sim_.reset();
    if (HasFailure()) {
      std::cerr << "---- ambid log (" << log_path_ << ") ----\n"
                << ReadFileOrEmpty(log_path_) << "---- end of ambid log ----\n";
    }
    // AMBI_E2E_KEEP=1 keeps the directory (config, log, store, captures) for a look.
    if (const char* keep = std::getenv("AMBI_E2E_KEEP"); keep != nullptr && *keep == '1') {
      std::cerr << "kept " << dir_ << "\n";
      return;
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  const ConfiguredAthlete& AddAthlete(const sim::SimAthlete& athlete) {
    athletes_.push_back({athlete, sim_->AddAthlete(athlete)});
    return athletes_.back();
  }

  std::string ConfigText(const DaemonSettings& settings) const {
    std::ostringstream toml;
    toml << "[daemon]\n"
         << "listen = [\"unix:" << socket_path_ << "\"]\n"
         << "data_dir = \"" << data_dir_ << "\"\n"
         << "catalog = \"" << AMBI_SOURCE_DIR << "/data/exercises.toml\"\n"
         << "subscriber_queue = " << settings.subscriber_queue << "\n"
         << "set_end_rest_s = " << kSetEndRestS << "\n";
    for (const ConfiguredAthlete& athlete : athletes_) {
      toml << "\n[[athletes]]\nname = \"" << athlete.sim.name << "\"\nexercise = \""
           << sim::CatalogNameOf(athlete.sim.session.exercise) << "\"\n";
      for (const sim::SimDeviceInfo& device : athlete.devices) {
        toml << "\n[[athletes.devices]]\nplacement = \"" << fusion::ToString(device.placement)
             << "\"\ntransport = \"serial\"\npath = \"" << device.link_path
             << "\"\nrate_hz = " << device.rate_hz << "\n";
      }
    }
    return toml.str();
  }

  // Writes the configuration, starts ambid on it and connects a client.
  void StartDaemon(const DaemonSettings& settings = {}) {
    const std::string config_path = dir_ + "/ambid.toml";
    std::ofstream(config_path) << ConfigText(settings);
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{AMBID_PATH, "--config", config_path}, log_path_);
    channel_ = grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials());
    const auto deadline = steady_clock::now() + kStartTimeout;
    while (!channel_->WaitForConnected(After(milliseconds(200)))) {
      ASSERT_TRUE(daemon_->running())
          << "ambid ended before serving: " << daemon_->exit_info()->Describe();
      ASSERT_LT(steady_clock::now(), deadline) << "ambid did not serve " << socket_path_;
    }
    stub_ = v1::Ambi::NewStub(channel_);
  }

  v1::ListDevicesResponse ListDevices() {
    grpc::ClientContext context;
    context.set_deadline(After(milliseconds(5000)));
    v1::ListDevicesResponse response;
    const grpc::Status status = stub_->ListDevices(&context, v1::ListDevicesRequest(), &response);
    EXPECT_TRUE(status.ok()) << "ListDevices: " << status.error_message();
    return response;
  }

  static const v1::DeviceInfo* FindDevice(const v1::ListDevicesResponse& devices,
                                          const std::string& athlete, v1::Side side) {
    for (const v1::DeviceInfo& device : devices.devices()) {
      if (device.athlete() == athlete && device.side() == side) return &device;
    }
    return nullptr;
  }

  // The simulated set starts once ambid has every device open: bytes nobody reads are lost.
  void WaitForDevicesConnected() {
    const auto deadline = steady_clock::now() + kStartTimeout;
    while (true) {
      const v1::ListDevicesResponse devices = ListDevices();
      const bool all = devices.devices_size() > 0 &&
                       std::all_of(devices.devices().begin(), devices.devices().end(),
                                   [](const v1::DeviceInfo& device) {
                                     return device.state() == v1::DeviceInfo::STATE_CONNECTED;
                                   });
      if (all) return;
      ASSERT_LT(steady_clock::now(), deadline)
          << "devices not connected: " << devices.ShortDebugString();
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  // Starts the daemon on the athletes added so far and waits until it has their devices open.
  void StartLiveDaemon(const DaemonSettings& settings = {}) {
    ASSERT_NO_FATAL_FAILURE(StartDaemon(settings));
    ASSERT_NO_FATAL_FAILURE(WaitForDevicesConnected());
  }

  v1::SessionInfo LiveSession(const std::string& athlete) {
    grpc::ClientContext context;
    context.set_deadline(After(milliseconds(5000)));
    v1::ListSessionsRequest request;
    request.set_athlete(athlete);
    v1::ListSessionsResponse response;
    const grpc::Status status = stub_->ListSessions(&context, request, &response);
    EXPECT_TRUE(status.ok()) << "ListSessions: " << status.error_message();
    if (response.sessions().empty()) return {};
    return response.sessions(0);
  }

  // SIGTERM: ambid must exit 0 within kStopTimeout, and under the sanitizers report nothing.
  void StopDaemon() {
    daemon_->Signal(SIGTERM);
    const std::optional<ExitInfo> exit = daemon_->WaitFor(kStopTimeout);
    ASSERT_TRUE(exit.has_value()) << "ambid did not exit within " << kStopTimeout.count()
                                  << " ms of SIGTERM";
    EXPECT_TRUE(exit->clean()) << "ambid after SIGTERM: " << exit->Describe();
    ExpectNoSanitizerReport();
  }

  void ExpectNoSanitizerReport() {
    const std::string log = ReadFileOrEmpty(log_path_);
    for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                               "runtime error:", "WARNING: ThreadSanitizer"}) {
      EXPECT_EQ(log.find(report), std::string::npos) << "sanitizer report in the ambid log";
    }
  }

  // ambi-replay on a capture, as the live daemon was configured; its events.
  std::vector<v1::Event> Replay(const std::string& capture_path) {
    const std::string out = dir_ + "/replay.jsonl";
    const std::string err = dir_ + "/replay.err";
    std::ostringstream set_rest;
    set_rest << kSetEndRestS;
    const std::optional<ExitInfo> exit = RunToCompletion(
        {AMBI_REPLAY_PATH, "--set-rest", set_rest.str(), capture_path}, out, err, kToolTimeout);
    EXPECT_TRUE(exit.has_value() && exit->clean())
        << "ambi-replay " << capture_path << ": "
        << (exit ? exit->Describe() : std::string("timed out")) << "\n"
        << ReadFileOrEmpty(err);
    return ParseJsonLines(ReadFileOrEmpty(out));
  }

  // Subscribes to everything, makes sure the subscription is in place (a round trip on the same
  // channel), then starts the simulated sets: events of the first rep are not missed.
  std::unique_ptr<EventCollector> SubscribeAndStartTheSets() {
    auto collector = std::make_unique<EventCollector>(*stub_, v1::SubscribeRequest());
    ListDevices();
    sim_->Start();
    return collector;
  }

  // Opens the daemon's store (after the daemon is gone: opening ends sessions left open) and
  // reads one session as GetSession returns it.
  void ReadStoredSession(const std::string& session_id, v1::GetSessionResponse* session) {
    std::string error;
    std::unique_ptr<store::SessionStore> store =
        store::SessionStore::Open({.path = store_path()}, nullptr, &error);
    ASSERT_NE(store, nullptr) << error;
    v1::GetSessionRequest request;
    request.set_session_id(session_id);
    ASSERT_TRUE(store->GetSession(request, session, &error)) << error;
  }

  std::string store_path() const { return data_dir_ + "/ambi.sqlite"; }

  std::string dir_;
  std::string socket_path_;
  std::string data_dir_;
  std::string log_path_;
  std::unique_ptr<SimRig> sim_;
  std::deque<ConfiguredAthlete> athletes_;  // deque: AddAthlete's references stay valid
  std::unique_ptr<ChildProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ambi::Stub> stub_;
};

Events OfAthlete(const Events& events, const std::string& athlete) {
  Events of_athlete;
  for (const ReceivedEvent& received : events) {
    if (received.live.event().athlete() == athlete) of_athlete.push_back(received);
  }
  return of_athlete;
}

auto PairsAtLeast(int n) {
  return [n](const Events& events) { return CountPairs(events) >= n; };
}

bool HasSetSummary(const Events& events) { return FindSetSummary(events) != nullptr; }

// Two athletes at once: alice with the left side 15 % short, bob symmetric.
TEST_F(AmbidE2eTest, LiveSetsReportTheSimulatedAsymmetry) {
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  sim::SimAthlete symmetric = ShortCurlSet("bob", 1.0);
  symmetric.session.seed = 7;  // his own noise and jitter
  AddAthlete(symmetric);
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();

  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(6), kFewRepsTimeout));
  // Mid-set every sensor streams at its nominal rate, without corrupt frames.
  const v1::ListDevicesResponse devices = ListDevices();
  ASSERT_EQ(devices.devices_size(), 4) << devices.ShortDebugString();
  for (const v1::DeviceInfo& device : devices.devices()) {
    EXPECT_EQ(device.state(), v1::DeviceInfo::STATE_CONNECTED) << device.name();
    EXPECT_EQ(device.transport(), "serial") << device.name();
    EXPECT_DOUBLE_EQ(device.nominal_rate_hz(), kNominalRateHz) << device.name();
    EXPECT_GT(device.measured_rate_hz(), 0.8 * kNominalRateHz) << device.name();
    EXPECT_LT(device.measured_rate_hz(), 1.2 * kNominalRateHz) << device.name();
    EXPECT_GT(device.samples(), 0) << device.name();
    EXPECT_EQ(device.checksum_errors(), 0) << device.name();
  }

  auto both_summaries = [](const Events& events) {
    return FindSetSummary(OfAthlete(events, "alice")) != nullptr &&
           FindSetSummary(OfAthlete(events, "bob")) != nullptr;
  };
  ASSERT_TRUE(collector->WaitUntil(both_summaries, kSetTimeout))
      << "no set summary for both; pairs so far " << CountPairs(collector->events());

  for (const ConfiguredAthlete& athlete : athletes_) {
    SCOPED_TRACE(athlete.sim.name);
    const sim::GroundTruth truth = sim::PlanSession(athlete.sim.session).truth;
    const bool symmetric_athlete =
        athlete.sim.session.left.rom_deg == athlete.sim.session.right.rom_deg;
    const Events events = OfAthlete(collector->events(), athlete.sim.name);
    EXPECT_EQ(CountReps(events, v1::SIDE_LEFT), kRepsPerSide);
    EXPECT_EQ(CountReps(events, v1::SIDE_RIGHT), kRepsPerSide);
    EXPECT_EQ(CountPairs(events), kRepsPerSide);

    for (const ReceivedEvent& received : events) {
      const v1::Event& event = received.live.event();
      if (!event.has_rep_pair()) continue;
      const v1::RepPair& pair = event.rep_pair();
      const auto index = static_cast<std::size_t>(pair.pair_index()) - 1;
      ASSERT_LT(index, truth.left.reps.size());
      const double simulated_pd =
          PercentDifference(truth.left.reps[index].rom_deg, truth.right.reps[index].rom_deg);
      const v1::MetricComparison* rom = RomMetric(pair.metrics());
      ASSERT_NE(rom, nullptr) << pair.ShortDebugString();
      EXPECT_NEAR(rom->percent_difference(), simulated_pd, kRomPdTolerancePp)
          << "pair " << pair.pair_index() << ": " << rom->ShortDebugString();
      if (!symmetric_athlete) {
        EXPECT_EQ(rom->weaker_side(), v1::SIDE_LEFT) << "pair " << pair.pair_index();
      }
    }

    const v1::SetSummary& summary = *FindSetSummary(events);
    EXPECT_EQ(summary.exercise(), "biceps_curl");
    EXPECT_EQ(summary.left().rep_count(), static_cast<unsigned>(kRepsPerSide));
    EXPECT_EQ(summary.right().rep_count(), static_cast<unsigned>(kRepsPerSide));
    const v1::MetricComparison* rom = RomMetric(summary.metrics());
    ASSERT_NE(rom, nullptr);
    EXPECT_NEAR(
        rom->percent_difference(),
        PercentDifference(athlete.sim.session.left.rom_deg, athlete.sim.session.right.rom_deg),
        kRomPdTolerancePp)
        << "the set's ROM difference against the commanded one";
    EXPECT_NEAR(rom->percent_difference(),
                PercentDifference(MeanRom(truth.left), MeanRom(truth.right)), kRomPdTolerancePp)
        << rom->ShortDebugString();
    if (!symmetric_athlete) {
      EXPECT_EQ(summary.weaker_side(), v1::SIDE_LEFT) << summary.ShortDebugString();
    }
  }

  const v1::ListDevicesResponse after_set = ListDevices();
  for (const v1::DeviceInfo& device : after_set.devices()) {
    EXPECT_EQ(device.checksum_errors(), 0) << device.name();
    EXPECT_EQ(device.reconnects(), 0u) << device.name();
  }
}

TEST_F(AmbidE2eTest, UnpluggedSensorIsReportedAndNoRepIsInvented) {
  const ConfiguredAthlete& alice = AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  const std::string left_link = alice.device(fusion::Side::kLeft).link_path;
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();

  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(2), kFewRepsTimeout));
  sim_->Unplug(left_link);
  std::this_thread::sleep_for(milliseconds(1500));
  sim_->Replug(left_link);
  ASSERT_TRUE(collector->WaitUntil(HasSetSummary, kSetTimeout))
      << "no set summary; pairs so far " << CountPairs(collector->events());
  const Events events = collector->events();

  // The left sensor's status: LOST, then BACK (or a GAP once samples resume).
  std::vector<v1::SensorStatus::Kind> left_statuses;
  for (const ReceivedEvent& received : events) {
    const v1::Event& event = received.live.event();
    if (event.has_sensor_status()) {
      // The right sensor may report a short gap that was bridged: on a loaded test machine the
      // simulator's writes or ambid's reads can stall for tens of milliseconds, which the clock
      // may take for a few lost samples. It must never be lost, back, or lose a rep.
      const v1::SensorStatus& status = event.sensor_status();
      const bool bridged_gap = status.kind() == v1::SensorStatus::KIND_GAP && status.bridged();
      if (!bridged_gap) {
        EXPECT_EQ(status.side(), v1::SIDE_LEFT)
            << "only the left sensor was unplugged: " << event.ShortDebugString();
      }
      if (event.sensor_status().side() == v1::SIDE_LEFT) {
        left_statuses.push_back(event.sensor_status().kind());
      }
    }
  }
  const auto lost =
      std::find(left_statuses.begin(), left_statuses.end(), v1::SensorStatus::KIND_LOST);
  ASSERT_NE(lost, left_statuses.end()) << "no LOST status for the left sensor";
  EXPECT_TRUE(std::any_of(lost, left_statuses.end(), [](v1::SensorStatus::Kind kind) {
    return kind == v1::SensorStatus::KIND_BACK || kind == v1::SensorStatus::KIND_GAP;
  })) << "no BACK or GAP after LOST for the left sensor";

  const v1::ListDevicesResponse devices = ListDevices();
  const v1::DeviceInfo* left = FindDevice(devices, "alice", v1::SIDE_LEFT);
  const v1::DeviceInfo* right = FindDevice(devices, "alice", v1::SIDE_RIGHT);
  ASSERT_NE(left, nullptr) << devices.ShortDebugString();
  ASSERT_NE(right, nullptr) << devices.ShortDebugString();
  EXPECT_GE(left->reconnects(), 1u) << left->ShortDebugString();
  EXPECT_EQ(left->state(), v1::DeviceInfo::STATE_CONNECTED) << left->ShortDebugString();
  EXPECT_EQ(right->reconnects(), 0u) << right->ShortDebugString();

  std::cout << "unplugged left sensor: " << CountReps(events, v1::SIDE_LEFT) << " of "
            << kRepsPerSide << " reps, statuses";
  for (const v1::SensorStatus::Kind kind : left_statuses) {
    std::cout << " " << v1::SensorStatus::Kind_Name(kind);
  }
  std::cout << "\n";
  // Reps lost with the cable are lost; none is made up, and the other side is untouched.
  EXPECT_LE(CountReps(events, v1::SIDE_LEFT), kRepsPerSide);
  EXPECT_GE(CountReps(events, v1::SIDE_LEFT), 1);
  EXPECT_EQ(CountReps(events, v1::SIDE_RIGHT), kRepsPerSide);
  const v1::SetSummary& summary = *FindSetSummary(events);
  EXPECT_EQ(summary.right().rep_count(), static_cast<unsigned>(kRepsPerSide));
  EXPECT_LE(summary.left().rep_count(), static_cast<unsigned>(kRepsPerSide));
}

// The left sensor's delivery stalls twice mid-set (0.6 s and 0.9 s: a USB hub or BLE link
// holding data back, a starved host) and then delivers everything at once. Nothing was lost: no
// gap is reported, no rep is dropped, and the daemon says how many samples it timed back.
TEST_F(AmbidE2eTest, ADeliveryStallThatCatchesUpLosesNoRep) {
  const ConfiguredAthlete& alice = AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  const std::string left_link = alice.device(fusion::Side::kLeft).link_path;
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();

  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(1), kFewRepsTimeout));
  sim_->Stall(left_link, 0.6);
  std::this_thread::sleep_for(milliseconds(3000));
  sim_->Stall(left_link, 0.9);
  ASSERT_TRUE(collector->WaitUntil(HasSetSummary, kSetTimeout))
      << "no set summary; pairs so far " << CountPairs(collector->events());
  const Events events = collector->events();

  for (const ReceivedEvent& received : events) {
    const v1::Event& event = received.live.event();
    if (!event.has_sensor_status()) continue;
    const v1::SensorStatus& status = event.sensor_status();
    // A bridged gap of a few samples is allowed, as elsewhere: a loaded test machine stalls
    // the simulator's writes or ambid's reads for tens of milliseconds.
    EXPECT_FALSE(status.kind() == v1::SensorStatus::KIND_GAP && !status.bridged())
        << event.ShortDebugString();
    EXPECT_FALSE(status.rep_dropped()) << event.ShortDebugString();
    EXPECT_NE(status.kind(), v1::SensorStatus::KIND_LOST) << event.ShortDebugString();
  }
  EXPECT_EQ(CountReps(events, v1::SIDE_LEFT), kRepsPerSide);
  EXPECT_EQ(CountReps(events, v1::SIDE_RIGHT), kRepsPerSide);
  EXPECT_EQ(CountPairs(events), kRepsPerSide);

  const sim::SimDeviceStats stalled = sim_->stats(left_link);
  const v1::ListDevicesResponse devices = ListDevices();
  const v1::DeviceInfo* left = FindDevice(devices, "alice", v1::SIDE_LEFT);
  ASSERT_NE(left, nullptr) << devices.ShortDebugString();
  std::cout << "stalled left sensor: " << stalled.cycles_stalled << " cycles held back, "
            << left->caught_up_samples() << " samples timed back, " << left->gaps() << " gaps\n";
  EXPECT_GE(stalled.cycles_stalled, 120u);  // 1.5 s at 100 Hz, less what was on its way
  EXPECT_GE(left->caught_up_samples(), 100);
}

TEST_F(AmbidE2eTest, SubscriberThatDoesNotReadIsEndedWhileAnotherGetsEverything) {
  constexpr std::size_t kQueue = 16;
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  DaemonSettings settings;
  settings.subscriber_queue = kQueue;
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon(settings));

  // The slow subscriber has its own connection whose stream window holds less than one event
  // and never grows (no BDP probing): the daemon's writes to it stall at once.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  arguments.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64);
  auto slow_channel = grpc::CreateCustomChannel("unix:" + socket_path_,
                                                grpc::InsecureChannelCredentials(), arguments);
  auto slow_stub = v1::Ambi::NewStub(slow_channel);
  grpc::ClientContext slow_context;
  slow_context.set_deadline(After(kSetTimeout + seconds(10)));  // bounds the test if not ended
  std::unique_ptr<grpc::ClientReader<v1::LiveEvent>> slow =
      slow_stub->Subscribe(&slow_context, v1::SubscribeRequest());
  EventCollector fast(*stub_, v1::SubscribeRequest());
  ASSERT_TRUE(slow_channel->WaitForConnected(After(milliseconds(5000))));
  ListDevices();
  sim_->Start();

  ASSERT_TRUE(fast.WaitUntil(HasSetSummary, kSetTimeout))
      << "no set summary; pairs so far " << CountPairs(fast.events());
  const Events events = fast.events();
  ASSERT_GT(events.size(), kQueue + 1) << "the set must publish more than the queue holds";
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].live.sequence(), events[i - 1].live.sequence() + 1)
        << "the fast subscriber (no filter) missed events after #" << i - 1;
  }
  EXPECT_EQ(CountReps(events, v1::SIDE_LEFT), kRepsPerSide);
  EXPECT_EQ(CountReps(events, v1::SIDE_RIGHT), kRepsPerSide);

  // Now the slow one reads: what was queued before it was dropped, then RESOURCE_EXHAUSTED.
  v1::LiveEvent event;
  std::size_t slow_received = 0;
  std::uint64_t last_sequence = 0;
  while (slow->Read(&event)) {
    if (slow_received > 0) {
      EXPECT_EQ(event.sequence(), last_sequence + 1);
    }
    last_sequence = event.sequence();
    ++slow_received;
  }
  const grpc::Status status = slow->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find(std::to_string(kQueue)), std::string::npos)
      << status.error_message();
  EXPECT_LT(slow_received, events.size());
  std::cout << "slow subscriber: " << slow_received << " of " << events.size() << " events, then "
            << status.error_message() << "\n";

  // The daemon goes on serving, and the fast stream is still open.
  EXPECT_TRUE(daemon_->running());
  const v1::ListDevicesResponse devices = ListDevices();
  EXPECT_EQ(devices.devices_size(), 2);
  EXPECT_FALSE(fast.WaitForEnd(milliseconds(0)).has_value()) << "the fast stream was ended";
}

TEST_F(AmbidE2eTest, SigtermMidSetEndsTheSessionAndLeavesAReplayableRecording) {
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();
  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(3), kFewRepsTimeout));
  const v1::SessionInfo live = LiveSession("alice");
  ASSERT_FALSE(live.session_id().empty());
  ASSERT_FALSE(live.capture_path().empty());
  EXPECT_EQ(live.end_unix_ns(), 0);

  ASSERT_NO_FATAL_FAILURE(StopDaemon());
  const std::optional<grpc::Status> end = collector->WaitForEnd(milliseconds(5000));
  ASSERT_TRUE(end.has_value()) << "the subscriber's stream did not end with the daemon";
  EXPECT_TRUE(end->ok()) << end->error_code() << " " << end->error_message();
  const Events events = collector->events();
  const int live_left = CountReps(events, v1::SIDE_LEFT);
  const int live_right = CountReps(events, v1::SIDE_RIGHT);
  EXPECT_GE(live_left, 3);
  EXPECT_GE(live_right, 3);
  ASSERT_NE(FindSetSummary(events), nullptr) << "the set in progress is summarised at shutdown";

  // The store, looked at read-only first (reopening it would end a session left open).
  const std::vector<SqlRow> ended = QueryRows(
      store_path(), "SELECT end_unix_ns FROM sessions WHERE id = '" + live.session_id() + "'");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_NE(ended[0][0], "0") << "the session is ended in the store";

  v1::GetSessionResponse session;
  ASSERT_NO_FATAL_FAILURE(ReadStoredSession(live.session_id(), &session));
  ASSERT_EQ(session.sets_size(), 1) << session.ShortDebugString();
  const v1::SetSummary& stored = session.sets(0);
  EXPECT_EQ(stored.left().rep_count(), static_cast<unsigned>(live_left));
  EXPECT_EQ(stored.right().rep_count(), static_cast<unsigned>(live_right));
  EXPECT_EQ(stored.weaker_side(), v1::SIDE_LEFT) << stored.ShortDebugString();
  EXPECT_EQ(session.rep_pairs_size(), CountPairs(events));

  // The capture ends after a whole record and replays to what the subscriber saw.
  capture::CaptureReader reader;
  v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(live.capture_path(), &header).ok());
  v1::CaptureRecord record;
  while (reader.Next(&record)) {
  }
  EXPECT_EQ(reader.end(), capture::CaptureEnd::kClean) << reader.end_detail();
  EXPECT_EQ(header.athlete(), "alice");
  const std::vector<v1::Event> replayed = Replay(live.capture_path());
  EXPECT_EQ(CountReps(replayed, v1::SIDE_LEFT), live_left);
  EXPECT_EQ(CountReps(replayed, v1::SIDE_RIGHT), live_right);
}

// SIGHUP: each capture continues in a new file (so an operator can move the old one away);
// both parts read cleanly and the live stream goes on undisturbed.
TEST_F(AmbidE2eTest, SighupContinuesTheCaptureInANewFile) {
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();
  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(2), kFewRepsTimeout));
  const std::string first_part = LiveSession("alice").capture_path();
  ASSERT_FALSE(first_part.empty());
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(4), kFewRepsTimeout))
      << "the live stream goes on after SIGHUP";
  ASSERT_NO_FATAL_FAILURE(StopDaemon());

  const std::string second_part =
      first_part.substr(0, first_part.size() - std::string(".capture").size()) + ".2.capture";
  for (const std::string& part : {first_part, second_part}) {
    capture::CaptureReader reader;
    v1::CaptureHeader header;
    ASSERT_TRUE(reader.Open(part, &header).ok()) << part;
    EXPECT_EQ(header.athlete(), "alice");
    v1::CaptureRecord record;
    std::int64_t data_records = 0;
    while (reader.Next(&record)) data_records += record.has_data() ? 1 : 0;
    EXPECT_EQ(reader.end(), capture::CaptureEnd::kClean) << part << ": " << reader.end_detail();
    EXPECT_GT(data_records, 100) << part;
  }
}

TEST_F(AmbidE2eTest, SigkillMidSetLosesNothingCommittedAndTheCaptureStaysReadable) {
  // The store's writer commits at least every 50 ms; anything published this long before the
  // kill must be in it.
  constexpr milliseconds kCommitted{500};
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();
  ASSERT_TRUE(collector->WaitUntil(PairsAtLeast(3), kFewRepsTimeout));
  const v1::SessionInfo live = LiveSession("alice");
  ASSERT_FALSE(live.session_id().empty());
  std::this_thread::sleep_for(kCommitted + milliseconds(200));

  const auto kill_time = steady_clock::now();
  daemon_->Signal(SIGKILL);
  const std::optional<ExitInfo> exit = daemon_->WaitFor(kStopTimeout);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL) << exit->Describe();

  // What the subscriber held well before the kill.
  std::set<std::tuple<unsigned, unsigned, int>> reps;  // set, index, side
  std::set<std::pair<unsigned, unsigned>> pairs;       // set, pair
  std::set<unsigned> sets;
  int left_reps = 0;
  int right_reps = 0;
  for (const ReceivedEvent& received : collector->events()) {
    if (received.received > kill_time - kCommitted) continue;
    const v1::Event& event = received.live.event();
    if (event.has_rep()) {
      reps.insert({event.rep().set_index(), event.rep().index(), event.rep().side()});
      (event.rep().side() == v1::SIDE_LEFT ? left_reps : right_reps) += 1;
    }
    if (event.has_rep_pair()) {
      pairs.insert({event.rep_pair().set_index(), event.rep_pair().pair_index()});
    }
    if (event.has_set_started()) sets.insert(event.set_started().set_index());
  }
  ASSERT_GE(pairs.size(), 2u);

  for (const SqlRow& row : QueryRows(store_path(),
                                     "SELECT set_index, rep_index, side FROM reps WHERE "
                                     "session_id = '" +
                                         live.session_id() + "'")) {
    reps.erase({std::stoul(row[0]), std::stoul(row[1]), std::stoi(row[2])});
  }
  EXPECT_TRUE(reps.empty()) << reps.size() << " reps received before the kill are not stored";

  // Reopening ends the session the dead daemon left open; the pairs and the set are there.
  v1::GetSessionResponse session;
  ASSERT_NO_FATAL_FAILURE(ReadStoredSession(live.session_id(), &session));
  EXPECT_NE(session.session().end_unix_ns(), 0);
  for (const v1::RepPair& pair : session.rep_pairs()) {
    pairs.erase({pair.set_index(), pair.pair_index()});
  }
  EXPECT_TRUE(pairs.empty()) << pairs.size() << " rep pairs received before the kill are lost";
  for (const v1::SetSummary& set : session.sets()) sets.erase(set.set_index());
  EXPECT_TRUE(sets.empty()) << "a set started before the kill is not stored";

  // The capture reads up to its last whole record and replays.
  capture::CaptureReader reader;
  v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(live.capture_path(), &header).ok());
  v1::CaptureRecord record;
  while (reader.Next(&record)) {
  }
  EXPECT_TRUE(reader.end() == capture::CaptureEnd::kClean ||
              reader.end() == capture::CaptureEnd::kTruncated)
      << capture::ToString(reader.end()) << ": " << reader.end_detail();
  EXPECT_GT(reader.records_read(), 0u);
  const std::vector<v1::Event> replayed = Replay(live.capture_path());
  EXPECT_GE(CountReps(replayed, v1::SIDE_LEFT), left_reps);
  EXPECT_GE(CountReps(replayed, v1::SIDE_RIGHT), right_reps);
}

TEST_F(AmbidE2eTest, ReplayOfAGoldenCaptureStoresItsRepsAndPairs) {
  const std::string golden = std::string(AMBI_SOURCE_DIR) + "/tests/golden/curl_asym10";
  const std::optional<ExitInfo> exit = RunToCompletion(
      {AMBID_PATH, "--replay", golden + ".capture", "--pace", "0", "--exit-after-replay",
       "--data-dir", data_dir_, "--listen", "unix:" + socket_path_},
      log_path_, log_path_, kToolTimeout);
  ASSERT_TRUE(exit.has_value()) << "ambid --replay did not exit";
  EXPECT_TRUE(exit->clean()) << exit->Describe();
  ExpectNoSanitizerReport();

  const std::vector<v1::Event> expected = ParseJsonLines(ReadFileOrEmpty(golden + ".events.jsonl"));
  const int expected_pairs = static_cast<int>(std::count_if(
      expected.begin(), expected.end(), [](const v1::Event& e) { return e.has_rep_pair(); }));
  ASSERT_GT(expected_pairs, 0);

  const std::vector<SqlRow> sessions =
      QueryRows(store_path(), "SELECT id, end_unix_ns FROM sessions");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_NE(sessions[0][1], "0");
  const std::string where = " WHERE session_id = '" + sessions[0][0] + "'";
  for (const v1::Side side : {v1::SIDE_LEFT, v1::SIDE_RIGHT}) {
    const std::vector<SqlRow> count = QueryRows(
        store_path(), "SELECT COUNT(*) FROM reps" + where + " AND side = " + std::to_string(side));
    EXPECT_EQ(count.at(0).at(0), std::to_string(CountReps(expected, side))) << v1::Side_Name(side);
  }
  const std::vector<SqlRow> stored_pairs =
      QueryRows(store_path(), "SELECT COUNT(*) FROM rep_pairs" + where);
  EXPECT_EQ(stored_pairs.at(0).at(0), std::to_string(expected_pairs));

  // Rep by rep, the live path measured what the golden says (rounded there to 0.1 deg, 1 ms).
  std::map<std::tuple<unsigned, unsigned, int>, v1::Rep> golden_reps;
  for (const v1::Event& event : expected) {
    if (event.has_rep()) {
      golden_reps[{event.rep().set_index(), event.rep().index(), event.rep().side()}] = event.rep();
    }
  }
  for (const SqlRow& row : QueryRows(store_path(),
                                     "SELECT set_index, rep_index, side, rom_deg, start_s FROM "
                                     "reps" +
                                         where)) {
    const auto key = std::make_tuple(static_cast<unsigned>(std::stoul(row[0])),
                                     static_cast<unsigned>(std::stoul(row[1])), std::stoi(row[2]));
    const auto golden_rep = golden_reps.find(key);
    ASSERT_NE(golden_rep, golden_reps.end()) << "stored rep set " << row[0] << " index " << row[1]
                                             << " side " << row[2] << " is not in the golden";
    EXPECT_NEAR(std::stod(row[3]), golden_rep->second.rom_deg(), 0.051) << row[1];
    EXPECT_NEAR(std::stod(row[4]), golden_rep->second.start_s(), 0.00051) << row[1];
  }
  const auto golden_summary = std::find_if(expected.begin(), expected.end(),
                                           [](const v1::Event& e) { return e.has_set_summary(); });
  ASSERT_NE(golden_summary, expected.end());
  const std::vector<SqlRow> stored_sets =
      QueryRows(store_path(), "SELECT weaker_side, left_reps, right_reps FROM sets" + where);
  ASSERT_EQ(stored_sets.size(), 1u);
  const v1::SetSummary& summary = golden_summary->set_summary();
  EXPECT_EQ(stored_sets[0][0], std::to_string(summary.weaker_side()));
  EXPECT_EQ(stored_sets[0][1], std::to_string(summary.left().rep_count()));
  EXPECT_EQ(stored_sets[0][2], std::to_string(summary.right().rep_count()));
}

TEST_F(AmbidE2eTest, BadRequestsAreRefusedAndTheDaemonGoesOn) {
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());

  {
    grpc::ClientContext context;
    v1::StartSetRequest request;
    request.set_athlete("nobody");
    v1::StartSetResponse response;
    const grpc::Status status = stub_->StartSet(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    EXPECT_NE(status.error_message().find("nobody"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    v1::StartSetRequest request;
    request.set_athlete("alice");
    request.set_exercise("juggling");
    v1::StartSetResponse response;
    const grpc::Status status = stub_->StartSet(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("juggling"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(After(milliseconds(5000)));
    v1::SubscribeRequest request;
    request.add_kinds(static_cast<v1::EventKind>(99));
    auto reader = stub_->Subscribe(&context, request);
    v1::LiveEvent event;
    EXPECT_FALSE(reader->Read(&event));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("99"), std::string::npos);
  }
  // Still serving.
  EXPECT_TRUE(daemon_->running());
  const v1::ListDevicesResponse devices = ListDevices();
  EXPECT_EQ(devices.devices_size(), 2);
  {
    grpc::ClientContext context;
    v1::StartSetRequest request;
    request.set_athlete("alice");
    v1::StartSetResponse response;
    const grpc::Status status = stub_->StartSet(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.set_index(), 1u);
  }

  // A broken configuration is refused naming the file and the line.
  const std::string broken = dir_ + "/broken.toml";
  std::ofstream(broken) << "[daemon]\n"
                           "data_dir = \"/tmp\"\n"
                           "subscriber_queue = \"lots\"\n";
  const std::string out = dir_ + "/check.out";
  const std::string err = dir_ + "/check.err";
  const std::optional<ExitInfo> check =
      RunToCompletion({AMBID_PATH, "--check-config", "--config", broken}, out, err, kToolTimeout);
  ASSERT_TRUE(check.has_value());
  EXPECT_TRUE(check->exited && check->code != 0) << check->Describe();
  const std::string message = ReadFileOrEmpty(err);
  EXPECT_NE(message.find(broken + ":3"), std::string::npos) << message;
  EXPECT_NE(message.find("subscriber_queue"), std::string::npos) << message;
}

// The set-control sequence of docs/daemon.md on the real daemon: a manual unilateral set that
// ends without a rep, a second EndSet refused, then the athlete curls with both arms: one
// detected biceps-curl set, and the weekly balance counts that one real set only.
TEST_F(AmbidE2eTest, SetControlCannotCorruptTheHistory) {
  AddAthlete(ShortCurlSet("alice", kLeftRomFactor));
  ASSERT_NO_FATAL_FAILURE(StartLiveDaemon());
  const auto end_set = [&]() {
    grpc::ClientContext context;
    context.set_deadline(After(milliseconds(5000)));
    v1::EndSetRequest request;
    request.set_athlete("alice");
    v1::EndSetResponse response;
    return stub_->EndSet(&context, request, &response);
  };
  {
    grpc::ClientContext context;
    context.set_deadline(After(milliseconds(5000)));
    v1::StartSetRequest request;
    request.set_athlete("alice");
    request.set_exercise("concentration_curl");
    request.set_mode(v1::SET_MODE_UNILATERAL);
    request.set_side(v1::SIDE_LEFT);
    v1::StartSetResponse response;
    ASSERT_TRUE(stub_->StartSet(&context, request, &response).ok());
  }
  EXPECT_TRUE(end_set().ok());
  const grpc::Status again = end_set();
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << again.error_message();
  EXPECT_NE(again.error_message().find("no set running"), std::string::npos);

  const std::unique_ptr<EventCollector> collector = SubscribeAndStartTheSets();
  ASSERT_TRUE(collector->WaitUntil(HasSetSummary, kSetTimeout));
  std::vector<v1::SetStarted> started;
  for (const ReceivedEvent& received : collector->events()) {
    if (received.live.event().has_set_started()) {
      started.push_back(received.live.event().set_started());
    }
  }
  ASSERT_EQ(started.size(), 1u) << "one detected set for the whole bilateral movement";
  EXPECT_EQ(started[0].exercise(), "biceps_curl");
  EXPECT_EQ(started[0].mode(), v1::SET_MODE_BILATERAL);
  EXPECT_TRUE(started[0].automatic());

  grpc::ClientContext context;
  context.set_deadline(After(milliseconds(5000)));
  v1::WeeklyBalanceRequest request;
  request.set_athlete("alice");
  request.set_weeks(1);
  v1::WeeklyBalanceResponse balance;
  ASSERT_TRUE(stub_->GetWeeklyBalance(&context, request, &balance).ok());
  ASSERT_EQ(balance.weeks_size(), 1);
  const v1::WeekBalance& week = balance.weeks(0);
  ASSERT_EQ(week.exercises_size(), 1) << week.ShortDebugString();
  EXPECT_EQ(week.exercises(0).exercise(), "biceps_curl");
  EXPECT_EQ(week.exercises(0).sets(), 1u);
  EXPECT_EQ(week.pull_sets(), 1u);
}

// The demo as a new user starts it (ambid --simulate): alice (left side 12 % short) is told to
// work unilaterally starting with her left side within two sets; bob (symmetric) is never told
// to stop a set. Real time: about a minute.
TEST_F(AmbidE2eTest, DemoAsymmetricAthleteGetsTheWeakerSideFirstAndTheSymmetricOneNoStop) {
  // The demo's own settings (set_end_rest_s at its default: the demo rests 25 s between sets).
  // The simulator's pseudo-terminal links go to this test's directory.
  ASSERT_EQ(::setenv("XDG_RUNTIME_DIR", dir_.c_str(), 1), 0);
  const std::string config_path = dir_ + "/ambid.toml";
  std::ofstream(config_path) << "[daemon]\n"
                             << "listen = [\"unix:" << socket_path_ << "\"]\n"
                             << "data_dir = \"" << data_dir_ << "\"\n"
                             << "catalog = \"" << AMBI_SOURCE_DIR << "/data/exercises.toml\"\n";
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{AMBID_PATH, "--config", config_path, "--simulate"}, log_path_);
  channel_ = grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials());
  const auto deadline = steady_clock::now() + kStartTimeout;
  while (!channel_->WaitForConnected(After(milliseconds(200)))) {
    ASSERT_TRUE(daemon_->running()) << "ambid ended before serving";
    ASSERT_LT(steady_clock::now(), deadline) << "ambid did not serve " << socket_path_;
  }
  stub_ = v1::Ambi::NewStub(channel_);
  EventCollector collector(*stub_, v1::SubscribeRequest());

  const auto recommended = [](const Events& events) {
    for (const ReceivedEvent& received : events) {
      const v1::Event& event = received.live.event();
      if (event.athlete() == "alice" && event.has_cue() &&
          event.cue().kind() == v1::Cue::KIND_START_WITH_WEAKER_SIDE) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(collector.WaitUntil(recommended, milliseconds(130000)))
      << "no recommendation for alice";
  const Events events = collector.events();
  int alice_sets = 0;
  for (const ReceivedEvent& received : events) {
    const v1::Event& event = received.live.event();
    if (event.athlete() == "alice" && event.has_set_summary()) ++alice_sets;
    if (event.has_cue()) {
      const v1::Cue& cue = event.cue();
      std::cerr << event.athlete() << " set " << cue.set_index() << ": " << cue.message() << "\n";
      if (event.athlete() == "bob") {
        EXPECT_NE(cue.kind(), v1::Cue::KIND_STOP_SET);
      }
      if (event.athlete() == "alice" && cue.kind() == v1::Cue::KIND_START_WITH_WEAKER_SIDE) {
        EXPECT_EQ(cue.side(), v1::SIDE_LEFT);
        EXPECT_LE(cue.set_index(), 2u);
        EXPECT_GT(cue.target_reps(), 0u);
      }
      if (event.athlete() == "alice") {
        EXPECT_NE(cue.kind(), v1::Cue::KIND_ASYMMETRY_NORMAL) << cue.message();
      }
    }
  }
  EXPECT_LE(alice_sets, 2);
}

}  // namespace
}  // namespace ambi::e2e
