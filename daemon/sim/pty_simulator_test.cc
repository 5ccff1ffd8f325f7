#include "daemon/sim/pty_simulator.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "daemon/testing/temp_dir.h"
#include "daemon/transport/asio.h"
#include "daemon/transport/serial_source.h"
#include "fusion/decode/decoder.h"

namespace ambi::sim {
namespace {

namespace fs = std::filesystem;

using ::ambi::testing::TempDir;

// Runs 'io' until 'done' holds; the limit only keeps a broken build from hanging.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return done();
}

// A short set: one curl without noise, 0.3 s of rest on each side (about 3.4 s of true time).
SimAthlete ShortCurl(std::string name, bool loop) {
  SimAthlete athlete;
  athlete.name = std::move(name);
  athlete.session = sim::MakePreset("curl-clean").value();
  athlete.session.left.rep_count = 1;
  athlete.session.right.rep_count = 1;
  athlete.session.rest_before_s = 0.3;
  athlete.session.rest_after_s = 0.3;
  athlete.rest_between_sets_s = 0.6;
  athlete.loop = loop;
  return athlete;
}

// The daemon's side of one device: a SerialSource on the symlink feeding the real decoder.
struct Reader {
  Reader(asio::io_context& io, const std::string& path)
      : decoder(fusion::DecoderParams{fusion::Protocol::kWitMotionSerial}) {
    transport::SerialSourceOptions options;
    options.path = path;
    options.backoff.initial_delay = std::chrono::milliseconds(5);
    options.backoff.max_delay = std::chrono::milliseconds(20);
    transport::ByteSourceCallbacks callbacks;
    callbacks.on_bytes = [this](transport::SteadyTime arrival,
                                std::span<const std::uint8_t> bytes) {
      last_arrival = arrival;
      decoder.Feed(bytes, fusion::TimeFromNanoseconds(arrival.time_since_epoch().count()),
                   [this](const fusion::ImuSample& sample) { samples.push_back(sample); });
    };
    callbacks.on_connected = [this](transport::SteadyTime, const std::string&) { ++connected; };
    callbacks.on_lost = [this](transport::SteadyTime, const std::string&) {
      ++lost;
      decoder.Reset();
    };
    source = std::make_unique<transport::SerialSource>(io, options, callbacks);
    source->Start();
  }

