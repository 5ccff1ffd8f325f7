#include "fusion/clock/sample_clock.h"

#include <algorithm>
#include <cmath>

namespace ambi::fusion {
namespace {

// Missing-sample counts saturate here: far beyond any session (a 100 Hz stream would need 300
// years to reach it), and small enough that llround gets an exactly representable value.
constexpr double kMaxMissingSamples = 1e15;

std::int64_t MissingSamples(double span_s, double period_s) {
  const double periods = span_s / period_s;
  if (!(periods < kMaxMissingSamples)) return static_cast<std::int64_t>(kMaxMissingSamples);
  return std::max<std::int64_t>(0, std::llround(periods) - 1);
}

}  // namespace

// Device and arrival times come from outside (a device's counter, a capture file) and may be
// anything: every difference and sum of times below saturates instead of overflowing.
double LateLossFoundWithinS(const SampleClockParams& params) {
  if (params.device_time || params.nominal_timestamps) return 0.0;
  const double block_s =
      std::max(params.loss_block_s,
               static_cast<double>(params.loss_block_min_samples) / params.nominal_rate_hz);
  return static_cast<double>(params.loss_ramp_blocks + 1) * block_s;
}

SampleClock::SampleClock(const SampleClockParams& params)
    : params_(params),
      nominal_period_s_(1.0 / params.nominal_rate_hz),
      period_s_(nominal_period_s_) {}

void SampleClock::Reset() { started_ = false; }

ClockUpdate SampleClock::Start(Time device, Time arrival) {
  started_ = true;
  device_origin_ = device;
  device_s_ = 0.0;
  last_device_ = device;
  last_arrival_ = arrival;
  offset_s_ = ToSeconds(SaturatingSub(arrival, device));
  late_catch_up_s_ = 0.0;
  rate_anchor_arrival_ = arrival;
  rate_anchor_count_ = 0;
  period_learned_ = false;
  count_ = 0;
  late_arrival_ = false;
  previous_lag_s_ = 0.0;
  block_samples_ = 0;
  has_reference_ = false;
  rise_per_block_s_ = 0.0;
  pending_blocks_ = 0;
  raw_lags_[0] = 0.0;  // arrival - device time, both at the origin
  samples_seen_ = 1;
  ClockUpdate update;
  update.time = arrival;
  last_time_ = update.time;
  mapping_start_ = update.time;
  return update;
}

void SampleClock::UpdatePeriodEstimate(Time arrival) {
  // The anchor is kept for the whole mapping, so arrival jitter is divided by an ever larger
  // sample count; a constant rate error (the usual case for a crystal or RC clock) is what
  // remains.
  const double span_s = ToSeconds(SaturatingSub(arrival, rate_anchor_arrival_));
  const std::int64_t samples = count_ - rate_anchor_count_;
  if (span_s < params_.rate_window_s || samples <= 0) return;
  period_learned_ = true;
  const double measured_s = span_s / static_cast<double>(samples);
  const double limit = params_.max_rate_error * nominal_period_s_;
  period_s_ = std::clamp(measured_s, nominal_period_s_ - limit, nominal_period_s_ + limit);
}

std::int64_t SampleClock::SamplesLostInBlocks(double lag_s) {
  block_min_lag_s_ = block_samples_ == 0 ? lag_s : std::min(block_min_lag_s_, lag_s);
  ++block_samples_;
  const double block_s = static_cast<double>(block_samples_) * period_s_;
  if (block_samples_ < params_.loss_block_min_samples || block_s < params_.loss_block_s) return 0;
  last_block_samples_ = block_samples_;
  block_samples_ = 0;
  const double block_min_s = block_min_lag_s_;
  if (!has_reference_) {
    has_reference_ = true;
    reference_min_lag_s_ = block_min_s;
    return 0;
  }
  const double threshold_s = params_.loss_step_periods * period_s_;
  // The steadiest rise a rate error can make per block: before the period estimate has a rate
  // window behind it, any error within max_rate_error; after it, the clock's drift.
  const double max_rise_s =
      (period_learned_ ? params_.learned_rate_drift : params_.max_rate_error) *
      static_cast<double>(last_block_samples_) * period_s_;
  if (pending_blocks_ > 0) {
    // The blocks before stepped up. A loss leaves this one level with the last of them and
    // still up against the reference; a stall comes back down; a rate error goes on rising.
    const double since_step_s = block_min_s - pending_min_lag_s_ - rise_per_block_s_;
    const double lasting_s = block_min_s - reference_min_lag_s_ -
                             static_cast<double>(pending_blocks_ + 1) * rise_per_block_s_;
    if (since_step_s > threshold_s && pending_blocks_ < params_.loss_ramp_blocks) {
      ++pending_blocks_;  // still climbing: a loss that showed over two blocks, or a ramp
      pending_min_lag_s_ = block_min_s;
      return 0;
    }
    std::int64_t lost = 0;
    const std::int64_t lasting_samples =
        std::llround(std::min(lasting_s / period_s_, kMaxMissingSamples));
    const double ramp_s =
        (block_min_s - reference_min_lag_s_) / static_cast<double>(pending_blocks_ + 1);
    if (std::abs(since_step_s) <= threshold_s && lasting_s > threshold_s) {
      lost = std::max<std::int64_t>(1, lasting_samples);
    } else if (since_step_s > threshold_s && ramp_s <= max_rise_s) {
      // Rising block after block: a rate error the period estimate has not learned yet.
      rise_per_block_s_ = ramp_s;
    } else if (since_step_s > threshold_s) {
      // Faster than any rate error: losses in blocks in a row (a heavily lossy link).
      lost = lasting_samples;
    }
    reference_min_lag_s_ = block_min_s;
    pending_blocks_ = 0;
    return lost;
  }
  if (block_min_s - reference_min_lag_s_ - rise_per_block_s_ > threshold_s) {
    pending_blocks_ = 1;  // the next block tells; the reference stays
    pending_min_lag_s_ = block_min_s;
    return 0;
  }
  // No step: follow the steady rise (a rate error the period estimate has not learned yet)
  // slowly, so that the least lag's jitter averages out.
  rise_per_block_s_ +=
      params_.loss_rise_gain * (block_min_s - reference_min_lag_s_ - rise_per_block_s_);
  rise_per_block_s_ = std::clamp(rise_per_block_s_, -max_rise_s, max_rise_s);
  reference_min_lag_s_ = block_min_s;
  return 0;
}

std::int64_t SampleClock::LocateLateLoss(std::int64_t lost, std::int64_t block_samples) const {
  const std::int64_t history = std::min<std::int64_t>(samples_seen_, kLagHistory);
  auto raw_lag = [&](std::int64_t ago) {
    return raw_lags_[static_cast<std::size_t>((samples_seen_ - 1 - ago) % kLagHistory)];
  };
  // The block just ended lies wholly after the loss; its least lag is the level after it.
  double after_s = raw_lag(0);
  for (std::int64_t ago = 1; ago < std::min(block_samples, history); ++ago) {
    after_s = std::min(after_s, raw_lag(ago));
  }
  // Latency only adds: a sample lagging less than halfway up the step came before the loss. The
  // newest such one is the last before it (or a little earlier, when jitter delayed the last).
  const double before_s = after_s - 0.5 * static_cast<double>(lost) * period_s_;
  for (std::int64_t ago = 1; ago < history; ++ago) {
    if (raw_lag(ago) < before_s) return ago - 1;
  }
  return -1;
}

ClockUpdate SampleClock::Update(Time device_or_arrival, Time arrival) {
  // One ClockUpdate for every return, so that it is built in the caller's slot: returning a
  // second named one made the compiler build this one on the stack and copy it out per sample.
  ClockUpdate update;
  if (!started_) {
    update = Start(params_.device_time ? device_or_arrival : arrival, arrival);
    return update;
  }
  if (params_.nominal_timestamps) {
    ++count_;
    update.time = SaturatingAdd(
        mapping_start_, DurationFromSeconds(static_cast<double>(count_) * nominal_period_s_));
    last_time_ = update.time;
    return update;
  }

  double step_s = 0.0;
  if (params_.device_time) {
    step_s = ToSeconds(SaturatingSub(device_or_arrival, last_device_));
    if (step_s <= 0.0) {
      ++rejected_;
      update.accepted = false;
      update.time = last_time_;
      return update;
    }
    if (step_s > params_.gap_periods * nominal_period_s_) {
      update.gap = true;
      update.gap_duration = DurationFromSeconds(step_s);
      update.missing_samples = MissingSamples(step_s, nominal_period_s_);
    }
    last_device_ = device_or_arrival;
  } else {
    const double pause_s = ToSeconds(SaturatingSub(arrival, last_arrival_));
    constexpr double kBatchedGain = 0.01;  // about 100 samples
    batched_share_ += kBatchedGain * ((pause_s < 0.25 * period_s_ ? 1.0 : 0.0) - batched_share_);
    if (pause_s > loss_pause_s()) {
      // Without device time nothing says where the missing samples were: start a new mapping
      // at this arrival and report the pause. Its length is the samples' own, the periods the
      // missing ones and this one span, as a short loss's is: the session times either side
      // differ by this sample's latency as well (at 25 Hz five samples lost over 240 ms read
      // 313 ms, past bridge_max_s, and the rep in progress was cut).
      const std::int64_t missing = MissingSamples(pause_s, period_s_);
      const double period_s = period_s_;
      update = Start(arrival, arrival);
      period_s_ = period_s;
      update.gap = true;
      update.gap_duration = DurationFromSeconds(static_cast<double>(missing + 1) * period_s);
      update.missing_samples = missing;
      ++gaps_;
      missing_samples_total_ += missing;
      return update;
    }
    step_s = period_s_;
    // How much later than the synthesised clock expects this sample arrives. Its jump from the
    // last on-time sample is what a loss adds; a slow drift (a rate error the period estimate
    // has not learned yet) cancels out of it.
    const double lag_s =
        ToSeconds(SaturatingSub(arrival, device_origin_)) - device_s_ - step_s - offset_s_;
    const double loss_lag_s = std::max(0.5 * period_s_, params_.arrival_loss_min_s);
    if (late_arrival_ && pause_s > 0.5 * period_s_ && lag_s - on_time_lag_s_ > loss_lag_s) {
      // Late, and the next one at the steady rate still as late: samples were lost before the
      // previous one, which was already passed on. Count them here, where the gap can still be
      // bridged; the smaller of the two jumps carries less latency jitter.
      const double since_on_time_s = lag_s - on_time_lag_s_;
      // Later still than the previous one: samples were lost again right before this one (a
      // radio drops bursts a sample apart). All of the lag since the last on-time sample is then
      // lost time, the first jump's share of it before the previous sample. Counting the first
      // jump alone left the second burst uncounted, and the session clock ran behind by it.
      const double again_s = batched_share_ > params_.batched_share
                                 ? std::max(loss_lag_s, params_.arrival_loss_again_batched_s)
                                 : loss_lag_s;
      const bool lost_again = since_on_time_s - late_jump_s_ > again_s;
      const double jump_s = lost_again ? since_on_time_s : std::min(late_jump_s_, since_on_time_s);
      const std::int64_t missing =
          std::max<std::int64_t>(1, std::llround(std::min(jump_s / period_s_, kMaxMissingSamples)));
      const std::int64_t before_previous =
          lost_again
              ? std::clamp<std::int64_t>(std::llround(late_jump_s_ / period_s_), 0, missing - 1)
              : missing;
      const std::int64_t longest = std::max(before_previous, missing - before_previous);
      step_s += static_cast<double>(missing) * period_s_;
      count_ += missing;
      update.gap = true;
      update.gap_duration = DurationFromSeconds(static_cast<double>(longest + 1) * period_s_);
      update.missing_samples = missing;
      update.missing_before_previous = before_previous;
      late_arrival_ = false;
      on_time_lag_s_ = lag_s - static_cast<double>(missing) * period_s_;
    } else if (!late_arrival_ && lag_s - previous_lag_s_ > loss_lag_s) {
      late_arrival_ = true;
      on_time_lag_s_ = previous_lag_s_;
      late_jump_s_ = lag_s - previous_lag_s_;
    } else {
      late_arrival_ = false;
    }
    previous_lag_s_ = update.gap ? on_time_lag_s_ : lag_s;
    raw_lags_[static_cast<std::size_t>(samples_seen_ % kLagHistory)] =
        ToSeconds(SaturatingSub(arrival, device_origin_)) - device_s_ - step_s;
    ++samples_seen_;
    // Losses found a block or two late: no gap is reported (a bridge here would integrate the
    // gyro of now over the time lost then, which at the start of a rep is far faster: a curl
    // read 4-6 deg high); the pipeline puts them back where they were when they can be located.
    // The session time catches up with them at once (late_loss_step, late_catch_up_s_).
    const std::int64_t lost = SamplesLostInBlocks(update.gap ? on_time_lag_s_ : lag_s);
    count_ += lost;
    found_late_samples_ += lost;
    if (lost > 0) {
      const std::int64_t ago = LocateLateLoss(lost, last_block_samples_);
      if (ago >= 0) {
        update.late_loss_samples = lost;
        update.late_loss_samples_ago = ago;
      }
      const double lost_s = static_cast<double>(lost) * period_s_;
      late_catch_up_s_ += lost_s;
      update.late_loss_step = DurationFromSeconds(lost_s);
    }
    ++count_;
    UpdatePeriodEstimate(arrival);
  }
  last_arrival_ = arrival;
  // Device time is used as it is (no accumulated rounding); the synthesised clock counts periods.
  device_s_ = params_.device_time ? ToSeconds(SaturatingSub(device_or_arrival, device_origin_))
                                  : device_s_ + step_s;

  // Lower envelope of (arrival - device): latency only adds, so the smallest value seen is the
  // closest to the true offset. It may rise slowly to follow a device clock that runs slow.
  const double offset_now_s = ToSeconds(SaturatingSub(arrival, device_origin_)) - device_s_;
  const double offset_before_s = offset_s_;
  offset_s_ = std::min(offset_s_ + params_.offset_rise_s_per_s * step_s, offset_now_s);
  // What the envelope takes up of the losses found late, the session time has already stepped
  // over: without this, every step read 0.2 % long for ten seconds after such a loss.
  late_catch_up_s_ -= std::clamp(offset_s_ - offset_before_s, 0.0, late_catch_up_s_);

  Time time =
      SaturatingAdd(device_origin_, DurationFromSeconds(device_s_ + offset_s_ + late_catch_up_s_));
  if (time <= last_time_) {
    time = SaturatingAdd(last_time_, Duration(1000));  // keep session time increasing
  }
  // (Across a gap the step spans the missing samples, which a bridge fills in session time.)
  if (params_.device_time && !update.gap &&
      ToSeconds(time - last_time_) < params_.burst_step_frac * step_s) {
    update.shortened_step = DurationFromSeconds(step_s) - (time - last_time_);
  }
  update.time = time;
  last_time_ = time;
  if (update.gap) {
    ++gaps_;
    missing_samples_total_ += update.missing_samples;
  }
  return update;
}

}  // namespace ambi::fusion
