#include "fusion/asymmetry/limb_pair_comparator.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "fusion/asymmetry/metric_comparison.h"
#include "fusion/asymmetry/set_cues.h"

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

double LimbPairComparator::Running::Variance() const { return n < 2 ? 0.0 : m2 / (n - 1); }

LimbPairComparator::LimbPairComparator(Limb limb, const AsymmetryParams& params, EventSink* sink)
    : limb_(limb), params_(params), sink_(sink) {
  params_.max_pending_reps = std::max(params_.max_pending_reps, 1);
  params_.fatigue_baseline_reps = std::clamp(
      params_.fatigue_baseline_reps, 1, static_cast<int>(SideState{}.early_speeds_deg_s.size()));
  params_.stop_confirm_reps = std::max(params_.stop_confirm_reps, 1);
  for (SideState& side : sides_) {
    side.pending.reserve(static_cast<std::size_t>(params_.max_pending_reps));
  }
}

double LimbPairComparator::MinComparable(Metric metric) const {
  switch (metric) {
    case Metric::kRom:
      return params_.min_rom_deg;
    case Metric::kConcentricTime:
    case Metric::kEccentricTime:
      return params_.min_phase_s;
    case Metric::kPeakSpeed:
      return params_.min_speed_deg_s;
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
  first_rep_side_.reset();
  for (SideState& side : sides_) {
    side.metrics = {};
    side.rep_count = 0;
    side.last_rep_index = 0;
    side.early_speeds_deg_s = {};
    side.best_rom_deg = 0.0;
    side.last_speed_loss_pct = 0.0;
    side.max_speed_loss_pct = 0.0;
    side.reps_over_stop = 0;
    side.pending.clear();
  }
  pair_differences_ = {};
  pair_count_ = 0;
  lead_ms_ = {};
  stop_side_.reset();
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
  if (!first_rep_side_ || rep.start < first_rep_start_) {
    first_rep_side_ = rep.placement.side;
    first_rep_start_ = rep.start;
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
    const double turn_gap_s = std::abs(ToSeconds(candidate.turnaround) + shift_other_s - turn_s);
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
  lead_ms_.Add(pair.lead_ms);
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
      const double sd =
          std::max(std::sqrt(differences.Variance()), params_.min_spread_fraction * scale);
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
  if (const std::optional<Metric> metric = RoleMetric(); metric && left > 0 && right > 0) {
    const auto m = static_cast<std::size_t>(*metric);
    const double left_mean = state(Side::kLeft).metrics[m].mean;
    const double right_mean = state(Side::kRight).metrics[m].mean;
    // The working side turns less, or takes longer on the way up.
    const bool left_works = context_.exercise.working_side == WorkingSideRule::kTurnsLess
                                ? left_mean <= right_mean
                                : left_mean >= right_mean;
    return left_works ? Side::kLeft : Side::kRight;
  }
  if (left > right) return Side::kLeft;
  if (right > left) return Side::kRight;
  // As many reps on each side (sides taken in turn): the side that began, as an automatic set
  // takes it.
  return first_rep_side_;
}

std::optional<Metric> LimbPairComparator::RoleMetric() const {
  switch (context_.exercise.working_side) {
    case WorkingSideRule::kTurnsLess:
      return Metric::kRom;
    case WorkingSideRule::kLongerWayUp:
      return Metric::kConcentricTime;
    case WorkingSideRule::kFirstToMove:
      break;
  }
  return std::nullopt;
}

std::optional<bool> LimbPairComparator::SwappedRoles(const Rep& rep) const {
  const std::optional<Metric> metric = RoleMetric();
  const SideState& own = state(rep.placement.side);
  const SideState& other = state(OtherSide(rep.placement.side));
  if (!set_open_ || !metric || own.rep_count == 0 || other.rep_count == 0) return std::nullopt;
  const auto m = static_cast<std::size_t>(*metric);
  const double value = MetricValue(rep, *metric);
  return std::abs(value - other.metrics[m].mean) < std::abs(value - own.metrics[m].mean);
}

std::optional<Side> LimbPairComparator::WeakerSideSoFar() const {
  if (state(Side::kLeft).rep_count == 0 || state(Side::kRight).rep_count == 0) {
    return std::nullopt;
  }
  MetricComparisons metrics{};
  for (Metric metric : kAllMetrics) {
    const auto m = static_cast<std::size_t>(metric);
    metrics[m] =
        CompareMetric(metric, state(Side::kLeft).metrics[m].mean,
                      state(Side::kRight).metrics[m].mean, Limits(metric), MinComparable(metric));
  }
  return WeakerSideOf(metrics);
}

double LimbPairComparator::BaselineSpeed(const SideState& side) const {
  const int n = std::min(side.rep_count, params_.fatigue_baseline_reps);
  if (n <= 0) return 0.0;
  std::array<double, 8> early = side.early_speeds_deg_s;
  const auto begin = early.begin();
  const auto end = begin + n;
  if (n < params_.fatigue_baseline_reps) return *std::max_element(begin, end);
  // The median of the early reps: one noisy rep among them moves it little.
  std::nth_element(begin, begin + n / 2, end);
  return early[static_cast<std::size_t>(n / 2)];
}

double LimbPairComparator::StopThresholdPct() const {
  return context_.exercise.coaching.stop_speed_loss_pct.value_or(params_.stop_speed_loss_pct);
}

void LimbPairComparator::UpdateFatigue(const Rep& rep) {
  SideState& side = state(rep.placement.side);
  const double speed = MetricValue(rep, Metric::kPeakSpeed);
  if (side.rep_count <= params_.fatigue_baseline_reps) {
    side.early_speeds_deg_s[static_cast<std::size_t>(side.rep_count - 1)] = speed;
  }
  side.best_rom_deg = std::max(side.best_rom_deg, rep.rom_deg);
  const double baseline = BaselineSpeed(side);
  // (baseline - now) * 100 / baseline keeps round numbers exact.
  const double speed_loss = baseline > 0.0 ? (baseline - speed) * 100.0 / baseline : 0.0;
  const double rom_loss =
      side.best_rom_deg > 0.0 ? (side.best_rom_deg - rep.rom_deg) * 100.0 / side.best_rom_deg : 0.0;
  side.last_speed_loss_pct = std::max(speed_loss, 0.0);
  side.max_speed_loss_pct = std::max(side.max_speed_loss_pct, side.last_speed_loss_pct);
  // Only reps after the early ones count towards a stop: the baseline is settled by then.
  const bool over = side.rep_count > params_.fatigue_baseline_reps &&
                    side.last_speed_loss_pct >= StopThresholdPct();
  side.reps_over_stop = over ? side.reps_over_stop + 1 : 0;

  FatigueUpdate update;
  update.placement = rep.placement;
  update.set_index = context_.set_index;
  update.rep_index = rep.index;
  update.time = rep.end;
  update.speed_loss_pct = side.last_speed_loss_pct;
  update.rom_loss_pct = std::max(rom_loss, 0.0);
  if (sink_ != nullptr) sink_->OnEvent(Event(update));

  if (stop_side_) return;  // one stop cue per set
  const std::optional<Side> watched =
      context_.mode == SetMode::kUnilateral ? WorkingSide() : WeakerSideSoFar();
  const Side candidate = rep.placement.side;
  if (watched && candidate != *watched) return;
  if (side.reps_over_stop < params_.stop_confirm_reps) return;
  stop_side_ = candidate;
  Cue cue;
  cue.kind = CueKind::kStopSet;
  cue.time = rep.end;
  cue.side = candidate;
  cue.value_pct = side.last_speed_loss_pct;
  EmitCue(cue);
}

void LimbPairComparator::FillSideStats(SetSummary& summary) const {
  if (state(Side::kLeft).rep_count > 0) summary.left = StatsOf(Side::kLeft);
  if (state(Side::kRight).rep_count > 0) summary.right = StatsOf(Side::kRight);
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

MetricComparisons LimbPairComparator::CompareMeans(const std::array<Running, kMetricCount>& left,
                                                   const std::array<Running, kMetricCount>& right,
                                                   bool paired) const {
  MetricComparisons metrics{};
  for (Metric metric : kAllMetrics) {
    const auto m = static_cast<std::size_t>(metric);
    MetricComparison comparison =
        CompareMetric(metric, left[m].mean, right[m].mean, Limits(metric), MinComparable(metric));
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

void LimbPairComparator::EmitCue(Cue cue) {
  if (sink_ == nullptr) return;
  cue.set_index = context_.set_index;
  cue.limb = limb_;
  sink_->OnEvent(Event(std::move(cue)));
}

LeadLag LimbPairComparator::JudgeLeadLag() const {
  LeadLag lead;
  lead.pairs = lead_ms_.n;
  if (lead_ms_.n == 0) return lead;
  lead.mean_lead_ms = lead_ms_.mean;
  lead.sd_ms = std::sqrt(lead_ms_.Variance());
  if (lead_ms_.mean > 0.0) lead.lagging_side = Side::kRight;
  if (lead_ms_.mean < 0.0) lead.lagging_side = Side::kLeft;
  const CoachingLimits& limits = context_.exercise.coaching;
  const double lag_ms = std::abs(lead_ms_.mean);
  lead.band = lag_ms >= limits.lead_red_from_ms     ? Band::kRed
              : lag_ms >= limits.lead_amber_from_ms ? Band::kAmber
                                                    : Band::kGreen;
  if (lead_ms_.n >= params_.min_reps_for_significance) {
    const double se = std::max(lead.sd_ms, params_.min_lead_spread_ms) /
                      std::sqrt(static_cast<double>(lead_ms_.n));
    lead.significant = lag_ms > StudentT95(lead_ms_.n - 1) * se;
  }
  return lead;
}

SetVerdict LimbPairComparator::Judge(const SetSummary& summary, bool judged, int left_reps,
                                     int right_reps) const {
  SetVerdict verdict;
  verdict.judged = judged;
  verdict.stop_side = stop_side_;
  if (const MetricComparison* largest = LargestGap(summary.metrics)) {
    verdict.largest_pct = largest->percent_difference;
  }
  if (judged) {
    // The reason is the first significant amber/red metric on the weaker side in the order
    // ROM, lifting time, lowering time, peak speed: peak speed follows from ROM and tempo (a
    // shorter or slower rep is a slower one), so it is named only when it stands alone.
    const MetricComparison* reason = nullptr;
    if (HasRelevantGap(summary.metrics) && summary.weaker_side) {
      for (const MetricComparison& m : summary.metrics) {
        if (!m.significant || m.weaker_side != summary.weaker_side) continue;
        if (m.band != Band::kAmber && m.band != Band::kRed) continue;
        reason = &m;
        break;
      }
    }
    const int rep_gap = std::abs(left_reps - right_reps);
    if (summary.mode == SetMode::kUnilateral && rep_gap >= params_.min_rep_gap) {
      // The side that failed first at comparable load is the weaker one, whatever the metrics.
      verdict.gap = true;
      verdict.weaker_side = left_reps < right_reps ? Side::kLeft : Side::kRight;
      verdict.reason_pct = rep_gap * 100.0 / std::max(left_reps, right_reps);
    } else if (reason != nullptr) {
      verdict.gap = true;
      verdict.weaker_side = summary.weaker_side;
      verdict.reason = reason->metric;
      verdict.reason_pct = reason->percent_difference;
    }
    if (verdict.gap) {
      const bool left_weaker = *verdict.weaker_side == Side::kLeft;
      verdict.target_reps = left_weaker ? left_reps : right_reps;
      verdict.stronger_reps = left_weaker ? right_reps : left_reps;
    }
    verdict.inconsistent =
        !verdict.gap &&
        std::any_of(summary.metrics.begin(), summary.metrics.end(), [](const MetricComparison& m) {
          return m.band == Band::kAmber || m.band == Band::kRed;
        });
    const LeadLag& lead = summary.lead_lag;
    verdict.lead_lag = summary.mode == SetMode::kBilateral && lead.significant &&
                       (lead.band == Band::kAmber || lead.band == Band::kRed);
  }
  if (!verdict.gap && verdict.stop_side) verdict.weaker_side = verdict.stop_side;
  return verdict;
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
  // The compared sides' rep counts (unilateral: this set's and the other side's set's).
  int left_reps = left.rep_count;
  int right_reps = right.rep_count;
  if (context_.mode == SetMode::kBilateral) {
    FillSideStats(summary);
    if (left.rep_count > 0 && right.rep_count > 0) {
      summary.metrics = CompareMeans(left.metrics, right.metrics, /*paired=*/true);
      compared = true;
      enough_reps = pair_count_ >= params_.min_reps_for_significance;
    }
    summary.lead_lag = JudgeLeadLag();
  } else if (const std::optional<Side> work = WorkingSide(); work && state(*work).rep_count > 0) {
    const SideState& worked = state(*work);
    summary.working_side = work;
    // The other side's own reps in this set are reported as done, never as 0: sides taken in
    // turn (alternating curls), or both legs moving in every rep of a lunge or a step-up. The
    // comparison below is still set against set, of the working side.
    FillSideStats(summary);
    std::optional<UnilateralSet>& other = last_unilateral_[*work == Side::kLeft ? 1 : 0];
    if (other && other->exercise == context_.exercise.name) {
      const auto& l = *work == Side::kLeft ? worked.metrics : other->metrics;
      const auto& r = *work == Side::kLeft ? other->metrics : worked.metrics;
      summary.metrics = CompareMeans(l, r, /*paired=*/false);
      summary.compared_with_set_index = other->set_index;
      compared = true;
      enough_reps = worked.rep_count >= params_.min_reps_for_significance &&
                    other->rep_count >= params_.min_reps_for_significance;
      left_reps = *work == Side::kLeft ? worked.rep_count : other->rep_count;
      right_reps = *work == Side::kLeft ? other->rep_count : worked.rep_count;
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

  summary.compared = compared;
  if (compared) {
    summary.weaker_side = WeakerSideOf(summary.metrics);
    for (const MetricComparison& m : summary.metrics) {
      summary.band = WorseBand(summary.band, m.band);
      summary.significant |= m.significant;
    }
  }
  summary.verdict = Judge(summary, compared && enough_reps, left_reps, right_reps);
  if (summary.verdict.gap) summary.weaker_side = summary.verdict.weaker_side;
  const std::vector<Cue> cues = CuesOfVerdict(summary);
  if (sink_ != nullptr) sink_->OnEvent(Event(std::move(summary)));
  for (const Cue& cue : cues) EmitCue(cue);
  set_open_ = false;
}

}  // namespace ambi::fusion
