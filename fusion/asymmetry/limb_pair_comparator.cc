#include "fusion/asymmetry/limb_pair_comparator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "fusion/asymmetry/metric_comparison.h"

namespace ambi::fusion {
namespace {

// Weight of a new pair in the learned clock offset: a few pairs settle it, one odd pair cannot
// move it far.
constexpr double kClockOffsetGain = 0.2;

// Two-sided 95 % Student-t quantile for 'df' degrees of freedom. With the 3 to 10 reps of a set,
// the normal 1.96 would call noise significant far more often than 5 % of the time.
double StudentT95(int df) {
  static constexpr double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                      2.306,  2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
                                      2.131,  2.120, 2.110, 2.101, 2.093, 2.086};
  constexpr int kRows = static_cast<int>(sizeof(kTable) / sizeof(kTable[0]));
  if (df < 1) return kTable[0];
  if (df <= kRows) return kTable[df - 1];
  if (df <= 30) return 2.042;
  return 1.96;
}

std::string Percent(double value_pct) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f %%", value_pct);
  return text;
}

std::string Capitalized(std::string_view word) {
  std::string text(word);
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

// The comparison with the largest percentage difference among comparable metrics.
const MetricComparison* LargestGap(const MetricComparisons& metrics) {
  const MetricComparison* largest = nullptr;
  for (const MetricComparison& m : metrics) {
    if (m.band == Band::kNotApplicable) continue;
    if (largest == nullptr || m.percent_difference > largest->percent_difference) largest = &m;
  }
  return largest;
}

// True when some metric is significant and outside the green band: worth a cue.
bool HasRelevantGap(const MetricComparisons& metrics) {
  return std::any_of(metrics.begin(), metrics.end(), [](const MetricComparison& m) {
    return m.significant && (m.band == Band::kAmber || m.band == Band::kRed);
  });
}

}  // namespace

void LimbPairComparator::Running::Add(double value) {
  ++n;
  const double delta = value - mean;
  mean += delta / n;
  m2 += delta * (value - mean);
}

double LimbPairComparator::Running::Variance() const {
  return n < 2 ? 0.0 : m2 / (n - 1);
}

LimbPairComparator::LimbPairComparator(Limb limb, const AsymmetryParams& params, EventSink* sink)
    : limb_(limb), params_(params), sink_(sink) {
  params_.max_pending_reps = std::max(params_.max_pending_reps, 1);
  for (SideState& side : sides_) {
    side.pending.reserve(static_cast<std::size_t>(params_.max_pending_reps));
  }
}

double LimbPairComparator::MinComparable(Metric metric) const {
  switch (metric) {
    case Metric::kRom: return params_.min_rom_deg;
    case Metric::kConcentricTime:
    case Metric::kEccentricTime: return params_.min_phase_s;
    case Metric::kPeakSpeed: return params_.min_speed_deg_s;
  }
  return 0.0;
}

const BandLimits& LimbPairComparator::Limits(Metric metric) const {
  return context_.exercise.bands[static_cast<std::size_t>(metric)];
}

void LimbPairComparator::StartSet(const SetContext& context) {
  if (set_open_) EndSet(context.start);
  context_ = context;
  set_open_ = true;
  not_working_side_.reset();
  for (SideState& side : sides_) {
    side.metrics = {};
    side.rep_count = 0;
    side.last_rep_index = 0;
    side.best_speed_deg_s = 0.0;
    side.best_rom_deg = 0.0;
    side.last_speed_loss_pct = 0.0;
    side.max_speed_loss_pct = 0.0;
    side.stop_cued = false;
    side.pending.clear();
  }
  pair_differences_ = {};
  pair_count_ = 0;
}

void LimbPairComparator::AddRep(const Rep& rep) {
  if (rep.placement.limb != limb_) return;
  if (!set_open_) {
    SetContext context;
    context.set_index = rep.set_index;
    context.exercise = GenericExercise(limb_);
    context.start = rep.start;
    StartSet(context);
  }
  SideState& side = state(rep.placement.side);
  for (Metric metric : kAllMetrics) {
    side.metrics[static_cast<std::size_t>(metric)].Add(MetricValue(rep, metric));
  }
  ++side.rep_count;
  side.last_rep_index = rep.index;
  if (context_.mode == SetMode::kBilateral) PairOrQueue(rep);
  UpdateFatigue(rep);
  AdvanceTime(rep.placement.side, rep.end);
}

