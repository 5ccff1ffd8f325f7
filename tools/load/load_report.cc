#include "tools/load/load_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ambi::load {
namespace {

constexpr double kFlatHorizonMin = 30.0;
constexpr double kFlatMinGrowthKib = 1024.0;
constexpr double kFlatGrowthFraction = 0.05;
constexpr double kMaxMissingSampleFraction = 0.001;

double Ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string CpuList(const std::vector<int>& cpus) {
  std::string text;
  for (const int cpu : cpus) {
    if (!text.empty()) text += ',';
    text += std::to_string(cpu);
  }
  return text.empty() ? "any" : text;
}

// A JSON string literal (quoted and escaped).
std::string JsonString(const std::string& text) { return nlohmann::json(text).dump(); }

void LatencyText(std::ostringstream& out, const char* name, const LatencyHistogram& latency) {
  out << "  " << name << ": p50 " << Fixed(Ms(latency.QuantileNs(0.5)), 3) << " ms, p90 "
      << Fixed(Ms(latency.QuantileNs(0.9)), 3) << " ms, p99 "
      << Fixed(Ms(latency.QuantileNs(0.99)), 3) << " ms, max " << Fixed(Ms(latency.max_ns()), 3)
      << " ms (" << latency.count() << " events)\n";
}

std::string LatencyJson(const LatencyHistogram& latency) {
  return "{\"count\": " + std::to_string(latency.count()) +
         ", \"p50_ms\": " + Fixed(Ms(latency.QuantileNs(0.5)), 4) +
         ", \"p90_ms\": " + Fixed(Ms(latency.QuantileNs(0.9)), 4) +
         ", \"p99_ms\": " + Fixed(Ms(latency.QuantileNs(0.99)), 4) +
         ", \"max_ms\": " + Fixed(Ms(latency.max_ns()), 4) +
         ", \"negative\": " + std::to_string(latency.negative_count()) + "}";
}

std::string UsageJson(const ProcessUsage& usage) {
  return "{\"cpu_mean_pct\": " + Fixed(usage.cpu_mean_pct, 2) +
         ", \"cpu_max_pct\": " + Fixed(usage.cpu_max_pct, 2) +
         ", \"rss_start_kib\": " + std::to_string(usage.rss_start_kib) +
         ", \"rss_end_kib\": " + std::to_string(usage.rss_end_kib) +
         ", \"rss_max_kib\": " + std::to_string(usage.rss_max_kib) +
         ", \"rss_slope_kib_per_min\": " + Fixed(usage.rss_slope_kib_per_min, 2) +
         ", \"threads\": " + std::to_string(usage.threads) + "}";
}

const char* YesNo(bool value) { return value ? "yes" : "NO"; }

}  // namespace

bool LoadReport::latency_met() const {
  const LatencyHistogram& latency = subscribers_seen.arrival_to_subscriber;
  return latency.count() > 0 && Ms(latency.QuantileNs(0.99)) < aim_p99_ms;
}

bool LoadReport::memory_flat() const {
  const double allowed_kib =
      std::max(kFlatMinGrowthKib, kFlatGrowthFraction * static_cast<double>(ambid.rss_start_kib));
  return ambid.rss_slope_kib_per_min * kFlatHorizonMin <= allowed_kib;
}

bool LoadReport::delivery_met() const {
  const bool samples_kept_up =
      static_cast<double>(devices.missing_samples) <=
      kMaxMissingSampleFraction * static_cast<double>(std::max<std::int64_t>(devices.samples, 1));
  return !ambid_died && subscribers_seen.streams_ended_by_daemon == 0 &&
         subscribers_seen.events_missing_by_sequence == 0 &&
         subscribers_seen.events_in_window > 0 && samples_kept_up;
}

std::string ReportText(const LoadReport& r) {
  const SubscriberTotals& s = r.subscribers_seen;
  std::ostringstream out;
  out << "ambi-load: " << r.sensors << " sensors (" << r.athletes << " athletes) at "
      << Fixed(r.rate_hz, 0) << " Hz, " << r.subscribers << " subscribers; measured "
      << Fixed(r.window_s, 1) << " s after " << Fixed(r.warmup_s, 1) << " s warm-up\n"
      << "  ambid on cpu " << CpuList(r.ambid_cpus) << " (nice " << r.ambid_nice
      << "), simulator and subscribers on cpu " << CpuList(r.client_cpus) << "\n"
      << "events: " << s.published_in_window << " published in the window ("
      << Fixed(static_cast<double>(s.published_in_window) / std::max(r.window_s, 1e-9), 1)
      << "/s), " << s.events_in_window << " delivered ("
      << Fixed(static_cast<double>(s.events_in_window) / std::max(r.window_s, 1e-9), 1) << "/s), "
      << s.events_received << " over the whole run\n"
      << "  streams with events " << s.streams_started << "/" << s.subscribers
      << ", ended by ambid " << s.streams_ended_by_daemon << ", sequence gaps " << s.sequence_gaps
      << " (" << s.events_missing_by_sequence << " events missing)\n";
  for (const auto& [status, count] : s.daemon_end_statuses) {
    out << "  ended by ambid: " << count << " x " << status << "\n";
  }
  out << "latency (ms, in the window):\n";
  LatencyText(out, "sample arrival -> subscriber", s.arrival_to_subscriber);
  LatencyText(out, "published -> subscriber      ", s.published_to_subscriber);
  out << "ambid: cpu " << Fixed(r.ambid.cpu_mean_pct, 1) << " % mean, "
      << Fixed(r.ambid.cpu_max_pct, 1) << " % max (of one core); rss " << r.ambid.rss_start_kib
      << " KiB after warm-up, " << r.ambid.rss_end_kib << " KiB at end, " << r.ambid.rss_max_kib
      << " KiB max, slope " << Fixed(r.ambid.rss_slope_kib_per_min, 1) << " KiB/min; "
      << r.ambid.threads << " threads; " << r.ambid_exit << "\n"
      << "devices: " << r.devices.connected << "/" << r.devices.devices << " connected, "
      << r.devices.samples << " samples in the window, " << r.devices.missing_samples
      << " missing, " << r.devices.gaps << " gaps, " << r.devices.reconnects << " reconnects, "
      << r.devices.checksum_errors << " checksum errors; measured "
      << Fixed(r.devices.measured_rate_hz_mean, 1) << " Hz mean\n"
      << "simulator: cpu " << Fixed(r.simulator.cpu_mean_pct, 1) << " % mean, "
      << r.sim_cycles_written << " cycles written, " << r.sim_cycles_dropped
      << " dropped (whole run)\n"
      << "subscribers (this process): cpu " << Fixed(r.client.cpu_mean_pct, 1) << " % mean, "
      << Fixed(r.client.cpu_max_pct, 1) << " % max\n"
      << "aims: p99 sample->subscriber < " << Fixed(r.aim_p99_ms, 1)
      << " ms: " << YesNo(r.latency_met()) << "; flat memory: " << YesNo(r.memory_flat())
      << "; every event delivered, samples kept up: " << YesNo(r.delivery_met())
      << "; all: " << YesNo(r.aims_met()) << "\n";
  return out.str();
}