  fusion::Decoder decoder;
  std::vector<fusion::ImuSample> samples;
  transport::SteadyTime last_arrival{};
  int connected = 0;
  int lost = 0;
  std::unique_ptr<transport::SerialSource> source;
};

TEST(PtySimulatorTest, BothSidesDecodeAtTheConfiguredRatePacedByTrueTime) {
  asio::io_context io;
  TempDir dir;
  constexpr double kTimeScale = 8.0;
  PtySimulator simulator(io, {dir.str(), kTimeScale});
  const SimAthlete athlete = ShortCurl("dana", /*loop=*/false);
  const std::vector<std::size_t> ids = simulator.AddAthlete(athlete);
  ASSERT_EQ(ids.size(), 2u);
  const SimDeviceInfo left_info = simulator.device(ids[0]);
  EXPECT_EQ(left_info.placement, (fusion::Placement{fusion::Side::kLeft, fusion::Limb::kWrist}));
  EXPECT_EQ(left_info.link_path, dir.str() + "/ambi-sim-dana-left_wrist");
  EXPECT_EQ(fs::read_symlink(left_info.link_path).string(), left_info.slave_path);
  EXPECT_EQ(simulator.FindDevice("dana", {fusion::Side::kRight, fusion::Limb::kWrist}), ids[1]);

  Reader left(io, left_info.link_path);
  Reader right(io, simulator.device(ids[1]).link_path);
  ASSERT_TRUE(RunUntil(io, [&] { return left.connected == 1 && right.connected == 1; }));

  const transport::SteadyTime before_start = std::chrono::steady_clock::now();
  simulator.Start();
  ASSERT_TRUE(RunUntil(
      io,
      [&] {
        return simulator.device_stats(ids[0]).finished && simulator.device_stats(ids[1]).finished &&
               left.samples.size() == simulator.device_stats(ids[0]).cycles_written &&
               right.samples.size() == simulator.device_stats(ids[1]).cycles_written;
      }))
      << left.samples.size() << " " << right.samples.size();

  const sim::SessionPlan plan = sim::PlanSession(athlete.session);
  for (const std::size_t id : ids) {
    const SimDeviceStats stats = simulator.device_stats(id);
    const fusion::Side side = simulator.device(id).placement.side;
    const std::size_t expected =
        sim::SensorSampler(athlete.session, plan, side).ExpectedSampleCount();
    // Every cycle of the set was produced, at 100 Hz of true time.
    EXPECT_EQ(stats.cycles_written + stats.cycles_dropped, expected);
    EXPECT_NEAR(static_cast<double>(expected), plan.truth.duration_s * athlete.session.rate_hz,
                1.0);
    // A reader was attached throughout: nothing may be lost.
    EXPECT_GE(static_cast<double>(stats.cycles_written), 0.98 * static_cast<double>(expected));
    EXPECT_EQ(stats.sets_started, 1);
  }
  // Paced, not dumped: the last cycle cannot leave before its true time (scaled) has come.
  const double last_due_s = simulator.device_stats(ids[0]).true_time_s / kTimeScale;
  EXPECT_GE(std::chrono::duration<double>(left.last_arrival - before_start).count(), last_due_s);
  // The decoded samples are physical: gravity at rest at the start of the set.
  ASSERT_FALSE(left.samples.empty());
  EXPECT_NEAR(Norm(left.samples.front().accel_m_s2), 9.80665, 0.05);
  EXPECT_NEAR(Norm(right.samples.front().accel_m_s2), 9.80665, 0.05);
  EXPECT_EQ(left.decoder.stats().bytes_discarded, 0u);
  EXPECT_EQ(right.decoder.stats().bytes_discarded, 0u);
}

TEST(PtySimulatorTest, LoopsIntoNewSetsWithoutAGap) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 40.0});
  const std::vector<std::size_t> ids = simulator.AddAthlete(ShortCurl("eve", /*loop=*/true));
  Reader left(io, simulator.device(ids[0]).link_path);
  Reader right(io, simulator.device(ids[1]).link_path);
  ASSERT_TRUE(RunUntil(io, [&] { return left.connected == 1 && right.connected == 1; }));
  simulator.Start();
  ASSERT_TRUE(RunUntil(io, [&] {
    return simulator.device_stats(ids[0]).sets_started >= 3 &&
           simulator.device_stats(ids[1]).sets_started >= 3;
  }));
  // Three sets in, both sides still at the same true time and nothing finished.
  const SimDeviceStats left_stats = simulator.device_stats(ids[0]);
  EXPECT_FALSE(left_stats.finished);
  EXPECT_GT(left_stats.true_time_s, 2.0 * 3.0);
  EXPECT_NEAR(left_stats.true_time_s, simulator.device_stats(ids[1]).true_time_s, 0.5);
  // Three sets of samples were made; on a busy machine some are dropped (a write still in
  // flight, or the simulator too far behind), as a UART loses them, and the stats count those.
  EXPECT_GT(left.samples.size() + left_stats.cycles_dropped, 600u);
}

TEST(PtySimulatorTest, UnplugIsALossReplugIsAReconnectBehindTheSameLink) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 10.0});
  const std::vector<std::size_t> ids = simulator.AddAthlete(ShortCurl("finn", /*loop=*/true));
  const std::string link = simulator.device(ids[0]).link_path;
  Reader left(io, link);
  Reader right(io, simulator.device(ids[1]).link_path);
  simulator.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() > 50; }));

  simulator.Unplug(ids[0]);
  EXPECT_FALSE(simulator.device(ids[0]).plugged);
  ASSERT_TRUE(RunUntil(io, [&] { return left.lost == 1; }));
  // The link goes as udev's by-id link does. (The slave path itself may already be another
  // process's new pty: the kernel reuses pts numbers, which is why the link must not dangle.)
  EXPECT_FALSE(fs::exists(fs::symlink_status(link))) << "the link outlived the unplugged pty";
  ASSERT_TRUE(RunUntil(io, [&] {
    return left.source->stats().last_error.find("No such file") != std::string::npos;
  })) << left.source->stats().last_error;
  // The other side keeps streaming.
  const std::size_t right_before = right.samples.size();
  const std::size_t left_during = left.samples.size();
  ASSERT_TRUE(RunUntil(io, [&] { return right.samples.size() > right_before + 30; }));
  EXPECT_EQ(left.samples.size(), left_during);

  simulator.Replug(ids[0]);
  const SimDeviceInfo replugged = simulator.device(ids[0]);
  EXPECT_TRUE(replugged.plugged);
  EXPECT_EQ(replugged.link_path, link);
  EXPECT_EQ(fs::read_symlink(link).string(), replugged.slave_path);
  ASSERT_TRUE(RunUntil(io, [&] { return left.connected == 2; }));
  EXPECT_EQ(left.source->stats().reconnects, 1u);
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() > left_during + 30; }));
  EXPECT_EQ(right.lost, 0);
}

