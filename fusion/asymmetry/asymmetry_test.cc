#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <optional>
#include <tuple>
#include <vector>

#include "fusion/asymmetry/limb_pair_comparator.h"
#include "fusion/asymmetry/metric_comparison.h"

// Counts heap allocations while 'g_count_allocations' is set, to check the no-allocation rule.
std::atomic<bool> g_count_allocations{false};
std::atomic<int> g_allocations{0};

// Out of line, so that the compiler does not pair a visible malloc with a visible free.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (g_count_allocations) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ambi::fusion {
namespace {

using ::testing::HasSubstr;

class RecordingSink : public EventSink {
 public:
  void OnEvent(const Event& event) override { events.push_back(event); }

  template <typename T>
  std::vector<T> All() const {
    std::vector<T> out;
    for (const Event& e : events) {
      if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  std::vector<Cue> Cues(CueKind kind) const {
    std::vector<Cue> out;
    for (const Cue& c : All<Cue>()) {
      if (c.kind == kind) out.push_back(c);
    }
    return out;
  }

  std::vector<Event> events;
};

const MetricComparison& Of(const MetricComparisons& metrics, Metric metric) {
  return metrics[static_cast<std::size_t>(metric)];
}

// A rep of 'side' starting at 'start_s' (that side's clock): concentric then eccentric, no hold.
Rep MakeRep(Side side, int index, double start_s, double rom_deg = 90.0, double concentric_s = 0.8,
            double eccentric_s = 1.2, double speed_deg_s = 200.0) {
  Rep rep;
  rep.placement = {side, Limb::kWrist};
  rep.set_index = 1;
  rep.index = index;
  rep.start = TimeFromSeconds(start_s);
  rep.turnaround = TimeFromSeconds(start_s + concentric_s);
  rep.end = TimeFromSeconds(start_s + concentric_s + eccentric_s);
  rep.rom_deg = rom_deg;
  rep.concentric_s = concentric_s;
  rep.eccentric_s = eccentric_s;
  rep.peak_speed_deg_s = speed_deg_s;
  rep.peak_concentric_speed_deg_s = speed_deg_s;
  return rep;
}

SetContext Context(int set_index, SetMode mode, std::optional<Side> side = std::nullopt,
                   double start_s = 0.0) {
  SetContext context;
  context.set_index = set_index;
  context.exercise = GenericExercise(Limb::kWrist);
  context.mode = mode;
  context.side = side;
  context.start = TimeFromSeconds(start_s);
  return context;
}

// Streams both sides' reps as a pipeline would: each side's data time advances in 50 ms steps
// on its own clock (right = left + 'right_offset_s'), and a rep is added once its side's data
// reaches the rep's end.
void Drive(LimbPairComparator& comparator, const std::vector<Rep>& left,
           const std::vector<Rep>& right, double right_offset_s, double until_s) {
  std::size_t li = 0;
  std::size_t ri = 0;
  for (int step = 0; step * 0.05 <= until_s; ++step) {
    const double t_s = step * 0.05;
    const Time left_time = TimeFromSeconds(t_s);
    const Time right_time = TimeFromSeconds(t_s + right_offset_s);
    while (li < left.size() && left[li].end <= left_time) comparator.AddRep(left[li++]);
    comparator.AdvanceTime(Side::kLeft, left_time);
    while (ri < right.size() && right[ri].end <= right_time) comparator.AddRep(right[ri++]);
    comparator.AdvanceTime(Side::kRight, right_time);
  }
}

// ---- CompareMetric: hand-computed numbers -------------------------------------------------

TEST(CompareMetricTest, RomPercentDifferenceSymmetryIndexAndBand) {
  const BandLimits limits;  // 10 / 25 %
  // L 90, R 100: PD = 10/100 = 10 % (amber from 10), SI = -10/95 = -10.526 %.
  MetricComparison c = CompareMetric(Metric::kRom, 90.0, 100.0, limits, 5.0);
  EXPECT_NEAR(c.percent_difference, 10.0, 1e-12);
  EXPECT_NEAR(c.symmetry_index_pct, -1000.0 / 95.0, 1e-12);
  EXPECT_EQ(c.weaker_side, Side::kLeft);
  EXPECT_EQ(c.band, Band::kAmber);
  EXPECT_FALSE(c.significant);
  // L 100, R 80: PD 20 %, SI = 20/90 = 22.22 %, right weaker.
  c = CompareMetric(Metric::kRom, 100.0, 80.0, limits, 5.0);
  EXPECT_NEAR(c.percent_difference, 20.0, 1e-12);
  EXPECT_NEAR(c.symmetry_index_pct, 2000.0 / 90.0, 1e-12);
  EXPECT_EQ(c.weaker_side, Side::kRight);
  EXPECT_EQ(c.band, Band::kAmber);
  // 95 vs 100: 5 % green; 75 vs 100: exactly 25 %, red; 60 vs 100: 40 % red.
  EXPECT_EQ(CompareMetric(Metric::kRom, 95.0, 100.0, limits, 5.0).band, Band::kGreen);
  EXPECT_EQ(CompareMetric(Metric::kRom, 75.0, 100.0, limits, 5.0).band, Band::kRed);
  EXPECT_EQ(CompareMetric(Metric::kRom, 100.0, 60.0, limits, 5.0).band, Band::kRed);
}

TEST(CompareMetricTest, DirectionOfWeakerSidePerMetric) {
  const BandLimits limits;
  // Lifting slower (longer concentric time) is weaker.
  EXPECT_EQ(CompareMetric(Metric::kConcentricTime, 1.2, 1.0, limits, 0.15).weaker_side,
            Side::kLeft);
  // Lowering faster (shorter eccentric time) is less controlled, so weaker.
  EXPECT_EQ(CompareMetric(Metric::kEccentricTime, 1.0, 1.5, limits, 0.15).weaker_side, Side::kLeft);
  EXPECT_EQ(CompareMetric(Metric::kPeakSpeed, 250.0, 200.0, limits, 10.0).weaker_side,
            Side::kRight);
  // Equal: no weaker side, green, PD 0.
  const MetricComparison equal = CompareMetric(Metric::kRom, 50.0, 50.0, limits, 5.0);
  EXPECT_FALSE(equal.weaker_side.has_value());
  EXPECT_EQ(equal.band, Band::kGreen);
  EXPECT_EQ(equal.percent_difference, 0.0);
}

TEST(CompareMetricTest, NotApplicableOnlyWhenBothBelowMinimum) {
  const BandLimits limits;
  const MetricComparison both_small = CompareMetric(Metric::kRom, 3.0, 4.0, limits, 5.0);
  EXPECT_EQ(both_small.band, Band::kNotApplicable);
  EXPECT_FALSE(both_small.weaker_side.has_value());
  EXPECT_EQ(both_small.percent_difference, 0.0);
  EXPECT_EQ(both_small.left, 3.0);
  // One side moving, the other barely: a real (red) gap, not n/a. PD = 47/50 = 94 %.
  const MetricComparison one_small = CompareMetric(Metric::kRom, 3.0, 50.0, limits, 5.0);
  EXPECT_EQ(one_small.band, Band::kRed);
  EXPECT_NEAR(one_small.percent_difference, 94.0, 1e-12);
  EXPECT_EQ(one_small.weaker_side, Side::kLeft);
}

TEST(CompareMetricTest, PerExerciseBandLimits) {
  const BandLimits strict{5.0, 15.0};
  EXPECT_EQ(CompareMetric(Metric::kRom, 96.0, 100.0, strict, 5.0).band, Band::kGreen);  // 4 %
  EXPECT_EQ(CompareMetric(Metric::kRom, 88.0, 100.0, strict, 5.0).band, Band::kAmber);  // 12 %
  EXPECT_EQ(CompareMetric(Metric::kRom, 85.0, 100.0, strict, 5.0).band, Band::kRed);    // 15 %
}

TEST(CompareMetricTest, WeakerSideByMajorityThenLargestGap) {
  const BandLimits limits;
  MetricComparisons m{};
  m[0] = CompareMetric(Metric::kRom, 80.0, 100.0, limits, 5.0);            // left, 20 %
  m[1] = CompareMetric(Metric::kConcentricTime, 1.0, 1.05, limits, 0.15);  // right, 4.8 %
  m[2] = CompareMetric(Metric::kEccentricTime, 1.5, 1.4, limits, 0.15);    // right, 6.7 %
  m[3] = CompareMetric(Metric::kPeakSpeed, 3.0, 4.0, limits, 10.0);        // n/a
  EXPECT_EQ(WeakerSideOf(m), Side::kRight);  // 2 votes to 1, nothing significant
  m[0].significant = true;                   // only significant metrics vote now
  EXPECT_EQ(WeakerSideOf(m), Side::kLeft);
  m[1].significant = true;  // 1 to 1: the largest gap (ROM 20 %) decides
  EXPECT_EQ(WeakerSideOf(m), Side::kLeft);
}

// ---- Pairing ---------------------------------------------------------------------------

std::vector<Rep> Series(Side side, int count, double first_start_s, double period_s,
                        double clock_offset_s, int skip_index = 0) {
  std::vector<Rep> reps;
  int index = 0;
  for (int i = 1; i <= count; ++i) {
    if (i == skip_index) continue;
    reps.push_back(MakeRep(side, ++index, first_start_s + (i - 1) * period_s + clock_offset_s));
  }
  return reps;
}

class PairingTest : public ::testing::TestWithParam<double> {};

TEST_P(PairingTest, PairsEveryRepDespiteClockOffset) {
  const double offset_s = GetParam();
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  // 6 reps of 2 s every 2.5 s; the right sensor's clock runs 'offset_s' apart.
  Drive(comparator, Series(Side::kLeft, 6, 1.0, 2.5, 0.0),
        Series(Side::kRight, 6, 1.0, 2.5, offset_s), offset_s, 20.0);
  comparator.EndSet(TimeFromSeconds(20.0));
  const auto pairs = sink.All<RepPair>();
  ASSERT_EQ(pairs.size(), 6u);
  EXPECT_TRUE(sink.All<UnpairedRep>().empty());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(pairs[i].pair_index, i + 1);
    EXPECT_EQ(pairs[i].left.index, i + 1);
    EXPECT_EQ(pairs[i].right.index, i + 1);
    EXPECT_NEAR(pairs[i].lead_ms, offset_s * 1000.0, 1e-6);
    EXPECT_NEAR(Of(pairs[i].metrics, Metric::kRom).percent_difference, 0.0, 1e-12);
  }
}

INSTANTIATE_TEST_SUITE_P(Offsets, PairingTest, ::testing::Values(0.0, 0.3, -0.3, 0.45));

TEST(PairingTest, MissingRepInContinuousSetWithOffsetIsReportedNotMispaired) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  // Continuous reps (2 s each, no pause), right clock 0.4 s ahead, right skips its 3rd rep:
  // the neighbouring right rep overlaps left rep 3 by 0.6 s and must not be taken for it.
  const auto left = Series(Side::kLeft, 6, 1.0, 2.0, 0.0);
  const auto right = Series(Side::kRight, 6, 1.0, 2.0, -0.4, /*skip_index=*/3);
  Drive(comparator, left, right, -0.4, 20.0);
  comparator.EndSet(TimeFromSeconds(20.0));
  const auto pairs = sink.All<RepPair>();
  const auto unpaired = sink.All<UnpairedRep>();
  ASSERT_EQ(pairs.size(), 5u);
  ASSERT_EQ(unpaired.size(), 1u);
  EXPECT_EQ(unpaired[0].rep.placement.side, Side::kLeft);
  EXPECT_EQ(unpaired[0].rep.index, 3);
  for (const RepPair& pair : pairs) {
    // Partners start 0.4 s apart on the clocks (the offset), never a rep period.
    EXPECT_NEAR(pair.lead_ms, -400.0, 1e-6);
  }
  EXPECT_NEAR(comparator.clock_offset_s(), -0.4, 1e-9);
}

TEST(PairingTest, LearnedClockOffsetPairsShortRepsBeyondHalfTheirLength) {
  // Two slow reps (2.5 s) teach the 0.45 s offset; then 0.8 s reps done back to back, where
  // the raw overlap of partners (0.35 s) is under half a rep: only the learned offset pairs them.
  std::vector<Rep> left;
  std::vector<Rep> right;
  for (int i = 0; i < 2; ++i) {
    left.push_back(MakeRep(Side::kLeft, i + 1, 1.0 + 3.0 * i, 90.0, 1.0, 1.5));
    right.push_back(MakeRep(Side::kRight, i + 1, 1.45 + 3.0 * i, 90.0, 1.0, 1.5));
  }
  for (int i = 0; i < 4; ++i) {
    left.push_back(MakeRep(Side::kLeft, i + 3, 8.0 + 0.8 * i, 90.0, 0.3, 0.5));
    right.push_back(MakeRep(Side::kRight, i + 3, 8.45 + 0.8 * i, 90.0, 0.3, 0.5));
  }
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  Drive(comparator, left, right, 0.45, 15.0);
  comparator.EndSet(TimeFromSeconds(15.0));
  const auto pairs = sink.All<RepPair>();
  ASSERT_EQ(pairs.size(), 6u);
  EXPECT_TRUE(sink.All<UnpairedRep>().empty());
  for (const RepPair& pair : pairs) EXPECT_EQ(pair.left.index, pair.right.index);
}

TEST(PairingTest, RepWithoutPartnerIsUnpairedAfterToleranceNotBefore) {
  RecordingSink sink;
  AsymmetryParams params;
  params.pairing_tolerance_s = 1.5;
  LimbPairComparator comparator(Limb::kWrist, params, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  for (int i = 1; i <= 3; ++i) {
    comparator.AddRep(MakeRep(Side::kLeft, i, 1.0 + 2.5 * (i - 1)));
    comparator.AddRep(MakeRep(Side::kRight, i, 1.0 + 2.5 * (i - 1)));
  }
  const Rep lonely = MakeRep(Side::kLeft, 4, 8.5);  // ends at 10.5 s
  comparator.AddRep(lonely);
  ASSERT_EQ(sink.All<RepPair>().size(), 3u);
  // The left side's own data time does not release it, however far it goes.
  comparator.AdvanceTime(Side::kLeft, TimeFromSeconds(30.0));
  comparator.AdvanceTime(Side::kRight, TimeFromSeconds(10.5 + 1.5 - 0.01));
  EXPECT_TRUE(sink.All<UnpairedRep>().empty());
  comparator.AdvanceTime(Side::kRight, TimeFromSeconds(10.5 + 1.5));  // exactly the tolerance
  EXPECT_TRUE(sink.All<UnpairedRep>().empty());
  comparator.AdvanceTime(Side::kRight, TimeFromSeconds(10.5 + 1.5 + 0.01));
  const auto unpaired = sink.All<UnpairedRep>();
  ASSERT_EQ(unpaired.size(), 1u);
  EXPECT_EQ(unpaired[0].rep.index, 4);
  EXPECT_EQ(unpaired[0].rep.placement.side, Side::kLeft);
  // Reported once: ending the set does not report it again.
  comparator.EndSet(TimeFromSeconds(13.0));
  EXPECT_EQ(sink.All<UnpairedRep>().size(), 1u);
  const auto summaries = sink.All<SetSummary>();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].left->rep_count, 4);
  EXPECT_EQ(summaries[0].right->rep_count, 3);
}

