#ifndef AMBI_DAEMON_CAPTURE_REPLAY_PACER_H_
#define AMBI_DAEMON_CAPTURE_REPLAY_PACER_H_

#include <chrono>
#include <cstdint>

namespace ambi::capture {

// When each record of a capture is due in a paced replay, from the records' arrival times.
// Arrival times come from a file and may be anything: a jump to INT64_MAX once made
// `--pace 1000` wait 106 days. Each step between consecutive records therefore counts for
// at least 0 and at most kMaxStep, and the sum never overflows.
class ReplayPacer {
 public:
  // Longer than any rest between sets, so a real recording replays at its recorded speed.
  static constexpr std::chrono::nanoseconds kMaxStep = std::chrono::minutes(10);

  // Capture time from the start of the replay (arrival 0) to this record, as it is to be paced
  // (divide by the pace for the wall-clock wait). Call once per record, in file order.
  std::chrono::nanoseconds Next(std::int64_t arrival_time_ns);

  // How many steps were longer than kMaxStep (and shortened to it).
  std::uint64_t shortened_steps() const { return shortened_steps_; }

 private:
  std::int64_t last_arrival_ns_ = 0;
  std::chrono::nanoseconds elapsed_{0};
  std::uint64_t shortened_steps_ = 0;
};

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_REPLAY_PACER_H_
