#include "daemon/transport/ble_backoff.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ambi::daemon {
namespace {

using std::chrono::milliseconds;

TEST(BleBackoffTest, DoublesUpToTheMaximum) {
  BleBackoff backoff(milliseconds(500), milliseconds(3000));
  EXPECT_EQ(backoff.Next(), milliseconds(500));
  EXPECT_EQ(backoff.Next(), milliseconds(1000));
  EXPECT_EQ(backoff.Next(), milliseconds(2000));
  EXPECT_EQ(backoff.Next(), milliseconds(3000));
  EXPECT_EQ(backoff.Next(), milliseconds(3000));
}

TEST(BleBackoffTest, ResetStartsAgainAtTheInitialDelay) {
  BleBackoff backoff(milliseconds(100), milliseconds(10000));
  backoff.Next();
  backoff.Next();
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(BleBackoffTest, RejectsInconsistentDelays) {
  EXPECT_THROW(BleBackoff(milliseconds(0), milliseconds(100)), std::invalid_argument);
  EXPECT_THROW(BleBackoff(milliseconds(200), milliseconds(100)), std::invalid_argument);
}

}  // namespace
}  // namespace ambi::daemon
