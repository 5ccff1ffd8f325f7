#include "fusion/clock/delivery_catch_up.h"

#include <gtest/gtest.h>

#include <vector>

namespace ambi::fusion {
namespace {

constexpr double kPeriodS = 0.02;     // 50 Hz
constexpr double kLossPauseS = 0.25;  // what the clock takes for a loss at 50 Hz

// Feeds arrivals (seconds) in order; returns what was passed on, in order, as arrival seconds,
// each sample's gyro x carrying its number so the order can be checked.
struct Fed {
  std::vector<double> arrivals_s;
  std::vector<int> numbers;
};

class CatchUpFeeder {
 public:
  explicit CatchUpFeeder(DeliveryCatchUpParams params = {}) : catch_up_(params) {}

  void Arrive(double arrival_s) {
    ImuSample sample;
    sample.time = TimeFromSeconds(arrival_s);
    sample.gyro_rad_s.x = static_cast<double>(count_++);
    if (!catch_up_.Push(sample, sample.time, kPeriodS, kLossPauseS)) {
      Pass(sample, sample.time);
      return;
    }
    Drain();
  }
  void End() {
    catch_up_.End();
    Drain();
  }
  void Reset() { catch_up_.Reset(); }
  const Fed& fed() const { return fed_; }
  int count() const { return count_; }
  const DeliveryCatchUp& catch_up() const { return catch_up_; }

 private:
  void Drain() {
    while (const auto timed = catch_up_.Pop()) Pass(timed->sample, timed->arrival);
  }
  void Pass(const ImuSample& sample, Time arrival) {
    EXPECT_EQ(sample.time, arrival);
    fed_.arrivals_s.push_back(ToSeconds(arrival.time_since_epoch()));
    fed_.numbers.push_back(static_cast<int>(sample.gyro_rad_s.x));
  }

  DeliveryCatchUp catch_up_;
  Fed fed_;
  int count_ = 0;
};

void ExpectInOrder(const Fed& fed, int count) {
  ASSERT_EQ(static_cast<int>(fed.numbers.size()), count);
  for (int i = 0; i < count; ++i) EXPECT_EQ(fed.numbers[static_cast<std::size_t>(i)], i);
}

TEST(DeliveryCatchUpTest, AStreamWithoutLongPausesPassesUntouched) {
  CatchUpFeeder feeder;
  double t = 0.0;
  for (int i = 0; i < 200; ++i) {
    // Batched as BLE connection events deliver: three at once every 60 ms, and a 200 ms stall
    // the clock takes for buffering.
    if (i % 3 == 0) t += i == 99 ? 0.2 : 0.06;
    feeder.Arrive(t + 0.0001 * (i % 3));
    ASSERT_EQ(static_cast<int>(feeder.fed().numbers.size()), i + 1) << "held sample " << i;
  }
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 0);
}

TEST(DeliveryCatchUpTest, AStallThatDeliversEverySampleAtOnceTimesThemBackIntoThePause) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);  // up to 1.0 s
  // Delivery stalls for 0.5 s: the 25 samples due in it come at once when it ends.
  const double end_s = 1.5;
  for (int i = 1; i <= 25; ++i) {
    feeder.Arrive(end_s + 1e-5 * i);
    if (i < 25) {
      EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 51) << "passed early";
    }
  }
  // All came: passed on at once, a steady stream reaching back to the sample before the stall.
  ExpectInOrder(feeder.fed(), 76);
  for (int i = 51; i < 76; ++i) {
    EXPECT_NEAR(feeder.fed().arrivals_s[static_cast<std::size_t>(i)],
                end_s + 25e-5 - kPeriodS * (75 - i), 1e-6);
  }
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 24);
  // And the stream goes on untouched.
  feeder.Arrive(end_s + kPeriodS);
  EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 77);
}

