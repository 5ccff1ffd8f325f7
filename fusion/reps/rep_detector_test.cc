#include "fusion/reps/rep_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <numbers>
#include <random>
#include <tuple>
#include <vector>

#include "fusion/orientation/madgwick.h"
#include "fusion/reps/hinge_motion_for_test.h"

namespace ambi::fusion {
namespace {

using hinge::AngleAt;
using hinge::HingeSample;
using hinge::MakeHinge;
using hinge::MakeHingeFrom;
using hinge::Piece;
using hinge::PiecesAt;
using hinge::TotalSeconds;

Quaternion RandomMount(std::mt19937& rng) {
  std::normal_distribution<double> normal;
  Quaternion q{normal(rng), normal(rng), normal(rng), normal(rng)};
  const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  return {q.w / n, q.x / n, q.y / n, q.z / n};
}

RepDetectorParams Params(double rate_hz, Phase first_phase = Phase::kConcentric) {
  RepDetectorParams params;
  params.nominal_rate_hz = rate_hz;
  params.first_phase = first_phase;
  return params;
}

// Feeds the exact orientation, or what 'orientation' makes of it (time, exact -> fed).
// 'gap_from_s'..'gap_to_s' are left out and announced by MarkGap.
using OrientationError = std::function<Quaternion(double t_s, const Quaternion& exact)>;
std::vector<Rep> Detect(const std::vector<HingeSample>& samples, const RepDetectorParams& params,
                        double gap_from_s = -1, double gap_to_s = -1,
                        const OrientationError& orientation = nullptr) {
  RepDetector detector(params);
  std::vector<Rep> reps;
  bool gap_marked = false;
  for (const HingeSample& s : samples) {
    const double t = ToSeconds(s.sample.time);
    if (t >= gap_from_s && t < gap_to_s) continue;
    if (t >= gap_to_s && gap_to_s > 0 && !gap_marked) {
      detector.MarkGap(s.sample.time);
      gap_marked = true;
    }
    const Quaternion fed = orientation ? orientation(t, s.sensor_to_earth) : s.sensor_to_earth;
    RepDetectorOutput out = detector.Update(s.sample, fed);
    if (out.rep) reps.push_back(*out.rep);
  }
  while (auto rep = detector.Finish()) reps.push_back(*rep);
  return reps;
}

// Hands 'samples' to 'feed' (sample, exact orientation, bridged), leaving out those whose time
// 'lost' says was lost, and bridges each run of them as the pipeline's gap bridge does:
// BridgeSample between the samples either side, handed on marked bridged with the exact
// orientation of the sample it stands for. Returns how many samples were bridged.
using FeedSample =
    std::function<void(const ImuSample& sample, const Quaternion& exact, bool bridged)>;
std::int64_t BridgeLosses(const std::vector<HingeSample>& samples,
                          const std::function<bool(double t_s)>& lost, const FeedSample& feed) {
  std::int64_t bridged = 0;
  const auto is_lost = [&](std::size_t i) { return lost(ToSeconds(samples[i].sample.time)); };
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (is_lost(i)) continue;
    if (i > 0 && is_lost(i - 1)) {
      std::size_t before = i - 1;
      while (is_lost(before)) --before;
      const std::int64_t missing = static_cast<std::int64_t>(i - before) - 1;
      for (std::int64_t k = 1; k <= missing; ++k, ++bridged) {
        feed(BridgeSample(samples[before].sample, samples[i].sample, k, missing),
             samples[before + static_cast<std::size_t>(k)].sensor_to_earth, true);
      }
    }
    feed(samples[i].sample, samples[i].sensor_to_earth, false);
  }
  return bridged;
}

// BridgeLosses into 'detector', fed the exact orientation also with a bridged sample (a stand-in
// for what a filter integrating the bridged gyro gives over a short gap). Returns the reps the
// detector gave; 'bridged' counts the bridged samples.
std::vector<Rep> FeedBridgingLosses(RepDetector& detector, const std::vector<HingeSample>& samples,
                                    const std::function<bool(double t_s)>& lost,
                                    std::int64_t* bridged) {
  std::vector<Rep> reps;
  *bridged = BridgeLosses(
      samples, lost, [&](const ImuSample& sample, const Quaternion& exact, bool is_bridged) {
        const RepDetectorOutput out = detector.Update(sample, exact, is_bridged);
        if (out.rep) reps.push_back(*out.rep);
      });
  return reps;
}

struct Case {
  double rom_deg;
  double rate_hz;
};

class RomAndRateTest : public ::testing::TestWithParam<Case> {};

TEST_P(RomAndRateTest, ExactCountRomAndTempoForAnyMount) {
  const Case c = GetParam();
  std::mt19937 rng(static_cast<unsigned>(c.rom_deg * 10 + c.rate_hz));
  constexpr double kRise = 1.0, kHold = 0.5, kFall = 1.6, kRest = 1.0;
  for (int mount_index = 0; mount_index < 6; ++mount_index) {
    const Quaternion mount = RandomMount(rng);
    const auto samples =
        MakeHinge(hinge::Reps(5, c.rom_deg, kRise, kHold, kFall, kRest), c.rate_hz, mount);
    const std::vector<Rep> reps = Detect(samples, Params(c.rate_hz));
    ASSERT_EQ(reps.size(), 5u) << "mount " << mount_index;
    for (std::size_t i = 0; i < reps.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "mount " << mount_index << " rep " << i);
      const Rep& r = reps[i];
      EXPECT_NEAR(r.rom_deg, c.rom_deg, 2.0);
      EXPECT_NEAR(r.concentric_s, kRise, 0.05);
      EXPECT_NEAR(r.eccentric_s, kFall, 0.05);
      EXPECT_NEAR(r.pause_turnaround_s, kHold, 0.1);
      // Closed form: true start of rep i.
      const double start_s = 1.5 + static_cast<double>(i) * (kRise + kHold + kFall + kRest);
      EXPECT_NEAR(ToSeconds(r.start), start_s, 0.05);
      EXPECT_NEAR(ToSeconds(r.end), start_s + kRise + kHold + kFall, 0.05);
      // Half-cosine peak speed: rom * pi / (2 * rise).
      EXPECT_NEAR(r.peak_concentric_speed_deg_s, c.rom_deg * std::numbers::pi / (2 * kRise),
                  0.02 * c.rom_deg * std::numbers::pi / (2 * kRise) + 1.0);
      if (i > 0) {
        EXPECT_NEAR(r.pause_before_s, kRest, 0.1);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Reps, RomAndRateTest,
                         ::testing::Values(Case{30, 25}, Case{30, 50}, Case{30, 100}, Case{30, 200},
                                           Case{140, 25}, Case{140, 50}, Case{140, 100},
                                           Case{140, 200}));

TEST(RepDetectorTest, HoldAtTheTopForSecondsIsOneRepWithItsPause) {
  const auto samples = MakeHinge(hinge::Reps(4, 80, 1.5, 5.0, 1.5, 2.0), 25, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(25));
  ASSERT_EQ(reps.size(), 4u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.pause_turnaround_s, 5.0, 0.1);
    EXPECT_NEAR(r.rom_deg, 80, 2.0);
    EXPECT_NEAR(r.concentric_s, 1.5, 0.05);
  }
}

// What the pairing waits for: while a rep is in progress (and while the axis is learned), the
// detector says where a rep it has not returned may begin, never after that rep's start; once
// the rep is returned and the limb rests, nothing.
TEST(RepDetectorTest, SaysWhereARepNotYetReturnedMayBegin) {
  const auto samples = MakeHinge(hinge::Reps(3, 60, 1.0, 0.5, 1.0, 2.0), 50, {1, 0, 0, 0});
  RepDetector detector(Params(50));
  std::vector<std::optional<Time>> from;
  std::vector<Rep> reps;
  for (const HingeSample& s : samples) {
    RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep) reps.push_back(*out.rep);
    from.push_back(detector.UnreturnedRepFrom());
  }
  ASSERT_EQ(reps.size(), 3u);
  for (std::size_t k = 0; k < reps.size(); ++k) {
    SCOPED_TRACE(k);
    const Rep& rep = reps[k];
    const auto index_at = [&](Time t) {
      return static_cast<std::size_t>(std::lround(ToSeconds(t) * 50.0));
    };
    // Mid-rep (at the turnaround and in the descent): a bound at or before the rep's start.
    for (std::size_t i : {index_at(rep.turnaround), index_at(rep.end) - 5}) {
      ASSERT_TRUE(from[i].has_value()) << "sample " << i;
      EXPECT_LE(*from[i], rep.start) << "sample " << i;
    }
  }
  // Resting after the last rep was returned: nothing is pending.
  EXPECT_FALSE(from.back().has_value());

  // A limb that stays still (the other side of a one-sided set) holds no rep, though it never
  // learns an axis: the other side's reps need not wait for it.
  RepDetector still(Params(50));
  for (const HingeSample& s : MakeHinge({{0.0, 60.0}}, 50, {1, 0, 0, 0})) {
    still.Update(s.sample, s.sensor_to_earth);
    ASSERT_FALSE(still.UnreturnedRepFrom().has_value()) << ToSeconds(s.sample.time);
  }
}

// A walk of 17 swings of +-'last_swing_deg' about the hang, the arm coming to rest at
// 'hang_deg' for 1.5 s, then six 120 deg curls from there, against the last swing's return:
// the curls must be measured from the hang, about the axis and in the direction they teach.
void ExpectCurlsAfterAWalkMeasuredFromTheHang(double last_swing_deg, double hang_deg) {
  SCOPED_TRACE(testing::Message() << "last swing " << last_swing_deg << ", hang " << hang_deg);
  std::vector<hinge::Piece> pieces = {{0.0, 2.0}};
  double to_deg = -last_swing_deg;
  pieces.push_back({to_deg / 2.0, 0.28});
  for (int i = 0; i < 17; ++i) {
    to_deg = -to_deg;
    pieces.push_back({to_deg, 0.55});
  }
  pieces.push_back({hang_deg, 0.28});  // back to hanging
  pieces.push_back({hang_deg, 1.5});
  for (int i = 0; i < 6; ++i) {
    pieces.push_back({hang_deg - 120.0, 1.0});
    pieces.push_back({hang_deg - 120.0, 0.3});
    pieces.push_back({hang_deg, 1.5});
    pieces.push_back({hang_deg, 1.0});
  }
  const std::vector<Rep> reps = Detect(MakeHinge(pieces, 50, {1, 0, 0, 0}), Params(50));
  std::vector<Rep> curls;
  for (const Rep& r : reps) {
    if (r.rom_deg > 60.0) curls.push_back(r);
  }
  ASSERT_EQ(curls.size(), 6u);
  for (const Rep& r : curls) {
    EXPECT_NEAR(r.rom_deg, 120.0, 3.0);
    EXPECT_NEAR(r.concentric_s, 1.0, 0.2);
    EXPECT_NEAR(r.eccentric_s, 1.5, 0.2);
  }
}

// Walking before the set: the arm swings 20 deg either side of hanging at 0.9 Hz for 10 s, its
// last swing comes back from behind to hang still for 1.5 s, then the set's curls go the other
// way. That last swing's return is no rep's rise: the curls must be measured from the hang, about
// the axis and in the direction they teach, not the swings'.
TEST(RepDetectorTest, AfterAWalkTheSetIsMeasuredFromTheHang) {
  for (const double last_swing_deg : {20.0, -20.0}) {
    ExpectCurlsAfterAWalkMeasuredFromTheHang(last_swing_deg, 0.0);
  }
}

// After the walk the arm hangs 7 deg from where it hung before it (the pendulum's last swing
// stops short or carries on, or the athlete stands differently): still a hang, not the held top
// of a rise that began at the bottom of the last swing, however shallow that swing was. The set
// is measured from it.
TEST(RepDetectorTest, AfterAWalkAHangAFewDegreesOffIsStillTheHang) {
  for (const double last_swing_deg : {20.0, -20.0, 12.0, -12.0}) {
    for (const double hang_deg : {7.0, -7.0}) {
      ExpectCurlsAfterAWalkMeasuredFromTheHang(last_swing_deg, hang_deg);
    }
  }
}

// An arm swings further forward than back when walking (here 31 deg forward, 14 back): still a
// pendulum, not reps. After it the arm hangs still, and lateral raises about another axis (the
// frontal one, the walk's is sagittal) follow: the detector learns their axis afresh and counts
// them all, the swings counting nothing.
TEST(RepDetectorTest, AfterAnUnevenArmSwingRaisesAboutAnotherAxisAreCounted) {
  constexpr double kRateHz = 50.0;
  std::vector<hinge::Piece> walk = {{0.0, 2.0}, {31.0, 0.28}};
  for (int i = 0; i < 8; ++i) {
    walk.push_back({-14.0, 0.55});
    walk.push_back({31.0, 0.55});
  }
  walk.push_back({0.0, 0.4});
  walk.push_back({0.0, 1.5});
  std::vector<HingeSample> samples = MakeHinge(walk, kRateHz, {1, 0, 0, 0}, {0, 1, 0});
  const std::vector<HingeSample> raises =
      MakeHinge(hinge::Reps(6, 30.0, 1.0, 0.3, 1.5, 1.0, 0.5), kRateHz, {1, 0, 0, 0}, {1, 0, 0});
  const double offset_s = ToSeconds(samples.back().sample.time) + 1.0 / kRateHz;
  for (HingeSample s : raises) {
    s.sample.time = TimeFromSeconds(ToSeconds(s.sample.time) + offset_s);
    samples.push_back(s);
  }
  const std::vector<Rep> reps = Detect(samples, Params(kRateHz));
  std::vector<Rep> in_walk;
  std::vector<Rep> in_set;
  for (const Rep& r : reps) (ToSeconds(r.start) < offset_s ? in_walk : in_set).push_back(r);
  EXPECT_TRUE(in_walk.empty()) << in_walk.size() << " swings counted, the first "
                               << (in_walk.empty() ? 0.0 : in_walk.front().rom_deg) << " deg";
  ASSERT_EQ(in_set.size(), 6u);
  for (const Rep& r : in_set) {
    EXPECT_NEAR(r.rom_deg, 30.0, 2.0);
    EXPECT_NEAR(r.concentric_s, 1.0, 0.2);
  }
}

// A raised leg settles back a little at the top before it is held: 26 deg up over 1.2 s, 1.5 deg
// back over 0.3 s (5-8 deg/s, as a real straight-leg raise does), held 4 s, lowered over 1.2 s.
// The settling is part of the hold, not the start of a 5 s descent.
TEST(RepDetectorTest, SettlingBackAtTheTopIsPartOfTheHold) {
  std::vector<hinge::Piece> pieces = {{0.0, 1.5}};
  for (int i = 0; i < 4; ++i) {
    pieces.push_back({26.0, 1.2});
    pieces.push_back({24.5, 0.3});
    pieces.push_back({24.5, 4.0});
    pieces.push_back({0.0, 1.2});
    pieces.push_back({0.0, 1.5});
  }
  const std::vector<Rep> reps = Detect(MakeHinge(pieces, 25, {1, 0, 0, 0}), Params(25));
  ASSERT_EQ(reps.size(), 4u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, 26.0, 1.0);
    EXPECT_NEAR(r.pause_turnaround_s, 4.3, 0.3);
    EXPECT_NEAR(r.eccentric_s, 1.2, 0.3);
  }
}

