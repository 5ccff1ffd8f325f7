#include "daemon/transport/reconnect_backoff.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ambi::transport {

ReconnectBackoff::ReconnectBackoff(const ReconnectBackoffOptions& options, std::uint64_t seed)
    : options_(options), rng_state_(seed) {
  if (options.initial_delay.count() <= 0) {
    throw std::invalid_argument("reconnect backoff: initial_delay must be > 0 ms, got " +
                                std::to_string(options.initial_delay.count()));
  }
  if (options.max_delay < options.initial_delay) {
    throw std::invalid_argument(
        "reconnect backoff: max_delay (" + std::to_string(options.max_delay.count()) +
        " ms) must be >= initial_delay (" + std::to_string(options.initial_delay.count()) + " ms)");
  }
  if (!(options.multiplier >= 1.0)) {
    throw std::invalid_argument("reconnect backoff: multiplier must be >= 1, got " +
                                std::to_string(options.multiplier));
  }
  if (!(options.jitter_fraction >= 0.0 && options.jitter_fraction < 1.0)) {
    throw std::invalid_argument("reconnect backoff: jitter_fraction must be in [0, 1), got " +
                                std::to_string(options.jitter_fraction));
  }
}

// SplitMix64 to [0, 1): std:: distributions differ between library versions, and the sequence
// must be the same everywhere for a given seed.
double ReconnectBackoff::UniformJitter() {
  std::uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::chrono::milliseconds ReconnectBackoff::NextDelay() {
  const double initial_ms = static_cast<double>(options_.initial_delay.count());
  const double max_ms = static_cast<double>(options_.max_delay.count());
  // pow of a capped exponent: no overflow however long the device stays away.
  const double growth = std::pow(options_.multiplier, std::min(attempts_, 64));
  const double nominal_ms = std::min(initial_ms * growth, max_ms);
  const double delay_ms = nominal_ms * (1.0 - options_.jitter_fraction * UniformJitter());
  ++attempts_;
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(delay_ms)));
}

void ReconnectBackoff::OnConnected(std::chrono::steady_clock::time_point time) {
  connected_at_ = time;
  connected_ = true;
}

void ReconnectBackoff::OnLost(std::chrono::steady_clock::time_point time) {
  if (connected_ && time - connected_at_ >= options_.stable_after) Reset();
  connected_ = false;
}

}  // namespace ambi::transport