void LimbPairComparator::AdvanceTime(Side side, Time time) {
  SideState& own = state(side);
  own.watermark = std::max(own.watermark, time);
  const Time limit = time - DurationFromSeconds(params_.pairing_tolerance_s);
  // Strictly older than the tolerance: a rep that ended exactly 'tolerance' ago still waits.
  FlushPending(OtherSide(side), limit);
}

void LimbPairComparator::PairOrQueue(const Rep& rep) {
  const Side own_side = rep.placement.side;
  SideState& own = state(own_side);
  SideState& other = state(OtherSide(own_side));
  // Express both reps in the left side's clock.
  const double offset_s = clock_offset_known_ ? clock_offset_s_ : 0.0;
  const double shift_own_s = own_side == Side::kRight ? -offset_s : 0.0;
  const double shift_other_s = own_side == Side::kRight ? 0.0 : -offset_s;
  const double start_s = ToSeconds(rep.start) + shift_own_s;
  const double end_s = ToSeconds(rep.end) + shift_own_s;
  const double turn_s = ToSeconds(rep.turnaround) + shift_own_s;

  int best = -1;
  double best_turn_gap_s = 0.0;
  for (int i = 0; i < static_cast<int>(other.pending.size()); ++i) {
    const Rep& candidate = other.pending[static_cast<std::size_t>(i)];
    const double c_start_s = ToSeconds(candidate.start) + shift_other_s;
    const double c_end_s = ToSeconds(candidate.end) + shift_other_s;
    const double overlap_s = std::min(end_s, c_end_s) - std::max(start_s, c_start_s);
    const double shorter_s = std::min(end_s - start_s, c_end_s - c_start_s);
    if (shorter_s <= 0.0 || overlap_s < params_.min_overlap_fraction * shorter_s) continue;
    const double turn_gap_s =
        std::abs(ToSeconds(candidate.turnaround) + shift_other_s - turn_s);
    if (best < 0 || turn_gap_s < best_turn_gap_s) {
      best = i;
      best_turn_gap_s = turn_gap_s;
    }
  }

  if (best < 0) {
    if (static_cast<int>(own.pending.size()) >= params_.max_pending_reps) {
      EmitUnpaired(own.pending.front());
      own.pending.erase(own.pending.begin());
    }
    own.pending.push_back(rep);
    return;
  }
  // Reps of a side arrive in order, so anything pending before the partner, and anything of our
  // own side still pending (older than 'rep'), can never pair now.
  const Rep partner = other.pending[static_cast<std::size_t>(best)];
  std::size_t own_i = 0;
  std::size_t other_i = 0;
  const std::size_t other_n = static_cast<std::size_t>(best);
  while (own_i < own.pending.size() || other_i < other_n) {
    const bool take_own =
        other_i >= other_n ||
        (own_i < own.pending.size() && own.pending[own_i].end <= other.pending[other_i].end);
    EmitUnpaired(take_own ? own.pending[own_i++] : other.pending[other_i++]);
  }
  own.pending.clear();
  other.pending.erase(other.pending.begin(), other.pending.begin() + best + 1);
  if (own_side == Side::kLeft) {
    EmitPair(rep, partner);
  } else {
    EmitPair(partner, rep);
  }
}

void LimbPairComparator::EmitPair(const Rep& left, const Rep& right) {
  ++pair_count_;
  RepPair pair;
  pair.limb = limb_;
  pair.set_index = context_.set_index;
  pair.pair_index = pair_count_;
  pair.left = left;
  pair.right = right;
  pair.lead_ms = ToSeconds(right.start - left.start) * 1000.0;
  const SideState& l = state(Side::kLeft);
  const SideState& r = state(Side::kRight);
  for (Metric metric : kAllMetrics) {
    const auto m = static_cast<std::size_t>(metric);
    const double left_value = MetricValue(left, metric);
    const double right_value = MetricValue(right, metric);
    Running& differences = pair_differences_[m];
    differences.Add(left_value - right_value);
    MetricComparison comparison =
        CompareMetric(metric, left_value, right_value, Limits(metric), MinComparable(metric));
    if (comparison.band != Band::kNotApplicable &&
        differences.n >= params_.min_reps_for_significance) {
      const double scale = (std::abs(l.metrics[m].mean) + std::abs(r.metrics[m].mean)) / 2.0;
      const double sd = std::max(std::sqrt(differences.Variance()),
                                 params_.min_spread_fraction * scale);
      const double se = sd / std::sqrt(static_cast<double>(differences.n));
      const bool set_significant = std::abs(differences.mean) > StudentT95(differences.n - 1) * se;
      const bool same_direction = (left_value - right_value) * differences.mean > 0.0;
      comparison.significant = set_significant && same_direction;
    }
    pair.metrics[m] = comparison;
  }
  // Learn the clock offset from the turnarounds, the sharpest instant of a rep.
  const double observed_s = std::clamp(ToSeconds(right.turnaround - left.turnaround),
                                       -params_.max_clock_offset_s, params_.max_clock_offset_s);
  clock_offset_s_ = clock_offset_known_
                        ? clock_offset_s_ + kClockOffsetGain * (observed_s - clock_offset_s_)
                        : observed_s;
  clock_offset_known_ = true;
  if (sink_ != nullptr) sink_->OnEvent(Event(std::move(pair)));
}

