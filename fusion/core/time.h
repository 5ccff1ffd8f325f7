#ifndef AMBI_FUSION_CORE_TIME_H_
#define AMBI_FUSION_CORE_TIME_H_

#include <chrono>
#include <cstdint>
#include <optional>

namespace ambi::fusion {

// The clock of sensor data inside one session. It has no now(): time only ever arrives with the
// data (device timestamps, or arrival times stamped by a transport), so the core never reads a
// clock and a replay produces exactly the events the live run produced. Being its own clock type,
// a SessionClock time point cannot be mixed with std::chrono::steady_clock by accident.
struct SessionClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<SessionClock>;
  static constexpr bool is_steady = true;
};

using Duration = SessionClock::duration;
using Time = SessionClock::time_point;

constexpr double ToSeconds(Duration duration) {
  return static_cast<double>(duration.count()) * 1e-9;
}

// Seconds since the session epoch (the time origin the transport or file chose).
constexpr double ToSeconds(Time time) { return ToSeconds(time.time_since_epoch()); }

// The largest magnitude in seconds that a Duration (int64 ns, +/- 292 years) holds with room
// to spare: inputs beyond it are out of range rather than rounded into an overflow.
inline constexpr double kMaxDurationSeconds = 9.2e9;

// True when 'seconds' is finite and within +/- kMaxDurationSeconds.
constexpr bool SecondsInRange(double seconds) {
  return seconds >= -kMaxDurationSeconds && seconds <= kMaxDurationSeconds;  // false for NaN
}

// Rounds to the nearest nanosecond. A truncating conversion of the offset value instead of
// llround: this runs per sample, and llround is a library call on baseline x86-64.
// Saturates at +/- kMaxDurationSeconds (NaN gives 0), so no input reaches an out-of-range
// float-to-integer conversion; inputs from outside use CheckedDurationFromSeconds to see it.
constexpr Duration DurationFromSeconds(double seconds) {
  if (!SecondsInRange(seconds)) {
    if (seconds != seconds) return Duration(0);
    seconds = seconds > 0.0 ? kMaxDurationSeconds : -kMaxDurationSeconds;
  }
  const double ns = seconds * 1e9;
  return Duration(static_cast<std::int64_t>(ns >= 0.0 ? ns + 0.5 : ns - 0.5));
}

// For times that come from outside (files, requests): nullopt when out of range.
constexpr std::optional<Duration> CheckedDurationFromSeconds(double seconds) {
  if (!SecondsInRange(seconds)) return std::nullopt;
  return DurationFromSeconds(seconds);
}

// a - b and t + d without signed overflow: the result saturates at the int64 limits. For times
// that arrive with the data (device clocks, capture records), which may be anything.
constexpr Duration SaturatingSub(Time a, Time b) {
  std::int64_t ns = 0;
  if (__builtin_sub_overflow(a.time_since_epoch().count(), b.time_since_epoch().count(), &ns)) {
    return a > b ? Duration::max() : Duration::min();
  }
  return Duration(ns);
}

constexpr Time SaturatingAdd(Time t, Duration d) {
  std::int64_t ns = 0;
  if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &ns)) {
    return d.count() > 0 ? Time::max() : Time::min();
  }
  return Time(Duration(ns));
}

constexpr Time TimeFromSeconds(double seconds) { return Time(DurationFromSeconds(seconds)); }

constexpr Time TimeFromNanoseconds(std::int64_t ns) { return Time(Duration(ns)); }

constexpr std::int64_t ToNanoseconds(Time time) { return time.time_since_epoch().count(); }

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_TIME_H_