TEST(PairingTest, EndSetReportsPendingReps) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  comparator.AddRep(MakeRep(Side::kRight, 1, 1.0));
  EXPECT_TRUE(sink.All<UnpairedRep>().empty());
  comparator.EndSet(TimeFromSeconds(3.2));
  ASSERT_EQ(sink.All<UnpairedRep>().size(), 1u);
  // Pending before the summary.
  EXPECT_TRUE(std::holds_alternative<UnpairedRep>(sink.events[sink.events.size() - 2]));
  EXPECT_TRUE(std::holds_alternative<SetSummary>(sink.events.back()));
}

// ---- Significance -----------------------------------------------------------------------

// 8 bilateral rep pairs: left ROM 100 deg, right 'right_rom_deg', each with the given jitter (%).
RecordingSink RunBilateralRomSet(double right_rom_deg, const std::vector<double>& left_jitter_pct,
                                 const std::vector<double>& right_jitter_pct) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  for (int i = 0; i < 8; ++i) {
    const double start_s = 1.0 + 2.5 * i;
    comparator.AddRep(MakeRep(Side::kLeft, i + 1, start_s, 100.0 * (1 + left_jitter_pct[i] / 100)));
    comparator.AddRep(
        MakeRep(Side::kRight, i + 1, start_s, right_rom_deg * (1 + right_jitter_pct[i] / 100)));
  }
  comparator.EndSet(TimeFromSeconds(22.0));
  return sink;
}