TEST(PtySimulatorTest, AStallHoldsTheBytesBackAndDeliversThemAllAtOnce) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 1.0});
  const std::vector<std::size_t> ids = simulator.AddAthlete(ShortCurl("hal", /*loop=*/true));
  Reader left(io, simulator.device(ids[0]).link_path);
  simulator.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() > 20; }));

  const std::uint64_t dropped_before = simulator.device_stats(ids[0]).cycles_dropped;
  simulator.Stall(ids[0], 0.4);
  const std::size_t before = left.samples.size();
  const auto stalled_at = std::chrono::steady_clock::now();
  // Nothing comes for the stall (but what was on its way), then its 40 samples at once.
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() > before + 10; }));
  EXPECT_GE(std::chrono::steady_clock::now() - stalled_at, std::chrono::milliseconds(350));
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() >= before + 35; }));
  const SimDeviceStats stats = simulator.device_stats(ids[0]);
  EXPECT_GE(stats.cycles_stalled, 35u);
  EXPECT_EQ(stats.cycles_dropped, dropped_before);
}

TEST(PtySimulatorTest, WithoutAReaderCyclesAreDroppedNotQueued) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 20.0});
  const std::vector<std::size_t> ids = simulator.AddAthlete(ShortCurl("gus", /*loop=*/true));
  simulator.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return simulator.device_stats(ids[0]).cycles_dropped > 100; }));
  EXPECT_EQ(simulator.device_stats(ids[0]).cycles_written, 0u);

  // Once a reader attaches the simulator notices it and starts writing.
  Reader left(io, simulator.device(ids[0]).link_path);
  ASSERT_TRUE(RunUntil(io, [&] { return left.samples.size() > 20; }));
  EXPECT_GT(simulator.device_stats(ids[0]).cycles_written, 0u);
}

TEST(PtySimulatorTest, ReaderWritesReachTheSimulatedDevice) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 10.0});
  const std::vector<std::size_t> ids = simulator.AddAthlete(ShortCurl("hal", /*loop=*/true));
  transport::SerialSourceOptions options;
  options.path = simulator.device(ids[0]).link_path;
  options.witmotion = transport::WitMotionSetup{};
  options.witmotion->command_gap = std::chrono::milliseconds(1);
  transport::SerialSource source(io, options, {});
  source.Start();
  simulator.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return simulator.device_stats(ids[0]).bytes_from_host >= 15; }));
  EXPECT_EQ(simulator.device_stats(ids[0]).bytes_from_host, 15u);  // unlock, rate, content
}

TEST(PtySimulatorTest, StopRemovesLinksAndTheReaderLosesTheDevice) {
  asio::io_context io;
  TempDir dir;
  auto simulator = std::make_unique<PtySimulator>(io, PtySimulatorOptions{dir.str(), 10.0});
  const std::vector<std::size_t> ids = simulator->AddAthlete(ShortCurl("ivy", true));
  const std::string link = simulator->device(ids[0]).link_path;
  Reader left(io, link);
  simulator->Start();
  ASSERT_TRUE(RunUntil(io, [&] { return !left.samples.empty(); }));
  simulator->Stop();
  EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
  simulator.reset();  // handlers still queued must not touch freed memory (ASan)
  ASSERT_TRUE(RunUntil(io, [&] { return left.lost == 1; }));
}

// Two simulating daemons on one machine: each keeps its links in a folder of its own, so the
// second's athlete of the same name does not take over the first's link.
TEST(PtySimulatorTest, SimulatorsWithFoldersOfTheirOwnKeepTheirLinksApart) {
  asio::io_context io;
  TempDir dir;
  PtySimulatorOptions options{dir.str(), 10.0};
  options.own_folder = true;
  auto first = std::make_unique<PtySimulator>(io, options);
  PtySimulator second(io, options);
  ASSERT_NE(first->link_folder(), second.link_folder());
  EXPECT_EQ(fs::path(first->link_folder()).parent_path(), fs::path(dir.str()));
  EXPECT_EQ(fs::status(first->link_folder()).permissions() & fs::perms::all, fs::perms::owner_all);

  const SimDeviceInfo mine = first->device(first->AddAthlete(ShortCurl("kai", true))[0]);
  const SimDeviceInfo theirs = second.device(second.AddAthlete(ShortCurl("kai", true))[0]);
  EXPECT_NE(mine.link_path, theirs.link_path);
  EXPECT_EQ(fs::read_symlink(mine.link_path).string(), mine.slave_path);
  EXPECT_EQ(fs::read_symlink(theirs.link_path).string(), theirs.slave_path);

  const std::string folder = first->link_folder();
  first.reset();
  EXPECT_FALSE(fs::exists(folder)) << "the folder goes with the simulator";
  EXPECT_EQ(fs::read_symlink(theirs.link_path).string(), theirs.slave_path);
}