// A physiotherapy low-amplitude leg raise: 12 deg, raised over 1.5 s, held 1 s, lowered over 2 s.
// It peaks at 12.6 deg/s and turns slower than rest_gyro_rad_s (8.6 deg/s) through most of each
// rep: the axis is learned from it (slow_motion_gyro_rad_s), and once the set has reps, rest is
// judged against their speed (rest_speed_frac), so the hold and the slow descent stay inside the
// rep.
TEST(RepDetectorTest, ASlowSmallRepIsOneRepWithItsHoldAndDescent) {
  std::mt19937 rng(11);
  std::normal_distribution<double> gyro_noise(0.0, 0.01);  // 0.6 deg/s
  auto samples = MakeHinge(hinge::Reps(8, 12, 1.5, 1.0, 2.0, 1.5), 25, RandomMount(rng));
  for (HingeSample& s : samples) {
    s.sample.gyro_rad_s.x += gyro_noise(rng);
    s.sample.gyro_rad_s.y += gyro_noise(rng);
    s.sample.gyro_rad_s.z += gyro_noise(rng);
  }
  const std::vector<Rep> reps = Detect(samples, Params(25));
  ASSERT_EQ(reps.size(), 8u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, 12.0, 1.0);
    EXPECT_NEAR(r.pause_turnaround_s, 1.0, 0.3);
    // Phases read short: their ends are found where the speed crosses timing_speed_min_deg_s
    // (3 deg/s), which a 2 s half-cosine descent peaking at 9.4 deg/s stays under for 0.2 s at
    // each end, and extrapolation recovers only timing_extrapolate_max_s of that.
    EXPECT_NEAR(r.concentric_s, 1.5, 0.3);
    EXPECT_NEAR(r.eccentric_s, 2.0, 0.4);
  }
}

TEST(RepDetectorTest, BackToBackRepsWithoutRest) {
  const auto samples = MakeHinge(hinge::Reps(10, 60, 0.6, 0.0, 0.6, 0.0), 25, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(25));
  EXPECT_EQ(reps.size(), 10u);
}

TEST(RepDetectorTest, WobblesOfAFewDegreesAreNotReps) {
  std::vector<Piece> pieces = {{0, 1.5}};
  auto add_wobbles = [&pieces] {
    for (int k = 0; k < 4; ++k) {
      pieces.push_back({4.0, 0.3});
      pieces.push_back({-1.0, 0.3});
    }
    pieces.push_back({0, 0.5});
  };
  add_wobbles();  // before the axis is known
  for (int i = 0; i < 3; ++i) {
    pieces.push_back({60, 1.0});
    pieces.push_back({0, 1.0});
    add_wobbles();
  }
  const auto samples = MakeHinge(pieces, 100, {0.5, 0.5, 0.5, 0.5});
  EXPECT_EQ(Detect(samples, Params(100)).size(), 3u);
}

TEST(RepDetectorTest, OnlyWobblesGiveNoRep) {
  std::vector<Piece> pieces = {{0, 1.0}};
  for (int k = 0; k < 20; ++k) {
    pieces.push_back({5.0, 0.25});
    pieces.push_back({0.0, 0.25});
  }
  const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0});
  EXPECT_EQ(Detect(samples, Params(100)).size(), 0u);
}

TEST(RepDetectorTest, GapMidRepDropsThatRepOnly) {
  // Rep 3 rises from 1.5 + 2 * 4.1 = 9.7 s; the gap cuts its rise 0.25 s after it crossed the
  // start threshold, and is longer than that: the limb may have come down and risen again in it.
  const auto samples = MakeHinge(hinge::Reps(5, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 10.0, 10.3);
  ASSERT_EQ(reps.size(), 4u);
  EXPECT_NEAR(ToSeconds(reps[2].start), 1.5 + 3 * 4.1, 0.05);
}

TEST(RepDetectorTest, ARepWhoseTurnaroundAGapHidesCountsWhenTheGapIsShorterThanItsRise) {
  // Rep 3 rises from 9.7 s to its 0.5 s hold at 10.7 s, and falls from 11.2 s. A gap from
  // 10.5 s (0.7 s into the rise, at 82 deg) finds the limb held at the top at 11.0 s: it could
  // not have come down and risen again in 0.5 s, so the rep went on through the gap and counts,
  // bridged, its range from the hold seen after the gap.
  const auto samples = MakeHinge(hinge::Reps(5, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 10.5, 11.0);
  ASSERT_EQ(reps.size(), 5u);
  EXPECT_NEAR(ToSeconds(reps[2].start), 9.7, 0.05);
  EXPECT_NEAR(ToSeconds(reps[2].end), 12.8, 0.05);
  EXPECT_NEAR(reps[2].rom_deg, 90.0, 1.0);
  EXPECT_TRUE(reps[2].bridged);
  EXPECT_FALSE(reps[1].bridged);
  EXPECT_FALSE(reps[3].bridged);

  // A gap from 10.5 s to 11.6 s, longer than the rise seen before it, finds the limb on its way
  // down: it may have been down and up again in it. Rep 3 is dropped.
  EXPECT_EQ(Detect(samples, Params(100), 10.5, 11.6).size(), 4u);
}

TEST(RepDetectorTest, AGapThatEndsInTheFirstRepsHoldDoesNotTurnTheSetUpsideDown) {
  // 30 deg raises held 0.8 s at the top. A gap (a delivery stall with losses in it) cuts the
  // first rep's rise and ends in its hold: the limb is found still, 30 deg up. Before the set
  // has its reps a limb at rest learns the axis and the direction afresh, but this is a hold:
  // learned from there, the way back down would be the rep, every rep read from top to top.
  // The rise is 1.5-2.7 s. A gap from 2.3 s cuts it before the axis is learned: nothing says
  // where the first rep went, and it is dropped. One from 2.65 s cuts it after, 1 s into its
  // rise: the 0.35 s gap could not hold a way down and up again, so the rep goes on through it
  // (RiseWentOnThroughGap) and counts, marked bridged.
  const auto samples = MakeHinge(hinge::Reps(6, 30, 1.2, 0.8, 1.2, 1.0), 50, {1, 0, 0, 0});
  for (const auto& [gap_from_s, gap_to_s, first_rep] :
       {std::tuple{2.3, 2.9, 1}, std::tuple{2.65, 3.0, 0}}) {
    SCOPED_TRACE(gap_from_s);
    const std::vector<Rep> reps = Detect(samples, Params(50), gap_from_s, gap_to_s);
    ASSERT_EQ(reps.size(), static_cast<std::size_t>(6 - first_rep));
    for (std::size_t i = 0; i < reps.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_NEAR(ToSeconds(reps[i].start),
                  1.5 + static_cast<double>(i + static_cast<std::size_t>(first_rep)) * 4.2, 0.1);
      EXPECT_NEAR(reps[i].rom_deg, 30.0, 1.0);
      EXPECT_EQ(reps[i].bridged, first_rep == 0 && i == 0);
    }
  }
}

TEST(RepDetectorTest, GapAfterTheRepCameBackCompletesItAtTheLastSample) {
  // Rep 2 ends at 1.5 + 4.1 + 3.1 = 8.7 s; its last 5 % of the way down are missing.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 8.5, 9.0);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(ToSeconds(reps[1].end), 8.49, 0.02);
  EXPECT_GT(reps[1].rom_deg, 85.0);
}

TEST(RepDetectorTest, GapOnTheWayBackCountsTheRepWhenTheLimbIsFoundBackAtRest) {
  // Rep 2 falls from 7.1 s to 8.7 s; the gap hides the second half of its way down, and the
  // first sample after it (9.0 s) finds the limb back at rest.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 7.9, 9.0);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(ToSeconds(reps[1].end), 7.89, 0.02);
  EXPECT_GT(reps[1].rom_deg, 85.0);
}

TEST(RepDetectorTest, GapOnTheWayBackFollowsALimbStillComingBackUntilItSlows) {
  // Rep 2 falls from 7.1 s to 8.7 s; the gap hides 7.8-8.0 s, and the first sample after it
  // finds the limb 35 deg up (of 90), still coming down fast: neither back nor still enough for
  // its accelerometer to say. It is followed down, and where it slows it is back: rep 2 counts.
  // Judged at that first sample alone, it was dropped.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 7.8, 8.0);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_TRUE(reps[1].bridged);
  EXPECT_GT(reps[1].rom_deg, 85.0);

  // Found on its way up rep 3 instead, it was not seen coming back: dropped, as before.
  EXPECT_EQ(Detect(samples, Params(100), 7.8, 10.2).size(), 1u);
}

// The fused orientation as after a real cut gap: from 'after_gap_s' on for 0.1 s (until the limb
// has been still that long and the tilt is corrected), still the one of the last sample before
// the gap ('before_gap_s'); exact otherwise.
OrientationError CarriedOverGap(const std::vector<HingeSample>& samples, double before_gap_s,
                                double after_gap_s) {
  const auto before_gap = std::find_if(samples.begin(), samples.end(), [&](const HingeSample& s) {
    return ToSeconds(s.sample.time) >= before_gap_s;
  });
  const Quaternion carried =
      before_gap != samples.end() ? before_gap->sensor_to_earth : Quaternion{1, 0, 0, 0};
  return [carried, after_gap_s](double t_s, const Quaternion& exact) {
    return t_s >= after_gap_s && t_s < after_gap_s + 0.1 ? carried : exact;
  };
}

TEST(RepDetectorTest, GapOnTheWayBackReadsTheReturnFromAQuietAccelerometerNotTheCarriedTilt) {
  // As above, but as after a real gap the fused orientation is still the one carried over it
  // (half-way down rep 2) until the limb has been still 0.1 s: the first sample after the gap
  // reads 45 deg from the rep's start. Its accelerometer, at rest, reads the limb back.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const OrientationError stale_after_gap = CarriedOverGap(samples, 7.89, 9.0);
  const std::vector<Rep> reps = Detect(samples, Params(100), 7.9, 9.0, stale_after_gap);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(ToSeconds(reps[1].end), 7.89, 0.02);

  // Moving after the gap (the data resumes half-way up rep 3), the accelerometer is not gravity
  // and the carried tilt cannot tell either: rep 2 stays dropped.
  EXPECT_EQ(Detect(samples, Params(100), 7.9, 10.2, stale_after_gap).size(), 1u);
}

TEST(RepDetectorTest, ATiltCorrectedAfterACutGapIsNoRep) {
  // A gap from half-way up rep 2 (6.0 s, at 25 deg) into its hold at the top (6.7 s). As after a
  // real gap, the fused orientation is the one carried over it until the limb has been still
  // 0.1 s; then the tilt is corrected and the angle jumps 25 deg up, past the start threshold.
  // That jump is no rise: rep 2 is dropped (the gap event says so), and no rep is measured from
  // where the limb was already at its top (a first phase of -0.06 s, a peak speed of 0).
  const auto samples = MakeHinge(hinge::Reps(3, 50, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps =
      Detect(samples, Params(100), 6.0, 6.7, CarriedOverGap(samples, 5.99, 6.7));
  ASSERT_EQ(reps.size(), 2u);
  for (const Rep& r : reps) {
    EXPECT_GT(r.concentric_s, 0.5);
    EXPECT_NEAR(r.rom_deg, 50.0, 1.0);
  }
  EXPECT_NEAR(ToSeconds(reps[1].start), 9.7, 0.1) << "rep 3";
}

TEST(RepDetectorTest, GapOnTheWayBackDropsTheRepWhenTheLimbIsNotFoundBackAtRest) {
  // Same cut, but the data resumes at 10.2 s, half-way up rep 3 (which rises from 9.7 s): where
  // rep 2 ended is unknown, and rep 3 began in the gap. Only rep 1 is whole.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 7.9, 10.2);
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_NEAR(ToSeconds(reps[0].start), 1.5, 0.05);
}

TEST(RepDetectorTest, GapOnTheWayBackOfARepWhoseStartWasNotSeenCountsItWhenTheLimbCameDown) {
  // The data begins mid-rise (0.3 s into a rise from -50 to 40 deg, at -31.5 deg and 100 deg/s),
  // below the pose the set later rests at (0). The gap hides the second half of the way down;
  // after it the limb rests at 0: 31.5 deg above the first sample, more than end_frac of the
  // excursion measured from it, but 40 deg below the peak. Then two whole reps.
  std::vector<Piece> pieces = {{40, 1.0}, {40, 0.3}, {0, 1.0}, {0, 1.0}};
  for (int i = 0; i < 2; ++i) {
    pieces.push_back({40, 1.0});
    pieces.push_back({40, 0.3});
    pieces.push_back({0, 1.0});
    pieces.push_back({0, 1.0});
  }
  auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0}, {0, 1, 0}, -50.0);
  samples.erase(samples.begin(), samples.begin() + 30);
  const std::vector<Rep> reps = Detect(samples, Params(100), 1.8, 2.5);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(ToSeconds(reps[0].end), 1.79, 0.02);
  EXPECT_NEAR(ToSeconds(reps[1].start), 3.3, 0.05);
}

TEST(RepDetectorTest, RepThatBeganInAGapTakesItsRangeFromTheGyro) {
  // Three 90 deg reps; the gap hides the first 0.2 s of rep 3's rise (from 10.7 s). As after a
  // real gap, the orientation carried over it is wrong until the limb is quiet: 20 deg about the
  // hinge either way, corrected at the hold at the top (12.2 s). The gravity angle then puts the
  // peak or the start 20 deg off; the rep's range is taken from the gyro, which saw the rest of
  // the rise and all of the return.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.5, 0.5, 1.6, 1.0), 100, {1, 0, 0, 0});
  for (const double error_deg : {-20.0, 20.0}) {
    SCOPED_TRACE(error_deg);
    const std::vector<Rep> reps =
        Detect(samples, Params(100), 10.7, 10.9, [&](double t_s, const Quaternion& exact) {
          if (t_s < 10.9 || t_s >= 12.2) return exact;  // wrong from the gap to the hold
          return Compose(hinge::FromAxisAngle({0, 1, 0}, error_deg * hinge::kDegToRad), exact);
        });
    ASSERT_EQ(reps.size(), 3u);
    EXPECT_NEAR(reps[0].rom_deg, 90.0, 1.0);
    EXPECT_NEAR(reps[2].rom_deg, 90.0, 1.0);
  }
}

TEST(RepDetectorTest, GapOnTheWayBackJudgesTheReturnAgainstTheSetsAmplitudeToo) {
  // Three 40 deg reps, then a 20 deg one that the gap cuts on its way back (13.3 s, at 13.5 deg)
  // and after which the limb rests at 10 deg: 10 deg from its start is more than end_frac of
  // its own excursion but within end_frac of the set's amplitude. Then a rep from 10 deg.
  std::vector<Piece> pieces = hinge::Reps(3, 40, 1.0, 0.3, 1.0, 1.0);
  for (const Piece& p : std::vector<Piece>{{20, 1.0},
                                           {20, 0.3},
                                           {10, 1.0},
                                           {10, 1.0},
                                           {50, 1.0},
                                           {50, 0.3},
                                           {10, 1.0},
                                           {10, 1.0}}) {
    pieces.push_back(p);
  }
  const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100), 13.3, 14.0);
  ASSERT_EQ(reps.size(), 5u);
  EXPECT_NEAR(ToSeconds(reps[3].end), 13.29, 0.02);
  EXPECT_NEAR(reps[3].rom_deg, 20.0, 1.0);
  EXPECT_NEAR(reps[4].rom_deg, 40.0, 1.0);
}