TEST(SignificanceTest, ConsistentFifteenPercentGapWithThreePercentJitterIsSignificant) {
  // Paired differences: mean 15 deg, standard error 1.44 deg: t = 10.4 (t(7, 95 %) = 2.365).
  const RecordingSink sink =
      RunBilateralRomSet(85.0, {3, -3, 1, -2, 3, -1, -3, 2}, {-2, 3, -3, 1, 2, -3, 3, -1});
  const auto summaries = sink.All<SetSummary>();
  ASSERT_EQ(summaries.size(), 1u);
  const SetSummary& s = summaries[0];
  const MetricComparison& rom = Of(s.metrics, Metric::kRom);
  EXPECT_NEAR(rom.left, 100.0, 1e-9);
  EXPECT_NEAR(rom.right, 85.0, 1e-9);
  EXPECT_NEAR(rom.percent_difference, 15.0, 1e-9);
  EXPECT_EQ(rom.band, Band::kAmber);
  EXPECT_TRUE(rom.significant);
  EXPECT_TRUE(s.significant);
  EXPECT_EQ(s.weaker_side, Side::kRight);
  EXPECT_EQ(s.band, Band::kAmber);
  // Identical tempo and speed on both sides: never significant.
  EXPECT_FALSE(Of(s.metrics, Metric::kConcentricTime).significant);
  EXPECT_FALSE(Of(s.metrics, Metric::kPeakSpeed).significant);
  // A clear, consistent gap: not normal, but unilateral work starting with the weaker side.
  EXPECT_TRUE(sink.Cues(CueKind::kAsymmetryNormal).empty());
  EXPECT_TRUE(s.verdict.gap);
  EXPECT_EQ(s.verdict.weaker_side, Side::kRight);
  const auto start = sink.Cues(CueKind::kStartWithWeakerSide);
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].side, Side::kRight);
  EXPECT_EQ(start[0].metric, Metric::kRom);
  EXPECT_NEAR(start[0].value_pct, 15.0, 1e-9);
  EXPECT_EQ(start[0].target_reps, 8);
  EXPECT_EQ(sink.All<Cue>().size(), 1u);
  // Per pair: not with 2 pairs (too few), yes by pair 3 (t = 4.9 > t(2) = 4.30) and at the end.
  const auto pairs = sink.All<RepPair>();
  ASSERT_EQ(pairs.size(), 8u);
  EXPECT_FALSE(Of(pairs[1].metrics, Metric::kRom).significant);
  EXPECT_TRUE(Of(pairs[2].metrics, Metric::kRom).significant);
  EXPECT_TRUE(Of(pairs[7].metrics, Metric::kRom).significant);
  ASSERT_TRUE(s.left && s.right);
  EXPECT_EQ(s.left->rep_count, 8);
  EXPECT_NEAR(s.left->mean_rom_deg, 100.0, 1e-9);
}