void LimbPairComparator::EmitUnpaired(const Rep& rep) {
  if (sink_ != nullptr) sink_->OnEvent(Event(UnpairedRep{rep}));
}

void LimbPairComparator::FlushPending(Side side, std::optional<Time> before) {
  std::vector<Rep>& pending = state(side).pending;
  std::size_t n = 0;
  while (n < pending.size() && (!before || pending[n].end < *before)) {
    EmitUnpaired(pending[n]);
    ++n;
  }
  if (n > 0) pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
}

std::optional<Side> LimbPairComparator::WorkingSide() const {
  const int left = state(Side::kLeft).rep_count;
  const int right = state(Side::kRight).rep_count;
  if (context_.side && (state(*context_.side).rep_count > 0 || left + right == 0)) {
    return context_.side;
  }
  if (left > right) return Side::kLeft;
  if (right > left) return Side::kRight;
  return std::nullopt;
}

std::optional<Side> LimbPairComparator::WeakerSideSoFar() const {
  if (state(Side::kLeft).rep_count == 0 || state(Side::kRight).rep_count == 0) {
    return std::nullopt;
  }
  MetricComparisons metrics{};
  for (Metric metric : kAllMetrics) {
    const auto m = static_cast<std::size_t>(metric);
    metrics[m] = CompareMetric(metric, state(Side::kLeft).metrics[m].mean,
                               state(Side::kRight).metrics[m].mean, Limits(metric),
                               MinComparable(metric));
  }
  return WeakerSideOf(metrics);
}

void LimbPairComparator::UpdateFatigue(const Rep& rep) {
  SideState& side = state(rep.placement.side);
  const double speed = MetricValue(rep, Metric::kPeakSpeed);
  side.best_speed_deg_s = std::max(side.best_speed_deg_s, speed);
  side.best_rom_deg = std::max(side.best_rom_deg, rep.rom_deg);
  // (best - now) * 100 / best keeps round numbers exact.
  const double speed_loss = side.best_speed_deg_s > 0.0
                                ? (side.best_speed_deg_s - speed) * 100.0 / side.best_speed_deg_s
                                : 0.0;
  const double rom_loss =
      side.best_rom_deg > 0.0 ? (side.best_rom_deg - rep.rom_deg) * 100.0 / side.best_rom_deg : 0.0;
  side.last_speed_loss_pct = std::max(speed_loss, 0.0);
  side.max_speed_loss_pct = std::max(side.max_speed_loss_pct, side.last_speed_loss_pct);

  FatigueUpdate update;
  update.placement = rep.placement;
  update.set_index = context_.set_index;
  update.rep_index = rep.index;
  update.time = rep.end;
  update.speed_loss_pct = side.last_speed_loss_pct;
  update.rom_loss_pct = std::max(rom_loss, 0.0);
  if (sink_ != nullptr) sink_->OnEvent(Event(update));

  const std::optional<Side> watched =
      context_.mode == SetMode::kUnilateral ? WorkingSide() : WeakerSideSoFar();
  for (Side candidate : {Side::kLeft, Side::kRight}) {
    if (watched && candidate != *watched) continue;
    SideState& s = state(candidate);
    if (s.stop_cued || s.rep_count == 0 || s.last_speed_loss_pct < params_.stop_speed_loss_pct) {
      continue;
    }
    s.stop_cued = true;
    EmitCue(CueKind::kStopSet, rep.end, candidate, 0, s.last_speed_loss_pct,
            Capitalized(ToString(candidate)) + " side has slowed " +
                Percent(s.last_speed_loss_pct) + " from its best rep: consider stopping the set.");
  }
}