TEST(DeliveryCatchUpTest, APauseNoBurstFollowsIsLeftALossAndPassedOnAfterSettling) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  // The radio lost 0.5 s of samples: after the pause they come at the steady rate.
  int i = 0;
  for (; feeder.fed().numbers.size() < 52; ++i) {
    ASSERT_LT(i, 20) << "never passed on";
    feeder.Arrive(1.5 + kPeriodS * i);
  }
  // Held until the stream had been steady for settle_s (0.1 s), then passed on unchanged.
  EXPECT_EQ(i, 7);
  ExpectInOrder(feeder.fed(), 51 + i);
  for (int k = 0; k < i; ++k) {
    EXPECT_NEAR(feeder.fed().arrivals_s[static_cast<std::size_t>(51 + k)], 1.5 + kPeriodS * k,
                1e-9);
  }
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 0);
}

TEST(DeliveryCatchUpTest, ACatchUpThatDeliversOnlyPartLeavesTheRestAsALossBeforeIt) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  // A 1 s stall whose device kept only its newest 20 samples: they come at once, and then the
  // stream goes on at its steady rate, batched in threes.
  for (int i = 1; i <= 20; ++i) feeder.Arrive(2.0 + 1e-5 * i);
  for (int i = 1; i <= 12; ++i) feeder.Arrive(2.0 + 0.06 * ((i + 2) / 3) + 1e-5 * ((i - 1) % 3));
  feeder.End();
  ExpectInOrder(feeder.fed(), 83);
  // The burst reaches back from its last sample; the 30 samples still owed lie before it.
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 2.0 + 20e-5 - 19 * kPeriodS, 1e-6);
  EXPECT_NEAR(feeder.fed().arrivals_s[51] - feeder.fed().arrivals_s[50], 31 * kPeriodS, 1e-3);
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 19);
  // What came after the burst keeps its own arrival times.
  EXPECT_NEAR(feeder.fed().arrivals_s[82], 2.0 + 0.06 * 4 + 2e-5, 1e-9);
}

TEST(DeliveryCatchUpTest, AStallBeforeACatchUpIsOverEndsItAndStartsAnother) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  // A 0.6 s stall whose burst comes a sample short (still held: not caught up), then at once
  // another 0.9 s stall, delivered whole.
  for (int i = 1; i <= 29; ++i) feeder.Arrive(1.6 + 1e-5 * i);
  EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 51);
  for (int i = 1; i <= 45; ++i) feeder.Arrive(2.5 + 1e-5 * i);
  ExpectInOrder(feeder.fed(), 125);
  // The first burst reaches back from its own last sample; the second from its own.
  EXPECT_NEAR(feeder.fed().arrivals_s[79], 1.6 + 29e-5, 1e-9);
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 1.6 + 29e-5 - 28 * kPeriodS, 1e-6);
  EXPECT_NEAR(feeder.fed().arrivals_s[80], 2.5 + 45e-5 - 44 * kPeriodS, 1e-6);
  EXPECT_NEAR(feeder.fed().arrivals_s[80] - feeder.fed().arrivals_s[79], kPeriodS, 1e-3);
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 28 + 44);
}

TEST(DeliveryCatchUpTest, EndDecidesACatchUpInProgress) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  for (int i = 1; i <= 10; ++i) feeder.Arrive(1.5 + 1e-5 * i);  // half of what the pause owes
  EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 51);
  feeder.End();
  ExpectInOrder(feeder.fed(), 61);
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 1.5 + 10e-5 - 9 * kPeriodS, 1e-6);
}

TEST(DeliveryCatchUpTest, ABurstLongerThanItCanHoldIsDecidedWhenFull) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  // A 10 s stall, delivered at once: 500 samples, more than the catch-up holds. Those it held
  // reach back into the pause; the rest pass on as they came.
  for (int i = 1; i <= 500; ++i) feeder.Arrive(11.0 + 1e-6 * i);
  feeder.End();
  ExpectInOrder(feeder.fed(), 551);
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), DeliveryCatchUp::kCapacity - 1);
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 11.0 + 256e-6 - 255 * kPeriodS, 1e-6);
  for (int i = 52; i < 551; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_GT(feeder.fed().arrivals_s[k], feeder.fed().arrivals_s[k - 1]);
  }
}

TEST(DeliveryCatchUpTest, AfterResetTheFirstSampleIsNoPause) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  feeder.Reset();
  feeder.Arrive(5.0);  // the device is back
  EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 52);
}

}  // namespace
}  // namespace ambi::fusion
