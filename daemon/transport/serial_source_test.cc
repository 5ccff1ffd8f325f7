#include "daemon/transport/serial_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/testing/temp_dir.h"
#include "daemon/transport/asio.h"

namespace ambi::transport {
namespace {

namespace fs = std::filesystem;

// A pseudo-terminal pair standing in for a USB serial adapter: the test holds the master (the
// device end); the source opens the slave by name. The slave fd openpty returns is closed at once
// so that closing the master is the only thing that "unplugs" it.
class TestPty {
 public:
  TestPty() {
    termios raw{};
    cfmakeraw(&raw);
    int slave_fd = -1;
    if (openpty(&master_fd_, &slave_fd, nullptr, &raw, nullptr) != 0) {
      throw std::runtime_error("openpty failed");
    }
    char name[128];
    if (ttyname_r(slave_fd, name, sizeof(name)) != 0) throw std::runtime_error("ttyname_r");
    slave_path_ = name;
    ::close(slave_fd);
  }
  ~TestPty() { Close(); }

  void Write(const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(master_fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ASSERT_GT(n, 0) << "write to pty master failed";
      done += static_cast<std::size_t>(n);
    }
  }
  // What the source wrote to the device, without blocking.
  std::vector<std::uint8_t> ReadAvailable() {
    std::vector<std::uint8_t> out(256);
    const int flags = fcntl(master_fd_, F_GETFL);
    fcntl(master_fd_, F_SETFL, flags | O_NONBLOCK);
    const ssize_t n = ::read(master_fd_, out.data(), out.size());
    fcntl(master_fd_, F_SETFL, flags);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }
  void Close() {
    if (master_fd_ >= 0) ::close(master_fd_);
    master_fd_ = -1;
  }
  const std::string& slave_path() const { return slave_path_; }

 private:
  int master_fd_ = -1;
  std::string slave_path_;
};

using ::ambi::testing::TempDir;

// Points 'link' at 'target' atomically, as the simulator does on replug.
void PointSymlink(const fs::path& link, const std::string& target) {
  const fs::path temp = link.string() + ".tmp";
  fs::remove(temp);
  fs::create_symlink(target, temp);
  fs::rename(temp, link);
}

// Runs 'io' until 'done' holds; the time limit only keeps a broken build from hanging.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return done();
}

// Records every callback.
struct Recorder {
  std::vector<std::uint8_t> bytes;
  std::vector<SteadyTime> arrivals;
  int connected = 0;
  int lost = 0;
  std::string last_lost_reason;
  std::function<void()> after_bytes;

  ByteSourceCallbacks Callbacks() {
    ByteSourceCallbacks callbacks;
    callbacks.on_bytes = [this](SteadyTime arrival, std::span<const std::uint8_t> data) {
      bytes.insert(bytes.end(), data.begin(), data.end());
      arrivals.push_back(arrival);
      if (after_bytes) after_bytes();
    };
    callbacks.on_connected = [this](SteadyTime, const std::string&) { ++connected; };
    callbacks.on_lost = [this](SteadyTime, const std::string& reason) {
      ++lost;
      last_lost_reason = reason;
    };
    return callbacks;
  }
};

SerialSourceOptions FastRetry(const std::string& path) {
  SerialSourceOptions options;
  options.path = path;
  options.backoff.initial_delay = std::chrono::milliseconds(5);
  options.backoff.max_delay = std::chrono::milliseconds(40);
  return options;
}

std::vector<std::uint8_t> Pattern(std::size_t size, std::uint8_t start) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(start + i * 7);
  return out;
}

