#include "proto/history/iso_week.h"

#include <chrono>
#include <cstdio>

namespace ambi::proto {
namespace {

std::int64_t FloorDiv(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

}  // namespace

std::string IsoWeek::Name() const {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-W%02d", year, week);
  return text;
}

IsoWeek IsoWeekOf(std::int64_t unix_ns) {
  using std::chrono::days;
  using std::chrono::sys_days;
  const std::int64_t day = FloorDiv(unix_ns, kNsPerDay);
  // 1970-01-01 was a Thursday: day + 3 counts from a Monday.
  const std::int64_t monday = day - (day + 3 - 7 * FloorDiv(day + 3, 7));
  // The ISO year is the calendar year of the week's Thursday.
  const std::int64_t thursday = monday + 3;
  const std::chrono::year_month_day thursday_date{sys_days{days{thursday}}};
  const std::chrono::year iso_year = thursday_date.year();
  const std::int64_t january_first =
      sys_days{iso_year / std::chrono::January / 1}.time_since_epoch().count();
  IsoWeek week;
  week.year = static_cast<int>(iso_year);
  week.week = static_cast<int>((thursday - january_first) / 7 + 1);
  week.start_unix_ns = monday * kNsPerDay;
  return week;
}

}  // namespace ambi::proto