TEST(RepDetectorTest, SmallRepsCountOnceTheSetShowsThemTypicalButWobblesDoNot) {
  // A heel raise seen from the shank: a first rep of 16 deg, then reps of 7 deg (below the
  // 8 deg floor of a set without history), with 2 deg wobbles at rest between them.
  std::vector<Piece> pieces = {{0, 1.5}, {16, 0.5}, {0, 0.5}, {0, 1.0}};
  for (int i = 0; i < 6; ++i) {
    pieces.push_back({7, 0.5});
    pieces.push_back({0, 0.5});
    pieces.push_back({0, 0.6});
    pieces.push_back({2, 0.4});
    pieces.push_back({0, 0.4});
    pieces.push_back({0, 0.6});
  }
  const auto samples = MakeHinge(pieces, 100, {0.5, 0.5, 0.5, 0.5});
  const std::vector<Rep> reps = Detect(samples, Params(100));
  ASSERT_EQ(reps.size(), 7u);
  for (std::size_t i = 1; i < reps.size(); ++i) EXPECT_NEAR(reps[i].rom_deg, 7.0, 0.5);
}

TEST(RepDetectorTest, EccentricFirstPhaseMapsTempo) {
  // A squat: lowering first (1.8 s), rising second (0.9 s).
  const auto samples = MakeHinge(hinge::Reps(4, 70, 1.8, 0.2, 0.9, 1.0), 100, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(100, Phase::kEccentric));
  ASSERT_EQ(reps.size(), 4u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.eccentric_s, 1.8, 0.05);
    EXPECT_NEAR(r.concentric_s, 0.9, 0.05);
    // Concentric peak speed is that of the 0.9 s rise: 70 * pi / 1.8.
    EXPECT_NEAR(r.peak_concentric_speed_deg_s, 70 * std::numbers::pi / 1.8, 3.0);
  }
}

TEST(RepDetectorTest, FirstPhaseIsPositiveWhicheverWayTheLimbMoves) {
  // The same reps turning the other way round the hinge.
  const auto samples = MakeHinge(hinge::Reps(3, -50, 1.0, 0.3, 1.0, 1.0), 50, {1, 0, 0, 0});
  RepDetector detector(Params(50));
  double max_angle = -1e9;
  int count = 0;
  for (const HingeSample& s : samples) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    max_angle = std::max(max_angle, out.segment_angle_deg);
    if (out.rep) ++count;
  }
  EXPECT_EQ(count, 3);
  EXPECT_NEAR(max_angle, 50.0, 2.0);
}

TEST(RepDetectorTest, SlowRaiseAndBriskReturnKeepTheFirstPhase) {
  // Rises at <= 15.7 deg/s (below the axis estimator's 20 deg/s floor), holds, returns at
  // ~47 deg/s: the return teaches the axis, yet the raise is the first phase.
  constexpr double kRom = 30.0, kRise = 3.0, kHold = 3.0, kFall = 1.0, kRest = 2.0;
  const auto samples =
      MakeHinge(hinge::Reps(4, kRom, kRise, kHold, kFall, kRest), 50.0, Quaternion{});
  const std::vector<Rep> reps = Detect(samples, Params(50.0));
  ASSERT_EQ(reps.size(), 4u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, kRom, 2.0);
    // Swapped phases would give 1.0 and 3.0 s. The slow raise's ends cross the 3 deg/s timing
    // threshold ~0.18 s inside the true instants (extrapolation is capped at 60 ms).
    EXPECT_NEAR(r.concentric_s, kRise, 0.3);
    EXPECT_NEAR(r.eccentric_s, kFall, 0.1);
  }
}

TEST(RepDetectorTest, RepThatSettlesShortOfItsStartEndsThere) {
  // The first rep comes back only to 25 of 40 deg and the limb rests there (set down in a new
  // pose); the next reps go 25 -> 65 -> 25. Four reps of 40 deg, none merged.
  std::vector<Piece> pieces = {{0.0, 1.5}, {40.0, 1.0}, {40.0, 0.3}, {25.0, 1.0}, {25.0, 4.0}};
  for (int i = 0; i < 3; ++i) {
    pieces.insert(pieces.end(), {{65.0, 1.0}, {65.0, 0.3}, {25.0, 1.0}, {25.0, 1.5}});
  }
  const auto samples = MakeHinge(pieces, 50.0, Quaternion{});
  const std::vector<Rep> reps = Detect(samples, Params(50.0));
  ASSERT_EQ(reps.size(), 4u);
  for (const Rep& r : reps) EXPECT_NEAR(r.rom_deg, 40.0, 2.0);
  // The first rep ends where the limb stopped: 1.5 + 1.0 + 0.3 + 1.0 s.
  EXPECT_NEAR(ToSeconds(reps[0].end), 3.8, 0.1);
}

// A leg held out for a few seconds (a physiotherapy hold) sags a little while held. Three reps
// of 20 deg: a 1 s rise, a 2.5 deg sag at up to 8 deg/s (faster than the timing threshold),
// 3 s held there, a 1 s return. The hold lasts until the return: before, the sag began a 4.5 s
// "descent" (RepDetectorParams::hold_sag_frac).
TEST(RepDetectorTest, ASagWhileHeldIsPartOfTheHold) {
  std::vector<Piece> pieces = {{0.0, 1.5}};
  for (int i = 0; i < 3; ++i) {
    pieces.insert(pieces.end(),
                  {{20.0, 1.0}, {20.0, 0.5}, {17.5, 0.5}, {17.5, 3.0}, {0.0, 1.0}, {0.0, 2.0}});
  }
  const std::vector<Rep> reps = Detect(MakeHinge(pieces, 50.0, Quaternion{}), Params(50.0));
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, 20.0, 1.0);
    EXPECT_NEAR(r.concentric_s, 1.0, 0.25);
    EXPECT_NEAR(r.eccentric_s, 1.0, 0.25);
    EXPECT_NEAR(r.pause_turnaround_s, 4.0, 0.5);
  }
}

// ... and a slower sag, as slow as rest (under 3 deg/s), that takes the leg further than the
// rep's turning threshold (6 of 20 deg): the leg was still from where it turned, so it was
// held, not set down in a new rest pose. The rep ends at its return: before, it ended at its
// peak (eccentric 0 s, or below, in the real hip abductions).
TEST(RepDetectorTest, ALegThatSagsStillWhileHeldIsNotSetDown) {
  std::vector<Piece> pieces = {{0.0, 1.5}};
  for (int i = 0; i < 3; ++i) {
    pieces.insert(pieces.end(), {{20.0, 1.0}, {14.0, 3.5}, {14.0, 1.0}, {0.0, 1.0}, {0.0, 2.0}});
  }
  const std::vector<Rep> reps = Detect(MakeHinge(pieces, 50.0, Quaternion{}), Params(50.0));
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, 20.0, 1.0);
    EXPECT_NEAR(r.eccentric_s, 1.0, 0.3);
    EXPECT_NEAR(ToSeconds(r.end - r.start), 6.5, 0.3);
  }
}

TEST(RepDetectorTest, StartingMidRepCountsOnlyWholeReps) {
  // Starts at the top of a rep, comes down, then three whole reps.
  std::vector<Piece> pieces = {{60, 0.5}, {0, 1.0}, {0, 1.0}};
  for (int i = 0; i < 3; ++i) {
    pieces.push_back({60, 1.0});
    pieces.push_back({0, 1.0});
    pieces.push_back({0, 1.0});
  }
  const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0}, {0, 1, 0}, 60.0);
  EXPECT_EQ(Detect(samples, Params(100)).size(), 3u);
}

TEST(RepDetectorTest, TiltedHingeAxisStillGivesTheRom) {
  // Hinge axis 50 deg from horizontal: gravity sees only part of the motion, the angle about
  // the axis is still exact.
  const Vec3 hinge = {0, std::cos(50 * hinge::kDegToRad), std::sin(50 * hinge::kDegToRad)};
  const auto samples =
      MakeHinge(hinge::Reps(3, 45, 1.0, 0.3, 1.0, 1.0), 100, {0.9, 0.1, 0.3, 0.3}, hinge);
  const std::vector<Rep> reps = Detect(samples, Params(100));
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) EXPECT_NEAR(r.rom_deg, 45, 2.0);
}

TEST(RepDetectorTest, VerticalHingeAxisFallsBackToGyro) {
  const auto samples =
      MakeHinge(hinge::Reps(3, 45, 1.0, 0.3, 1.0, 1.0), 100, {0.8, 0.2, 0.4, 0.4}, {0, 0, 1});
  RepDetector detector(Params(100));
  int count = 0;
  double rom = 0;
  for (const HingeSample& s : samples) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep) {
      ++count;
      rom = out.rep->rom_deg;
    }
  }
  EXPECT_FALSE(detector.diagnostics().gravity_angle);
  EXPECT_EQ(count, 3);
  EXPECT_NEAR(rom, 45, 2.0);
}

TEST(RepDetectorTest, GapOnTheWayBackWithAVerticalHingeChecksThePoseFromGravity) {
  // A hinge 12 deg off vertical: the angle is integrated from the gyro and restarts at a gap, so
  // the return is judged from gravity. Rep 2 (45 deg) falls from 6.1 s to 7.1 s; the gap hides
  // its second half and the data resumes at rest.
  const Vec3 hinge_axis = {std::sin(12.0 * hinge::kDegToRad), 0, std::cos(12.0 * hinge::kDegToRad)};
  const auto samples =
      MakeHinge(hinge::Reps(3, 45, 1.0, 0.3, 1.0, 1.0), 100, {0.8, 0.2, 0.4, 0.4}, hinge_axis);
  RepDetectorParams params = Params(100);
  const std::vector<Rep> reps = Detect(samples, params, 6.6, 7.5);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(ToSeconds(reps[1].end), 6.59, 0.02);
}

TEST(RepDetectorTest, AmplitudeAdaptsSoSmallWobblesBetweenBigRepsAreRejected) {
  // 120 deg reps with 12 deg half-reps in between: above the absolute minimum, but well under
  // the set's amplitude.
  std::vector<Piece> pieces = {{0, 1.5}};
  for (int i = 0; i < 4; ++i) {
    pieces.push_back({120, 1.2});
    pieces.push_back({0, 1.2});
    pieces.push_back({0, 0.5});
    pieces.push_back({12, 0.5});
    pieces.push_back({0, 0.5});
    pieces.push_back({0, 0.5});
  }
  const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0});
  EXPECT_EQ(Detect(samples, Params(100)).size(), 4u);
}

// A lighter set after a rest: five 60 deg reps, 25 s still, then five 15 deg reps (a
// low-amplitude execution, a partial-range set). The second set's reps are a quarter of the first
// set's: judged by the first set's amplitude none would count, and a rejected rep never teaches
// the amplitude, so the whole set would be lost. A set rest forgets the old set's size.
TEST(RepDetectorTest, AfterASetRestASmallerSetIsJudgedByItsOwnReps) {
  std::vector<Piece> pieces = hinge::Reps(5, 60, 1.0, 0.5, 1.0, 1.5);
  const std::vector<Piece> lighter_set =
      hinge::Reps(5, 15, 0.8, 0.5, 0.8, 1.5, /*first_rest_s=*/25);
  pieces.insert(pieces.end(), lighter_set.begin(), lighter_set.end());
  const auto samples = MakeHinge(pieces, 50, {1, 0, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(50));
  ASSERT_EQ(reps.size(), 10u);
  for (int i = 5; i < 10; ++i) EXPECT_NEAR(reps[i].rom_deg, 15, 1.5) << "rep " << i + 1;
}

// Adds to the gyro a roll of 'roll_deg' and back over 'duration_s' from 'from_s', about the
// earth axis 'roll_axis_earth' (one sine period of rate: a jerk that ends where it began).
void AddRollAndBack(std::vector<HingeSample>& samples, double roll_deg, double from_s,
                    double duration_s, const Vec3& roll_axis_earth) {
  for (HingeSample& s : samples) {
    const double t = ToSeconds(s.sample.time);
    if (t < from_s || t >= from_s + duration_s) continue;
    const double u = (t - from_s) / duration_s;
    const double rate_rad_s = roll_deg * hinge::kDegToRad * std::numbers::pi / duration_s *
                              std::sin(2 * std::numbers::pi * u);
    const Vec3 roll_sensor = hinge::Rotate(Inverse(s.sensor_to_earth), roll_axis_earth);
    s.sample.gyro_rad_s = Add(s.sample.gyro_rad_s, Scale(roll_sensor, rate_rad_s));
  }
}

// The axis a rep is reported with is the one it turned about: a set's first rep that starts with
// a jerk about another axis (the leg rolls as it leaves the floor) locks the set's axis on that
// jerk, but the rep itself is a raise about the hinge, as its successors are. RepScreen compares
// reps' axes to tell handling from the set.
TEST(RepDetectorTest, ARepIsReportedWithTheAxisItTurnedAbout) {
  const Vec3 hinge_axis_earth{0, 1, 0};
  const Vec3 roll_axis_earth{1, 0, 0};
  std::vector<HingeSample> samples =
      MakeHinge(hinge::Reps(3, 70, 1.0, 1.0, 1.2, 2.0), 50, {1, 0, 0, 0}, hinge_axis_earth);
  // A 0.16 s roll of 6 deg and back at the first rep's start, about the earth x axis.
  AddRollAndBack(samples, 6.0, 1.5, 0.16, roll_axis_earth);
  RepDetector detector(Params(50));
  std::vector<Vec3> axes;
  for (const HingeSample& s : samples) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep) axes.push_back(out.rep_rotation.axis);
  }
  RepRotation rotation;
  while (detector.Finish(&rotation)) axes.push_back(rotation.axis);
  ASSERT_EQ(axes.size(), 3u);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    EXPECT_GT(std::abs(Dot(axes[i], hinge_axis_earth)), std::cos(15 * hinge::kDegToRad))
        << "rep " << i + 1 << " axis " << axes[i].x << " " << axes[i].y << " " << axes[i].z;
  }
}