TEST(SignificanceTest, ThreePercentGapWithEightPercentJitterIsNormal) {
  // Paired differences: mean 3 deg, standard error 4.09 deg: t = 0.73.
  const RecordingSink sink =
      RunBilateralRomSet(97.0, {8, -8, 3, -5, 8, -3, -8, 5}, {-5, 8, -8, 3, 5, -8, 8, -3});
  const SetSummary s = sink.All<SetSummary>().at(0);
  EXPECT_NEAR(Of(s.metrics, Metric::kRom).percent_difference, 3.0, 1e-9);
  EXPECT_FALSE(Of(s.metrics, Metric::kRom).significant);
  EXPECT_FALSE(s.significant);
  for (const RepPair& pair : sink.All<RepPair>()) {
    EXPECT_FALSE(Of(pair.metrics, Metric::kRom).significant) << pair.pair_index;
  }
  const auto normal = sink.Cues(CueKind::kAsymmetryNormal);
  ASSERT_EQ(normal.size(), 1u);
  EXPECT_EQ(normal[0].set_index, 1);
  EXPECT_NEAR(normal[0].value_pct, 3.0, 1e-9);
  EXPECT_TRUE(sink.All<SetSummary>().at(0).verdict.normal());
  // The cue comes after the summary.
  EXPECT_TRUE(std::holds_alternative<Cue>(sink.events.back()));
}

TEST(SignificanceTest, TooFewRepsAreNeverSignificant) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  comparator.AddRep(MakeRep(Side::kLeft, 1, 1.0, 100.0));
  comparator.AddRep(MakeRep(Side::kRight, 1, 1.0, 60.0));
  comparator.AddRep(MakeRep(Side::kLeft, 2, 3.5, 101.0));
  comparator.AddRep(MakeRep(Side::kRight, 2, 3.5, 61.0));
  comparator.EndSet(TimeFromSeconds(6.0));
  const SetSummary s = sink.All<SetSummary>().at(0);
  EXPECT_EQ(Of(s.metrics, Metric::kRom).band, Band::kRed);
  EXPECT_FALSE(s.significant);
  EXPECT_TRUE(sink.All<Cue>().empty());  // nothing to judge yet: no "normal" either
}

// ---- Unilateral sets ---------------------------------------------------------------------

void RunUnilateralSet(LimbPairComparator& comparator, int set_index, std::optional<Side> given,
                      Side actual, int reps, double rom_deg, double start_s) {
  comparator.StartSet(Context(set_index, SetMode::kUnilateral, given, start_s));
  const double jitter[] = {1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 0.0, 0.0, 0.0, 0.0};
  for (int i = 0; i < reps; ++i) {
    Rep rep = MakeRep(actual, i + 1, start_s + 1.0 + 2.5 * i, rom_deg + jitter[i % 10]);
    rep.set_index = set_index;
    comparator.AddRep(rep);
  }
  comparator.EndSet(TimeFromSeconds(start_s + 2.0 + 2.5 * reps));
}

