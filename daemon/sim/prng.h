#ifndef AMBI_DAEMON_SIM_PRNG_H_
#define AMBI_DAEMON_SIM_PRNG_H_

#include <cmath>
#include <cstdint>
#include <numbers>

namespace ambi::sim {

// SplitMix64 with our own uniform and Gaussian transforms. std:: distributions are not used on
// purpose: their output may differ between standard library versions, and the simulator must give
// the same samples for the same seed everywhere (goldens and tests depend on it).
// Not thread-safe; one instance per stream.
class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t NextU64() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double Gaussian() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - Uniform();  // (0, 1]: log stays finite
    const double u2 = Uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double phase = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(phase);
    has_spare_ = true;
    return radius * std::cos(phase);
  }

 private:
  std::uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Derives independent stream seeds (per side, per purpose) from one session seed.
inline std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t stream) {
  Prng mixer(seed ^ (stream * 0xD1B54A32D192ED03ULL));
  return mixer.NextU64();
}

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_PRNG_H_