// A sharper jerk at the first rep's start (a 10 deg roll in 0.16 s) dominates the first 20 deg
// of motion the set's axis locks on: measured about that axis the raise read upside down (a fall
// and the next rise taken for one rep, the first rep lost). The first rep's own rotation says
// the axis was wrong: it is learned from that rep and the reps are measured about the hinge.
// A move of the whole segment across the earth: 'dx_m' along earth x over 'duration_s' from
// 'start_s', along a half cosine (at rest at both ends).
struct Carry {
  double start_s;
  double duration_s;
  double dx_m;
  double dz_m = 0.0;  // up
  // Minimum-jerk (no acceleration at either end, as a foot set down on a box) rather than a
  // half cosine.
  bool smooth = false;
};

// The samples of 'samples' with the segment also carried as 'carries' say: the accelerometer
// feels the carrying acceleration besides gravity.
std::vector<HingeSample> Carried(std::vector<HingeSample> samples,
                                 const std::vector<Carry>& carries) {
  for (HingeSample& s : samples) {
    const double t = ToSeconds(s.sample.time);
    Vec3 accel_earth{0.0, 0.0, 9.80665};
    for (const Carry& c : carries) {
      const double u = (t - c.start_s) / c.duration_s;
      if (u < 0.0 || u > 1.0) continue;
      // Half-cosine displacement d (1 - cos(pi u)) / 2, or minimum-jerk d (10u^3 - 15u^4 + 6u^5).
      const double shape =
          (c.smooth ? u * (60.0 - 180.0 * u + 120.0 * u * u)
                    : 0.5 * std::numbers::pi * std::numbers::pi * std::cos(std::numbers::pi * u)) /
          (c.duration_s * c.duration_s);
      accel_earth.x += c.dx_m * shape;
      accel_earth.z += c.dz_m * shape;
    }
    s.sample.accel_m_s2 = hinge::Rotate(Inverse(s.sensor_to_earth), accel_earth);
  }
  return samples;
}

// Three forward lunges of a front shank (sensor above the ankle), as the simulator makes them:
// each steps 'step_m' out in 0.6 s, the knee flexing the shank 'knee_deg' and the shank landing
// 'reach_deg' past vertical, settles to vertical (unless 'settles' is false: the stance then
// tilts on from where the shank landed), tilts 'stance_deg' over the planted foot and back, then
// steps back the same way without the reach and stands. Sampled at 'rate_hz'. Each step back
// begins 'back_overlap_s' before the stance's return ends (the two motions add): with an
// overlap the shank never stops between them.
std::vector<HingeSample> Lunges(double knee_deg, double reach_deg, double stance_deg,
                                double step_m = 0.7, bool settles = true, double rate_hz = 100,
                                double back_overlap_s = 0.0) {
  std::vector<Piece> stances = {{0.0, 2.0}};
  std::vector<Piece> steps_back = {{0.0, 2.0}};
  std::vector<Carry> carries;
  double t = 2.0;
  for (int i = 0; i < 3; ++i) {
    stances.push_back({knee_deg, 0.3});
    stances.push_back({-reach_deg, 0.3});
    carries.push_back({t, 0.6, step_m});
    const double settle_s = settles ? 0.5 : 0.0;
    if (settles) stances.push_back({0.0, settle_s});
    stances.push_back({stance_deg, 1.6});
    stances.push_back({stance_deg, 0.2});
    stances.push_back({0.0, 1.0});
    t += 0.6 + settle_s + 1.6 + 0.2 + 1.0;
    const double back_s = t - back_overlap_s;
    steps_back.push_back({0.0, back_s - TotalSeconds(steps_back)});
    steps_back.push_back({knee_deg, 0.3});
    steps_back.push_back({0.0, 0.3});
    carries.push_back({back_s, 0.6, -step_m});
    stances.push_back({0.0, 0.6 + 2.0});
    t += 0.6 + 2.0;
  }
  const auto profile = [&](double time_s) {
    const AngleAt stance = PiecesAt(stances, time_s);
    const AngleAt step = PiecesAt(steps_back, time_s);
    return AngleAt{stance.angle_deg + step.angle_deg, stance.rate_deg_s + step.rate_deg_s};
  };
  return Carried(MakeHingeFrom(profile, TotalSeconds(stances), rate_hz, {1, 0, 0, 0}), carries);
}

// The shank of Lunges' stepping leg.
RepDetectorParams SteppingShank(double rate_hz = 100) {
  RepDetectorParams shank = Params(rate_hz, Phase::kEccentric);
  shank.step_lever_m = shank.ankle_step_lever_m;
  return shank;
}

// Three reps, each a stance of 'rom_deg' (Lunges' three).
void ExpectThreeStances(const std::vector<Rep>& reps, double rom_deg) {
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_TRUE(r.stepped);
    EXPECT_NEAR(r.rom_deg, rom_deg, 1.5);
  }
}

// The stance is the lunge's rep of the stepping leg: its tilt from standing, its tempo, marked
// stepped. Neither step is a rep: the one out swings through the standing pose (or, with a
// short reach, lands beside it), the one back carries the sensor 0.7 m.
TEST(RepDetectorTest, ASteppingLegsRepIsItsStanceNotItsSteps) {
  for (const double reach_deg : {15.0, 5.0}) {
    SCOPED_TRACE(testing::Message() << "reach " << reach_deg);
    const std::vector<Rep> reps = Detect(Lunges(/*knee_deg=*/35.0, reach_deg, /*stance_deg=*/25.0),
                                         Params(100, Phase::kEccentric));
    ASSERT_EQ(reps.size(), 3u);
    for (const Rep& r : reps) {
      EXPECT_NEAR(r.rom_deg, 25.0, 1.5);
      EXPECT_TRUE(r.stepped);
      EXPECT_NEAR(r.concentric_s, 1.0, 0.25);
    }
  }
}

// A short step (0.48 m) whose shank lands 18 deg past vertical and tilts on into the stance from
// there: the step out moved the sensor 0.48 m while the shank turned 18 deg. About a knee (an
// ankle sensor's lever) that turn explains 0.14 m of it, and it is a step; about a shoulder (a
// wrist's 0.6 m) 0.19 m, and the step out was counted as a rep of the stance's size and more.
// (The reach is kept off swing_frac of the knee's turn: at exactly 0.4 of it, whether the step
// out swung through the standing pose came down to rounding.)
TEST(RepDetectorTest, AShortStepLandingTiltedIsAStepForAShank) {
  const std::vector<HingeSample> lunges = Lunges(/*knee_deg=*/48.0, /*reach_deg=*/18.0,
                                                 /*stance_deg=*/25.0, /*step_m=*/0.48,
                                                 /*settles=*/false);
  const RepDetectorParams shank = SteppingShank();
  ExpectThreeStances(Detect(lunges, shank), 25.0);
  EXPECT_GT(Detect(lunges, Params(100, Phase::kEccentric)).size(), 3u)
      << "a wrist's lever explains the step out as a turn";
}

// Step-ups of a trailing shank (sensor above the ankle): it stands, swings up onto a box 'box_m'
// high and 0.3 m ahead in 0.7 s (the knee flexing the shank 'knee_deg' and back), turns on the
// box as 'top' says (by default it stands there for 1 s), swings back down the same way, carried
// for 'down_carry_s' (longer than the knee's 0.7 s: the landing still brakes after the shank has
// stopped), and stands for 2 s. 'downs' false: it only climbs (a stair each time).
struct StepUpShape {
  double knee_deg = 50.0;
  double box_m = 0.35;
  std::vector<Piece> top = {{0.0, 1.0}};
  bool downs = true;
  double down_carry_s = 0.7;
  double stand_after_s = 0.0;  // more standing after the last
  double rate_hz = 100.0;
};

std::vector<HingeSample> StepUps(int count, const StepUpShape& shape = {}) {
  double top_s = 0.0;
  for (const Piece& p : shape.top) top_s += p.duration_s;
  std::vector<Piece> pieces = {{0.0, 2.0}};
  std::vector<Carry> carries;
  double t = 2.0;
  for (int i = 0; i < count; ++i) {
    pieces.insert(pieces.end(), {{shape.knee_deg, 0.35}, {0.0, 0.35}});
    pieces.insert(pieces.end(), shape.top.begin(), shape.top.end());
    carries.push_back({t, 0.7, 0.3, shape.box_m, /*smooth=*/true});
    t += 0.7 + top_s;
    if (!shape.downs) continue;
    pieces.insert(pieces.end(), {{shape.knee_deg, 0.35}, {0.0, 0.35}, {0.0, 2.0}});
    carries.push_back({t, shape.down_carry_s, -0.3, -shape.box_m, /*smooth=*/true});
    t += 0.7 + 2.0;
  }
  if (shape.stand_after_s > 0.0) pieces.push_back({0.0, shape.stand_after_s});
  return Carried(MakeHinge(pieces, shape.rate_hz, {1, 0, 0, 0}), carries);
}

// Three step-ups of StepUps' default knee came out as three trips, each way a step.
void ExpectThreeTrips(const std::vector<Rep>& reps, const RepDetector& detector) {
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_TRUE(r.stepped);
    EXPECT_NEAR(r.rom_deg, 50.0, 2.0);
  }
  EXPECT_EQ(detector.diagnostics().steps, 6) << "each way is a step";
}

// Feeds 'samples' to 'detector' with their exact orientation; returns the reps it gave.
std::vector<Rep> FeedAll(RepDetector& detector, const std::vector<HingeSample>& samples) {
  std::vector<Rep> reps;
  for (const HingeSample& s : samples) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep) reps.push_back(*out.rep);
  }
  return reps;
}

// Up onto the box and back down is one rep of the leg, a trip: each step carries the sensor
// (0.35 m up, then down), and the second brings it back to where the first began. The way up
// is its concentric phase, the time on the box its hold, the knee's flexion its range.
RepDetectorParams Climbing(double rate_hz = 100) {
  RepDetectorParams params = Params(rate_hz, Phase::kConcentric);
  params.climbing = true;
  return params;
}

TEST(RepDetectorTest, AStepUpAndBackDownIsOneRep) {
  RepDetector detector(Climbing());
  const std::vector<Rep> reps = FeedAll(detector, StepUps(3));
  ASSERT_EQ(reps.size(), 3u);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "trip " << i + 1);
    const double start_s = 2.0 + 4.4 * static_cast<double>(i);
    EXPECT_TRUE(reps[i].stepped);
    EXPECT_NEAR(reps[i].rom_deg, 50.0, 2.0);
    EXPECT_NEAR(ToSeconds(reps[i].start), start_s, 0.1);
    EXPECT_NEAR(ToSeconds(reps[i].turnaround), start_s + 0.7, 0.1);
    EXPECT_NEAR(ToSeconds(reps[i].end), start_s + 2.4, 0.1);
    EXPECT_NEAR(reps[i].pause_turnaround_s, 1.0, 0.2);
  }
  EXPECT_EQ(detector.diagnostics().steps, 6) << "each way is a step";
}

// Over a link that finds losses late, a movement waits late_loss_wait_s after its end before it
// is judged: the trips are the same, each given that much later.
TEST(RepDetectorTest, AMovementWaitingForALossToBeFoundIsJudgedTheSameLater) {
  RepDetectorParams waiting = Climbing();
  waiting.late_loss_wait_s = 0.8;
  RepDetector at_once(Climbing());
  RepDetector later(waiting);
  std::vector<std::pair<Rep, double>> given[2];  // each rep, and the time it was given at
  for (const HingeSample& s : StepUps(3)) {
    for (int k = 0; k < 2; ++k) {
      const RepDetectorOutput out = (k == 0 ? at_once : later).Update(s.sample, s.sensor_to_earth);
      if (out.rep) given[k].emplace_back(*out.rep, ToSeconds(s.sample.time));
    }
  }
  ASSERT_EQ(given[0].size(), 3u);
  ASSERT_EQ(given[1].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(testing::Message() << "trip " << i + 1);
    EXPECT_EQ(given[1][i].first.start, given[0][i].first.start);
    EXPECT_EQ(given[1][i].first.end, given[0][i].first.end);
    EXPECT_DOUBLE_EQ(given[1][i].first.rom_deg, given[0][i].first.rom_deg);
    // Settled (still for rest_min_s) 0.3 s after its end at once; 0.8 s after it when waiting.
    EXPECT_NEAR(given[1][i].second - given[0][i].second, 0.5, 0.05);
  }
}

// A set whose every rep was a trip is forgotten after the set's rest, as one of reps is: the next
// set may have the legs' roles swapped (the leading leg now trailing), and its axis is learned
// afresh. Before, the trips were never forgotten, and a leg kept the last set's axis and
// direction for the next.
TEST(RepDetectorTest, ASetOfTripsIsForgottenAfterTheSetsRest) {
  const RepDetectorParams params = Climbing();
  StepUpShape shape;
  shape.stand_after_s = params.set_rest_s + 2.0;
  RepDetector detector(params);
  ExpectThreeTrips(FeedAll(detector, StepUps(3, shape)), detector);
  RepDetector without_rest(params);
  FeedAll(without_rest, StepUps(3));
  EXPECT_EQ(detector.diagnostics().relearned, without_rest.diagnostics().relearned + 1)
      << "the axis is learned afresh once, after the set's rest";
}