TEST(UnilateralTest, SecondSideCompletesThePairAndCuesTheNextSet) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  RunUnilateralSet(comparator, 1, Side::kLeft, Side::kLeft, 8, 80.0, 0.0);
  ASSERT_EQ(sink.All<SetSummary>().size(), 1u);
  const SetSummary first = sink.All<SetSummary>()[0];
  EXPECT_TRUE(first.left.has_value());
  EXPECT_FALSE(first.right.has_value());
  EXPECT_EQ(first.compared_with_set_index, 0);
  EXPECT_TRUE(sink.All<Cue>().empty());

  // The right side's set, its side not given: inferred from the reps.
  const std::size_t before = sink.events.size();
  RunUnilateralSet(comparator, 2, std::nullopt, Side::kRight, 10, 100.0, 60.0);
  const SetSummary second = sink.All<SetSummary>()[1];
  EXPECT_FALSE(second.left.has_value());
  ASSERT_TRUE(second.right.has_value());
  EXPECT_EQ(second.right->rep_count, 10);
  EXPECT_EQ(second.compared_with_set_index, 1);
  const MetricComparison& rom = Of(second.metrics, Metric::kRom);
  EXPECT_NEAR(rom.left, 80.0, 1e-9);  // jitter sums to zero over 8 and over 10 reps
  EXPECT_NEAR(rom.right, 100.0, 1e-9);
  EXPECT_NEAR(rom.percent_difference, 20.0, 1e-9);
  EXPECT_TRUE(rom.significant);
  EXPECT_EQ(second.weaker_side, Side::kLeft);

  // Order after the set: summary, then start-with-weaker, then match-weaker-reps.
  std::vector<CueKind> kinds;
  bool summary_seen = false;
  for (std::size_t i = before; i < sink.events.size(); ++i) {
    if (std::holds_alternative<SetSummary>(sink.events[i])) summary_seen = true;
    if (const Cue* cue = std::get_if<Cue>(&sink.events[i])) {
      EXPECT_TRUE(summary_seen);
      kinds.push_back(cue->kind);
    }
  }
  EXPECT_THAT(kinds,
              ::testing::ElementsAre(CueKind::kStartWithWeakerSide, CueKind::kMatchWeakerSideReps));
  const Cue start = sink.Cues(CueKind::kStartWithWeakerSide).at(0);
  EXPECT_EQ(start.side, Side::kLeft);
  EXPECT_EQ(start.target_reps, 8);
  // 8 against 10 reps: the rep counts name the weaker side (it failed first).
  EXPECT_FALSE(start.metric.has_value());
  EXPECT_EQ(start.reps_compared, 8);
  EXPECT_EQ(start.other_reps, 10);
  const Cue match = sink.Cues(CueKind::kMatchWeakerSideReps).at(0);
  EXPECT_EQ(match.side, Side::kRight);
  EXPECT_EQ(match.target_reps, 8);

  // A third set starts a new pair: nothing to compare with.
  RunUnilateralSet(comparator, 3, Side::kLeft, Side::kLeft, 8, 80.0, 120.0);
  EXPECT_EQ(sink.All<SetSummary>()[2].compared_with_set_index, 0);
  EXPECT_EQ(sink.All<Cue>().size(), 2u);
}

TEST(UnilateralTest, EqualSidesGetTheNormalCue) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  RunUnilateralSet(comparator, 1, std::nullopt, Side::kRight, 8, 90.0, 0.0);
  RunUnilateralSet(comparator, 2, std::nullopt, Side::kLeft, 8, 90.5, 40.0);
  EXPECT_EQ(sink.All<SetSummary>()[1].compared_with_set_index, 1);
  ASSERT_EQ(sink.All<Cue>().size(), 1u);
  EXPECT_EQ(sink.All<Cue>()[0].kind, CueKind::kAsymmetryNormal);
}

TEST(UnilateralTest, TheOtherSidesOwnRepsInTheSetAreReportedNotZero) {
  // Alternating curls take the sides in turn; both legs move in every rep of a lunge. The set
  // is still one side's (the first rep's), compared set against set, but its summary must not
  // say 0 for a side whose reps the live view showed.
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kUnilateral, Side::kLeft));
  for (int i = 0; i < 5; ++i) {
    for (const auto& [side, rom_deg] : {std::pair{Side::kLeft, 55.0}, {Side::kRight, 35.0}}) {
      comparator.AddRep(MakeRep(side, i + 1, 1.0 + 3.0 * i, rom_deg));
    }
  }
  comparator.EndSet(TimeFromSeconds(20.0));
  const SetSummary s = sink.All<SetSummary>().at(0);
  ASSERT_TRUE(s.left.has_value());
  ASSERT_TRUE(s.right.has_value());
  EXPECT_EQ(s.left->rep_count, 5);
  EXPECT_EQ(s.right->rep_count, 5);
  EXPECT_NEAR(s.left->mean_rom_deg, 55.0, 1e-9);
  EXPECT_NEAR(s.right->mean_rom_deg, 35.0, 1e-9);
  EXPECT_FALSE(s.compared);  // one set of a unilateral pair: nothing compared yet
}

TEST(UnilateralTest, ASetWithNoSideGivenAndAsManyRepsOnEachIsTheFirstRepsSide) {
  // A coach starts a unilateral set without naming a side and the athlete alternates arms,
  // right first. Neither side has more reps; the summary must still report both, and the set
  // is the right side's, compared with the left side's next set.
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kUnilateral, std::nullopt));
  for (int i = 0; i < 6; ++i) {
    for (const auto& [side, offset_s] : {std::pair{Side::kRight, 0.0}, {Side::kLeft, 1.5}}) {
      comparator.AddRep(MakeRep(side, i + 1, 1.0 + 3.0 * i + offset_s, 90.0));
    }
  }
  comparator.EndSet(TimeFromSeconds(20.0));
  const SetSummary first = sink.All<SetSummary>().at(0);
  ASSERT_TRUE(first.left.has_value());
  ASSERT_TRUE(first.right.has_value());
  EXPECT_EQ(first.left->rep_count, 6);
  EXPECT_EQ(first.right->rep_count, 6);

  RunUnilateralSet(comparator, 2, std::nullopt, Side::kLeft, 6, 70.0, 40.0);
  const SetSummary second = sink.All<SetSummary>().at(1);
  EXPECT_EQ(second.compared_with_set_index, 1);
  EXPECT_NEAR(Of(second.metrics, Metric::kRom).right, 90.0, 1e-9);
  EXPECT_NEAR(Of(second.metrics, Metric::kRom).left, 70.0, 1e-9);
}