TEST(SerialSourceTest, BytesArriveInOrderByteExact) {
  asio::io_context io;
  TestPty pty;
  Recorder recorder;
  SerialSource source(io, FastRetry(pty.slave_path()), recorder.Callbacks());
  EXPECT_EQ(source.stats().state, ByteSourceState::kStopped);
  source.Start();
  EXPECT_EQ(recorder.connected, 0) << "no callback inside Start()";
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
  EXPECT_EQ(source.stats().state, ByteSourceState::kConnected);

  std::vector<std::uint8_t> sent;
  for (std::uint8_t chunk = 0; chunk < 5; ++chunk) {
    // Every byte value, including 0x55 sync bytes, CR, LF and XON/XOFF: the tty must be raw.
    const std::vector<std::uint8_t> bytes = Pattern(997, static_cast<std::uint8_t>(chunk * 31));
    pty.Write(bytes);
    sent.insert(sent.end(), bytes.begin(), bytes.end());
    ASSERT_TRUE(RunUntil(io, [&] { return recorder.bytes.size() == sent.size(); }))
        << recorder.bytes.size() << " of " << sent.size();
  }
  EXPECT_EQ(recorder.bytes, sent);
  for (std::size_t i = 1; i < recorder.arrivals.size(); ++i) {
    EXPECT_GE(recorder.arrivals[i], recorder.arrivals[i - 1]) << "read " << i;
  }
  EXPECT_GE(recorder.arrivals.size(), 5u);
  EXPECT_EQ(source.stats().bytes, sent.size());
  EXPECT_EQ(source.stats().reconnects, 0u);
  EXPECT_EQ(source.transport(), "serial");
  EXPECT_EQ(source.address(), pty.slave_path());
}

TEST(SerialSourceTest, UnplugReportsLostAndReplugBehindSymlinkReconnects) {
  asio::io_context io;
  TempDir dir;
  const fs::path link = dir.path() / "ambi-sim-test-left_wrist";
  auto first = std::make_unique<TestPty>();
  PointSymlink(link, first->slave_path());

  Recorder recorder;
  SerialSource source(io, FastRetry(link.string()), recorder.Callbacks());
  source.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
  first->Write({1, 2, 3});
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.bytes.size() == 3; }));

  // Unplug: the master closes and, as udev does, the link goes. (A dangling link could lead to
  // another test's pty: the kernel reuses the freed pts number.)
  first.reset();
  fs::remove(link);
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.lost == 1; }));
  EXPECT_NE(recorder.last_lost_reason.find(link.string()), std::string::npos)
      << recorder.last_lost_reason;
  EXPECT_EQ(source.stats().state, ByteSourceState::kConnecting);
  // While unplugged the retries fail with ENOENT and say so.
  ASSERT_TRUE(RunUntil(io, [&] {
    return source.stats().last_error.find("No such file") != std::string::npos;
  })) << source.stats().last_error;
  EXPECT_EQ(recorder.connected, 1);

  TestPty second;  // replug: a new pair, a new slave path, the same symlink
  PointSymlink(link, second.slave_path());
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 2; }));
  EXPECT_EQ(source.stats().reconnects, 1u);
  EXPECT_EQ(source.stats().state, ByteSourceState::kConnected);
  second.Write({4, 5, 6, 7});
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.bytes.size() == 7; }));
  EXPECT_EQ(recorder.bytes, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(recorder.lost, 1);
}

TEST(SerialSourceTest, MissingPathIsNamedAndRetriedUntilItAppears) {
  asio::io_context io;
  TempDir dir;
  const fs::path missing = dir.path() / "ttyUSB-absent";
  Recorder recorder;
  SerialSource source(io, FastRetry(missing.string()), recorder.Callbacks());
  source.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return !source.stats().last_error.empty(); }));
  const std::string error = source.stats().last_error;
  EXPECT_NE(error.find(missing.string()), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_EQ(source.stats().state, ByteSourceState::kConnecting);
  EXPECT_EQ(recorder.connected, 0);
  EXPECT_EQ(recorder.lost, 0) << "never connected, so nothing was lost";

  TestPty pty;
  PointSymlink(missing, pty.slave_path());
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
  EXPECT_EQ(source.stats().reconnects, 0u) << "the first connection is not a reconnect";
}