// A step up and a step back down in a set that climbs, 'up_m' and 'down_m' as the accelerometer
// tells them: 0.3 s each way, the knee turning the shank 40 deg and back, the foot carried 0.5 m
// ahead over 0.6 s, 2 s apart. 0.2 s of the way up's swing is lost and bridged, and of the way
// down's where 'down_lost'. Fed to 'detector'; returns the reps.
std::vector<Rep> StepOnAndOff(RepDetector& detector, double up_m, double down_m, bool down_lost,
                              std::int64_t* bridged) {
  const std::vector<Piece> pieces = {{0.0, 2.0},  {40.0, 0.3}, {0.0, 0.3}, {0.0, 2.0},
                                     {40.0, 0.3}, {0.0, 0.3},  {0.0, 3.0}};
  const std::vector<HingeSample> samples =
      Carried(MakeHinge(pieces, 100, {1, 0, 0, 0}),
              {{2.0, 0.6, 0.5, /*dz_m=*/up_m}, {4.6, 0.6, 0.5, /*dz_m=*/down_m}});
  const auto lost = [&](double t) {
    return (t > 2.2 && t < 2.4) || (down_lost && t > 4.8 && t < 5.0);
  };
  return FeedBridgingLosses(detector, samples, lost, bridged);
}

// Onto a mat 8 cm high and off it again in a set that climbs, the step on losing 0.2 s of its
// swing and bridged. A way up read across a fill begins a trip unless it fell a step of its own
// (its height is not to be trusted), so the step on waits as a way up; the step off, measured,
// falls 8 cm, short of a step of its own (step_rise_min_m), and does not close it: no trip, no rep.
TEST(RepDetectorTest, AStepOnAMatReadAcrossAFillAndOffAgainIsNoTrip) {
  RepDetector detector(Climbing());
  std::int64_t bridged = 0;
  const std::vector<Rep> reps = StepOnAndOff(detector, 0.08, -0.08, /*down_lost=*/false, &bridged);
  EXPECT_GE(bridged, 19);
  EXPECT_TRUE(reps.empty()) << reps.size() << " reps, the first " << reps.front().rom_deg << " deg";
  EXPECT_EQ(detector.diagnostics().steps, 2);
}

// Three 30 deg raises at 25 Hz, the first beginning with a quick 10 deg turn that a loss of
// 0.2 s hid entirely: the fill's gyro, from still samples either side, says the limb stayed
// still, while the tilt (exact here, as a check after the fill gives it back) shows it rose.
// Rest ran on across the fill, the rest pose was taken 10 deg up the rise and the way down, 10
// deg below it, read as a swing: the first raise was lost. Now rest does not run on across a
// fill after which the tilt moved (fill_moved_deg), and a bridged sample is no rest pose.
TEST(RepDetectorTest, RestDoesNotRunOnAcrossAFillThatHidAMovement) {
  std::vector<Piece> pieces = {{0.0, 2.0},  {10.0, 0.2}, {10.0, 0.1}, {30.0, 0.8},
                               {30.0, 0.3}, {0.0, 1.0},  {0.0, 1.5}};
  const std::vector<Piece> more = hinge::Reps(2, 30.0, 0.9, 0.3, 1.0, 1.5);
  pieces.insert(pieces.end(), more.begin() + 1, more.end());
  const std::vector<HingeSample> samples = MakeHinge(pieces, 25, {1, 0, 0, 0});
  const auto lost = [](double t) { return t > 1.98 && t < 2.22; };
  RepDetector detector(Params(25));
  std::int64_t bridged = 0;
  const std::vector<Rep> reps = FeedBridgingLosses(detector, samples, lost, &bridged);
  EXPECT_GE(bridged, 5);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_NEAR(reps.front().rom_deg, 30.0, 2.0);
  EXPECT_EQ(detector.diagnostics().swings, 0);
}

// A fill can read a way up's height far off, even its direction: simulated step-ups read a way
// up 0.35 m high as 0.12 m up with 0.29 of its turning filled, and as 0.10 m down with 0.06. The
// accelerometer stands in for such readings here. Where the way down was read across a fill as
// well, neither height can tell the trip: its two halves are one rep (the mat above, its step
// off measured, is none). A way up read falling by less than a step of its own begins a trip,
// which a way down measured falling a step closes.
TEST(RepDetectorTest, AWayUpReadLowOrFallingAcrossAFillStillBeginsItsTrip) {
  std::int64_t bridged = 0;
  RepDetector both(Climbing());
  const std::vector<Rep> both_filled =
      StepOnAndOff(both, 0.10, -0.10, /*down_lost=*/true, &bridged);
  EXPECT_GE(bridged, 2 * 19);
  ASSERT_EQ(both_filled.size(), 1u) << "both halves read across fills";
  EXPECT_TRUE(both_filled.front().stepped);
  RepDetector falling(Climbing());
  const std::vector<Rep> read_falling =
      StepOnAndOff(falling, -0.05, -0.35, /*down_lost=*/false, &bridged);
  ASSERT_EQ(read_falling.size(), 1u) << "a way up read 5 cm down";
  EXPECT_TRUE(read_falling.front().stepped);
}

// Three step-ups of a trailing shank at 25 Hz whose second way up (0.7 s, the knee turning the
// shank 50 deg and back) was lost whole. The fill's gyro, from still samples either side, says
// the shank stayed still, and it carries the tilt of the last sample before the loss (a filter
// integrating that gyro does). The way down after it, measured, falls a step of its own with no
// way up waiting: a foot comes down only from where it went up, so the way up lay in the loss and
// the trip is counted, bridged, its range the way down's. A way down alone with nothing lost
// before it stays no trip: data that begins with the shank on the box.
TEST(RepDetectorTest, AWayDownMeasuredAloneAfterALossIsATripWhoseWayUpWasLost) {
  StepUpShape shape;
  shape.rate_hz = 25.0;
  const std::vector<HingeSample> samples = StepUps(3, shape);
  // The second trip's way up: 6.4 s to 7.1 s.
  const auto lost = [](double t) { return t > 6.38 && t < 7.12; };
  RepDetector detector(Climbing(shape.rate_hz));
  std::vector<Rep> reps;
  Quaternion last_measured{1, 0, 0, 0};
  const std::int64_t bridged = BridgeLosses(
      samples, lost, [&](const ImuSample& sample, const Quaternion& exact, bool is_bridged) {
        if (!is_bridged) last_measured = exact;
        const RepDetectorOutput out = detector.Update(sample, last_measured, is_bridged);
        if (out.rep) reps.push_back(*out.rep);
      });
  EXPECT_GE(bridged, 17);
  ASSERT_EQ(reps.size(), 3u);
  const Rep& hidden = reps[1];
  EXPECT_TRUE(hidden.stepped);
  EXPECT_TRUE(hidden.bridged);
  EXPECT_NEAR(hidden.rom_deg, 50.0, 2.0);
  EXPECT_NEAR(ToSeconds(hidden.start), 6.4, 0.1);
  EXPECT_NEAR(ToSeconds(hidden.end), 8.8, 0.1);
  EXPECT_FALSE(reps[0].bridged);
  EXPECT_FALSE(reps[2].bridged);

  std::vector<HingeSample> on_the_box;
  std::copy_if(samples.begin(), samples.end(), std::back_inserter(on_the_box),
               [](const HingeSample& s) { return ToSeconds(s.sample.time) >= 2.9; });
  RepDetector from_the_box(Climbing(shape.rate_hz));
  EXPECT_EQ(FeedAll(from_the_box, on_the_box).size(), 2u)
      << "the first way down, begun on the box, is no trip";
}

// Five 80 deg curls at 50 Hz, the fifth carried 0.5 m along the way (as a fill's straight line
// can make a curl's travel read). Measured whole, that movement is a step and no rep. With 0.2 s
// of its rise lost and bridged, its travel still reads as a step, but a fill can add travel as
// well as take it away, and a limb that has measured no step judges it by its set's reps
// (step_set_reps_min): as large, as long and as fast as the four before it, it is a fifth curl.
TEST(RepDetectorTest, AMovementReadAsAStepAcrossAFillThatMovesAsTheSetsRepsIsARep) {
  const std::vector<HingeSample> samples =
      Carried(MakeHinge(hinge::Reps(5, 80.0, 0.7, 0.0, 0.8, 1.0), 50, {1, 0, 0, 0}),
              {{1.5 + 4 * 2.5, 1.5, /*dx_m=*/0.5}});
  {
    RepDetector measured_whole(Params(50));
    EXPECT_EQ(FeedAll(measured_whole, samples).size(), 4u);
    EXPECT_EQ(measured_whole.diagnostics().steps, 1);
  }
  const auto lost = [](double t) { return t > 11.7 && t < 11.9; };
  RepDetector detector(Params(50));
  std::int64_t bridged = 0;
  const std::vector<Rep> reps = FeedBridgingLosses(detector, samples, lost, &bridged);
  EXPECT_GE(bridged, 9);
  ASSERT_EQ(reps.size(), 5u);
  EXPECT_TRUE(reps[4].bridged);
  EXPECT_NEAR(reps[4].rom_deg, 80.0, 3.0);
  EXPECT_EQ(detector.diagnostics().steps, 0);
}

// 280 ms lost in each step down's braking at 100 Hz (under GapPolicyParams::bridge_max_s) and
// bridged as the pipeline bridges them: the samples either side interpolated, fed marked
// bridged. The interpolation misses the braking, so the velocity left where the leg stopped
// jumped there. Taken out evenly over the step, the height read 0.15 m down for 0.35 m (less
// than half the way up: no trip). Taken out where the samples were lost, it reads 0.32 m, and
// each trip is one rep again.
TEST(RepDetectorTest, AStepDownsHeightHoldsAcrossABridgedGapInItsBraking) {
  const std::vector<HingeSample> samples = StepUps(3);
  // Each step down starts 1.7 s after its step up (2 s + 4.4 s each) and takes 0.7 s; minimum
  // jerk, it brakes hardest 0.55 s in.
  const auto lost = [](double t) {
    for (int i = 0; i < 3; ++i) {
      const double braking_s = 2.0 + 4.4 * i + 1.7 + 0.385;
      if (t > braking_s && t < braking_s + 0.28) return true;
    }
    return false;
  };
  RepDetector detector(Climbing());
  std::int64_t bridged = 0;
  const std::vector<Rep> reps = FeedBridgingLosses(detector, samples, lost, &bridged);
  EXPECT_GE(bridged, 3 * 27);
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_TRUE(r.stepped);
    EXPECT_TRUE(r.bridged);
    EXPECT_NEAR(r.rom_deg, 50.0, 2.0);
  }
  EXPECT_EQ(detector.diagnostics().steps, 6) << "each way is a step";
}

// 200 ms lost early in each step up, while the knee flexes fastest, and bridged. The bridged
// gyro misses part of that turn, and a filter carries the miss until the limb is still on the
// box, where its tilt is checked against gravity and the correction given back to the samples
// since the loss (AddLostRotation, as SessionPipeline::GiveBackTiltSnap does). Here the
// orientation fed falls behind the exact one over the loss, by 25 deg about the knee at its
// end, until 0.2 s after the leg has landed. The leg seems to come back 25 deg past where it stood,
// through its rest pose like a swing, before the check. In an exercise that climbs its height tells
// it is a step all the same, and each trip is one rep.
TEST(RepDetectorTest, AStepUpWhoseTurnABridgeMissedIsNoSwing) {
  const std::vector<HingeSample> samples = StepUps(3);
  const auto step_up_s = [](double t) {
    for (int i = 0; i < 3; ++i) {
      const double from_s = t - (2.0 + 4.4 * i);
      if (from_s >= 0.0 && from_s < 2.0) return from_s;
    }
    return -1.0;
  };
  constexpr double kLossFromS = 0.06, kLossToS = 0.26, kCheckedS = 0.9;
  // The miss grows over the bridged samples, then holds.
  const auto missed_turn = [&](double from_s) {
    const double grown = std::min(1.0, (from_s - kLossFromS) / (kLossToS - kLossFromS));
    return hinge::FromAxisAngle({0, 1, 0}, -25.0 * grown * hinge::kDegToRad);
  };
  RepDetector detector(Climbing());
  std::vector<Rep> reps;
  std::int64_t miss_from_index = -1;  // the detector's first sample fed with the miss
  std::vector<Vec3> exact_up;         // ... and the exact up of each since
  const auto feed = [&](const ImuSample& sample, const Quaternion& exact, bool is_bridged) {
    const double from_s = step_up_s(ToSeconds(sample.time));
    const bool missed = from_s >= kLossFromS && from_s < kCheckedS;
    if (missed && miss_from_index < 0) miss_from_index = detector.next_index();
    const RepDetectorOutput out =
        detector.Update(sample, missed ? Compose(missed_turn(from_s), exact) : exact, is_bridged);
    if (out.rep) reps.push_back(*out.rep);
    if (miss_from_index < 0) return;
    exact_up.push_back(UpInSensorFrame(exact));
    if (!missed) {  // still on the box: the tilt checked, the miss given back
      detector.AddLostRotation(miss_from_index, Vec3{}, 0.0, exact_up);
      miss_from_index = -1;
      exact_up.clear();
    }
  };
  const auto lost = [&](double t) {
    const double from_s = step_up_s(t);
    return from_s > kLossFromS && from_s < kLossToS;
  };
  const std::int64_t bridged = BridgeLosses(samples, lost, feed);
  EXPECT_GE(bridged, 3 * 19);
  EXPECT_EQ(detector.diagnostics().swings, 0);
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) {
    EXPECT_TRUE(r.stepped);
    EXPECT_TRUE(r.bridged);
    EXPECT_NEAR(r.rom_deg, 50.0, 2.0);
  }
}

// An arrival-time stream finds a short loss blocks later (SampleClock::late_loss_samples): here 12
// samples lost while the leg stands on the box, 0.2 s before each step down, are found 0.15 s
// into it, where the shank turns at about 220 deg/s. Until then the samples since the loss are
// stamped a loss early; the one that finds it steps over the lost time (lost_in_step_s), and the
// loss is put back where it was located (AddLostRotation: no rotation, standing still). The step
// down turned one period between those two samples, not thirteen: carried through thirteen, its
// height read 0.06-0.11 m for 0.35 m, no trip; now 0.35 m.
TEST(RepDetectorTest, AStepsHeightHoldsWhenALossIsFoundLaterInIt) {
  constexpr int kLost = 12;
  constexpr double kPeriodS = 0.01;
  const std::vector<HingeSample> samples = StepUps(3);
  const auto step_down_s = [](double t) {
    for (int i = 0; i < 3; ++i) {
      const double from_s = t - (2.0 + 4.4 * i + 1.7);
      if (from_s >= -1.0 && from_s < 1.0) return from_s;
    }
    return -2.0;
  };
  RepDetector detector(Climbing());
  std::vector<Rep> reps;
  std::int64_t located_index = -1;  // the first sample after the loss
  std::vector<Vec3> up_since;       // ... and the up of each fed since
  int lost_left = 0;
  for (const HingeSample& s : samples) {
    const double from_s = step_down_s(ToSeconds(s.sample.time));
    if (from_s >= -0.2 && from_s < -0.2 + kLost * kPeriodS - 1e-9) {
      ++lost_left;  // lost, standing on the box
      continue;
    }
    ImuSample fed = s.sample;
    double lost_in_step_s = 0.0;
    if (lost_left > 0 && from_s >= 0.15) {
      lost_in_step_s = lost_left * kPeriodS;  // found here: this step spans the lost time
    } else if (lost_left > 0) {
      fed.time = fed.time - DurationFromSeconds(lost_left * kPeriodS);  // stamped a loss early
      if (located_index < 0) located_index = detector.next_index();
    }
    const RepDetectorOutput out = detector.Update(fed, s.sensor_to_earth, false, lost_in_step_s);
    if (out.rep) reps.push_back(*out.rep);
    if (located_index >= 0) up_since.push_back(UpInSensorFrame(s.sensor_to_earth));
    if (lost_in_step_s > 0.0) {
      detector.AddLostRotation(located_index, Vec3{}, lost_in_step_s, up_since);
      located_index = -1;
      up_since.clear();
      lost_left = 0;
    }
  }
  ExpectThreeTrips(reps, detector);
}

