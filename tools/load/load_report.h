#ifndef AMBI_TOOLS_LOAD_LOAD_REPORT_H_
#define AMBI_TOOLS_LOAD_LOAD_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/load/subscriber_pool.h"

namespace ambi::load {

// A process's CPU and memory over the measured window, from one sample per second.
struct ProcessUsage {
  double cpu_mean_pct = 0.0;  // of one core
  double cpu_max_pct = 0.0;   // the busiest one-second interval
  long rss_start_kib = 0;
  long rss_end_kib = 0;
  long rss_max_kib = 0;
  double rss_slope_kib_per_min = 0.0;  // least squares over the window
  int threads = 0;
};

// The daemon's device counters (ListDevices) summed over devices, difference over the window.
struct DeviceTotals {
  int devices = 0;
  int connected = 0;
  std::int64_t samples = 0;
  std::int64_t missing_samples = 0;
  std::int64_t gaps = 0;
  std::int64_t reconnects = 0;
  std::int64_t bytes_discarded = 0;
  std::int64_t checksum_errors = 0;
  double measured_rate_hz_mean = 0.0;  // at the end
};

struct LoadReport {
  int athletes = 0;
  int sensors = 0;
  int subscribers = 0;
  double rate_hz = 0.0;
  double warmup_s = 0.0;
  double window_s = 0.0;  // measured duration
  std::vector<int> ambid_cpus;
  int ambid_nice = 0;
  std::vector<int> client_cpus;
  std::string ambid_exit;   // how ambid ended when the tool stopped it
  bool ambid_died = false;  // ended during the run

  SubscriberTotals subscribers_seen;
  ProcessUsage ambid;
  ProcessUsage simulator;
  ProcessUsage client;
  DeviceTotals devices;
  std::uint64_t sim_cycles_written = 0;
  std::uint64_t sim_cycles_dropped = 0;

  // The aims.
  double aim_p99_ms = 5.0;
  bool latency_met() const;
  // Projected growth over 30 minutes at most max(1 MiB, 5 % of the RSS after warm-up).
  bool memory_flat() const;
  // No subscriber dropped, no event lost, ambid alive and reading nearly every sample.
  bool delivery_met() const;
  bool aims_met() const { return latency_met() && memory_flat() && delivery_met(); }
};

std::string ReportText(const LoadReport& report);
std::string ReportJson(const LoadReport& report);

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_LOAD_REPORT_H_
