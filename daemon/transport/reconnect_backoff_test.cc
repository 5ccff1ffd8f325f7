#include "daemon/transport/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace ambi::transport {
namespace {

using std::chrono::milliseconds;

ReconnectBackoffOptions NoJitter() {
  ReconnectBackoffOptions options;
  options.jitter_fraction = 0.0;
  return options;
}

TEST(ReconnectBackoffTest, DoublesFromInitialToCap) {
  ReconnectBackoff backoff(NoJitter());
  const std::vector<long> expected_ms = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
  for (long expected : expected_ms) EXPECT_EQ(backoff.NextDelay(), milliseconds(expected));
  EXPECT_EQ(backoff.attempts(), 9);
}

TEST(ReconnectBackoffTest, StaysAtCapAfterManyAttempts) {
  ReconnectBackoff backoff(NoJitter());
  for (int i = 0; i < 10000; ++i) backoff.NextDelay();
  EXPECT_EQ(backoff.NextDelay(), milliseconds(5000));
}

TEST(ReconnectBackoffTest, JitterStaysWithinBoundsAndVaries) {
  ReconnectBackoffOptions options;  // 20 % jitter
  ReconnectBackoff backoff(options, 42);
  double nominal_ms = 100.0;
  bool below_nominal = false;
  for (int i = 0; i < 200; ++i) {
    const auto delay = backoff.NextDelay();
    EXPECT_GE(delay.count(), static_cast<long>(nominal_ms * 0.8) - 1) << "attempt " << i;
    EXPECT_LE(delay.count(), static_cast<long>(nominal_ms)) << "attempt " << i;
    if (delay.count() < static_cast<long>(nominal_ms) - 1) below_nominal = true;
    nominal_ms = std::min(nominal_ms * 2.0, 5000.0);
  }
  EXPECT_TRUE(below_nominal) << "jitter never shortened a delay";
}

TEST(ReconnectBackoffTest, SameSeedSameSequenceOtherSeedDiffers) {
  ReconnectBackoff a({}, 7);
  ReconnectBackoff b({}, 7);
  ReconnectBackoff c({}, 8);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const auto delay_a = a.NextDelay();
    EXPECT_EQ(delay_a, b.NextDelay());
    if (delay_a != c.NextDelay()) differs = true;
  }
  EXPECT_TRUE(differs);
}

TEST(ReconnectBackoffTest, LongLivedConnectionResetsShortOneDoesNot) {
  ReconnectBackoff backoff(NoJitter());
  const std::chrono::steady_clock::time_point t0{};
  for (int i = 0; i < 4; ++i) backoff.NextDelay();  // 100 .. 800

  // Dies after 1 s: a flapping link keeps backing off.
  backoff.OnConnected(t0);
  backoff.OnLost(t0 + std::chrono::seconds(1));
  EXPECT_EQ(backoff.NextDelay(), milliseconds(1600));

  // Lived 10 s (the threshold): healthy, start again quickly.
  backoff.OnConnected(t0 + std::chrono::seconds(2));
  backoff.OnLost(t0 + std::chrono::seconds(12));
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_EQ(backoff.NextDelay(), milliseconds(100));
}

TEST(ReconnectBackoffTest, LossWithoutConnectionDoesNotReset) {
  ReconnectBackoff backoff(NoJitter());
  backoff.NextDelay();
  backoff.NextDelay();
  backoff.OnLost(std::chrono::steady_clock::time_point{} + std::chrono::hours(1));
  EXPECT_EQ(backoff.NextDelay(), milliseconds(400));
}

TEST(ReconnectBackoffTest, RejectsInconsistentOptions) {
  ReconnectBackoffOptions zero_initial;
  zero_initial.initial_delay = milliseconds(0);
  EXPECT_THROW(ReconnectBackoff{zero_initial}, std::invalid_argument);

  ReconnectBackoffOptions cap_below_initial;
  cap_below_initial.max_delay = milliseconds(50);
  try {
    ReconnectBackoff backoff(cap_below_initial);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("max_delay (50 ms)"), std::string::npos)
        << error.what();
  }

  ReconnectBackoffOptions full_jitter;
  full_jitter.jitter_fraction = 1.0;
  EXPECT_THROW(ReconnectBackoff{full_jitter}, std::invalid_argument);
}

}  // namespace
}  // namespace ambi::transport
