#include "fusion/clock/sample_clock.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace ambi::fusion {
namespace {

// Deterministic jitter without std:: distributions (their output differs between libraries).
class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  double Uniform() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_;
};

TEST(SampleClockTest, DeviceTimePassesThroughAndFindsGaps) {
  SampleClock clock({.nominal_rate_hz = 100.0, .device_time = true});
  std::vector<ClockUpdate> updates;
  for (int k = 0; k < 10; ++k) {
    const Time t = TimeFromSeconds(1.0 + 0.01 * k);
    updates.push_back(clock.Update(t, t));
  }
  // Five samples missing: the next one is 60 ms after the last.
  const Time after_gap = TimeFromSeconds(1.0 + 0.09 + 0.06);
  const ClockUpdate gap = clock.Update(after_gap, after_gap);
  for (int k = 0; k < 10; ++k) {
    EXPECT_NEAR(ToSeconds(updates[k].time), 1.0 + 0.01 * k, 1e-9);
    EXPECT_FALSE(updates[k].gap);
  }
  EXPECT_TRUE(gap.gap);
  EXPECT_EQ(gap.missing_samples, 5);
  EXPECT_NEAR(ToSeconds(gap.gap_duration), 0.06, 1e-9);
  EXPECT_NEAR(ToSeconds(gap.time), 1.15, 1e-9);
  EXPECT_EQ(clock.gaps(), 1);
}

TEST(SampleClockTest, RejectsDuplicateAndBackwardsDeviceTime) {
  SampleClock clock({.nominal_rate_hz = 100.0, .device_time = true});
  const Time t0 = TimeFromSeconds(2.0);
  clock.Update(t0, t0);
  EXPECT_FALSE(clock.Update(t0, t0).accepted);
  EXPECT_FALSE(clock.Update(t0 - Duration(5'000'000), t0).accepted);
  EXPECT_TRUE(clock.Update(t0 + Duration(10'000'000), t0).accepted);
  EXPECT_EQ(clock.rejected_samples(), 2);
}

// A device's counter may hold anything: times at the int64 limits once overflowed the
// differences and sums of times (undefined behaviour; UBSan aborted). Session times must stay
// ordered and follow the arrival clock, and a jump of the device clock is a gap, not a crash.
TEST(SampleClockTest, ExtremeDeviceTimesSaturateInsteadOfOverflowing) {
  SampleClock clock({.nominal_rate_hz = 100.0, .device_time = true});
  const Time arrival0 = TimeFromSeconds(10.0);
  const ClockUpdate first = clock.Update(Time::min(), arrival0);
  EXPECT_EQ(first.time, arrival0);
  const Time arrival1 = TimeFromSeconds(10.01);
  const ClockUpdate jump = clock.Update(Time::max(), arrival1);
  EXPECT_TRUE(jump.accepted);
  EXPECT_TRUE(jump.gap);
  EXPECT_GT(jump.missing_samples, 0);
  EXPECT_EQ(ToSeconds(jump.gap_duration), kMaxDurationSeconds);  // saturated
  EXPECT_GT(jump.time, first.time);
  EXPECT_LE(jump.time, arrival1);  // the offset envelope keeps session time at the arrivals
  // Back to ordinary device times: behind the last device time, so refused, and no crash.
  EXPECT_FALSE(clock.Update(TimeFromSeconds(1.0), TimeFromSeconds(10.02)).accepted);
  const ClockUpdate later = clock.Update(Time::max(), TimeFromSeconds(10.03));
  EXPECT_FALSE(later.accepted);  // a repeat of the last device time
}

TEST(SampleClockTest, ExtremeArrivalTimesSaturateInsteadOfOverflowing) {
  SampleClock clock({.nominal_rate_hz = 100.0});
  clock.Update(Time::min(), Time::min());
  const ClockUpdate pause = clock.Update(Time::max(), Time::max());
  EXPECT_TRUE(pause.gap);
  EXPECT_EQ(ToSeconds(pause.gap_duration), kMaxDurationSeconds);  // saturated
  EXPECT_EQ(pause.time, Time::max());
  const ClockUpdate next = clock.Update(Time::max(), Time::max());
  EXPECT_EQ(next.time, Time::max());  // saturated, not wrapped to a negative time
}

