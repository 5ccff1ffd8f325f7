#include "fusion/clock/delivery_catch_up.h"

#include <algorithm>
#include <cmath>

#include "fusion/core/geometry.h"
#include "fusion/core/median.h"

namespace ambi::fusion {

bool DeliveryCatchUp::Push(const ImuSample& sample, Time arrival, double period_s,
                           double loss_pause_s) {
  const double since_last_s = ToSeconds(SaturatingSub(arrival, last_arrival_));
  bool opened = false;  // an opening burst was released: what follows waits behind it
  if (opening_) {
    if (since_last_s < params_.bunched_periods * period_s && size_ < kCapacity) {
      Remember(sample);
      last_arrival_ = arrival;
      Hold(sample, arrival);
      return true;
    }
    ReleaseOpening();
    opened = true;
  }
  const bool opens = !has_last_;
  const bool paused = has_last_ && since_last_s > loss_pause_s;
  const Time before_pause = last_arrival_;
  has_last_ = true;
  last_arrival_ = arrival;
  if (holding_ && paused) {
    // Stalled again before this catch-up was over: it ends where it stood; this one begins.
    Release(least_at_);
  }
  if (paused) {
    before_pause_ = {recent_[static_cast<std::size_t>(1 - newest_)],
                     recent_[static_cast<std::size_t>(newest_)]};
    pause_count_ = recent_count_;
  }
  Remember(sample);
  period_s_ = period_s;
  if (!holding_) {
    if (opens) {
      // The stream's first sample: held until the next tells whether it came in a burst.
      if (next_ == ready_) size_ = ready_ = next_ = 0;
      opening_ = true;
      hold_from_ = size_;
      Hold(sample, arrival);
      return true;
    }
    if (!paused) {
      if (!opened) return false;
      Hold(sample, arrival);  // behind the burst
      ready_ = size_;
      return true;
    }
    StartHolding(before_pause);
  }
  Hold(sample, arrival);

  const double owed = ToSeconds(SaturatingSub(arrival, pause_from_)) / period_s -
                      static_cast<double>(size_ - hold_from_);
  const bool first = size_ - 1 == hold_from_;
  if (first || owed < least_owed_ - params_.jitter_samples) {
    least_owed_ = owed;
    least_at_ = size_ - 1;
  }
  if (first || owed <= progress_owed_ - params_.progress_samples) {
    progress_owed_ = owed;
    progress_arrival_ = arrival;
  }
  if (owed < params_.caught_up_samples) {
    Release(size_ - 1);
  } else if (ToSeconds(SaturatingSub(arrival, progress_arrival_)) > params_.settle_s ||
             size_ == kCapacity) {
    Release(least_at_);
  }
  return true;
}

void DeliveryCatchUp::Hold(const ImuSample& sample, Time arrival) {
  held_[static_cast<std::size_t>(size_++)] = {sample, arrival};
}

Time DeliveryCatchUp::SpacedFrom(Time from, double step_s, int steps) {
  return SaturatingAdd(from, DurationFromSeconds(step_s * static_cast<double>(steps)));
}

void DeliveryCatchUp::Remember(const ImuSample& sample) {
  newest_ = 1 - newest_;
  recent_[static_cast<std::size_t>(newest_)] = {sample.gyro_rad_s, sample.accel_m_s2};
  recent_count_ = std::min(2, recent_count_ + 1);
}

void DeliveryCatchUp::ReleaseOpening() {
  const int last = size_ - 1;
  const Time end = held_[static_cast<std::size_t>(last)].arrival;
  for (int i = hold_from_; i < last; ++i) {
    Timed& timed = held_[static_cast<std::size_t>(i)];
    timed.arrival = SpacedFrom(end, -period_s_, last - i);
    timed.sample.time = timed.arrival;
  }
  caught_up_ += last - hold_from_;
  opening_ = false;
  ready_ = size_;
}

void DeliveryCatchUp::StartHolding(Time pause_from) {
  if (next_ == ready_) size_ = ready_ = next_ = 0;  // everything passed on: start at the front
  holding_ = true;
  hold_from_ = size_;
  pause_from_ = pause_from;
}

void DeliveryCatchUp::Release(int last) {
  const Time end = held_[static_cast<std::size_t>(last)].arrival;
  // A steady stream's spacing, unless that reaches back before the pause began (a stream a
  // little faster than the period estimate): then the pause shared out evenly.
  const int count = last - hold_from_ + 1;
  const double span_s = ToSeconds(SaturatingSub(end, pause_from_));
  const double spacing_s = std::min(period_s_, span_s / static_cast<double>(count));
  // Samples still owed (at least half of one) go where the held samples say they were lost;
  // samples before the last such loss run on from the pause, those after it back from the end,
  // and the loss takes up what the period estimate is off by.
  const double owed = span_s / period_s_ - static_cast<double>(count);
  std::array<Loss, kMaxLosses> losses{};
  const int placed = owed >= params_.caught_up_samples
                         ? PlaceLosses(last, static_cast<int>(std::lround(owed)), losses)
                         : 0;
  int passed = 0;   // losses placed before sample i
  int missing = 0;  // samples they hold
  for (int i = hold_from_; i <= last; ++i) {
    while (passed < placed && losses[static_cast<std::size_t>(passed)].before <= i) {
      missing += losses[static_cast<std::size_t>(passed++)].samples;
    }
    if (i == last && passed == placed) break;  // the end: it came when it was due
    Timed& timed = held_[static_cast<std::size_t>(i)];
    const Time from_end = SpacedFrom(end, -spacing_s, last - i);
    const Time from_pause = SpacedFrom(pause_from_, spacing_s, i - hold_from_ + 1 + missing);
    // Before a loss the samples run on from the pause, never past where counting back from the
    // end puts them (a loss after the last sample, rounded up): times only increase.
    timed.arrival = passed < placed ? std::min(from_pause, from_end) : from_end;
    timed.sample.time = timed.arrival;
  }
  caught_up_ += count - 1;
  holding_ = false;
  ready_ = size_;
}

DeliveryCatchUp::Motion DeliveryCatchUp::MotionAt(int position) const {
  if (position < 0) return before_pause_[static_cast<std::size_t>(2 + position)];
  const ImuSample& sample = held_[static_cast<std::size_t>(hold_from_ + position)].sample;
  return {sample.gyro_rad_s, sample.accel_m_s2};
}

Vec3 DeliveryCatchUp::StepAt(int step, Vec3 Motion::*signal) const {
  return Sub(MotionAt(step + 1).*signal, MotionAt(step).*signal);
}

DeliveryCatchUp::Pair DeliveryCatchUp::PairAt(int p, Vec3 Motion::*signal,
                                              double stands_out) const {
  const int lowest_step = -pause_count_;
  const int highest_step = size_ - hold_from_ - 2;
  Pair best;
  double best_step = 0.0;
  for (const int side : {-1, 1}) {
    const int partner_outer = p + 2 * side;
    const int jump_outer = p - side;
    if (std::min(partner_outer, jump_outer) < lowest_step ||
        std::max(partner_outer, jump_outer) > highest_step) {
      continue;
    }
    const Vec3 jump_outer_step = StepAt(jump_outer, signal);
    const Vec3 partner_outer_step = StepAt(partner_outer, signal);
    const Vec3 partner_step = StepAt(p + side, signal);
    // Each loss is measured against the motion's step on its own side: the pair spans a few
    // tenths of a second, over which a rep's speed changes.
    const double jump_per_sample = Norm(jump_outer_step);
    const double partner_per_sample = Norm(partner_outer_step);
    const double partner_size = Norm(partner_step);
    const Vec3 around = Scale(Add(jump_outer_step, partner_outer_step), 0.5);
    if (jump_per_sample <= 0.0 || partner_per_sample <= 0.0 ||
        Norm(Sub(partner_step, around)) < stands_out ||
        partner_size <= params_.gap_pair_ratio * std::max(jump_per_sample, partner_per_sample) ||
        partner_size <= best_step) {
      continue;
    }
    best_step = partner_size;
    best = {side, Norm(StepAt(p, signal)) / jump_per_sample - 1.0,
            partner_size / partner_per_sample - 1.0};
  }
  return best;
}

int DeliveryCatchUp::PlaceLosses(int last, int owed, std::array<Loss, kMaxLosses>& losses) const {
  // Positions -pause_count_ .. size_ - hold_from_ - 1; step p goes from position p to p + 1.
  // Lost samples between p and p + 1 make step p of the gyro, or of the accelerometer (gravity
  // turning with the limb), exceed the mean of the steps either side of it by about their number
  // times that mean. Only a step with both neighbours is judged (with one, the curve of the
  // motion reads as a jump), and only when there are a few to compare. The loss may follow the
  // last sample of the catch-up (the stall ended in it): the samples that came after are held too.
  const int count = last - hold_from_ + 1;
  const int first = std::max(-1, 1 - pause_count_);
  const int steps = std::min(count - 1, size_ - hold_from_ - 2) - first + 1;
  if (steps < 1) return 0;
  const int judged = std::min(count - 1, size_ - hold_from_ - 3) - first + 1;
  // No one place takes more than a loss burst: the held samples cannot tell one long loss from
  // several short ones, and piled together they make a gap the clock would cut. More owed than a
  // stall's bursts is a block (a dropout, a device's buffer overflowed): it is placed whole, and
  // before the first held sample when there are too few steps to judge.
  const int burst =
      std::max(1, static_cast<int>(std::lround(params_.loss_burst_max_s / period_s_)));
  const bool in_bursts = owed <= params_.stall_loss_bursts * burst;
  const int most_at_one_place = in_bursts ? burst : owed;
  if (judged < 4 && !in_bursts) return 0;
  const int candidates = judged >= 4 ? judged : 0;
  // Where the slowest rule looks: the judged steps, or in a catch-up too short to judge, every
  // step held.
  const int open_steps = candidates > 0 ? candidates : steps;
  struct Jump {
    double excess = 0.0;      // how far the step exceeds the mean of its neighbours
    double per_sample = 0.0;  // that mean's size
  };
  const auto jump = [&](int p, Vec3 Motion::*signal) {
    const Vec3 around = Scale(Add(StepAt(p - 1, signal), StepAt(p + 1, signal)), 0.5);
    return Jump{Norm(Sub(StepAt(p, signal), around)), Norm(around)};
  };
  std::array<double, kCapacity> gyro_excess{};
  std::array<double, kCapacity> accel_excess{};
  for (int i = 0; i < candidates; ++i) {
    gyro_excess[static_cast<std::size_t>(i)] = jump(first + i, &Motion::gyro_rad_s).excess;
    accel_excess[static_cast<std::size_t>(i)] = jump(first + i, &Motion::accel_m_s2).excess;
  }
  // A jump stands out of the stall's smooth motion and noise (their median excess).
  const double gyro_stands_out = std::max(
      params_.gap_jump_floor_rad_s,
      candidates > 0 ? params_.gap_jump_ratio * MedianOfFirst(gyro_excess, candidates) : 0.0);
  const double accel_stands_out = std::max(
      params_.gap_jump_floor_m_s2,
      candidates > 0 ? params_.gap_jump_ratio * MedianOfFirst(accel_excess, candidates) : 0.0);
  std::array<double, kCapacity> score{};
  for (std::size_t i = 0; i < static_cast<std::size_t>(candidates); ++i) {
    score[i] = std::max(gyro_excess[i] / gyro_stands_out, accel_excess[i] / accel_stands_out);
  }

  std::array<bool, kCapacity> near_loss{};
  int placed = 0;
  const auto place = [&](int at, int samples) {
    losses[static_cast<std::size_t>(placed++)] = {hold_from_ + first + at + 1, samples};
    // The neighbours carry half of a jump: they are no loss of their own.
    for (int j = std::max(0, at - 1); j <= std::min(steps - 1, at + 1); ++j) {
      score[static_cast<std::size_t>(j)] = 0.0;
      near_loss[static_cast<std::size_t>(j)] = true;
    }
  };
  int left = owed;
  // A jump's estimated size, within what is left and what one place may take.
  const auto share = [&](double estimate) {
    return std::clamp(static_cast<int>(std::lround(estimate)), 1,
                      std::min(left, most_at_one_place));
  };
  while (candidates > 0 && left > 0 && placed < kMaxLosses) {
    const auto largest = std::max_element(score.begin(), score.begin() + candidates);
    if (*largest < 1.0) break;
    const int at = static_cast<int>(largest - score.begin());
    const auto i = static_cast<std::size_t>(at);
    const bool by_gyro = gyro_excess[i] / gyro_stands_out >= accel_excess[i] / accel_stands_out;
    Vec3 Motion::*const signal = by_gyro ? &Motion::gyro_rad_s : &Motion::accel_m_s2;
    if (const Pair pair = PairAt(first + at, signal, by_gyro ? gyro_stands_out : accel_stands_out);
        pair.partner != 0 && at + pair.partner >= 0 && at + pair.partner < steps &&
        placed + 1 < kMaxLosses) {
      const int samples = share(pair.jump_lost);
      place(at, samples);
      left -= samples;
      if (left > 0) {
        const int partner_samples = share(pair.partner_lost);
        place(at + pair.partner, partner_samples);
        left -= partner_samples;
      }
      continue;
    }
    const Jump seen = jump(first + at, signal);
    const int samples =
        share(seen.per_sample > 0.0 ? seen.excess / seen.per_sample : static_cast<double>(left));
    place(at, samples);
    left -= samples;
  }
  // What no jump shows was lost where neither signal changed: the limb still, or turning
  // steadily (then the accelerometer would have jumped). Put it where the limb turned slowest,
  // away from the other losses, so that bridging it adds the least rotation.
  while (left > 0 && placed < kMaxLosses) {
    int slowest = -1;  // candidate index
    double slowest_rad_s = 0.0;
    for (int i = 0; i < open_steps; ++i) {
      if (near_loss[static_cast<std::size_t>(i)]) continue;
      const double rate_rad_s =
          Norm(MotionAt(first + i).gyro_rad_s) + Norm(MotionAt(first + i + 1).gyro_rad_s);
      if (slowest < 0 || rate_rad_s < slowest_rad_s) {
        slowest_rad_s = rate_rad_s;
        slowest = i;
      }
    }
    if (slowest < 0) break;
    const int samples = std::min(left, most_at_one_place);
    place(slowest, samples);
    left -= samples;
  }
  // Whatever is left (every place taken) goes with the first placed: the largest jump, or else
  // the slowest place.
  losses[0].samples += left;
  std::sort(losses.begin(), losses.begin() + placed,
            [](const Loss& a, const Loss& b) { return a.before < b.before; });
  return placed;
}

std::optional<DeliveryCatchUp::Timed> DeliveryCatchUp::Pop() {
  if (next_ >= ready_) return std::nullopt;
  const Timed timed = held_[static_cast<std::size_t>(next_)];
  ++next_;
  if (next_ == ready_) {
    // All passed on: what is still held moves to the front, to have the room it may need.
    std::copy(held_.begin() + next_, held_.begin() + size_, held_.begin());
    const int shift = next_;
    size_ -= shift;
    hold_from_ = std::max(0, hold_from_ - shift);
    least_at_ = std::max(0, least_at_ - shift);
    ready_ = next_ = 0;
  }
  return timed;
}

void DeliveryCatchUp::End() {
  if (opening_) ReleaseOpening();
  if (holding_) Release(least_at_);
}

void DeliveryCatchUp::Reset() {
  End();
  has_last_ = false;
  recent_count_ = 0;  // what came before the device was lost says nothing of what follows
}

}  // namespace ambi::fusion