std::string ReportJson(const LoadReport& r) {
  const SubscriberTotals& s = r.subscribers_seen;
  std::ostringstream out;
  std::string end_statuses;
  for (const auto& [status, count] : s.daemon_end_statuses) {
    if (!end_statuses.empty()) end_statuses += ", ";
    end_statuses += JsonString(status);
    end_statuses += ": ";
    end_statuses += std::to_string(count);
  }
  auto cpus = [](const std::vector<int>& list) {
    std::string text;
    for (const int cpu : list) {
      if (!text.empty()) text += ", ";
      text += std::to_string(cpu);
    }
    return "[" + text + "]";
  };
  out << "{\"athletes\": " << r.athletes << ", \"sensors\": " << r.sensors
      << ", \"subscribers\": " << r.subscribers << ", \"rate_hz\": " << Fixed(r.rate_hz, 1)
      << ", \"warmup_s\": " << Fixed(r.warmup_s, 2) << ", \"duration_s\": " << Fixed(r.window_s, 2)
      << ", \"ambid_cpus\": " << cpus(r.ambid_cpus) << ", \"ambid_nice\": " << r.ambid_nice
      << ", \"client_cpus\": " << cpus(r.client_cpus)
      << ",\n \"events\": {\"published_in_window\": " << s.published_in_window
      << ", \"delivered_in_window\": " << s.events_in_window
      << ", \"delivered_total\": " << s.events_received
      << ", \"sequence_gaps\": " << s.sequence_gaps
      << ", \"missing_by_sequence\": " << s.events_missing_by_sequence
      << ", \"without_arrival_time\": " << s.events_without_arrival_time << "},"
      << "\n \"streams\": {\"started\": " << s.streams_started
      << ", \"dropped\": " << s.streams_ended_by_daemon << ", \"dropped_statuses\": {"
      << end_statuses << "}},"
      << "\n \"latency_arrival_to_subscriber\": " << LatencyJson(s.arrival_to_subscriber) << ","
      << "\n \"latency_published_to_subscriber\": " << LatencyJson(s.published_to_subscriber)
      << ",\n \"ambid\": " << UsageJson(r.ambid)
      << ",\n \"ambid_exit\": " << JsonString(r.ambid_exit)
      << ", \"ambid_died\": " << (r.ambid_died ? "true" : "false")
      << ",\n \"devices\": {\"devices\": " << r.devices.devices
      << ", \"connected\": " << r.devices.connected << ", \"samples\": " << r.devices.samples
      << ", \"missing_samples\": " << r.devices.missing_samples << ", \"gaps\": " << r.devices.gaps
      << ", \"reconnects\": " << r.devices.reconnects
      << ", \"bytes_discarded\": " << r.devices.bytes_discarded
      << ", \"checksum_errors\": " << r.devices.checksum_errors
      << ", \"measured_rate_hz_mean\": " << Fixed(r.devices.measured_rate_hz_mean, 2) << "},"
      << "\n \"simulator\": " << UsageJson(r.simulator)
      << ", \"sim_cycles_written\": " << r.sim_cycles_written
      << ", \"sim_cycles_dropped\": " << r.sim_cycles_dropped
      << ",\n \"client\": " << UsageJson(r.client)
      << ",\n \"aims\": {\"p99_ms_limit\": " << Fixed(r.aim_p99_ms, 2)
      << ", \"latency_met\": " << (r.latency_met() ? "true" : "false")
      << ", \"memory_flat\": " << (r.memory_flat() ? "true" : "false")
      << ", \"delivery_met\": " << (r.delivery_met() ? "true" : "false")
      << ", \"all_met\": " << (r.aims_met() ? "true" : "false") << "}}\n";
  return out.str();
}

}  // namespace ambi::load