// Before the set has its reps, a limb at rest learns the axis and its direction afresh from the
// next movement. On the box, between a trip's way up and its way down, that movement would be
// the body's rise over the leg, turning the shank the other way: the step down would then seem
// to start below the pose it stood in, a swing, and the trip would be lost. The way up has
// taught the axis; it is kept until the way down.
TEST(RepDetectorTest, ALeadingLegKeepsItsAxisOnTheBoxUntilItStepsDown) {
  // A leading leg's trips: still on the box after landing; then, as the body rises over it and
  // lowers again, the shank turns 20 deg the other way and back with no height of its own; still
  // again, and back down.
  const StepUpShape leading{.top = {{0.0, 0.5}, {-20.0, 0.8}, {0.0, 0.8}, {0.0, 0.5}}};
  RepDetector detector(Climbing());
  std::vector<Rep> reps = FeedAll(detector, StepUps(3, leading));
  if (std::optional<Rep> last = detector.Finish()) reps.push_back(*last);
  ExpectThreeTrips(reps, detector);
}

// The same turn read the other way: forward by 20 deg and back while the leg stands on the box,
// as a leading leg's rise reads when its landing was lost in a gap and its tilt is not yet
// checked. A movement that small (under step_trip_stand_rom_frac of the way up) between a trip's
// way up and its way down is the leg standing there, and the trip holds; as a rep, it broke the
// trip (nothing counted but the three turns on the box).
TEST(RepDetectorTest, ASmallTurnStandingOnTheBoxIsPartOfTheTrip) {
  const StepUpShape leading{.top = {{0.0, 0.5}, {20.0, 0.8}, {0.0, 0.8}, {0.0, 0.5}}};
  RepDetector detector(Climbing());
  std::vector<Rep> reps = FeedAll(detector, StepUps(3, leading));
  if (std::optional<Rep> last = detector.Finish()) reps.push_back(*last);
  ExpectThreeTrips(reps, detector);

  RepDetectorParams no_stand = Climbing();
  no_stand.step_trip_stand_rom_frac = 0.0;
  RepDetector every_turn(no_stand);
  std::vector<Rep> turns = FeedAll(every_turn, StepUps(3, leading));
  if (std::optional<Rep> last = every_turn.Finish()) turns.push_back(*last);
  ASSERT_EQ(turns.size(), 3u);
  for (const Rep& r : turns) {
    EXPECT_FALSE(r.stepped);
    EXPECT_NEAR(r.rom_deg, 20.0, 2.0);
  }
}

// A slow set: a leg stands on the box for 6 s (the body rising over the leading leg, holding
// and lowering: 3 s up, 1 s at the top, 3 s down would be 7 s) before it steps down. Still one
// trip each: at most 4 s on the box lost them all (step_trip_stand_max_s).
TEST(RepDetectorTest, ALegThatStandsOnTheBoxThroughASlowSetStillMakesATrip) {
  const StepUpShape slow{.top = {{0.0, 6.0}}};
  RepDetector detector(Climbing());
  std::vector<Rep> reps = FeedAll(detector, StepUps(3, slow));
  if (std::optional<Rep> last = detector.Finish()) reps.push_back(*last);
  ExpectThreeTrips(reps, detector);
}

// A step down's end is found where the shank stops turning. Here the leg's carrying goes on
// 0.2 s longer, braking the landing: at that end the accelerometer is 3.3 m/s^2 off gravity,
// too far to take the velocity as zero there, and the last moment before it that was as still
// is the knee's turn halfway down. The height is read once the limb has settled, up to its
// first still moment after the end.
TEST(RepDetectorTest, AStepDownWhoseEndStillBrakesIsReadOnceTheLegHasSettled) {
  RepDetector detector(Climbing());
  const std::vector<Rep> reps = FeedAll(detector, StepUps(3, {.down_carry_s = 0.9}));
  ASSERT_EQ(reps.size(), 3u);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "trip " << i + 1);
    EXPECT_TRUE(reps[i].stepped);
    EXPECT_NEAR(ToSeconds(reps[i].end), 2.0 + 4.4 * static_cast<double>(i) + 2.4, 0.1)
        << "it ends where the shank stopped turning";
  }
  EXPECT_EQ(detector.diagnostics().steps, 6) << "each way is a step";
}

// Climbing only (a stair each time, never down): every swing is a step and none comes back, so
// there is no rep. Each comes out as a movement carried elsewhere.
TEST(RepDetectorTest, StepsUpThatNeverComeDownAreNoReps) {
  RepDetector detector(Climbing());
  int reps = 0;
  int carried = 0;
  for (const HingeSample& s : StepUps(3, {.box_m = 0.18, .top = {{0.0, 2.0}}, .downs = false})) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep) ++reps;
    if (out.carried) ++carried;
  }
  EXPECT_EQ(reps, 0);
  EXPECT_EQ(carried, 3);
}

// The same swings with no box (the sensor does not rise): they are the knee's own reps, six of
// them, none stepped. With the box, in an exercise that does not climb, the height is not read
// (over seconds it is too unsure there) and the swings count as reps too.
TEST(RepDetectorTest, WithoutTheRiseTheSameSwingsAreReps) {
  for (const bool box : {false, true}) {
    SCOPED_TRACE(box ? "a box, the exercise does not climb" : "no box, climbing");
    RepDetectorParams params = Climbing();
    params.climbing = !box;
    const std::vector<Rep> reps = Detect(StepUps(3, {.box_m = box ? 0.35 : 0.0}), params);
    EXPECT_EQ(reps.size(), 6u);
    for (const Rep& r : reps) EXPECT_FALSE(r.stepped);
  }
}

// Each step back is no rep, but the leg moved: it comes out as a movement carried elsewhere
// (the rep screen's gait rule asks whether a limb rested), with the step's own times.
TEST(RepDetectorTest, AStepComesOutAsAMovementCarriedElsewhere) {
  RepDetector detector(Params(100, Phase::kEccentric));
  std::vector<Rep> carried;
  for (const HingeSample& s : Lunges(35.0, 15.0, 25.0)) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.carried) {
      EXPECT_FALSE(out.rep);
      carried.push_back(*out.carried);
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(carried.size()), detector.diagnostics().steps);
  ASSERT_GE(carried.size(), 3u);
  for (const Rep& c : carried) {
    EXPECT_LT(c.start, c.end);
    EXPECT_GT(c.rom_deg, 0.0);
  }
}

// The same shank movements without the carrying: the sensor comes back where it left, so the
// knee's flexions are reps of their own (a leg curl, say) and nothing is marked stepped.
TEST(RepDetectorTest, WithoutBeingCarriedTheSameTurnsAreNoSteps) {
  std::vector<HingeSample> samples = Lunges(35.0, 5.0, 25.0);
  for (HingeSample& s : samples)
    s.sample.accel_m_s2 = hinge::Rotate(Inverse(s.sensor_to_earth), {0, 0, 9.80665});
  RepDetector detector(Params(100, Phase::kEccentric));
  int stepped = 0;
  for (const HingeSample& s : samples) {
    const RepDetectorOutput out = detector.Update(s.sample, s.sensor_to_earth);
    if (out.rep && out.rep->stepped) ++stepped;
  }
  EXPECT_EQ(stepped, 0);
  EXPECT_EQ(detector.diagnostics().steps, 0);
}

// Lunges' second and third steps out (and back, with 'steps_back') lose their push off and
// their landing, 0.2 s each: whether the sample at 't' is lost. Lunge i steps out 6.5 s after
// lunge i - 1, from 2 s, and back 3.9 s later; 0.6 s each.
std::function<bool(double t_s)> LungeStepsLosingPushOffAndLanding(bool steps_back) {
  return [steps_back](double t) {
    for (int i = 1; i < 3; ++i) {
      const double out_s = 2.0 + 6.5 * i;
      for (const double step_s : {out_s, steps_back ? out_s + 3.9 : out_s}) {
        const double u = t - step_s;
        if ((u > 0.0 && u < 0.2) || (u > 0.4 && u < 0.6)) return true;
      }
    }
    return false;
  };
}

// The stances counted from 'samples' with 'lost' bridged, each step judged by its travel alone.
int StancesByTravelAlone(const std::vector<HingeSample>& samples,
                         const std::function<bool(double t_s)>& lost) {
  RepDetectorParams by_travel_alone = SteppingShank();
  by_travel_alone.step_like_filled_frac = 2.0;  // never
  RepDetector travel_only(by_travel_alone);
  std::int64_t bridged = 0;
  int stances = 0;
  for (const Rep& r : FeedBridgingLosses(travel_only, samples, lost, &bridged)) {
    if (r.stepped) ++stances;
  }
  return stances;
}

// Lunges whose second and third steps lost their push off and their braking (the first and last
// 0.2 s of each 0.6 s step, out and back) and were bridged: the accelerometer filled in a
// straight line misses most of what carried the sensor 0.7 m, and the steps read short. Filled
// that much, each is judged by the first step, measured whole: as long and as fast, it is a step
// too, and the stance after it is the rep. Judged by the travel read alone, the last step back
// was a rep and the stance after the last step out a swing.
TEST(RepDetectorTest, AStepWhoseCarryingALossHidIsJudgedByTheStepMeasuredBefore) {
  const std::vector<HingeSample> samples = Lunges(/*knee_deg=*/35.0, /*reach_deg=*/15.0,
                                                  /*stance_deg=*/25.0);
  const auto lost = LungeStepsLosingPushOffAndLanding(/*steps_back=*/true);
  RepDetector detector(SteppingShank());
  std::int64_t bridged = 0;
  const std::vector<Rep> reps = FeedBridgingLosses(detector, samples, lost, &bridged);
  EXPECT_GE(bridged, 4 * 38);
  ExpectThreeStances(reps, 25.0);
  EXPECT_EQ(detector.diagnostics().steps, 3) << "each step back (a step out swings)";
  EXPECT_LT(StancesByTravelAlone(samples, lost), 3) << "the lossy steps read short of a step";
}

// Lunges whose step out swings twice as fast as the step back (a 35 deg reach past standing: 70
// deg in 0.3 s against 35), and whose second and third steps out lose their push off and
// landing. Their travel hidden, each is judged by the steps measured before it: the step into
// the first stance keeps its own tempo beside the step back's. Judged by the last step measured
// alone, the step back, a step out was not alike, and one stance was lost.
TEST(RepDetectorTest, AStepOutIsJudgedByTheStepOutBeforeItNotByTheStepBack) {
  const std::vector<HingeSample> samples = Lunges(/*knee_deg=*/35.0, /*reach_deg=*/35.0,
                                                  /*stance_deg=*/25.0);
  const auto lost = LungeStepsLosingPushOffAndLanding(/*steps_back=*/false);
  RepDetector detector(SteppingShank());
  std::int64_t bridged = 0;
  ExpectThreeStances(FeedBridgingLosses(detector, samples, lost, &bridged), 25.0);
  EXPECT_GE(bridged, 2 * 38);
  EXPECT_LT(StancesByTravelAlone(samples, lost), 3) << "a lossy step out reads short of a step";
}

// A lunge's step back that runs straight on from the stance's return (the simulator's 25 Hz
// lunges do so): begun while the shank still turned, its travel is not read, and it was counted
// as a rep after every stance. Begun where a stance ended, it is judged by the tempo of the
// steps measured (here the steps into the stances, which swung through the standing pose and
// were never measured as movements): as long and as fast, it is a step.
TEST(RepDetectorTest, AStepBackRunOnFromTheStancesReturnIsJudgedByTheStepsTempo) {
  for (const double rate_hz : {25.0, 50.0}) {
    SCOPED_TRACE(testing::Message() << rate_hz << " Hz");
    const std::vector<HingeSample> samples = Lunges(/*knee_deg=*/35.0, /*reach_deg=*/15.0,
                                                    /*stance_deg=*/25.0, /*step_m=*/0.7,
                                                    /*settles=*/true, rate_hz,
                                                    /*back_overlap_s=*/0.2);
    const RepDetectorParams shank = SteppingShank(rate_hz);
    ExpectThreeStances(Detect(samples, shank), 25.0);
    RepDetectorParams by_travel_alone = shank;
    by_travel_alone.step_like_tempo_ratio = 1.0;  // no tempo is alike
    EXPECT_EQ(Detect(samples, by_travel_alone).size(), 6u) << "each step back a rep";
  }
}