// A child process that has exited; reaped or left a zombie (its parent has not waited yet).
pid_t EndedChild(bool reaped) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(1);
  if (child < 0) return child;
  if (reaped) return ::waitpid(child, nullptr, 0) == child ? child : -1;
  const std::string stat_path = "/proc/" + std::to_string(child) + "/stat";
  for (int tries = 0; tries < 1000; ++tries) {
    std::ifstream stat_file(stat_path);
    std::string stat;
    std::getline(stat_file, stat);
    if (stat.find(") Z") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return child;
}

// A link folder 'name' in 'dir' holding one dangling link, as a crashed simulator leaves it.
fs::path LinkFolder(const TempDir& dir, const std::string& name) {
  const fs::path folder = fs::path(dir.str()) / name;
  fs::create_directory(folder);
  fs::create_symlink("/dev/pts/9999", folder / "ambi-sim-kai-left_wrist");
  return folder;
}

std::unique_ptr<PtySimulator> SimulatorWithAFolderOfItsOwn(asio::io_context& io,
                                                           const TempDir& dir) {
  PtySimulatorOptions options{dir.str(), 10.0};
  options.own_folder = true;
  return std::make_unique<PtySimulator>(io, options);
}

// A simulating daemon that crashed left its folder and dangling links behind: the next one
// removes it, and leaves the folders of simulators still running and anything else alone.
TEST(PtySimulatorTest, AFolderLeftByAnEndedSimulatorIsRemovedByTheNext) {
  asio::io_context io;
  TempDir dir;
  const pid_t ended = EndedChild(/*reaped=*/true);  // its pid now names no process
  ASSERT_GT(ended, 0);
  const fs::path left_behind = LinkFolder(dir, "ambi-sim." + std::to_string(ended) + ".a1b2c3");
  const fs::path running = LinkFolder(dir, "ambi-sim." + std::to_string(::getppid()) + ".d4e5f6");
  const fs::path other = LinkFolder(dir, "ambi-sim.notes");
  const auto simulator = SimulatorWithAFolderOfItsOwn(io, dir);
  EXPECT_FALSE(fs::exists(fs::symlink_status(left_behind)));
  EXPECT_TRUE(fs::exists(running));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ(fs::path(simulator->link_folder())
                .filename()
                .string()
                .rfind("ambi-sim." + std::to_string(::getpid()) + ".", 0),
            0u);
}

// ... also while the crashed daemon is still a zombie: its pid answers kill(0), nothing runs.
TEST(PtySimulatorTest, AFolderOfACrashedSimulatorNotYetReapedIsRemoved) {
  asio::io_context io;
  TempDir dir;
  const pid_t crashed = EndedChild(/*reaped=*/false);
  ASSERT_GT(crashed, 0);
  const fs::path left_behind = LinkFolder(dir, "ambi-sim." + std::to_string(crashed) + ".z1y2x3");
  const auto simulator = SimulatorWithAFolderOfItsOwn(io, dir);
  EXPECT_FALSE(fs::exists(fs::symlink_status(left_behind)));
  ASSERT_EQ(::waitpid(crashed, nullptr, 0), crashed);
}

TEST(PtySimulatorTest, RejectsDuplicateAndBadNamesAndMissingDirectory) {
  asio::io_context io;
  TempDir dir;
  PtySimulator simulator(io, {dir.str(), 1.0});
  simulator.AddAthlete(ShortCurl("jo", true));
  EXPECT_THROW(simulator.AddAthlete(ShortCurl("jo", true)), std::invalid_argument);
  EXPECT_THROW(simulator.AddAthlete(ShortCurl("../etc", true)), std::invalid_argument);
  EXPECT_THROW(simulator.device(5), std::out_of_range);
  EXPECT_THROW(PtySimulator(io, {dir.str() + "/missing", 1.0}), std::invalid_argument);
  EXPECT_THROW(PtySimulator(io, {dir.str(), 0.0}), std::invalid_argument);
}

}  // namespace
}  // namespace ambi::sim
