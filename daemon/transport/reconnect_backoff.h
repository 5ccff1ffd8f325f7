#ifndef AMBI_DAEMON_TRANSPORT_RECONNECT_BACKOFF_H_
#define AMBI_DAEMON_TRANSPORT_RECONNECT_BACKOFF_H_

#include <chrono>
#include <cstdint>

namespace ambi::transport {

// Why these numbers: in a gym the usual loss is an athlete re-seating a cable or a sensor
// rebooting, back within a second, so the first retries come quickly (100 ms, then 200, 400 ...)
// and a replug costs almost no data. A sensor left in a locker stays away for hours; there the
// delay doubles up to a 5 s cap, so a dozen absent devices cost a few open() calls per second
// instead of a spinning loop, while a device that does come back is found within 5 s.
// A connection that lived 10 s proves the device is healthy, so its loss starts again at 100 ms;
// one that dies at once (a flapping connector, a tty that opens but fails to read) keeps growing.
// Jitter (up to 20 % shorter) keeps the sources of many devices, lost together when a USB hub
// resets, from retrying in lockstep.
struct ReconnectBackoffOptions {
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{5000};
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [nominal * (1 - jitter_fraction), nominal].
  double jitter_fraction = 0.2;
  // A connection that lasted at least this long resets the delay to 'initial_delay'.
  std::chrono::milliseconds stable_after{10000};
};

// The retry policy of one device link: the delay before each reconnect attempt. Pure: reads no
// clock (times are passed in) and draws jitter from its own seeded generator, so a test gets
// the same sequence every time. Not thread-safe; one per device.
class ReconnectBackoff {
 public:
  // Throws std::invalid_argument naming the option when 'options' is inconsistent.
  explicit ReconnectBackoff(const ReconnectBackoffOptions& options = {}, std::uint64_t seed = 1);

  // The delay before the next attempt; each call counts as one failed attempt.
  std::chrono::milliseconds NextDelay();

  // A connection was established at 'time'.
  void OnConnected(std::chrono::steady_clock::time_point time);
  // The connection was lost at 'time'; resets the delay when it had lived 'stable_after'.
  void OnLost(std::chrono::steady_clock::time_point time);
  // Back to the initial delay.
  void Reset() { attempts_ = 0; }

  // Attempts since the last reset.
  int attempts() const { return attempts_; }
  const ReconnectBackoffOptions& options() const { return options_; }

 private:
  double UniformJitter();

  ReconnectBackoffOptions options_;
  std::uint64_t rng_state_;
  int attempts_ = 0;
  std::chrono::steady_clock::time_point connected_at_{};
  bool connected_ = false;
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_RECONNECT_BACKOFF_H_
