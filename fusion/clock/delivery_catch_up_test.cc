#include "fusion/clock/delivery_catch_up.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

namespace ambi::fusion {
namespace {

constexpr double kPeriodS = 0.02;     // 50 Hz
constexpr double kLossPauseS = 0.25;  // what the clock takes for a loss at 50 Hz

// Feeds arrivals (seconds) in order; returns what was passed on, in order, as arrival seconds,
// each sample's magnetometer x carrying its number so the order can be checked. Unless a test
// gives it motion, the gyro x is the number too: a steady ramp, in which no loss shows.
struct Fed {
  std::vector<double> arrivals_s;
  std::vector<int> numbers;
};

class CatchUpFeeder {
 public:
  explicit CatchUpFeeder(DeliveryCatchUpParams params = {}) : catch_up_(params) {}

  void Arrive(double arrival_s) {
    ImuSample sample;
    sample.gyro_rad_s.x = static_cast<double>(count_);
    Arrive(arrival_s, sample);
  }
  // A sample with its own motion.
  void Arrive(double arrival_s, ImuSample sample) {
    sample.time = TimeFromSeconds(arrival_s);
    sample.mag_uT.x = static_cast<double>(count_++);
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
    fed_.numbers.push_back(static_cast<int>(sample.mag_uT.x));
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
    // The first batch waits for the next sample (an opening burst, below); then each passes.
    ASSERT_EQ(static_cast<int>(feeder.fed().numbers.size()), i < 3 ? 0 : i + 1)
        << "held sample " << i;
  }
  ExpectInOrder(feeder.fed(), 200);
  for (int i = 3; i < 200; ++i) {
    const double batch_s = 0.06 * (i / 3 + 1) + (i >= 99 ? 0.14 : 0.0);
    EXPECT_NEAR(feeder.fed().arrivals_s[static_cast<std::size_t>(i)], batch_s + 0.0001 * (i % 3),
                1e-9);
  }
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 2);
}

// A link that held the stream's first samples back delivers them at once: they are timed back
// from the last of them at the period, as a steady stream would have come. Counted in no time,
// 18 samples of a 25 Hz stream read the clock's rate 10 % fast for its whole first rate window
// (the 10 % clamp), and later reps ran 1.2 s early.
TEST(DeliveryCatchUpTest, AnOpeningBurstIsTimedBackFromItsLastSample) {
  CatchUpFeeder feeder;
  for (int i = 0; i < 18; ++i) feeder.Arrive(0.78 + 1e-5 * i);
  EXPECT_TRUE(feeder.fed().numbers.empty());
  for (int i = 1; i <= 20; ++i) feeder.Arrive(0.78 + 17e-5 + kPeriodS * i);
  ExpectInOrder(feeder.fed(), 38);
  for (int i = 0; i < 38; ++i) {
    EXPECT_NEAR(feeder.fed().arrivals_s[static_cast<std::size_t>(i)],
                0.78 + 17e-5 + kPeriodS * (i - 17), 1e-9)
        << i;
  }
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 17);
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
  // A 2 s stall whose device kept only its newest 20 samples: they come at once, and then the
  // stream goes on at its steady rate, batched in threes.
  for (int i = 1; i <= 20; ++i) feeder.Arrive(3.0 + 1e-5 * i);
  for (int i = 1; i <= 12; ++i) feeder.Arrive(3.0 + 0.06 * ((i + 2) / 3) + 1e-5 * ((i - 1) % 3));
  feeder.End();
  ExpectInOrder(feeder.fed(), 83);
  // The burst reaches back from its last sample; the 80 samples still owed, more than a link's
  // loss bursts, are a block the device dropped: they lie before it (no sample jumps, and the
  // ramp turns slowest at its start).
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 3.0 + 20e-5 - 19 * kPeriodS, 1e-6);
  EXPECT_NEAR(feeder.fed().arrivals_s[51] - feeder.fed().arrivals_s[50], 81 * kPeriodS, 1e-3);
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 19);
  // What came after the burst keeps its own arrival times.
  EXPECT_NEAR(feeder.fed().arrivals_s[82], 3.0 + 0.06 * 4 + 2e-5, 1e-9);
}

// A limb turning about z: rate 3 sin(pi t) rad/s, and gravity turning with it in the sensor
// frame, as a curl would show them.
ImuSample Turning(double true_s) {
  constexpr double kPi = 3.14159265358979;
  ImuSample sample;
  sample.gyro_rad_s.z = 3.0 * std::sin(kPi * true_s);
  const double angle_rad = 3.0 / kPi * (1.0 - std::cos(kPi * true_s));
  sample.accel_m_s2 = {9.81 * std::sin(angle_rad), 0.0, 9.81 * std::cos(angle_rad)};
  return sample;
}