// The catalog's step-up, as the comparator sees it: unilateral, worked by the leg whose way up
// takes longer.
Exercise StepUpExercise() {
  Exercise step_up = GenericExercise(Limb::kAnkle);
  step_up.name = "step_up";
  step_up.default_mode = SetMode::kUnilateral;
  step_up.working_side = WorkingSideRule::kLongerWayUp;
  return step_up;
}

// Automatic step-up sets: the trailing leg's trip (its swing up and back) is short and ends
// first, so its rep is seen first; the leading leg's way up (its swing and the rise that lifts
// the body) takes longer. Set 1 leads with the left leg, and its first leading trip was not
// counted, so the trailing leg has the earliest rep and the most; set 2 leads with the right.
// Each set is the leading leg's.
TEST(UnilateralTest, AStepUpSetWorksTheLegWhoseWayUpTakesLonger) {
  const Exercise step_up = StepUpExercise();
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kAnkle, AsymmetryParams{}, &sink);
  const auto run = [&](int set_index, Side leading, double start_s) {
    SetContext context = Context(set_index, SetMode::kUnilateral, std::nullopt, start_s);
    context.exercise = step_up;
    comparator.StartSet(context);
    for (int i = 0; i < 5; ++i) {
      const double trip_s = start_s + 1.0 + 5.0 * i;
      // The trailing leg first: its trip ends before the leading leg's.
      for (const auto& [side, from_s, up_s, rom_deg] :
           {std::tuple{OtherSide(leading), trip_s + 1.0, 0.7, 50.0},
            std::tuple{leading, trip_s, 1.6, 62.0}}) {
        if (set_index == 1 && side == leading && i == 0) continue;  // missed
        Rep rep = MakeRep(side, i + 1, from_s, rom_deg, up_s, up_s + 0.4);
        if (set_index == 1 && side == leading) rep.index = i;
        rep.placement.limb = Limb::kAnkle;
        rep.set_index = set_index;
        rep.stepped = true;
        comparator.AddRep(rep);
      }
    }
    comparator.EndSet(TimeFromSeconds(start_s + 30.0));
  };
  run(1, Side::kLeft, 0.0);
  run(2, Side::kRight, 60.0);
  const std::vector<SetSummary> summaries = sink.All<SetSummary>();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].working_side, Side::kLeft);
  EXPECT_EQ(summaries[1].working_side, Side::kRight);
  EXPECT_EQ(summaries[1].compared_with_set_index, 1);
}

// A step-up set led by the left leg: its trips take 1.6 s on the way up, the right leg's 0.7 s.
// After a rest, a trip like the other leg's (the left taking 0.7 s, or the right 1.6 s) means
// the legs swapped roles: the right leg's set has begun, whichever leg's trip is seen first. A
// trip like its own leg's is the same set. In an exercise whose working side is the first to
// move, or before each leg has a rep, the roles cannot tell.
TEST(UnilateralTest, ATripLikeTheOtherLegsMeansTheLegsSwappedRoles) {
  const Exercise step_up = StepUpExercise();
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kAnkle, AsymmetryParams{}, &sink);
  SetContext context = Context(1, SetMode::kUnilateral);
  context.exercise = step_up;
  comparator.StartSet(context);
  const auto trip = [](Side side, int index, double start_s, double up_s) {
    Rep rep = MakeRep(side, index, start_s, 60.0, up_s, 1.0);
    rep.placement.limb = Limb::kAnkle;
    rep.stepped = true;
    return rep;
  };
  EXPECT_FALSE(comparator.SwappedRoles(trip(Side::kLeft, 1, 1.0, 1.6)).has_value());
  comparator.AddRep(trip(Side::kLeft, 1, 1.0, 1.6));
  EXPECT_FALSE(comparator.SwappedRoles(trip(Side::kRight, 1, 1.5, 0.7)).has_value())
      << "the right leg has no trip yet";
  for (int i = 0; i < 3; ++i) {
    if (i > 0) comparator.AddRep(trip(Side::kLeft, i + 1, 1.0 + 5.0 * i, 1.6 + 0.05 * i));
    comparator.AddRep(trip(Side::kRight, i + 1, 1.5 + 5.0 * i, 0.7 - 0.05 * i));
  }
  EXPECT_EQ(comparator.SwappedRoles(trip(Side::kLeft, 4, 30.0, 1.5)), false);
  EXPECT_EQ(comparator.SwappedRoles(trip(Side::kRight, 4, 30.0, 0.8)), false);
  EXPECT_EQ(comparator.SwappedRoles(trip(Side::kLeft, 4, 30.0, 0.75)), true);
  EXPECT_EQ(comparator.SwappedRoles(trip(Side::kRight, 4, 30.0, 1.7)), true);

  // The same reps of an exercise whose working side moves first: no roles to swap.
  LimbPairComparator plain(Limb::kAnkle, AsymmetryParams{}, &sink);
  SetContext plain_context = Context(1, SetMode::kUnilateral);
  plain_context.exercise = GenericExercise(Limb::kAnkle);
  plain.StartSet(plain_context);
  plain.AddRep(trip(Side::kLeft, 1, 1.0, 1.6));
  plain.AddRep(trip(Side::kRight, 1, 1.5, 0.7));
  EXPECT_FALSE(plain.SwappedRoles(trip(Side::kLeft, 2, 30.0, 0.7)).has_value());
}