// A link that held its first 29 samples back (50 Hz) delivers them at once 0.58 s late, then on
// time. Each of the burst lowers the offset's envelope by a period, so session time can only
// step a microsecond per sample until the stream is on time: the clock says by how much it
// shortened each of those steps, and the session step and that add up to the device's period.
// Once on time, the steps are the session's own.
TEST(SampleClockTest, ABurstAsTheLinkBeginsKeepsEachSamplesDeviceStep) {
  SampleClock clock({.nominal_rate_hz = 50.0, .device_time = true});
  Time last_time;
  for (int k = 0; k < 100; ++k) {
    const double device_s = 0.02 * k;
    const double arrival_s = k < 29 ? 0.587 : device_s + 0.004;
    const ClockUpdate update = clock.Update(TimeFromSeconds(device_s), TimeFromSeconds(arrival_s));
    ASSERT_FALSE(update.gap) << k;
    if (k > 0) {
      EXPECT_GT(update.time, last_time) << k;
    }
    if (k > 0 && k <= 29) {
      EXPECT_GT(ToSeconds(update.shortened_step), 0.019) << k;
      EXPECT_NEAR(ToSeconds(update.time - last_time + update.shortened_step), 0.02, 1e-9) << k;
    } else {
      EXPECT_EQ(update.shortened_step, Duration(0)) << k;
    }
    if (k >= 40) {
      EXPECT_NEAR(ToSeconds(update.time), device_s + 0.004, 1e-6) << k;
    }
    last_time = update.time;
  }
}

// A device clock that runs 5 % fast: the offset's envelope falls a little at every sample, and
// session time, which follows the arrivals, is the truer one. No step is taken for a burst's.
TEST(SampleClockTest, AFastDeviceClockShortensNoStep) {
  SampleClock clock({.nominal_rate_hz = 100.0, .device_time = true});
  for (int k = 0; k < 500; ++k) {
    const double true_s = 0.01 * k;
    const ClockUpdate update =
        clock.Update(TimeFromSeconds(1.05 * true_s), TimeFromSeconds(true_s + 0.003));
    EXPECT_EQ(update.shortened_step, Duration(0)) << k;
    if (k > 0) {
      EXPECT_NEAR(ToSeconds(update.time), true_s + 0.003, 1e-6) << k;
    }
  }
}

TEST(SampleClockTest, DeviceClocksWithOffsetAndDriftMeetOnSessionTime) {
  // Two sensors sample the same instants; their device clocks start 300 s apart and one runs
  // 500 ppm fast. Arrival = true time + latency in [2, 12] ms.
  SampleClock left({.nominal_rate_hz = 100.0, .device_time = true});
  SampleClock right({.nominal_rate_hz = 100.0, .device_time = true});
  SplitMix jitter(7);
  double worst_s = 0.0;
  for (int k = 0; k < 6000; ++k) {
    const double true_s = 0.01 * k;
    const Time arrival_l = TimeFromSeconds(true_s + 0.002 + 0.01 * jitter.Uniform());
    const Time arrival_r = TimeFromSeconds(true_s + 0.002 + 0.01 * jitter.Uniform());
    const ClockUpdate l = left.Update(TimeFromSeconds(true_s), arrival_l);
    const ClockUpdate r = right.Update(TimeFromSeconds(300.0 + true_s * 1.0005), arrival_r);
    ASSERT_FALSE(l.gap);
    ASSERT_FALSE(r.gap);
    if (k > 500) worst_s = std::max(worst_s, std::abs(ToSeconds(l.time - r.time)));
  }
  // Left/right misalignment stays within the latency jitter, not the 300 s offset or the drift.
  EXPECT_LT(worst_s, 0.012);
}

