#ifndef AMBI_TOOLS_LOAD_PROC_STATS_H_
#define AMBI_TOOLS_LOAD_PROC_STATS_H_

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

namespace ambi::load {

// What /proc says about one process at one instant.
struct ProcSample {
  double cpu_s = 0.0;  // utime + stime of all its threads, seconds
  long rss_kib = 0;    // VmRSS
  int threads = 0;
};

// Reads /proc/<pid>/stat and /proc/<pid>/status; nullopt once the process is gone.
std::optional<ProcSample> ReadProcSample(pid_t pid);

// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses) into
// utime + stime in clock ticks; nullopt for text that is not one.
std::optional<long long> ParseStatCpuTicks(std::string_view stat_text);
// The value in kB of 'key' ("VmRSS") in the text of /proc/<pid>/status; nullopt when missing.
std::optional<long> ParseStatusKib(std::string_view status_text, std::string_view key);

// Least-squares slope of y over x; 0 with fewer than two distinct x.
double LeastSquaresSlope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_PROC_STATS_H_