// Streams 'motion' at 50 Hz up to 1.0 s; then delivery stalls until 1.5 s, and the link loses the
// samples due in 'lost' (true seconds, each [from, to)); what the stall held comes at once at
// 1.5 s, and the stream goes on at its steady rate until 2.0 s. Returns, for each sample passed
// on, its true time and how far its time was from it.
struct Timing {
  double true_s;
  double error_s;
};
std::vector<Timing> StallWithLosses(ImuSample (*motion)(double),
                                    const std::vector<std::pair<double, double>>& lost) {
  CatchUpFeeder feeder;
  std::vector<double> true_s;
  const auto is_lost = [&](double t) {
    for (const auto& [from, to] : lost) {
      if (t >= from - 1e-9 && t < to - 1e-9) return true;
    }
    return false;
  };
  for (int i = 0; i <= 100; ++i) {
    const double t = kPeriodS * i;
    if (is_lost(t)) continue;
    true_s.push_back(t);
    const double arrival_s = t <= 1.0 ? t : t <= 1.5 ? 1.5 + 1e-6 * i : t;
    feeder.Arrive(arrival_s, motion(t));
  }
  feeder.End();
  EXPECT_EQ(feeder.fed().numbers.size(), true_s.size());
  std::vector<Timing> timings;
  for (std::size_t k = 0; k < feeder.fed().numbers.size(); ++k) {
    const double t = true_s[static_cast<std::size_t>(feeder.fed().numbers[k])];
    timings.push_back({t, feeder.fed().arrivals_s[k] - t});
  }
  return timings;
}

void ExpectEachOnTime(const std::vector<Timing>& timings) {
  for (const Timing& timing : timings) {
    EXPECT_NEAR(timing.error_s, 0.0, 1e-3) << "the sample due at " << timing.true_s << " s";
  }
}

TEST(DeliveryCatchUpTest, SamplesLostInAStallGoWhereTheMotionJumps) {
  // Five samples lost in the middle of the stall, the limb turning fast and speeding up: the
  // samples either side of them get their own times back, so the gap is bridged where it was.
  ExpectEachOnTime(StallWithLosses(Turning, {{1.2, 1.3}}));
}

TEST(DeliveryCatchUpTest, SeveralLossesInOneStallEachGoWhereTheyWere) {
  ExpectEachOnTime(StallWithLosses(Turning, {{1.1, 1.16}, {1.34, 1.42}}));
}

TEST(DeliveryCatchUpTest, SamplesLostAtTheEndOfAStallLeaveTheHeldOnesWhereTheyWere) {
  // The stall ended in the loss: the held samples run on from the pause, and the loss lies
  // between the last of them and the stream that followed.
  ExpectEachOnTime(StallWithLosses(Turning, {{1.42, 1.52}}));
}

TEST(DeliveryCatchUpTest, TwoLossesASampleApartEachGoWhereTheyWere) {
  // 5 and 6 samples lost with one sample between them: each step reads the other as half a
  // jump, so judged against their own neighbours they read as one loss of the wrong size.
  ExpectEachOnTime(StallWithLosses(Turning, {{1.1, 1.2}, {1.22, 1.34}}));
}

// The limb turns (a smooth bump of rate) from 0.4 to 1.1 s and from 1.4 to 2.0 s, and is still
// between: a rep's hold.
ImuSample TurningWithAHold(double true_s) {
  constexpr double kPi = 3.14159265358979;
  ImuSample sample;
  for (const auto& [from, to] : {std::pair{0.4, 1.1}, std::pair{1.4, 2.0}}) {
    if (true_s > from && true_s < to) {
      sample.gyro_rad_s.z = 2.0 * (1.0 - std::cos(2.0 * kPi * (true_s - from) / (to - from)));
    }
  }
  sample.accel_m_s2 = {0.0, 0.0, 9.81};
  return sample;
}

TEST(DeliveryCatchUpTest, SamplesLostWhereNothingJumpsGoWhereTheLimbWasStill) {
  // Lost in the hold, where nothing changes: put where the limb was still, not where the stall
  // began (the limb turning fast there, the bridge would add a turn that never happened). The
  // samples in motion keep their own times; the still ones may move within the hold.
  int moving = 0;
  for (const Timing& timing : StallWithLosses(TurningWithAHold, {{1.2, 1.3}})) {
    if (std::abs(TurningWithAHold(timing.true_s).gyro_rad_s.z) < 1e-6) continue;
    EXPECT_NEAR(timing.error_s, 0.0, 1e-3) << "the sample due at " << timing.true_s << " s";
    ++moving;
  }
  EXPECT_GT(moving, 50);
}