// A lunge whose step out lost 0.1 s at its push off and at its landing, bridged, and whose tilt
// the fill left 8 deg off about the knee from there on: the tilt check once the leg is still
// keeps an error that small (MadgwickSettings::bridge_keep_tilt_rad, just over 8 deg). The
// stance then comes back 8 deg "below" standing. Judged as a pendulum through its rest pose, it
// was a swing and the lunge had no rep; with the fill's allowance it is a rep. Its range is read
// to its own return, which the error shifts as it does the turnaround: measured from the pose
// stood in before the step, it was off by the error kept.
TEST(RepDetectorTest, AStanceAfterAFilledStepIsNoSwingForTheTiltTheCheckKept) {
  constexpr double kKeptErrorDeg = -8.0;
  const std::vector<HingeSample> samples = Lunges(/*knee_deg=*/35.0, /*reach_deg=*/15.0,
                                                  /*stance_deg=*/25.0);
  const double step_out_s = 2.0 + 6.5;  // the second lunge's
  const auto lost = [&](double t) {
    const double u = t - step_out_s;
    return (u > 0.0 && u < 0.1) || (u > 0.5 && u < 0.6);
  };
  const auto detect = [&](const RepDetectorParams& params) {
    RepDetector detector(params);
    std::vector<Rep> reps;
    bool filled = false;
    BridgeLosses(
        samples, lost, [&](const ImuSample& sample, const Quaternion& exact, bool bridged) {
          filled = filled || bridged;
          const Quaternion kept =
              Compose(hinge::FromAxisAngle({0, 1, 0}, kKeptErrorDeg * hinge::kDegToRad), exact);
          const RepDetectorOutput out = detector.Update(sample, filled ? kept : exact, bridged);
          if (out.rep) reps.push_back(*out.rep);
        });
    return reps;
  };
  const RepDetectorParams shank = SteppingShank();
  const std::vector<Rep> reps = detect(shank);
  ASSERT_EQ(reps.size(), 3u);
  for (const Rep& r : reps) EXPECT_TRUE(r.stepped);
  EXPECT_NEAR(reps[1].rom_deg, 25.0, 1.5);

  RepDetectorParams no_allowance = shank;
  no_allowance.swing_filled_allow_deg = 0.0;
  EXPECT_EQ(detect(no_allowance).size(), 2u) << "the second stance taken for a swing";
}

TEST(RepDetectorTest, AJerkAtTheFirstRepsStartDoesNotSetTheSetsAxis) {
  std::vector<HingeSample> samples =
      MakeHinge(hinge::Reps(3, 70, 1.0, 1.0, 1.2, 2.0), 50, {1, 0, 0, 0}, {0, 1, 0});
  AddRollAndBack(samples, 10.0, 1.5, 0.16, {1, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(50));
  ASSERT_EQ(reps.size(), 3u);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    const double start_s = 1.5 + 5.2 * static_cast<double>(i);
    EXPECT_NEAR(ToSeconds(reps[i].start), start_s, 0.1) << "rep " << i + 1;
    EXPECT_NEAR(ToSeconds(reps[i].turnaround), start_s + 1.5, 0.6) << "rep " << i + 1;
    EXPECT_NEAR(reps[i].rom_deg, 70, 3) << "rep " << i + 1;
    EXPECT_NEAR(reps[i].concentric_s, 1.0, 0.1) << "rep " << i + 1;
  }
}

// The limb turns 'roll_deg' about 'axis_earth' from 'from_s' over 'duration_s' and stays turned
// (the whole segment, its hinge with it): gyro and orientation both carry the roll.
void AddLastingRoll(std::vector<HingeSample>& samples, double roll_deg, double from_s,
                    double duration_s, const Vec3& axis_earth) {
  for (HingeSample& s : samples) {
    const double t = ToSeconds(s.sample.time);
    if (t < from_s) continue;
    const double u = std::min(1.0, (t - from_s) / duration_s);
    const double roll_rad = roll_deg * hinge::kDegToRad;
    const double rate_rad_s =
        u < 1.0 ? roll_rad * 0.5 * std::numbers::pi / duration_s * std::sin(std::numbers::pi * u)
                : 0.0;
    const Vec3 axis_sensor = hinge::Rotate(Inverse(s.sensor_to_earth), axis_earth);
    s.sample.gyro_rad_s = Add(s.sample.gyro_rad_s, Scale(axis_sensor, rate_rad_s));
    s.sensor_to_earth = Compose(
        hinge::FromAxisAngle(axis_earth, roll_rad * 0.5 * (1 - std::cos(std::numbers::pi * u))),
        s.sensor_to_earth);
  }
}

// As the set's first raise begins the limb rolls 35 deg about another axis, fast, and stays
// rolled: the set's axis locks on the roll. Measured about it the raise is a 35 deg step that
// never comes back, and with 0.3 s between raises nothing between reps relearns it: the first
// rep's check at its end (confirm_axis_max_deg) never came and every raise was lost (0 of 4).
// The running rep is judged as it goes (confirm_axis_travel_factor): the limb turned four times
// that step about another axis, so the axis is learned from the raise and every raise counts.
TEST(RepDetectorTest, AFirstRepMeasuredAboutALastingRollIsCaughtWhileItRuns) {
  std::vector<HingeSample> samples =
      MakeHinge(hinge::Reps(4, 90, 0.8, 0.0, 1.0, 0.3), 50, {1, 0, 0, 0}, {0, 1, 0});
  AddLastingRoll(samples, 35.0, 1.5, 0.15, {1, 0, 0});
  const std::vector<Rep> reps = Detect(samples, Params(50));
  ASSERT_EQ(reps.size(), 4u);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    EXPECT_NEAR(reps[i].rom_deg, 90, 5) << "rep " << i + 1;
  }
}

TEST(RepStateMachineTest, WalksThroughItsNamedStatesInOrder) {
  // One 60 deg rep: learning the axis, at rest, rising, falling, returning, at rest; then, the
  // set having fewer than relearn_until_reps reps, learning the axis afresh once still.
  const auto samples = MakeHinge(hinge::Reps(1, 60, 1.0, 0.0, 1.0, 1.5), 100, {1, 0, 0, 0});
  RepDetector detector(Params(100));
  std::vector<RepState> seen = {detector.state()};
  for (const HingeSample& s : samples) {
    detector.Update(s.sample, s.sensor_to_earth);
    if (detector.state() != seen.back()) seen.push_back(detector.state());
  }
  const std::vector<RepState> expected = {RepState::kLearningAxis, RepState::kRising,
                                          RepState::kFalling,      RepState::kReturning,
                                          RepState::kAtRest,       RepState::kLearningAxis};
  // The axis locks during the rise: the replay of the buffer passes kAtRest within one sample.
  EXPECT_EQ(seen, expected);
  EXPECT_STREQ(RepStateName(RepState::kReturning), "returning");
  EXPECT_STREQ(RepStateName(RepState::kStoppedSuddenly), "stopped_suddenly");
}

TEST(RepStateMachineTest, ACutGapFindingTheLimbMovingWaitsForRest) {
  // The gap (4.9-5.3 s) hides the middle of rep 2's rise: that rep is dropped, and the limb is
  // found mid-movement, far from the rest pose: no rest pose is trusted until the limb is slow
  // (at the turnaround), so rep 2's fall is no rep either.
  const auto samples = MakeHinge(hinge::Reps(3, 90, 1.0, 0.0, 1.0, 1.0), 100, {1, 0, 0, 0});
  RepDetector detector(Params(100));
  bool marked = false;
  int reps = 0;
  std::vector<RepState> after_gap;
  for (const HingeSample& s : samples) {
    const double t = ToSeconds(s.sample.time);
    if (t >= 4.9 && t < 5.3) continue;
    if (t >= 5.3 && !marked) {
      detector.MarkGap(s.sample.time);
      marked = true;
      EXPECT_EQ(detector.state(), RepState::kResuming);
    }
    if (detector.Update(s.sample, s.sensor_to_earth).rep) ++reps;
    if (marked && (after_gap.empty() || after_gap.back() != detector.state())) {
      after_gap.push_back(detector.state());
    }
  }
  ASSERT_GE(after_gap.size(), 2u);
  EXPECT_EQ(after_gap[0], RepState::kSeekingRest);
  EXPECT_EQ(after_gap[1], RepState::kAtRest);
  EXPECT_EQ(detector.diagnostics().dropped_by_gap, 1);
  while (detector.Finish()) ++reps;
  EXPECT_EQ(reps, 2);
}

TEST(RepDetectorTest, BridgedSamplesKeepTheRepAndMarkIt) {
  // 200 ms of samples in the middle of rep 2's rise are replaced by the linear interpolation of
  // the samples either side (what the pipeline's gap bridge feeds): the rep counts, its ROM
  // holds, and it is marked bridged; the others are not.
  const auto samples = MakeHinge(hinge::Reps(3, 100, 1.0, 0.3, 1.2, 1.0), 50, {1, 0, 0, 0});
  RepDetector detector(Params(50));
  std::int64_t missing = 0;
  std::vector<Rep> reps = FeedBridgingLosses(
      detector, samples, [](double t) { return t >= 5.2 && t <= 5.4; }, &missing);
  while (auto rep = detector.Finish()) reps.push_back(*rep);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_FALSE(reps[0].bridged);
  EXPECT_TRUE(reps[1].bridged);
  EXPECT_FALSE(reps[2].bridged);
  EXPECT_NEAR(reps[1].rom_deg, 100, 2.0);
  EXPECT_EQ(detector.diagnostics().bridged_samples, missing);
}

TEST(RepDetectorTest, AStopThatALossFoundASampleLateMadeIsNoEnd) {
  // An arrival-time stream finds a short loss one sample late: the first sample after it is
  // passed on at the next period, and only the one after shows the loss. Here the last 10
  // samples of rep 2's descent are lost, so that first sample finds the limb already still at
  // the bottom, in the orientation carried over the loss: the descent seems to stop in one
  // sample, above the rest pose and early. The samples bridged into the loss go on descending,
  // and the rep ends at its real end. At 50 Hz the descent turned at half its peak speed before
  // the loss; at 100 Hz at a quarter, which a real stop at that rate never turns a sample before.
  for (const double rate_hz : {50.0, 100.0}) {
    SCOPED_TRACE(testing::Message() << rate_hz << " Hz");
    const auto samples = MakeHinge(hinge::Reps(3, 100, 1.0, 0.3, 1.2, 1.0), rate_hz, {1, 0, 0, 0});
    const double true_end_s = 1.5 + 3.5 + 1.0 + 0.3 + 1.2;  // first rest, rep 1 and rest, rep 2
    const std::int64_t missing = 10;
    const auto before = std::find_if(samples.begin(), samples.end(), [&](const HingeSample& s) {
      return ToSeconds(s.sample.time) >= true_end_s - missing / rate_hz - 1e-9;
    });
    ASSERT_LT(before + missing + 2, samples.end());
    const HingeSample& late = *(before + missing + 1);
    const HingeSample& after = *(before + missing + 2);
    ASSERT_NEAR(late.angle_deg, 0.0, 1e-6);  // still at the bottom
    ImuSample late_passed_on = late.sample;
    late_passed_on.time = (before + 1)->sample.time;

    RepDetector detector(Params(rate_hz));
    std::vector<Rep> reps;
    auto feed = [&](const ImuSample& sample, const Quaternion& sensor_to_earth, bool bridged) {
      const RepDetectorOutput out = detector.Update(sample, sensor_to_earth, bridged);
      if (out.rep) reps.push_back(*out.rep);
    };
    for (auto s = samples.begin(); s != samples.end(); ++s) {
      if (s > before && s <= before + missing) continue;  // lost
      if (s == before + missing + 1) {
        // Not yet known to be late; the filter has not turned the lost rotation.
        feed(late_passed_on, before->sensor_to_earth, false);
        EXPECT_EQ(detector.state(), RepState::kStoppedSuddenly);
        continue;
      }
      if (s == before + missing + 2) {
        for (std::int64_t k = 1; k <= missing; ++k) {
          // The orientation a filter integrating the bridged gyro would give: the exact one of
          // the lost sample is a stand-in close to it.
          feed(BridgeSampleFoundLate(before->sample, late_passed_on, after.sample, k, missing),
               (before + k)->sensor_to_earth, true);
        }
      }
      feed(s->sample, s->sensor_to_earth, false);
    }
    while (auto rep = detector.Finish()) reps.push_back(*rep);
    ASSERT_EQ(reps.size(), 3u);
    EXPECT_NEAR(reps[1].rom_deg, 100, 2.0);
    EXPECT_NEAR(ToSeconds(reps[1].end), true_end_s, 0.06);
    EXPECT_NEAR(reps[1].eccentric_s, 1.2, 0.1);
    EXPECT_TRUE(reps[1].bridged);
  }
}

TEST(RepDetectorTest, AStopInOneSampleWithNothingLostEndsTheRepThere) {
  // A descent cut short in one sample with nothing lost (here the last 200 ms of rep 2's descent
  // are taken out of the motion and the rest of the session moved 200 ms earlier): the rep waits
  // one sample for a loss that is not there, and ends where the limb stopped.
  const auto samples = MakeHinge(hinge::Reps(3, 100, 1.0, 0.3, 1.2, 1.0), 50, {1, 0, 0, 0});
  const double cut_from_s = 1.5 + 3.5 + 1.0 + 0.3 + 1.2 - 0.2;
  const std::int64_t cut = 10;
  const auto before = std::find_if(samples.begin(), samples.end(), [&](const HingeSample& s) {
    return ToSeconds(s.sample.time) >= cut_from_s - 1e-9;
  });
  ASSERT_LT(before + cut + 2, samples.end());

  RepDetector detector(Params(50));
  std::vector<Rep> reps;
  std::vector<RepState> states_after_stop;
  for (auto s = samples.begin(); s != samples.end(); ++s) {
    if (s > before && s <= before + cut) continue;
    ImuSample sample = s->sample;
    if (s > before) sample.time -= DurationFromSeconds(0.2);
    if (const RepDetectorOutput out = detector.Update(sample, s->sensor_to_earth); out.rep) {
      reps.push_back(*out.rep);
    }
    if (s > before && s <= before + cut + 2) states_after_stop.push_back(detector.state());
  }
  while (auto rep = detector.Finish()) reps.push_back(*rep);
  ASSERT_EQ(reps.size(), 3u);
  EXPECT_EQ(states_after_stop,
            (std::vector<RepState>{RepState::kStoppedSuddenly, RepState::kAtRest}));
  EXPECT_NEAR(reps[1].rom_deg, 100, 2.0);
  EXPECT_NEAR(ToSeconds(reps[1].end), cut_from_s + 0.02, 0.03);
  EXPECT_FALSE(reps[1].bridged);
}

TEST(RepDetectorTest, WithProductionMadgwickAndNoisySensor) {
  std::mt19937 rng(7);
  std::normal_distribution<double> gyro_noise(0.0, 0.01);
  std::normal_distribution<double> accel_noise(0.0, 0.05);
  const auto samples =
      MakeHinge(hinge::Reps(6, 100, 1.0, 1.0, 1.5, 1.5, 3.0), 100, RandomMount(rng));
  MadgwickFilter filter(MadgwickSettings{}, 100.0);
  RepDetector detector(Params(100));
  std::vector<Rep> reps;
  for (HingeSample s : samples) {
    s.sample.gyro_rad_s.x += gyro_noise(rng);
    s.sample.gyro_rad_s.y += gyro_noise(rng);
    s.sample.gyro_rad_s.z += gyro_noise(rng);
    s.sample.accel_m_s2.x += accel_noise(rng);
    s.sample.accel_m_s2.y += accel_noise(rng);
    s.sample.accel_m_s2.z += accel_noise(rng);
    filter.Update(s.sample);
    const RepDetectorOutput out = detector.Update(s.sample, filter.sensor_to_earth());
    if (out.rep) reps.push_back(*out.rep);
  }
  ASSERT_EQ(reps.size(), 6u);
  for (const Rep& r : reps) {
    EXPECT_NEAR(r.rom_deg, 100, 3.0);
    EXPECT_NEAR(r.concentric_s, 1.0, 0.08);
    EXPECT_NEAR(r.eccentric_s, 1.5, 0.08);
  }
}

