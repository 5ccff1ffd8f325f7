#include "tools/load/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace ambi::load {
namespace {

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<long long> ParseStatCpuTicks(std::string_view stat_text) {
  // "pid (comm) state ppid ...": fields after the last ')' start at field 3 (state); utime and
  // stime are fields 14 and 15.
  const std::size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::istringstream fields{std::string(stat_text.substr(close + 1))};
  std::string field;
  long long utime = -1;
  long long stime = -1;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    long long value = 0;
    if (number == 14 || number == 15) {
      const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (error != std::errc() || end != field.data() + field.size()) return std::nullopt;
      (number == 14 ? utime : stime) = value;
    }
  }
  if (utime < 0 || stime < 0) return std::nullopt;
  return utime + stime;
}

std::optional<long> ParseStatusKib(std::string_view status_text, std::string_view key) {
  std::size_t line_start = 0;
  while (line_start < status_text.size()) {
    std::size_t line_end = status_text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = status_text.size();
    const std::string_view line = status_text.substr(line_start, line_end - line_start);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::istringstream value_text{std::string(line.substr(key.size() + 1))};
      long value = 0;
      if (value_text >> value) return value;
      return std::nullopt;
    }
    line_start = line_end + 1;
  }
  return std::nullopt;
}

std::optional<ProcSample> ReadProcSample(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  const std::optional<std::string> stat = ReadWholeFile(dir + "/stat");
  const std::optional<std::string> status = ReadWholeFile(dir + "/status");
  if (!stat || !status) return std::nullopt;
  const std::optional<long long> ticks = ParseStatCpuTicks(*stat);
  const std::optional<long> rss = ParseStatusKib(*status, "VmRSS");
  // A zombie has no VmRSS: it is gone as far as we care.
  if (!ticks || !rss) return std::nullopt;
  ProcSample sample;
  sample.cpu_s = static_cast<double>(*ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.rss_kib = *rss;
  sample.threads = static_cast<int>(ParseStatusKib(*status, "Threads").value_or(0));
  return sample;
}

double LeastSquaresSlope(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  double mean_x = 0.0;
  double mean_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_x += x[i];
    mean_y += y[i];
  }
  mean_x /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double covariance = 0.0;
  double variance = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    covariance += (x[i] - mean_x) * (y[i] - mean_y);
    variance += (x[i] - mean_x) * (x[i] - mean_x);
  }
  return variance > 0.0 ? covariance / variance : 0.0;
}

}  // namespace ambi::load