SideStats LimbPairComparator::StatsOf(Side side) const {
  const SideState& s = state(side);
  SideStats stats;
  stats.rep_count = s.rep_count;
  const auto& m = s.metrics;
  stats.mean_rom_deg = m[static_cast<std::size_t>(Metric::kRom)].mean;
  stats.sd_rom_deg = std::sqrt(m[static_cast<std::size_t>(Metric::kRom)].Variance());
  stats.mean_concentric_s = m[static_cast<std::size_t>(Metric::kConcentricTime)].mean;
  stats.mean_eccentric_s = m[static_cast<std::size_t>(Metric::kEccentricTime)].mean;
  stats.mean_peak_speed_deg_s = m[static_cast<std::size_t>(Metric::kPeakSpeed)].mean;
  stats.max_speed_loss_pct = s.max_speed_loss_pct;
  return stats;
}

MetricComparisons LimbPairComparator::CompareMeans(
    const std::array<Running, kMetricCount>& left, const std::array<Running, kMetricCount>& right,
    bool paired) const {
  MetricComparisons metrics{};
  for (Metric metric : kAllMetrics) {
    const auto m = static_cast<std::size_t>(metric);
    MetricComparison comparison = CompareMetric(metric, left[m].mean, right[m].mean,
                                                Limits(metric), MinComparable(metric));
    const double floor =
        params_.min_spread_fraction * (std::abs(left[m].mean) + std::abs(right[m].mean)) / 2.0;
    const int min_n = params_.min_reps_for_significance;
    if (comparison.band != Band::kNotApplicable) {
      if (paired) {
        const Running& d = pair_differences_[m];
        if (d.n >= min_n) {
          const double se = std::max(std::sqrt(d.Variance()), floor) / std::sqrt(double(d.n));
          comparison.significant = std::abs(d.mean) > StudentT95(d.n - 1) * se;
        }
      } else if (left[m].n >= min_n && right[m].n >= min_n) {
        // Welch: independent sets; degrees of freedom from the smaller set (conservative).
        const double sl = std::max(std::sqrt(left[m].Variance()), floor);
        const double sr = std::max(std::sqrt(right[m].Variance()), floor);
        const double se = std::sqrt(sl * sl / left[m].n + sr * sr / right[m].n);
        const int df = std::min(left[m].n, right[m].n) - 1;
        comparison.significant = std::abs(left[m].mean - right[m].mean) > StudentT95(df) * se;
      }
    }
    metrics[m] = comparison;
  }
  return metrics;
}

void LimbPairComparator::EmitCue(CueKind kind, Time time, std::optional<Side> side,
                                 int target_reps, double value_pct, std::string message) {
  if (sink_ == nullptr) return;
  Cue cue;
  cue.kind = kind;
  cue.time = time;
  cue.set_index = context_.set_index;
  cue.limb = limb_;
  cue.side = side;
  cue.target_reps = target_reps;
  cue.value_pct = value_pct;
  cue.message = std::move(message);
  sink_->OnEvent(Event(std::move(cue)));
}

