#include "daemon/transport/ble_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace ambi::transport {
namespace {

// The bus paths tests use: a socket that cannot exist, so no test touches the real system bus.
constexpr char kUnreachableBus[] = "unix:path=/nonexistent/ambi-ble-test/bus_socket";

class BleSourceTest : public ::testing::Test {
 protected:
  // The bus is made after the address is set: its thread connects (and reads the variable) at once.
  void SetUp() override {
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", kUnreachableBus, 1);
    bus_ = std::make_shared<BleBus>();
  }

  static BleSourceConfig ValidConfig() {
    BleSourceConfig config;
    config.address = "aa:bb:cc:dd:ee:ff";
    config.backoff.initial_delay = std::chrono::milliseconds(10);
    config.backoff.max_delay = std::chrono::milliseconds(50);
    return config;
  }

  // Runs 'io' until 'done' holds; gives up after 'limit' of polling (a failure, not a timing
  // assertion: the condition normally holds within a few milliseconds).
  template <typename Done>
  static bool RunUntil(asio::io_context& io, Done done,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto step = std::chrono::milliseconds(5);
    for (auto waited = std::chrono::milliseconds(0); waited < limit; waited += step) {
      io.restart();
      io.run_for(step);
      if (done()) return true;
    }
    return done();
  }

  std::string ConstructionError(const BleSourceConfig& config) {
    asio::io_context io;
    try {
      BleSource source(io, bus_, config, {});
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }

  std::shared_ptr<BleBus> bus_;
};

TEST_F(BleSourceTest, ReportsTheNormalizedAddressAndTransport) {
  asio::io_context io;
  BleSource source(io, bus_, ValidConfig(), {});
  EXPECT_EQ(source.address(), "AA:BB:CC:DD:EE:FF");
  EXPECT_EQ(source.transport(), "ble");
  EXPECT_EQ(source.stats().state, ByteSourceState::kStopped);  // idle until Start()
}

TEST(BleReconnectBackoffTest, StartsAtHalfASecondAndCapsAtTenSeconds) {
  const ReconnectBackoffOptions options = BleReconnectBackoffOptions();
  ReconnectBackoff backoff(options, 7);
  const std::chrono::milliseconds first = backoff.NextDelay();
  EXPECT_LE(first.count(), 500);
  EXPECT_GE(first.count(), 400);  // 20 % jitter at most
  for (int i = 0; i < 20; ++i) backoff.NextDelay();
  const std::chrono::milliseconds late = backoff.NextDelay();
  EXPECT_LE(late.count(), 10000);
  EXPECT_GE(late.count(), 8000);
  EXPECT_EQ(BleSourceConfig().backoff.initial_delay, options.initial_delay);
}

TEST_F(BleSourceTest, MalformedConfigIsRejectedNamingTheField) {
  BleSourceConfig config = ValidConfig();
  config.address = "AA:BB:CC";
  EXPECT_NE(ConstructionError(config).find("'AA:BB:CC'"), std::string::npos);

  config = ValidConfig();
  config.notify_uuid = "heart-rate";
  EXPECT_NE(ConstructionError(config).find("notify_uuid 'heart-rate'"), std::string::npos);

  config = ValidConfig();
  config.rate_hz = 150;
  EXPECT_NE(ConstructionError(config).find("150 Hz"), std::string::npos);

  config = ValidConfig();
  config.connect_timeout_s = 0.0;
  EXPECT_NE(ConstructionError(config).find("connect_timeout_s"), std::string::npos);

  config = ValidConfig();
  config.discovery_timeout_s = -1.0;
  EXPECT_NE(ConstructionError(config).find("discovery_timeout_s must be > 0"), std::string::npos)
      << ConstructionError(config);

  config = ValidConfig();
  config.backoff.max_delay = config.backoff.initial_delay / 2;
  EXPECT_NE(ConstructionError(config).find("backoff: reconnect backoff: max_delay"),
            std::string::npos)
      << ConstructionError(config);
}

TEST_F(BleSourceTest, WithoutASystemBusItKeepsRetryingWithAClearError) {
  asio::io_context io;
  int connected = 0;
  int lost = 0;
  ByteSourceCallbacks callbacks;
  callbacks.on_connected = [&](SteadyTime, const std::string&) { ++connected; };
  callbacks.on_lost = [&](SteadyTime, const std::string&) { ++lost; };
  BleSource source(io, bus_, ValidConfig(), callbacks);
  source.Start();

  ASSERT_TRUE(RunUntil(io, [&] {
    return source.stats().last_error.find("cannot connect to the system D-Bus") !=
           std::string::npos;
  })) << source.stats().last_error;
  const ByteSourceStats stats = source.stats();
  EXPECT_NE(stats.last_error.find(kUnreachableBus), std::string::npos) << stats.last_error;
  EXPECT_EQ(stats.state, ByteSourceState::kConnecting);  // still trying
  EXPECT_EQ(connected, 0);
  EXPECT_EQ(lost, 0);  // never connected, so nothing was lost

  source.Stop();
  EXPECT_EQ(source.stats().state, ByteSourceState::kStopped);
  io.restart();
  io.run_for(std::chrono::milliseconds(20));  // pending retries, if any, must stay silent
  EXPECT_EQ(source.stats().state, ByteSourceState::kStopped);
}

TEST_F(BleSourceTest, DestroyingAStartedSourceWithPendingRetriesIsSafe) {
  asio::io_context io;
  int callbacks_run = 0;
  ByteSourceCallbacks callbacks;
  callbacks.on_bytes = [&](SteadyTime, std::span<const std::uint8_t>) { ++callbacks_run; };
  callbacks.on_connected = [&](SteadyTime, const std::string&) { ++callbacks_run; };
  callbacks.on_lost = [&](SteadyTime, const std::string&) { ++callbacks_run; };
  {
    BleSource source(io, bus_, ValidConfig(), callbacks);
    source.Start();
    io.run_for(std::chrono::milliseconds(10));
  }
  // The retry timer of the destroyed source may still be queued; running it must do nothing
  // (under ASan a use after free would end the test here).
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(callbacks_run, 0);
}

}  // namespace
}  // namespace ambi::transport
