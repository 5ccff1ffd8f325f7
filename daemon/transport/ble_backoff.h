#ifndef AMBI_DAEMON_TRANSPORT_BLE_BACKOFF_H_
#define AMBI_DAEMON_TRANSPORT_BLE_BACKOFF_H_

#include <chrono>

namespace ambi::daemon {

// Delay before each BLE reconnect attempt: 'initial' after a loss, doubling per failed attempt
// up to 'max'. Why these defaults: BlueZ's Connect() itself already waits for the device (up to
// connect_timeout_s), so retrying faster than every half second gains nothing, and a sensor out
// of range costs one Connect() every 10 s at most. Pure; not thread-safe.
class BleBackoff {
 public:
  using Delay = std::chrono::milliseconds;

  // Throws std::invalid_argument unless 0 < initial <= max.
  explicit BleBackoff(Delay initial = Delay(500), Delay max = Delay(10000));

  // The delay before the next attempt; each call counts one more failed attempt.
  Delay Next();
  // A connection came up: the next loss starts again at 'initial'.
  void Reset() { next_ = initial_; }

 private:
  Delay initial_;
  Delay max_;
  Delay next_;
};

}  // namespace ambi::daemon

#endif  // AMBI_DAEMON_TRANSPORT_BLE_BACKOFF_H_