void LimbPairComparator::EndSet(Time time) {
  if (!set_open_) return;
  // Whatever still waits for a partner will not get one in this set; report it in time order.
  SideState& left = state(Side::kLeft);
  SideState& right = state(Side::kRight);
  std::size_t li = 0;
  std::size_t ri = 0;
  while (li < left.pending.size() || ri < right.pending.size()) {
    const bool take_left =
        ri >= right.pending.size() ||
        (li < left.pending.size() && left.pending[li].end <= right.pending[ri].end);
    EmitUnpaired(take_left ? left.pending[li++] : right.pending[ri++]);
  }
  left.pending.clear();
  right.pending.clear();

  SetSummary summary;
  summary.set_index = context_.set_index;
  summary.exercise = context_.exercise.name;
  summary.mode = context_.mode;
  summary.limb = limb_;
  summary.start = context_.start;
  summary.end = time;
  summary.not_working_side = not_working_side_;

  bool compared = false;
  bool enough_reps = false;
  int weaker_reps = 0;
  if (context_.mode == SetMode::kBilateral) {
    if (left.rep_count > 0) summary.left = StatsOf(Side::kLeft);
    if (right.rep_count > 0) summary.right = StatsOf(Side::kRight);
    if (left.rep_count > 0 && right.rep_count > 0) {
      summary.metrics = CompareMeans(left.metrics, right.metrics, /*paired=*/true);
      compared = true;
      enough_reps = pair_count_ >= params_.min_reps_for_significance;
    }
  } else if (const std::optional<Side> work = WorkingSide();
             work && state(*work).rep_count > 0) {
    const SideState& worked = state(*work);
    (*work == Side::kLeft ? summary.left : summary.right) = StatsOf(*work);
    std::optional<UnilateralSet>& other = last_unilateral_[*work == Side::kLeft ? 1 : 0];
    if (other && other->exercise == context_.exercise.name) {
      const auto& l = *work == Side::kLeft ? worked.metrics : other->metrics;
      const auto& r = *work == Side::kLeft ? other->metrics : worked.metrics;
      summary.metrics = CompareMeans(l, r, /*paired=*/false);
      summary.compared_with_set_index = other->set_index;
      compared = true;
      enough_reps = worked.rep_count >= params_.min_reps_for_significance &&
                    other->rep_count >= params_.min_reps_for_significance;
      const std::optional<Side> weaker = WeakerSideOf(summary.metrics);
      weaker_reps = weaker && *weaker != *work ? other->rep_count : worked.rep_count;
      // The pair is complete: the next set starts a new one.
      last_unilateral_[0].reset();
      last_unilateral_[1].reset();
    } else {
      UnilateralSet kept;
      kept.set_index = context_.set_index;
      kept.exercise = context_.exercise.name;
      kept.side = *work;
      kept.metrics = worked.metrics;
      kept.rep_count = worked.rep_count;
      last_unilateral_[*work == Side::kLeft ? 0 : 1] = std::move(kept);
    }
  }

  if (compared) {
    summary.weaker_side = WeakerSideOf(summary.metrics);
    for (const MetricComparison& m : summary.metrics) {
      summary.band = WorseBand(summary.band, m.band);
      summary.significant |= m.significant;
    }
  }
  const MetricComparisons metrics = summary.metrics;
  const std::optional<Side> weaker = summary.weaker_side;
  if (sink_ != nullptr) sink_->OnEvent(Event(std::move(summary)));

  if (compared && enough_reps) {
    const MetricComparison* largest = LargestGap(metrics);
    const double largest_pct = largest != nullptr ? largest->percent_difference : 0.0;
    if (!HasRelevantGap(metrics) || !weaker) {
      // A consistent but small (green) gap is real and worth naming, yet normal.
      const bool small_but_consistent =
          weaker && std::any_of(metrics.begin(), metrics.end(),
                                [](const MetricComparison& m) { return m.significant; });
      EmitCue(CueKind::kAsymmetryNormal, time, small_but_consistent ? weaker : std::nullopt, 0,
              largest_pct,
              small_but_consistent
                  ? "The " + std::string(ToString(*weaker)) +
                        " side is slightly but consistently behind; a gap this small is normal."
                  : std::string("Left/right difference is within normal rep-to-rep variation: "
                                "nothing to fix."));
    } else if (context_.mode == SetMode::kUnilateral) {
      // The largest significant gap names the reason given to the athlete.
      const MetricComparison* reason = nullptr;
      for (const MetricComparison& m : metrics) {
        if (!m.significant || m.weaker_side != weaker) continue;
        if (reason == nullptr || m.percent_difference > reason->percent_difference) reason = &m;
      }
      const double reason_pct = reason != nullptr ? reason->percent_difference : largest_pct;
      const std::string weaker_name(ToString(*weaker));
      const std::string stronger_name(ToString(OtherSide(*weaker)));
      EmitCue(CueKind::kStartWithWeakerSide, time, weaker, weaker_reps, reason_pct,
              "Next set: consider starting with your " + weaker_name + " side (" +
                  Percent(reason_pct) + " gap in " +
                  std::string(DisplayName(reason != nullptr ? reason->metric : Metric::kRom)) +
                  ").");
      EmitCue(CueKind::kMatchWeakerSideReps, time, OtherSide(*weaker), weaker_reps, reason_pct,
              "Consider stopping the " + stronger_name + " side at " +
                  std::to_string(weaker_reps) + " reps, as many as the " + weaker_name +
                  " side managed.");
    }
  }
  set_open_ = false;
}

}  // namespace ambi::fusion