TEST(DeliveryCatchUpTest, MoreLostWhereNothingJumpsThanOneBurstIsSharedOutSoEachGapIsBridged) {
  // 12 samples lost in the hold in two bursts (0.12 s each, a sample apart), where nothing shows
  // them. Put in one place they would make a 0.26 s gap, and with the stall's timing a cut one;
  // no place takes more than a loss burst (0.2 s), so each gap is short enough to bridge.
  const std::vector<Timing> timings =
      StallWithLosses(TurningWithAHold, {{1.12, 1.24}, {1.26, 1.38}});
  double longest_gap_s = 0.0;
  for (std::size_t k = 1; k < timings.size(); ++k) {
    const double at_s = timings[k].true_s + timings[k].error_s;
    const double before_s = timings[k - 1].true_s + timings[k - 1].error_s;
    longest_gap_s = std::max(longest_gap_s, at_s - before_s);
  }
  EXPECT_LE(longest_gap_s, DeliveryCatchUpParams{}.loss_burst_max_s + kPeriodS + 1e-6);
  for (const Timing& timing : timings) {
    if (std::abs(TurningWithAHold(timing.true_s).gyro_rad_s.z) < 1e-6) continue;
    EXPECT_NEAR(timing.error_s, 0.0, 1e-3) << "the sample due at " << timing.true_s << " s";
  }
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
  for (int i = 1; i <= 10; ++i) feeder.Arrive(1.5 + 1e-5 * i);  // 10 of the 25 the pause owes
  EXPECT_EQ(static_cast<int>(feeder.fed().numbers.size()), 51);
  feeder.End();
  ExpectInOrder(feeder.fed(), 61);
  // The last sample held keeps its arrival; those before it reach back into the pause.
  EXPECT_NEAR(feeder.fed().arrivals_s[60], 1.5 + 10e-5, 1e-9);
  EXPECT_LT(feeder.fed().arrivals_s[51], 1.5 - 8 * kPeriodS);
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

// Whatever the link does (batches, stalls, losses in and after them, bursts of any size) and
// however the limb moves, every sample is passed on once, in order, at increasing times.
TEST(DeliveryCatchUpTest, AnyStreamPassesEverySampleOnceInOrderAtIncreasingTimes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int run = 0; run < 300; ++run) {
    SCOPED_TRACE(run);
    CatchUpFeeder feeder;
    double arrival_s = 0.0;
    double stall_until_s = -1.0;
    int lost_until = -1;
    for (int i = 0; i < 600; ++i) {
      const double due_s = kPeriodS * i;
      if (unit(rng) < 0.03) lost_until = i + static_cast<int>(10 * unit(rng));  // a burst
      if (i <= lost_until) continue;                                            // lost by the link
      if (stall_until_s < due_s && unit(rng) < 0.02) stall_until_s = due_s + 1.5 * unit(rng);
      arrival_s =
          std::max(arrival_s, due_s <= stall_until_s ? stall_until_s : due_s) + 1e-4 * unit(rng);
      ImuSample sample;
      sample.gyro_rad_s = {4.0 * (unit(rng) - 0.5), 3.0 * std::sin(due_s), 0.0};
      sample.accel_m_s2 = {9.81 * std::sin(due_s), 0.0, 9.81 * std::cos(due_s)};
      feeder.Arrive(arrival_s, sample);
    }
    feeder.End();
    const Fed& fed = feeder.fed();
    ASSERT_EQ(static_cast<int>(fed.numbers.size()), feeder.count());
    for (std::size_t k = 0; k < fed.numbers.size(); ++k) {
      ASSERT_EQ(fed.numbers[k], static_cast<int>(k));
      if (k > 0) {
        ASSERT_GT(fed.arrivals_s[k], fed.arrivals_s[k - 1]) << "sample " << k;
      }
    }
  }
}

TEST(DeliveryCatchUpTest, AfterResetTheFirstSampleIsNoPause) {
  CatchUpFeeder feeder;
  for (int i = 0; i <= 50; ++i) feeder.Arrive(kPeriodS * i);
  feeder.Reset();
  // The device is back: its first sample opens the stream afresh (held until the next one says
  // it came alone), with no pause before it, and no catch-up.
  feeder.Arrive(5.0);
  feeder.Arrive(5.0 + kPeriodS);
  ExpectInOrder(feeder.fed(), 53);
  EXPECT_NEAR(feeder.fed().arrivals_s[51], 5.0, 1e-9);
  EXPECT_EQ(feeder.catch_up().caught_up_samples(), 0);
}

}  // namespace
}  // namespace ambi::fusion
