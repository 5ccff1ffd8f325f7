#include "clients/ctl/ctl_text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace ambi::ctl {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

std::string Strftime(std::int64_t unix_ns, const char* format) {
  if (unix_ns == 0) return "-";
  const auto seconds = static_cast<std::time_t>(unix_ns / kNsPerSecond);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

std::int64_t StartOfDay(std::int64_t unix_ns) {
  const std::int64_t seconds = unix_ns / kNsPerSecond;
  return (seconds - seconds % kSecondsPerDay) * kNsPerSecond;
}

bool LooksNumeric(const std::string& cell) {
  if (cell.empty()) return false;
  bool digit = false;
  for (char c : cell) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c != '.' && c != '-' && c != '+' && c != '%') {
      return false;
    }
  }
  return digit;
}

}  // namespace

const char kDateForms[] =
    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC), today, yesterday or Nd (N days ago)";

std::string SegmentWord(v1::Limb limb) {
  switch (limb) {
    case v1::LIMB_WRIST:
      return "forearm";
    case v1::LIMB_ANKLE:
      return "shank";
    default:
      return "segment";
  }
}

std::string UtcTime(std::int64_t unix_ns) { return Strftime(unix_ns, "%Y-%m-%d %H:%M:%S"); }
std::string UtcIso(std::int64_t unix_ns) { return Strftime(unix_ns, "%Y-%m-%dT%H:%M:%SZ"); }

std::optional<std::int64_t> ParseDate(std::string_view text, std::int64_t now_unix_ns,
                                      bool end_of_day) {
  const std::int64_t day_ns = kSecondsPerDay * kNsPerSecond;
  const auto day = [&](std::int64_t start) { return end_of_day ? start + day_ns - 1 : start; };
  if (text == "today") return day(StartOfDay(now_unix_ns));
  if (text == "yesterday") return day(StartOfDay(now_unix_ns) - day_ns);
  if (text.size() >= 2 && text.back() == 'd' &&
      std::all_of(text.begin(), text.end() - 1,
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const long days = std::stol(std::string(text.substr(0, text.size() - 1)));
    return day(StartOfDay(now_unix_ns) - days * day_ns);
  }
  const std::string owned(text);
  std::tm utc{};
  int consumed = 0;
  if (std::sscanf(owned.c_str(), "%4d-%2d-%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &consumed) != 3 ||
      consumed != 10) {
    return std::nullopt;
  }
  std::string rest = owned.substr(static_cast<std::size_t>(consumed));
  const bool bare_date = rest.empty();
  if (rest.ends_with("Z")) rest.pop_back();
  if (!rest.empty()) {
    int tail = 0;
    const int fields = std::sscanf(rest.c_str(), "T%2d:%2d%n:%2d%n", &utc.tm_hour, &utc.tm_min,
                                   &tail, &utc.tm_sec, &tail);
    if (fields < 2 || static_cast<std::size_t>(tail) != rest.size()) return std::nullopt;
  }
  if (utc.tm_mon < 1 || utc.tm_mon > 12 || utc.tm_mday < 1 || utc.tm_mday > 31 ||
      utc.tm_hour > 23 || utc.tm_min > 59 || utc.tm_sec > 59 || utc.tm_year < 1970) {
    return std::nullopt;
  }
  const int month = utc.tm_mon;
  const int month_day = utc.tm_mday;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const std::time_t seconds = timegm(&utc);
  // timegm normalizes 2026-02-31 to March: refuse dates that do not exist.
  std::tm check{};
  gmtime_r(&seconds, &check);
  if (check.tm_mon + 1 != month || check.tm_mday != month_day) return std::nullopt;
  const std::int64_t start = static_cast<std::int64_t>(seconds) * kNsPerSecond;
  return bare_date ? day(start) : start;
}

std::string NormalizeAddress(const std::string& address) {
  if (address.starts_with("/") || address.starts_with("./")) return "unix:" + address;
  return address;
}

std::string UnreachableReason(const std::string& address) {
  if (!address.starts_with("unix:")) return "connection refused";
  std::string path = address.substr(5);
  if (path.starts_with("//")) path.erase(0, 2);  // unix:///path
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return errno == EACCES ? "permission denied" : "no such file";
  }
  if (!S_ISSOCK(info.st_mode)) return "not a socket";
  if (access(path.c_str(), R_OK | W_OK) != 0) return "permission denied";
  return "connection refused";
}

std::string Table::Render() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  const auto width_of = [](const std::string& cell) {
    // Count UTF-8 code points, so "°" takes one column.
    return static_cast<std::size_t>(std::count_if(cell.begin(), cell.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  };
  const auto widen = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], width_of(row[i]));
    }
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  std::vector<bool> numeric(header_.size(), !rows_.empty());
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size() && i < numeric.size(); ++i) {
      if (row[i] != "-" && !LooksNumeric(row[i])) numeric[i] = false;
    }
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string pad(widths[i] - std::min(widths[i], width_of(cell)), ' ');
      if (i > 0) text += "  ";
      text += numeric[i] ? pad + cell : (i + 1 == widths.size() ? cell : cell + pad);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  };
  line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string Format(const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return buffer;
}

}  // namespace ambi::ctl