TEST(UnilateralTest, ASplitStanceSetWorksTheLegThatTurnsLessWhateverMovedFirst) {
  // Automatic split-squat sets: the back shank swings through most of the motion and is often
  // seen first; the front (working) shank turns less. Set 1 has the right leg in front, set 2
  // the left. The pair compares the front legs, whichever leg moved first.
  Exercise split_squat = GenericExercise(Limb::kAnkle);
  split_squat.name = "split_squat";
  split_squat.default_mode = SetMode::kUnilateral;
  split_squat.working_side = WorkingSideRule::kTurnsLess;
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kAnkle, AsymmetryParams{}, &sink);
  const auto add = [&](Side side, int index, double start_s, double rom_deg, int set_index) {
    Rep rep = MakeRep(side, index, start_s, rom_deg);
    rep.placement.limb = Limb::kAnkle;
    rep.set_index = set_index;
    comparator.AddRep(rep);
  };
  const auto start = [&](int set_index, std::optional<Side> side, double start_s) {
    SetContext context = Context(set_index, SetMode::kUnilateral, side, start_s);
    context.exercise = split_squat;
    comparator.StartSet(context);
  };
  const auto run = [&](int set_index, Side back, double front_rom_deg, double start_s) {
    // An automatic split-stance set knows no side up front (SessionPipeline::OpenSet); its
    // first rep is the back leg's.
    start(set_index, std::nullopt, start_s);
    for (int i = 0; i < 6; ++i) {
      for (const auto& [side, rom_deg] :
           {std::pair{back, 57.0}, {OtherSide(back), front_rom_deg}}) {
        add(side, i + 1, start_s + 1.0 + 3.0 * i, rom_deg + (i % 2 ? 0.5 : -0.5), set_index);
      }
    }
    comparator.EndSet(TimeFromSeconds(start_s + 20.0));
  };
  run(1, Side::kLeft, 40.0, 0.0);    // right leg in front
  run(2, Side::kRight, 32.0, 60.0);  // left leg in front, 20 % less range
  const SetSummary second = sink.All<SetSummary>().at(1);
  EXPECT_EQ(second.compared_with_set_index, 1);
  const MetricComparison& rom = Of(second.metrics, Metric::kRom);
  EXPECT_NEAR(rom.left, 32.0, 1e-9);
  EXPECT_NEAR(rom.right, 40.0, 1e-9);
  EXPECT_EQ(second.weaker_side, Side::kLeft);

  // A side the coach named is the working side, whatever the legs did.
  start(3, Side::kLeft, 120.0);
  add(Side::kLeft, 1, 121.0, 57.0, 3);
  add(Side::kRight, 1, 121.0, 40.0, 3);
  comparator.EndSet(TimeFromSeconds(130.0));
  start(4, Side::kRight, 140.0);
  add(Side::kRight, 1, 141.0, 50.0, 4);
  comparator.EndSet(TimeFromSeconds(150.0));
  const SetSummary fourth = sink.All<SetSummary>().at(3);
  EXPECT_EQ(fourth.compared_with_set_index, 3);
  EXPECT_NEAR(Of(fourth.metrics, Metric::kRom).left, 57.0, 1e-9);
}

// ---- Fatigue -----------------------------------------------------------------------------

TEST(FatigueTest, StopCueWhenTheWeakerSideLossIsConfirmedOverTwoRepsAfterTheEarlyOnes) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);  // 20 %
  comparator.StartSet(Context(1, SetMode::kBilateral));
  // Left is weaker (smaller ROM, slower). Baselines are the medians of the first three reps:
  // left 190 (loss 10.5 15.8 21.1 26.3 % from rep 4), right 270 (18.5 22.2 25.9 29.6 %).
  // Right crosses first, twice, but is not the weaker side.
  const double left_speed[] = {200, 190, 180, 170, 160, 150, 140};
  const double right_speed[] = {300, 270, 230, 220, 210, 200, 190};
  for (int i = 0; i < 7; ++i) {
    const double start_s = 1.0 + 2.5 * i;
    comparator.AddRep(MakeRep(Side::kLeft, i + 1, start_s, 80.0, 0.8, 1.2, left_speed[i]));
    comparator.AddRep(MakeRep(Side::kRight, i + 1, start_s, 100.0, 0.8, 1.2, right_speed[i]));
    const auto stops = sink.Cues(CueKind::kStopSet);
    if (i < 6) {
      EXPECT_TRUE(stops.empty()) << "after rep " << i + 1;
    } else {
      ASSERT_EQ(stops.size(), 1u) << "after rep " << i + 1;
      EXPECT_EQ(stops[0].side, Side::kLeft);
      EXPECT_NEAR(stops[0].value_pct, 50.0 * 100.0 / 190.0, 1e-9);
      EXPECT_EQ(stops[0].time, TimeFromSeconds(1.0 + 2.5 * 6 + 2.0));
    }
  }
  const auto updates = sink.All<FatigueUpdate>();
  ASSERT_EQ(updates.size(), 14u);
  EXPECT_EQ(updates[5].placement.side, Side::kRight);
  EXPECT_NEAR(updates[3].speed_loss_pct, 30.0 * 100.0 / 300.0, 1e-9);  // rep 2: best so far
  EXPECT_NEAR(updates[5].speed_loss_pct, 40.0 * 100.0 / 270.0, 1e-9);  // rep 3: median
  EXPECT_NEAR(updates[8].speed_loss_pct, 30.0 * 100.0 / 190.0, 1e-9);  // left rep 5 vs median
  comparator.EndSet(TimeFromSeconds(25.0));
  const SetSummary s = sink.All<SetSummary>().at(0);
  EXPECT_EQ(s.verdict.stop_side, Side::kLeft);
  EXPECT_FALSE(s.verdict.normal());
  // The stop cue stands: no "normal" after it.
  EXPECT_TRUE(sink.Cues(CueKind::kAsymmetryNormal).empty());
}

