#include "daemon/capture/replay_pacer.h"

#include <limits>

namespace ambi::capture {

std::chrono::nanoseconds ReplayPacer::Next(std::int64_t arrival_time_ns) {
  std::int64_t step_ns = 0;
  if (__builtin_sub_overflow(arrival_time_ns, last_arrival_ns_, &step_ns)) {
    // Only a step from far below to far above (or back) overflows.
    step_ns = arrival_time_ns > last_arrival_ns_ ? std::numeric_limits<std::int64_t>::max() : 0;
  }
  last_arrival_ns_ = arrival_time_ns;
  if (step_ns <= 0) return elapsed_;  // out of order or simultaneous: due at once
  if (step_ns > kMaxStep.count()) {
    step_ns = kMaxStep.count();
    ++shortened_steps_;
  }
  // elapsed_ grows by at most kMaxStep per record: 2^63 ns would take 15 billion records.
  elapsed_ += std::chrono::nanoseconds(step_ns);
  return elapsed_;
}

}  // namespace ambi::capture
