#ifndef AMBI_PROTO_HISTORY_ISO_WEEK_H_
#define AMBI_PROTO_HISTORY_ISO_WEEK_H_

#include <cstdint>
#include <string>

namespace ambi::proto {

inline constexpr std::int64_t kNsPerDay = 86'400'000'000'000;
inline constexpr std::int64_t kNsPerWeek = 7 * kNsPerDay;

// The ISO 8601 week (weeks start Monday 00:00 UTC; week 1 is the one holding the year's first
// Thursday, so 2025-12-29 belongs to "2026-W01" and 2021-01-01 to "2020-W53").
struct IsoWeek {
  int year = 0;
  int week = 0;                    // 1..53
  std::int64_t start_unix_ns = 0;  // Monday 00:00 UTC

  std::string Name() const;  // "2026-W01"
};

// The ISO week containing 'unix_ns' (which may be negative: before 1970).
IsoWeek IsoWeekOf(std::int64_t unix_ns);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_HISTORY_ISO_WEEK_H_