TEST(FatigueTest, NoStopInTheFirstRepsNorOnOneNoisyRep) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kUnilateral, Side::kLeft));
  // Rep 2 is 40 % slow (noise at the start), rep 6 is 40 % slow (one noisy rep): no stop.
  const double speed[] = {200, 120, 200, 198, 202, 120, 199, 200};
  for (int i = 0; i < 8; ++i) {
    comparator.AddRep(MakeRep(Side::kLeft, i + 1, 1.0 + 2.5 * i, 90.0, 0.8, 1.2, speed[i]));
  }
  EXPECT_TRUE(sink.Cues(CueKind::kStopSet).empty());
}

TEST(FatigueTest, ThresholdAndRomLossAreConfigurable) {
  RecordingSink sink;
  AsymmetryParams params;
  params.stop_speed_loss_pct = 12.0;
  LimbPairComparator comparator(Limb::kWrist, params, &sink);
  comparator.StartSet(Context(1, SetMode::kUnilateral, Side::kRight));
  const double speed[] = {200, 190, 180, 170, 160, 150};  // from rep 4: 10.5 15.8 21.1 %
  const double rom[] = {100, 90, 95, 80, 80, 80};         // loss vs best: 0 10 5 20 %
  for (int i = 0; i < 6; ++i) {
    comparator.AddRep(MakeRep(Side::kRight, i + 1, 1.0 + 2.5 * i, rom[i], 0.8, 1.2, speed[i]));
  }
  const auto updates = sink.All<FatigueUpdate>();
  ASSERT_EQ(updates.size(), 6u);
  EXPECT_EQ(updates[1].rom_loss_pct, 10.0);
  EXPECT_EQ(updates[2].rom_loss_pct, 5.0);
  EXPECT_EQ(updates[3].rom_loss_pct, 20.0);
  const auto stops = sink.Cues(CueKind::kStopSet);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].side, Side::kRight);
  EXPECT_NEAR(stops[0].value_pct, 40.0 * 100.0 / 190.0, 1e-9);

  // The exercise's own threshold wins over the daemon's.
  RecordingSink strict_sink;
  LimbPairComparator strict(Limb::kWrist, params, &strict_sink);
  SetContext context = Context(1, SetMode::kUnilateral, Side::kRight);
  context.exercise.coaching.stop_speed_loss_pct = 25.0;
  strict.StartSet(context);
  for (int i = 0; i < 6; ++i) {
    strict.AddRep(MakeRep(Side::kRight, i + 1, 1.0 + 2.5 * i, rom[i], 0.8, 1.2, speed[i]));
  }
  EXPECT_TRUE(strict_sink.Cues(CueKind::kStopSet).empty());
}

// ---- Lead/lag ----------------------------------------------------------------------------

TEST(LeadLagTest, ConsistentLateRightSideIsSummarisedAndCued) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  const double lag_s[] = {0.14, 0.16, 0.15, 0.13, 0.17, 0.15};
  for (int i = 0; i < 6; ++i) {
    const double start_s = 1.0 + 3.0 * i;
    comparator.AddRep(MakeRep(Side::kLeft, i + 1, start_s));
    comparator.AddRep(MakeRep(Side::kRight, i + 1, start_s + lag_s[i]));
  }
  comparator.EndSet(TimeFromSeconds(20.0));
  const SetSummary s = sink.All<SetSummary>().at(0);
  EXPECT_EQ(s.lead_lag.pairs, 6);
  EXPECT_NEAR(s.lead_lag.mean_lead_ms, 150.0, 1e-6);
  EXPECT_EQ(s.lead_lag.lagging_side, Side::kRight);
  EXPECT_EQ(s.lead_lag.band, Band::kAmber);
  EXPECT_TRUE(s.lead_lag.significant);
  EXPECT_TRUE(s.verdict.lead_lag);
  const auto cues = sink.All<Cue>();
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(cues[0].kind, CueKind::kLeadLag);
  EXPECT_EQ(cues[0].side, Side::kRight);
  EXPECT_NEAR(cues[0].lag_ms, 150.0, 1e-6);
}

TEST(LeadLagTest, ScatteredStartsAreNotALag) {
  RecordingSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  const double lag_s[] = {0.20, -0.20, 0.25, -0.15, 0.22, -0.18};
  for (int i = 0; i < 6; ++i) {
    const double start_s = 1.0 + 3.0 * i;
    comparator.AddRep(MakeRep(Side::kLeft, i + 1, start_s));
    comparator.AddRep(MakeRep(Side::kRight, i + 1, start_s + lag_s[i]));
  }
  comparator.EndSet(TimeFromSeconds(20.0));
  const SetSummary s = sink.All<SetSummary>().at(0);
  EXPECT_FALSE(s.lead_lag.significant);
  EXPECT_TRUE(s.verdict.normal());
  ASSERT_EQ(sink.All<Cue>().size(), 1u);
  EXPECT_EQ(sink.All<Cue>()[0].kind, CueKind::kAsymmetryNormal);
}

// ---- No allocation in the stream ----------------------------------------------------------

class NullSink : public EventSink {
 public:
  void OnEvent(const Event&) override { ++count; }
  int count = 0;
};

TEST(AllocationTest, RepsAndTimeAdvanceDoNotAllocate) {
  NullSink sink;
  LimbPairComparator comparator(Limb::kWrist, AsymmetryParams{}, &sink);
  comparator.StartSet(Context(1, SetMode::kBilateral));
  std::vector<Rep> left = Series(Side::kLeft, 12, 1.0, 2.5, 0.0, /*skip_index=*/6);
  std::vector<Rep> right = Series(Side::kRight, 12, 1.0, 2.5, 0.2, /*skip_index=*/9);
  g_allocations = 0;
  g_count_allocations = true;
  Drive(comparator, left, right, 0.2, 35.0);
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(sink.count, 20);  // pairs, unpaired reps and fatigue updates did happen
}

}  // namespace
}  // namespace ambi::fusion
