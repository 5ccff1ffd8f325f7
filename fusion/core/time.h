#ifndef AMBI_FUSION_CORE_TIME_H_
#define AMBI_FUSION_CORE_TIME_H_

#include <chrono>
#include <cstdint>

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

// Rounds to the nearest nanosecond. A truncating conversion of the offset value instead of
// llround: this runs per sample, and llround is a library call on baseline x86-64.
constexpr Duration DurationFromSeconds(double seconds) {
  const double ns = seconds * 1e9;
  return Duration(static_cast<std::int64_t>(ns >= 0.0 ? ns + 0.5 : ns - 0.5));
}

constexpr Time TimeFromSeconds(double seconds) { return Time(DurationFromSeconds(seconds)); }

constexpr Time TimeFromNanoseconds(std::int64_t ns) { return Time(Duration(ns)); }

constexpr std::int64_t ToNanoseconds(Time time) { return time.time_since_epoch().count(); }

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_TIME_H_