// Arm swing while walking: 'count' swings of +-swing_deg about the pose the limb rested in,
// the first towards 'first_sign', at about 0.9 Hz; then standing still.
std::vector<hinge::Piece> Walk(int count, double swing_deg, double first_sign) {
  std::vector<hinge::Piece> pieces = {{0.0, 1.5}, {first_sign * swing_deg, 0.28}};
  for (int i = 0; i < count; ++i) {
    pieces.push_back({-first_sign * swing_deg, 0.55});
    pieces.push_back({first_sign * swing_deg, 0.55});
  }
  pieces.push_back({0.0, 0.28});
  pieces.push_back({0.0, 1.5});
  return pieces;
}

TEST(RepDetectorTest, SwingsThroughTheRestPoseAreNotReps) {
  for (double first_sign : {1.0, -1.0}) {
    SCOPED_TRACE(::testing::Message() << "first swing " << first_sign);
    const auto samples = MakeHinge(Walk(6, 22.5, first_sign), 100, {1, 0, 0, 0});
    RepDetector detector(Params(100));
    int reps = 0;
    for (const HingeSample& s : samples)
      reps += detector.Update(s.sample, s.sensor_to_earth).rep ? 1 : 0;
    if (detector.Finish()) ++reps;
    EXPECT_EQ(reps, 0);
    EXPECT_GT(detector.diagnostics().swings, 0);
  }
}

TEST(RepDetectorTest, TheSetsDirectionIsLearnedAtRestNotFromTheWalkBeforeIt) {
  // Whichever way the arm first swung, the curls after standing still count as curls: 60 deg
  // each, timed from their own start (the sign is learned from the set's first movement).
  for (double first_sign : {1.0, -1.0}) {
    SCOPED_TRACE(::testing::Message() << "first swing " << first_sign);
    std::vector<hinge::Piece> pieces = Walk(6, 22.5, first_sign);
    for (const hinge::Piece& p : hinge::Reps(4, 60, 1.0, 0.0, 1.5, 1.0, 0.5)) pieces.push_back(p);
    const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0});
    RepDetectorParams params = Params(100);
    const std::vector<Rep> reps = Detect(samples, params);
    ASSERT_EQ(reps.size(), 4u);
    for (const Rep& r : reps) {
      EXPECT_NEAR(r.rom_deg, 60, 2.0);
      EXPECT_NEAR(r.concentric_s, 1.0, 0.05);
      EXPECT_NEAR(r.eccentric_s, 1.5, 0.05);
    }
    // Without learning afresh at rest the walk's first swing fixes the sign: when it went the
    // other way, the curls are measured upside down.
    params.relearn_until_reps = 0;
    const std::vector<Rep> fixed = Detect(samples, params);
    if (first_sign < 0) {
      bool all_right = fixed.size() == 4u;
      for (const Rep& r : fixed) all_right = all_right && std::abs(r.concentric_s - 1.0) < 0.05;
      EXPECT_FALSE(all_right);
    }
  }
}

TEST(RepDetectorTest, ARepBegunAboutTheLastAxisWhileTheLimbWentOnToAnotherIsGivenUp) {
  // The arm swings 25 deg forward (the last swing of a walk, about the medio-lateral axis) and,
  // still out there, goes on to lateral raises (about the antero-posterior axis, at right
  // angles), resting 0.6 s between them: never long enough to settle, and the raises barely turn
  // it about the swing's axis. The swing's "rep" never came back and held every raise until
  // max_rep_s; a rep still running after confirm_running_rep_after_s that has turned mostly
  // about another axis is measured about that one instead.
  const Vec3 medio_lateral{0, 1, 0};
  const Vec3 antero_posterior{1, 0, 0};
  const Quaternion mount{1, 0, 0, 0};
  // Two swings forward and back first, which the detector takes for reps (they confirm its
  // axis; in a session the other arm's anti-phase tells the rep screen they were gait).
  std::vector<HingeSample> samples = MakeHinge({{0.0, 1.5},
                                                {25.0, 0.6},
                                                {0.0, 0.6},
                                                {0.0, 0.6},
                                                {25.0, 0.6},
                                                {0.0, 0.6},
                                                {0.0, 0.6},
                                                {25.0, 0.6},
                                                {25.0, 0.4}},
                                               100, mount, medio_lateral);
  const Quaternion swung = hinge::FromAxisAngle(medio_lateral, 25.0 * hinge::kDegToRad);
  std::vector<hinge::Piece> raises;
  for (int i = 0; i < 6; ++i) {
    raises.push_back({40.0, 1.0});
    raises.push_back({40.0, 0.3});
    raises.push_back({0.0, 1.3});
    raises.push_back({0.0, 0.6});
  }
  const double offset_s = ToSeconds(samples.back().sample.time) + 0.01;
  for (HingeSample s : MakeHinge(raises, 100, Compose(swung, mount), antero_posterior)) {
    s.sample.time = TimeFromSeconds(ToSeconds(s.sample.time) + offset_s);
    samples.push_back(s);
  }
  auto raises_counted = [&](const RepDetectorParams& params) {
    int n = 0;
    for (const Rep& r : Detect(samples, params)) {
      if (ToSeconds(r.start) > offset_s - 0.5 && std::abs(r.rom_deg - 40.0) < 4.0) ++n;
    }
    return n;
  };
  EXPECT_GE(raises_counted(Params(100)), 5);
  // Without it the held swing takes them all.
  RepDetectorParams never = Params(100);
  never.confirm_running_rep_after_s = 1e9;
  EXPECT_LE(raises_counted(never), 1);
}

TEST(RepDetectorTest, ALegSetDownLowerAfterARepIsNotASwing) {
  // The rep ends a quarter of its rise below the pose it started from (the leg lies lower).
  const std::vector<hinge::Piece> pieces = {{0.0, 1.5}, {50, 1.5}, {50, 0.5},  {-12, 1.5},
                                            {-12, 2.0}, {40, 1.5}, {-12, 1.5}, {-12, 2.0}};
  const auto samples = MakeHinge(pieces, 100, {1, 0, 0, 0});
  EXPECT_EQ(Detect(samples, Params(100)).size(), 2u);
}

// A calf raise's shank: standing (its long axis up), it tilts forward tilt_deg and back per rep
// (rise 0.45 s, hold 0.2 s, fall 0.45 s, rest 0.7 s), and twists about its own long axis by
// twist_deg out and back twice per rep, faster than it tilts. Exact orientation and body rate
// (central difference of the orientation), strapped on with 'mount'.
std::vector<HingeSample> TiltingAndTwistingShank(int reps, double tilt_deg, double twist_deg,
                                                 const Quaternion& mount, double rate_hz,
                                                 double end_s = 1e9) {
  constexpr double kRise = 0.45, kHold = 0.2, kFall = 0.45, kRest = 0.7, kFirst = 1.5;
  constexpr double kRep = kRise + kHold + kFall + kRest;
  auto orientation = [&](double t) {
    double tilt = 0.0, twist = 0.0;
    const double u = t - kFirst;
    if (u >= 0.0 && u < reps * kRep) {
      const double v = std::fmod(u, kRep);
      if (v < kRise) {
        tilt = tilt_deg * 0.5 * (1 - std::cos(std::numbers::pi * v / kRise));
      } else if (v < kRise + kHold) {
        tilt = tilt_deg;
      } else if (v < kRise + kHold + kFall) {
        tilt = tilt_deg * 0.5 * (1 + std::cos(std::numbers::pi * (v - kRise - kHold) / kFall));
      }
      if (v < kRise + kHold + kFall) {
        twist = twist_deg * std::sin(2 * std::numbers::pi * v / (kRise + kHold + kFall));
      }
    }
    const Quaternion twisted =
        Compose(hinge::FromAxisAngle({0, 0, 1}, twist * hinge::kDegToRad), mount);
    return Compose(hinge::FromAxisAngle({0, 1, 0}, tilt * hinge::kDegToRad), twisted);
  };
  std::vector<HingeSample> out;
  const double total_s = std::min(end_s, kFirst + reps * kRep + 1.0);
  const double h = 1e-5;
  for (int i = 0; i < static_cast<int>(total_s * rate_hz); ++i) {
    const double t = i / rate_hz;
    const Quaternion q = orientation(t);
    // Body rate: q(t-h)* q(t+h) is a rotation by rate * 2h in the sensor frame.
    const Quaternion d = Compose(Inverse(orientation(t - h)), orientation(t + h));
    const double sign = d.w < 0 ? -1.0 : 1.0;
    HingeSample s;
    s.sample.time = TimeFromSeconds(t);
    s.sample.gyro_rad_s = {sign * d.x / h, sign * d.y / h, sign * d.z / h};
    s.sample.accel_m_s2 = hinge::Rotate(Inverse(q), {0, 0, 9.80665});
    s.sensor_to_earth = q;
    out.push_back(s);
  }
  return out;
}

RepDetectorParams SmallTiltExercise(double rate_hz) {
  RepDetectorParams params = Params(rate_hz);
  params.exercise_min_rom_deg = 2.0;
  params.axis.tilt_only = true;
  return params;
}

TEST(RepDetectorTest, ASmallTiltUnderALargerTwistIsMeasuredAsTheTilt) {
  std::mt19937 rng(8);
  for (int mount_index = 0; mount_index < 4; ++mount_index) {
    SCOPED_TRACE(::testing::Message() << "mount " << mount_index);
    const auto samples = TiltingAndTwistingShank(8, 4.0, 5.0, RandomMount(rng), 100.0);
    const std::vector<Rep> reps = Detect(samples, SmallTiltExercise(100.0));
    ASSERT_EQ(reps.size(), 8u);
    for (const Rep& rep : reps) EXPECT_NEAR(rep.rom_deg, 4.0, 0.5);
    // Without the exercise's settings the 4 deg reps are under the detector's own floors, and
    // the axis found is the twist's.
    for (const Rep& rep : Detect(samples, Params(100.0))) EXPECT_GT(rep.rom_deg, 6.0);
    // Small floors alone measure the twist (the dominant rotation), not the 4 deg tilt.
    RepDetectorParams any_axis = SmallTiltExercise(100.0);
    any_axis.axis.tilt_only = false;
    const std::vector<Rep> twist_reps = Detect(samples, any_axis);
    const bool all_tilt = std::all_of(twist_reps.begin(), twist_reps.end(), [](const Rep& rep) {
      return std::abs(rep.rom_deg - 4.0) < 0.5;
    });
    EXPECT_FALSE(twist_reps.size() == 8u && all_tilt);
  }
}

// SessionPipeline keeps a set's detectors when the next exercise asks for the same settings:
// every field counts, the parts' params included.
TEST(RepDetectorTest, ParamsCompareEveryFieldIncludingTheParts) {
  const RepDetectorParams base = Params(50);
  EXPECT_EQ(base, Params(50));
  RepDetectorParams other = base;
  other.exercise_min_rom_deg = 2.0;
  EXPECT_NE(base, other);
  other = base;
  other.axis.tilt_only = true;
  EXPECT_NE(base, other);
  other = base;
  other.first_phase = Phase::kEccentric;
  EXPECT_NE(base, other);
  other = base;
  other.gap.bridge_max_s += 0.1;
  EXPECT_NE(base, other);
}

TEST(RepDetectorTest, ResolveForExerciseScalesTheFloorsDownOnly) {
  RepDetectorParams params;
  params.exercise_min_rom_deg = 2.0;  // a quarter of min_rom_deg
  const RepDetectorParams small = ResolveForExercise(params);
  EXPECT_DOUBLE_EQ(small.min_rom_deg, 2.0);
  EXPECT_DOUBLE_EQ(small.start_min_deg, params.start_min_deg / 4);
  EXPECT_DOUBLE_EQ(small.turn_set_min_deg, params.turn_set_min_deg / 4);
  EXPECT_DOUBLE_EQ(small.axis.lock_rotation_deg, params.axis.lock_rotation_deg / 4);
  EXPECT_TRUE(small.angle.gyro_only);
  params.exercise_min_rom_deg = 30.0;  // a large exercise keeps the floors
  const RepDetectorParams large = ResolveForExercise(params);
  EXPECT_DOUBLE_EQ(large.min_rom_deg, params.min_rom_deg);
  EXPECT_FALSE(large.angle.gyro_only);
  EXPECT_FALSE(ResolveForExercise(RepDetectorParams{}).angle.gyro_only);
}

TEST(RepDetectorTest, ASmallTiltRepPastItsTurnaroundCountsWhenTheDataStopsOrAGapCutsIt) {
  std::mt19937 rng(9);
  const Quaternion mount = RandomMount(rng);
  // The data ends in the fall of the fourth rep (1.5 + 3 x 1.8 + 0.45 + 0.2 + 0.2 s).
  const auto cut = TiltingAndTwistingShank(4, 4.0, 5.0, mount, 100.0, 7.75);
  EXPECT_EQ(Detect(cut, SmallTiltExercise(100.0)).size(), 4u);
  RepDetectorParams gravity_angle = SmallTiltExercise(100.0);
  gravity_angle.gyro_angle_below_rom_deg = 0.0;  // the fused tilt judges, as for larger reps
  EXPECT_EQ(Detect(cut, gravity_angle).size(), 3u);

  // A gap from the fall of the second rep into the rest after it; the orientation after the
  // gap is 3 deg off (a fused tilt after a restart), as large as the rep's return.
  const auto whole = TiltingAndTwistingShank(4, 4.0, 5.0, mount, 100.0);
  const OrientationError off_after_gap = [](double t_s, const Quaternion& exact) {
    return t_s < 4.5 ? exact
                     : Compose(hinge::FromAxisAngle({0, 1, 0}, 3.0 * hinge::kDegToRad), exact);
  };
  EXPECT_EQ(Detect(whole, SmallTiltExercise(100.0), 4.2, 4.5, off_after_gap).size(), 4u);
  // The limb is quiet after the gap: its accelerometer, not the fused tilt, says it came back.
  EXPECT_EQ(Detect(whole, gravity_angle, 4.2, 4.5, off_after_gap).size(), 4u);
}

}  // namespace
}  // namespace ambi::fusion