TEST(SampleClockTest, ArrivalTimesAreSmoothedToTheSamplePeriod) {
  SampleClock clock({.nominal_rate_hz = 200.0});
  SplitMix jitter(11);
  Time previous;
  double worst_step_error_s = 0.0;
  for (int k = 0; k < 4000; ++k) {
    // Arrivals carry 0-8 ms of latency, as USB serial delivers them.
    const Time arrival = TimeFromSeconds(0.005 * k + 0.008 * jitter.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    ASSERT_FALSE(update.gap) << k;
    ASSERT_LE(update.time, arrival + Duration(1000));
    if (k > 1000) {
      worst_step_error_s =
          std::max(worst_step_error_s, std::abs(ToSeconds(update.time - previous) - 0.005));
    }
    previous = update.time;
  }
  EXPECT_LT(worst_step_error_s, 0.0015);
  EXPECT_EQ(clock.found_late_samples(), 0);
}

TEST(SampleClockTest, LearnsARateOnePercentOffNominalWithoutFalseGaps) {
  SampleClock clock({.nominal_rate_hz = 100.0});
  const double true_period_s = 0.0101;
  for (int k = 0; k < 6000; ++k) {
    const Time arrival = TimeFromSeconds(true_period_s * k + 0.001 * (k % 3));
    ASSERT_FALSE(clock.Update(arrival, arrival).gap) << k;
  }
  EXPECT_NEAR(clock.period_s(), true_period_s, 2e-6);
  EXPECT_EQ(clock.found_late_samples(), 0);
}

TEST(SampleClockTest, ABufferedBurstIsNotAGapButALongPauseIs) {
  SampleClock clock({.nominal_rate_hz = 100.0});
  int k = 0;
  for (; k < 100; ++k) clock.Update(TimeFromSeconds(0.01 * k), TimeFromSeconds(0.01 * k));
  // The transport stalls for 150 ms, then delivers the buffered samples at once.
  const Time burst = TimeFromSeconds(0.01 * 99 + 0.15);
  for (int i = 0; i < 15; ++i, ++k) EXPECT_FALSE(clock.Update(burst, burst).gap);
  // Then nothing for 1 s: samples were lost.
  const Time late = burst + DurationFromSeconds(1.0);
  const ClockUpdate gap = clock.Update(late, late);
  EXPECT_TRUE(gap.gap);
  EXPECT_EQ(gap.missing_samples, 99);
}

// 25 Hz with 5 ms of latency; the radio drops samples 100-104 (200 ms, 240 ms without samples),
// and the samples either side of the loss come late, by 35 and 75 ms: a pause past
// min_arrival_gap_s. The gap is the samples' own: six missing counted from the pause (one too
// many, the late arrival added a period) and seven periods, 280 ms. Not the 310 ms between the
// session times either side, which held the after sample's latency too and passed the gap
// policy's bridge_max_s (0.3 s).
TEST(SampleClockTest, APauseIsAsLongAsTheSamplesItLost) {
  SampleClock clock({.nominal_rate_hz = 25.0});
  ClockUpdate after;
  for (int k = 0; k < 150; ++k) {
    if (k >= 100 && k <= 104) continue;
    const double latency_s = k == 99 ? 0.035 : k == 105 ? 0.075 : 0.005;
    const Time arrival = TimeFromSeconds(0.04 * k + latency_s);
    const ClockUpdate update = clock.Update(arrival, arrival);
    if (k == 105) after = update;
  }
  ASSERT_TRUE(after.gap);
  EXPECT_EQ(after.missing_samples, 6);
  EXPECT_NEAR(ToSeconds(after.gap_duration), 7 * 0.04, 1e-9);
}

TEST(SampleClockTest, AFewLostSamplesOfAnArrivalStreamAreAGapToBridge) {
  // 50 Hz with 0-8 ms of latency; the radio drops samples 500-502 (60 ms), far shorter than a
  // pause that min_arrival_gap_s calls a gap.
  SampleClock clock({.nominal_rate_hz = 50.0});
  SplitMix jitter(5);
  std::vector<int> gap_at;
  std::int64_t missing = 0;
  Time last;
  for (int k = 0; k < 1000; ++k) {
    if (k >= 500 && k <= 502) continue;
    const Time arrival = TimeFromSeconds(0.02 * k + 0.008 * jitter.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    if (update.gap) {
      gap_at.push_back(k);
      missing += update.missing_samples;
      EXPECT_EQ(update.missing_before_previous, update.missing_samples);  // before sample 503
    }
    last = update.time;
  }
  // Found at the second sample after the loss (the first alone could be a late burst), with
  // the lost samples counted, so the session time keeps pace with the samples.
  ASSERT_EQ(gap_at.size(), 1u);
  EXPECT_EQ(gap_at[0], 504);
  EXPECT_EQ(missing, 3);
  EXPECT_NEAR(ToSeconds(last), 0.02 * 999, 0.01);
}

TEST(SampleClockTest, TwoLossesASampleApartAreBothCounted) {
  // 25 Hz with 0-8 ms of latency; the radio drops sample 500, delivers 501, then drops 502-506
  // (200 ms). Before, only the first loss was counted: the second went uncounted, the session
  // clock ran 200 ms behind the samples for a minute, and the next loss looked too long to
  // bridge.
  SampleClock clock({.nominal_rate_hz = 25.0});
  SplitMix jitter(7);
  std::vector<ClockUpdate> gaps;
  Time last;
  for (int k = 0; k < 1000; ++k) {
    if (k == 500 || (k >= 502 && k <= 506)) continue;
    const Time arrival = TimeFromSeconds(0.04 * k + 0.008 * jitter.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    if (update.gap) gaps.push_back(update);
    last = update.time;
  }
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].missing_samples, 6);
  EXPECT_EQ(gaps[0].missing_before_previous, 1);
  // The longest time without samples: 502-506 lost, 501 to 507.
  EXPECT_NEAR(ToSeconds(gaps[0].gap_duration), 0.24, 0.005);
  EXPECT_NEAR(ToSeconds(last), 0.04 * 999, 0.01);
}

// A BLE stream arrives in connection events (BlueZ's default interval is 30-50 ms): 100 Hz in
// 50 ms events, losing bursts of 1-10 samples every 2-4 s. The step from one event to the next
// is no second loss: before arrival_loss_again_batched_s, 241 samples were counted for 214 lost
// (the session clock then ran ahead and bridged samples that never existed).
TEST(SampleClockTest, ABatchedStreamDoesNotOvercountItsLosses) {
  SampleClock clock({.nominal_rate_hz = 100.0});
  SplitMix rng(11);
  std::int64_t counted = 0;
  std::int64_t lost = 0;
  double next_burst_s = 2.0;
  int dropping = 0;
  for (int k = 0; k < 12000; ++k) {
    const double t = 0.01 * k;
    if (t >= next_burst_s && dropping == 0) {
      dropping = 1 + static_cast<int>(rng.Uniform() * 10.0);
      next_burst_s = t + 2.0 + 2.0 * rng.Uniform();
    }
    if (dropping > 0) {
      --dropping;
      ++lost;
      continue;
    }
    const Time arrival = TimeFromSeconds(std::ceil(t / 0.05) * 0.05 + 0.003 * rng.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    if (update.gap) counted += update.missing_samples;
  }
  counted += clock.found_late_samples();
  EXPECT_GT(lost, 150);
  EXPECT_LE(static_cast<double>(counted), 1.03 * static_cast<double>(lost));
}

// 200 Hz with 0-8 ms of latency: losses of one to five samples (5-25 ms) are under
// arrival_loss_min_s, so no gap is reported, but every later sample is late by the lost time.
// Counted for the rate, they no longer read as a slower device: uncounted, 60 lost samples in
// 40 s made the period 0.75 % long, and every gyro sample was integrated over that step. And the
// session time steps over the lost time at the sample that finds it (late_loss_step says by how
// much), every step after it one period: left to the offset's envelope (2 ms/s), the time fell
// behind by up to 228 ms and every step read 0.19 % long while it caught up.
TEST(SampleClockTest, ShortLossesFoundBlocksLaterNeitherSlowTheRateNorLeaveTheTimeBehind) {
  SampleClock clock({.nominal_rate_hz = 200.0});
  SplitMix jitter(7);
  std::int64_t lost = 0;
  std::int64_t stepped_ns = 0;
  std::optional<Time> previous;
  double worst_behind_s = 0.0;
  double steps_s = 0.0;
  int steps = 0;
  for (int k = 0; k < 8000; ++k) {
    if (k % 400 == 200) {  // a loss of 1..5 samples every 2 s
      const int n = 1 + (k / 400) % 5;
      lost += n;
      k += n - 1;
      continue;
    }
    const Time arrival = TimeFromSeconds(0.005 * k + 0.008 * jitter.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    ASSERT_FALSE(update.gap) << k;
    stepped_ns += update.late_loss_step.count();
    if (previous && k > 1000) {
      steps_s += ToSeconds(update.time - *previous - update.late_loss_step);
      ++steps;
      // Half a second after each loss it has been found: the session time is the true time
      // (sample k at 5 ms; session time starts at the first arrival) up to the least latency.
      if (k % 400 >= 300) {
        worst_behind_s = std::max(worst_behind_s, 0.005 * k - ToSeconds(update.time - Time{}));
      }
    }
    previous = update.time;
  }
  // Each step is rounded from the least latency of two blocks: one off in 15 losses is jitter.
  EXPECT_NEAR(static_cast<double>(clock.found_late_samples()), static_cast<double>(lost), 2.0);
  EXPECT_NEAR(clock.period_s(), 0.005, 0.005 * 1e-3);
  EXPECT_NEAR(static_cast<double>(stepped_ns) * 1e-9, 0.005 * static_cast<double>(lost), 0.011);
  EXPECT_LT(worst_behind_s, 0.005);                   // 0.7 ms; 228 ms caught up slowly
  EXPECT_NEAR(steps_s / steps, 0.005, 0.005 * 5e-4);  // -0.01 %; +0.19 % caught up slowly
}

// Each loss found blocks later is also located: the report names how many samples back the
// first sample after the loss is. Latency only adds, so a sample lagging less than halfway up
// the step came before the loss; jitter can only place the loss a little early, never late.
TEST(SampleClockTest, AShortLossFoundLateIsLocated) {
  SampleClock clock({.nominal_rate_hz = 200.0});
  SplitMix jitter(7);
  int reported = 0;
  int seen = 0;          // samples passed to the clock
  int first_after = -1;  // index (in 'seen') of the first sample after the last loss
  for (int k = 0; k < 8000; ++k) {
    if (k % 400 == 200) {  // a loss of 1..5 samples every 2 s
      const int n = 1 + (k / 400) % 5;
      k += n - 1;
      first_after = seen;
      continue;
    }
    const Time arrival = TimeFromSeconds(0.005 * k + 0.008 * jitter.Uniform());
    const ClockUpdate update = clock.Update(arrival, arrival);
    ++seen;
    if (update.late_loss_samples == 0) continue;
    ++reported;
    const int located = seen - 1 - static_cast<int>(update.late_loss_samples_ago);
    EXPECT_LE(located, first_after) << k;      // never after the loss
    EXPECT_GE(located, first_after - 4) << k;  // at most 4 samples (20 ms) early
    EXPECT_LE(seen - 1 - first_after, SampleClock::kLagHistory) << k;
  }
  EXPECT_GE(reported, 18);  // of 20 losses: the rest are found, not located (ShortLosses...)
}

// A short loss is found late within LateLossFoundWithinS of the first sample after it, at
// 200 Hz (1-5 samples lost) and at 50 Hz (one sample): a movement judged by where it carried the
// limb waits that long (RepDetectorParams::late_loss_wait_s). A device-time stream finds every
// loss at the sample after it, and waits for none.
TEST(SampleClockTest, AShortLossIsFoundLateWithinItsBound) {
  for (const double rate_hz : {200.0, 50.0}) {
    SCOPED_TRACE(rate_hz);
    const SampleClockParams params{.nominal_rate_hz = rate_hz};
    SampleClock clock(params);
    const double period_s = 1.0 / rate_hz;
    const int every = static_cast<int>(2.0 * rate_hz);  // a loss every 2 s
    SplitMix jitter(11);
    int found = 0;
    int first_after = -1;  // the sample number of the first sample after the last loss
    for (int k = 0; k < 40 * every / 2; ++k) {
      if (k % every == every / 2) {
        k += (rate_hz > 100.0 ? (k / every) % 5 : 0);
        first_after = k + 1;
        continue;
      }
      const Time arrival = TimeFromSeconds(period_s * k + 0.008 * jitter.Uniform());
      const ClockUpdate update = clock.Update(arrival, arrival);
      if (update.late_loss_samples == 0) continue;
      ++found;
      EXPECT_LE(static_cast<double>(k - first_after) * period_s, LateLossFoundWithinS(params)) << k;
    }
    EXPECT_GE(found, 15);  // of 20 losses
  }
  EXPECT_NEAR(LateLossFoundWithinS({.nominal_rate_hz = 200.0}), 0.3, 1e-9);
  EXPECT_NEAR(LateLossFoundWithinS({.nominal_rate_hz = 25.0}), 0.48, 1e-9);
  EXPECT_EQ(LateLossFoundWithinS({.nominal_rate_hz = 200.0, .device_time = true}), 0.0);
}

// A heavily lossy link at 200 Hz: bursts of 1-5 samples 2.5 times a second, so that blocks in a
// row often step up. Once the period estimate has learned the rate, such a climb is no rate error
// (a crystal drifts 2000 ppm at most): the losses are counted. Taken for a rate error, three lossy
// blocks in a row set a rise of 4-5 periods a block, which hid the next losses while it decayed.
TEST(SampleClockTest, LossesInBlocksInARowAreNoRateError) {
  SampleClock clock({.nominal_rate_hz = 200.0});
  SplitMix rng(5);
  std::int64_t lost = 0;
  std::int64_t counted = 0;
  int dropping = 0;
  for (int k = 0; k < 12000; ++k) {
    if (dropping == 0 && rng.Uniform() < 2.5 * 0.005) {  // 2.5 bursts a second
      dropping = 1 + static_cast<int>(rng.Uniform() * 5.0);
    }
    if (dropping > 0) {
      --dropping;
      ++lost;
      continue;
    }
    // Latency: 4 ms times the size of a normal draw (Box-Muller), as the simulator's.
    const double normal = std::sqrt(-2.0 * std::log(1.0 - rng.Uniform())) *
                          std::cos(6.283185307179586 * rng.Uniform());
    const Time arrival = TimeFromSeconds(0.005 * k + 0.004 * std::abs(normal));
    const ClockUpdate update = clock.Update(arrival, arrival);
    if (update.gap) counted += update.missing_samples;
  }
  counted += clock.found_late_samples();
  EXPECT_GT(lost, 300);
  // 370 of 381 and +0.09 %; taken for a rate error, 350 and +0.26 %.
  EXPECT_NEAR(static_cast<double>(counted), static_cast<double>(lost),
              0.05 * static_cast<double>(lost));
  EXPECT_NEAR(clock.period_s(), 0.005, 0.005 * 1.5e-3);
}

// A device 4 % slower than nominal, before the period estimate has learned it, makes every
// arrival later than the last by the same small amount: a steady rise, never a loss.
TEST(SampleClockTest, ARateErrorIsNoLoss) {
  for (const double rate_error : {0.04, 0.08}) {
    SampleClock clock({.nominal_rate_hz = 200.0});
    SplitMix jitter(3);
    const double true_period_s = 0.005 * (1.0 + rate_error);
    for (int k = 0; k < 4000; ++k) {
      const Time arrival = TimeFromSeconds(true_period_s * k + 0.004 * jitter.Uniform());
      clock.Update(arrival, arrival);
    }
    EXPECT_EQ(clock.found_late_samples(), 0) << rate_error;
    EXPECT_NEAR(clock.period_s(), true_period_s, true_period_s * 1e-3) << rate_error;
  }
}

TEST(SampleClockTest, ResetStartsANewMapping) {
  SampleClock clock({.nominal_rate_hz = 50.0, .device_time = true});
  clock.Update(TimeFromSeconds(10.0), TimeFromSeconds(1.0));
  clock.Reset();
  const ClockUpdate update = clock.Update(TimeFromSeconds(0.5), TimeFromSeconds(4.0));
  EXPECT_TRUE(update.accepted);
  EXPECT_NEAR(ToSeconds(update.time), 4.0, 1e-9);
}

}  // namespace
}  // namespace ambi::fusion