TEST(SerialSourceTest, NotATtyIsReportedWithPath) {
  asio::io_context io;
  TempDir dir;
  const fs::path file = dir.path() / "plain-file";
  std::ofstream(file) << "not a tty";
  Recorder recorder;
  SerialSource source(io, FastRetry(file.string()), recorder.Callbacks());
  source.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return !source.stats().last_error.empty(); }));
  EXPECT_NE(source.stats().last_error.find(file.string()), std::string::npos)
      << source.stats().last_error;
  EXPECT_EQ(recorder.connected, 0);
}

TEST(SerialSourceTest, WitMotionSetupIsWrittenAfterConnect) {
  asio::io_context io;
  TestPty pty;
  Recorder recorder;
  SerialSourceOptions options = FastRetry(pty.slave_path());
  options.witmotion = WitMotionSetup{};
  options.witmotion->rate_hz = 50;
  options.witmotion->command_gap = std::chrono::milliseconds(1);
  SerialSource source(io, options, recorder.Callbacks());
  source.Start();
  std::vector<std::uint8_t> written;
  ASSERT_TRUE(RunUntil(io, [&] {
    const auto more = pty.ReadAvailable();
    written.insert(written.end(), more.begin(), more.end());
    return written.size() >= 15;
  }));
  const std::vector<std::uint8_t> expected = {0xFF, 0xAA, 0x69, 0x88, 0xB5,   // unlock
                                              0xFF, 0xAA, 0x03, 0x08, 0x00,   // 50 Hz
                                              0xFF, 0xAA, 0x02, 0x06, 0x00};  // accel + gyro
  EXPECT_EQ(written, expected);
}

TEST(SerialSourceTest, StopInsideACallbackEndsAllCallbacks) {
  asio::io_context io;
  TestPty pty;
  Recorder recorder;
  SerialSource source(io, FastRetry(pty.slave_path()), recorder.Callbacks());
  recorder.after_bytes = [&] { source.Stop(); };
  source.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
  pty.Write(Pattern(100, 0));
  ASSERT_TRUE(RunUntil(io, [&] { return !recorder.bytes.empty(); }));
  EXPECT_EQ(source.stats().state, ByteSourceState::kStopped);
  const std::size_t reads = recorder.arrivals.size();

  pty.Write(Pattern(100, 1));
  pty.Close();  // would be a loss if the source were still running
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(recorder.arrivals.size(), reads);
  EXPECT_EQ(recorder.lost, 0);
  EXPECT_EQ(recorder.connected, 1);
}

TEST(SerialSourceTest, DestroyedWithPendingOperationsIsSafe) {
  asio::io_context io;
  TestPty pty;
  Recorder recorder;
  {
    SerialSourceOptions options = FastRetry(pty.slave_path());
    options.witmotion = WitMotionSetup{};
    SerialSource source(io, options, recorder.Callbacks());
    source.Start();
    ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
    // A read and a command timer are pending now.
  }
  pty.Write(Pattern(64, 3));
  io.restart();
  io.run_for(std::chrono::milliseconds(50));  // cancelled handlers complete here
  EXPECT_TRUE(recorder.bytes.empty());
  EXPECT_EQ(recorder.lost, 0);
}

TEST(SerialSourceTest, RestartAfterStopConnectsAgain) {
  asio::io_context io;
  TestPty pty;
  Recorder recorder;
  SerialSource source(io, FastRetry(pty.slave_path()), recorder.Callbacks());
  source.Start();
  source.Stop();
  source.Start();
  ASSERT_TRUE(RunUntil(io, [&] { return recorder.connected == 1; }));
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(recorder.connected, 1) << "the first Start's posted open must not run";
}

TEST(SerialSourceTest, RejectsNonStandardBaudNamingIt) {
  asio::io_context io;
  SerialSourceOptions options;
  options.path = "/dev/ttyUSB0";
  options.baud = 12345;
  try {
    SerialSource source(io, options, {});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("baud 12345"), std::string::npos) << error.what();
  }
  options.baud = 115200;
  options.witmotion = WitMotionSetup{};
  options.witmotion->rate_hz = 30;
  EXPECT_THROW(SerialSource(io, options, {}), std::invalid_argument);
}

}  // namespace
}  // namespace ambi::transport
