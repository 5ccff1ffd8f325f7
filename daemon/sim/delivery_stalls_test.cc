#include "daemon/sim/delivery_stalls.h"

#include <gtest/gtest.h>

namespace ambi::sim {
namespace {

TEST(DeliveryStallsTest, WithoutStallsEveryArrivalIsKept) {
  DeliveryStalls stalls({}, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(stalls.Deliver(0.01 * i), 0.01 * i);
  EXPECT_EQ(stalls.stalls(), 0);
}

TEST(DeliveryStallsTest, BytesDueInAStallComeWhenItEndsInOrderAndNoneIsLost) {
  const DeliveryStallSpec spec{.per_s = 0.5, .min_s = 0.3, .max_s = 1.0};
  DeliveryStalls stalls(spec, 42);
  double last_s = 0.0;
  int held = 0;
  double held_for_s = 0.0;
  constexpr int kSamples = 60000;  // 10 min at 100 Hz
  for (int i = 0; i < kSamples; ++i) {
    const double due_s = 0.01 * i;
    const double delivered_s = stalls.Deliver(due_s);
    EXPECT_GE(delivered_s, due_s);
    EXPECT_GE(delivered_s, last_s) << "out of order at " << due_s;
    EXPECT_LE(delivered_s - due_s, spec.max_s);
    if (delivered_s > due_s) {
      ++held;
      held_for_s += delivered_s - due_s;
    }
    last_s = delivered_s;
  }
  // A stall of 0.65 s on average every 2 + 0.65 s: about 226 in 600 s, holding a quarter of the
  // samples back by 0.33 s on average.
  EXPECT_NEAR(static_cast<double>(stalls.stalls()), 600.0 / 2.65, 30.0);
  EXPECT_NEAR(static_cast<double>(held) / kSamples, 0.65 / 2.65, 0.04);
  EXPECT_NEAR(held_for_s / held, 0.65 / 2.0, 0.05);
}

TEST(DeliveryStallsTest, BadSettingsAreNamed) {
  EXPECT_EQ(Validate(DeliveryStallSpec{}), "");
  EXPECT_NE(Validate({.per_s = -1.0}).find("per_s"), std::string::npos);
  EXPECT_NE(Validate({.per_s = 1.0, .min_s = 2.0, .max_s = 1.0}).find("min_s <= max_s"),
            std::string::npos);
}

}  // namespace
}  // namespace ambi::sim
