#include "fusion/clock/delivery_catch_up.h"

#include <algorithm>

namespace ambi::fusion {

bool DeliveryCatchUp::Push(const ImuSample& sample, Time arrival, double period_s,
                           double loss_pause_s) {
  const bool paused = has_last_ && ToSeconds(SaturatingSub(arrival, last_arrival_)) > loss_pause_s;
  const Time before_pause = last_arrival_;
  has_last_ = true;
  last_arrival_ = arrival;
  if (holding_ && paused) {
    // Stalled again before this catch-up was over: it ends where it stood; this one begins.
    Release(least_at_);
  }
  if (!holding_) {
    if (!paused) return false;
    StartHolding(before_pause);
  }
  period_s_ = period_s;
  held_[static_cast<std::size_t>(size_)] = {sample, arrival};
  ++size_;

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
  for (int i = hold_from_; i < last; ++i) {
    Timed& timed = held_[static_cast<std::size_t>(i)];
    timed.arrival =
        SaturatingAdd(end, DurationFromSeconds(-spacing_s * static_cast<double>(last - i)));
    timed.sample.time = timed.arrival;
  }
  caught_up_ += count - 1;
  holding_ = false;
  ready_ = size_;
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
  if (holding_) Release(least_at_);
}

void DeliveryCatchUp::Reset() {
  End();
  has_last_ = false;
}

}  // namespace ambi::fusion
