// ambi-load: load benchmark of ambid. Simulated sensors (a child process) on pseudo-terminals,
// the real ambid pinned to one core, many gRPC subscribers on the other cores; reports events
// delivered, sample-to-subscriber latency, ambid's CPU and memory, and whether the aims are met.

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"
#include "tools/load/ambid_process.h"
#include "tools/load/load_report.h"
#include "tools/load/load_roster.h"
#include "tools/load/proc_stats.h"
#include "tools/load/sim_child.h"
#include "tools/load/subscriber_pool.h"

namespace {

namespace fs = std::filesystem;
using ambi::load::LoadReport;
using ambi::load::ProcessUsage;
using ambi::load::ProcSample;
using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int /*signal*/) { g_interrupted = 1; }

struct Options {
  int athletes = 32;
  int subscribers = 100;
  double rate_hz = 200.0;
  double duration_s = 60.0;
  double warmup_s = 10.0;
  double rest_s = 15.0;
  int ambid_cpu = 0;
  int ambid_nice = 0;
  bool no_pin = false;
  bool shared_channel = false;
  bool json = false;
  bool quiet = false;
  bool keep = false;
  std::string ambid_path;
  std::string work_dir;
  std::string log_level = "warn";
  std::string central_url;
};

// The copy to the central database over the window (--central-url), from ListDevices each
// second: how fast rows were shipped and how far the copy fell behind live.
struct CentralWindow {
  bool seen = false;
  std::int64_t shipped_start = 0;
  std::int64_t shipped_end = 0;
  std::int64_t max_backlog_rows = 0;
  double max_behind_s = 0.0;
  double sum_behind_s = 0.0;
  int readings = 0;
  std::int64_t end_backlog_rows = 0;
  bool always_connected = true;

  void Add(const ambi::v1::CentralStatus& status) {
    if (!seen) shipped_start = status.shipped_rows();
    seen = true;
    shipped_end = status.shipped_rows();
    max_backlog_rows = std::max(max_backlog_rows, status.backlog_rows());
    max_behind_s = std::max(max_behind_s, status.behind_s());
    sum_behind_s += status.behind_s();
    ++readings;
    end_backlog_rows = status.backlog_rows();
    always_connected = always_connected && status.connected();
  }
};

// One reading of every process, seconds from the start of the run.
struct Reading {
  double time_s = 0.0;
  std::optional<ProcSample> ambid;
  std::optional<ProcSample> simulator;
  std::optional<ProcSample> client;
};

ProcessUsage UsageOver(const std::vector<Reading>& readings,
                       std::optional<ProcSample> Reading::*which) {
  ProcessUsage usage;
  std::vector<double> minutes;
  std::vector<double> rss;
  const Reading* first = nullptr;
  const Reading* previous = nullptr;
  const Reading* last = nullptr;
  for (const Reading& reading : readings) {
    const std::optional<ProcSample>& sample = reading.*which;
    if (!sample) continue;
    if (first == nullptr) {
      first = &reading;
      usage.rss_start_kib = sample->rss_kib;
    } else {
      const double interval_s = reading.time_s - previous->time_s;
      if (interval_s > 0) {
        usage.cpu_max_pct = std::max(
            usage.cpu_max_pct, 100.0 * (sample->cpu_s - (previous->*which)->cpu_s) / interval_s);
      }
    }
    minutes.push_back(reading.time_s / 60.0);
    rss.push_back(static_cast<double>(sample->rss_kib));
    usage.rss_max_kib = std::max(usage.rss_max_kib, sample->rss_kib);
    usage.rss_end_kib = sample->rss_kib;
    usage.threads = sample->threads;
    previous = &reading;
    last = &reading;
  }
  if (first != nullptr && last != first && last->time_s > first->time_s) {
    usage.cpu_mean_pct =
        100.0 * ((last->*which)->cpu_s - (first->*which)->cpu_s) / (last->time_s - first->time_s);
  }
  usage.rss_slope_kib_per_min = ambi::load::LeastSquaresSlope(minutes, rss);
  return usage;
}

std::optional<ambi::v1::ListDevicesResponse> ListDevices(ambi::v1::Ambi::Stub& stub,
                                                         double timeout_s) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           std::chrono::duration<double>(timeout_s)));
  ambi::v1::ListDevicesRequest request;
  ambi::v1::ListDevicesResponse response;
  if (!stub.ListDevices(&context, request, &response).ok()) return std::nullopt;
  return response;
}

ambi::load::DeviceTotals SumDevices(const ambi::v1::ListDevicesResponse& response) {
  ambi::load::DeviceTotals totals;
  for (const ambi::v1::DeviceInfo& device : response.devices()) {
    ++totals.devices;
    if (device.state() == ambi::v1::DeviceInfo::STATE_CONNECTED) ++totals.connected;
    totals.samples += device.samples();
    totals.missing_samples += device.missing_samples();
    totals.gaps += device.gaps();
    totals.reconnects += device.reconnects();
    totals.bytes_discarded += device.bytes_discarded();
    totals.checksum_errors += device.checksum_errors();
    totals.measured_rate_hz_mean += device.measured_rate_hz();
  }
  if (totals.devices > 0) totals.measured_rate_hz_mean /= totals.devices;
  return totals;
}

ambi::load::DeviceTotals Difference(const ambi::load::DeviceTotals& end,
                                    const ambi::load::DeviceTotals& start) {
  ambi::load::DeviceTotals difference = end;
  difference.samples -= start.samples;
  difference.missing_samples -= start.missing_samples;
  difference.gaps -= start.gaps;
  difference.reconnects -= start.reconnects;
  difference.bytes_discarded -= start.bytes_discarded;
  difference.checksum_errors -= start.checksum_errors;
  return difference;
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  std::string tail;
  for (std::size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i) {
    tail += "  " + lines[i] + "\n";
  }
  return tail;
}

int Run(const Options& options) {
  const int cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  std::vector<int> ambid_cpus;
  std::vector<int> client_cpus;
  if (!options.no_pin) {
    if (options.ambid_cpu < 0 || options.ambid_cpu >= cpu_count) {
      std::cerr << "ambi-load: --ambid-cpu " << options.ambid_cpu << ": this machine has cpus 0-"
                << cpu_count - 1 << "\n";
      return 2;
    }
    ambid_cpus = {options.ambid_cpu};
    for (int cpu = 0; cpu < cpu_count; ++cpu) {
      if (cpu != options.ambid_cpu) client_cpus.push_back(cpu);
    }
    if (client_cpus.empty()) {
      std::cerr << "ambi-load: one cpu only: the subscribers share ambid's core\n";
      client_cpus = ambid_cpus;
    }
  }

  const std::string ambid_path = options.ambid_path.empty()
                                     ? ambi::load::FindProgram("ambid", AMBI_BUILD_TREE_AMBID)
                                     : options.ambid_path;
  if (ambid_path.empty() || access(ambid_path.c_str(), X_OK) != 0) {
    std::cerr << "ambi-load: no ambid to run"
              << (options.ambid_path.empty() ? " (looked next to ambi-load and on PATH)"
                                             : " at --ambid " + options.ambid_path)
              << "; pass --ambid PATH\n";
    return 2;
  }

  std::string run_dir = options.work_dir;
  if (run_dir.empty()) {
    char pattern[] = "/tmp/ambi-load-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("ambi-load: mkdtemp /tmp/ambi-load-XXXXXX");
      return 1;
    }
    run_dir = pattern;
  } else {
    fs::create_directories(run_dir);
  }
  const std::string link_dir = run_dir + "/links";
  const std::string data_dir = run_dir + "/data";
  fs::create_directories(link_dir);
  fs::create_directories(data_dir);
  const std::string socket_path = run_dir + "/ambid.sock";
  const std::string config_path = run_dir + "/ambid.toml";
  const std::string log_path = run_dir + "/ambid.log";
  if (!options.quiet) std::cerr << "ambi-load: run directory " << run_dir << "\n";

  const std::vector<ambi::sim::SimAthlete> roster =
      ambi::load::LoadRoster({options.athletes, options.rate_hz, options.rest_s});
  // Processes are forked before this one has any thread (gRPC starts its threads later).
  std::unique_ptr<ambi::load::SimChild> simulator =
      ambi::load::SimChild::Start(roster, link_dir, client_cpus);
  {
    ambi::load::AmbidConfigOptions config;
    config.socket_path = socket_path;
    config.data_dir = data_dir;
    config.log_level = options.log_level;
    config.central_url = options.central_url;
    std::ofstream(config_path) << ambi::load::AmbidConfigText(roster, simulator->devices(), config);
  }
  auto ambid = std::make_unique<ambi::load::AmbidProcess>(ambid_path, config_path, log_path,
                                                          ambid_cpus, options.ambid_nice);
  if (std::string error = ambi::load::PinToCpus(0, client_cpus); !error.empty()) {
    std::cerr << "ambi-load: pinning the subscribers: " << error << "\n";
    return 1;
  }

  const std::string target = "unix:" + socket_path;
  grpc::ChannelArguments control_arguments;
  control_arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto control = ambi::v1::Ambi::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), control_arguments));
  const Clock::time_point start = Clock::now();
  constexpr double kStartTimeoutS = 20.0;
  while (!ListDevices(*control, 1.0)) {
    if (!ambid->Running() ||
        std::chrono::duration<double>(Clock::now() - start).count() > kStartTimeoutS) {
      std::cerr << "ambi-load: ambid (" << ambid_path << ") did not serve on " << target
                << " within " << kStartTimeoutS << " s (" << ambid->Stop(2.0) << "); its log "
                << log_path << ":\n"
                << LogTail(log_path);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  ambi::load::SubscriberPool pool(target, options.subscribers, options.shared_channel);
  pool.StartAll();

  const Clock::time_point run_start = Clock::now();
  auto seconds_since_start = [&] {
    return std::chrono::duration<double>(Clock::now() - run_start).count();
  };
  std::vector<Reading> window;
  auto take_reading = [&] {
    Reading reading;
    reading.time_s = seconds_since_start();
    reading.ambid = ambi::load::ReadProcSample(ambid->pid());
    reading.simulator = ambi::load::ReadProcSample(simulator->pid());
    reading.client = ambi::load::ReadProcSample(getpid());
    return reading;
  };

  LoadReport report;
  report.athletes = options.athletes;
  report.sensors = static_cast<int>(simulator->devices().size());
  report.subscribers = options.subscribers;
  report.rate_hz = options.rate_hz;
  report.ambid_cpus = ambid_cpus;
  report.ambid_nice = options.ambid_nice;
  report.client_cpus = client_cpus;

  // Warm-up: connections, sessions and the first sets; nothing is measured.
  const Clock::time_point warmup_end =
      run_start +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.warmup_s));
  auto tick = run_start;
  while (!g_interrupted && Clock::now() < warmup_end && ambid->Running()) {
    tick += std::chrono::seconds(1);
    std::this_thread::sleep_until(std::min(tick, warmup_end));
  }
  const auto devices_before = ListDevices(*control, 5.0);
  CentralWindow central;
  if (devices_before && devices_before->has_central()) central.Add(devices_before->central());
  pool.BeginWindow();
  const double window_start_s = seconds_since_start();
  window.push_back(take_reading());
  tick = Clock::now();
  double next_progress_s = window_start_s + 10.0;
  while (!g_interrupted && seconds_since_start() - window_start_s < options.duration_s) {
    tick += std::chrono::seconds(1);
    std::this_thread::sleep_until(tick);
    if (!ambid->Running()) {
      report.ambid_died = true;
      break;
    }
    window.push_back(take_reading());
    if (!options.central_url.empty()) {
      if (const auto devices = ListDevices(*control, 1.0); devices && devices->has_central()) {
        central.Add(devices->central());
      }
    }
    const Reading& now = window.back();
    if (!options.quiet && now.time_s >= next_progress_s) {
      next_progress_s += 10.0;
      const Reading& before = window[window.size() - 2];
      double cpu_pct = 0.0;
      if (now.ambid && before.ambid) {
        cpu_pct = 100.0 * (now.ambid->cpu_s - before.ambid->cpu_s) / (now.time_s - before.time_s);
      }
      std::fprintf(stderr,
                   "ambi-load: %5.0f s: %llu events received, ambid cpu %.1f %%, rss %ld KiB, "
                   "%d/%d streams ended\n",
                   now.time_s - window_start_s,
                   static_cast<unsigned long long>(pool.EventsReceived()), cpu_pct,
                   now.ambid ? now.ambid->rss_kib : 0L, pool.StreamsEnded(), options.subscribers);
    }
  }
  const auto devices_after = report.ambid_died ? std::nullopt : ListDevices(*control, 5.0);
  report.window_s = seconds_since_start() - window_start_s;
  report.warmup_s = window_start_s;
  pool.EndWindow();

  report.subscribers_seen = pool.Finish();
  report.ambid = UsageOver(window, &Reading::ambid);
  report.simulator = UsageOver(window, &Reading::simulator);
  report.client = UsageOver(window, &Reading::client);
  if (devices_before && devices_after) {
    report.devices = Difference(SumDevices(*devices_after), SumDevices(*devices_before));
  }
  report.ambid_exit = ambid->Stop(10.0);
  if (const auto sim_stats = simulator->Stop()) {
    report.sim_cycles_written = sim_stats->cycles_written;
    report.sim_cycles_dropped = sim_stats->cycles_dropped;
  }
  if (report.ambid_died) {
    std::cerr << "ambi-load: ambid ended during the run (" << report.ambid_exit << "); its log "
              << log_path << ":\n"
              << LogTail(log_path);
  }

  std::cout << (options.json ? ambi::load::ReportJson(report) : ambi::load::ReportText(report));
  if (central.seen) {
    const double rows_per_s =
        static_cast<double>(central.shipped_end - central.shipped_start) / report.window_s;
    std::printf(
        "central: %lld rows shipped in %.1f s (%.1f rows/s); behind live: mean %.2f s, max "
        "%.2f s; backlog max %lld rows, %lld at the end; %s\n",
        static_cast<long long>(central.shipped_end - central.shipped_start), report.window_s,
        rows_per_s, central.sum_behind_s / std::max(1, central.readings), central.max_behind_s,
        static_cast<long long>(central.max_backlog_rows),
        static_cast<long long>(central.end_backlog_rows),
        central.always_connected ? "connected throughout" : "NOT always connected");
  }
  std::cout.flush();
  if (!options.keep && options.work_dir.empty()) {
    std::error_code error;
    fs::remove_all(run_dir, error);
  } else if (!options.quiet) {
    std::cerr << "ambi-load: kept " << run_dir << " (config, ambid.log, captures, store)\n";
  }
  return report.ambid_died ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Load benchmark of ambid: simulated sensors on pseudo-terminals, the real ambid "
      "pinned to one core, many gRPC subscribers; reports delivery, latency, CPU and "
      "memory against the aims (p99 sample->subscriber < 5 ms, flat memory)."};
  Options options;
  app.add_option("--athletes", options.athletes, "simulated athletes, two sensors each")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  app.add_option("--subscribers", options.subscribers, "gRPC subscribers to every event")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  app.add_option("--rate-hz", options.rate_hz, "sensor output rate")
      ->check(CLI::Range(1.0, 1000.0))
      ->capture_default_str();
  app.add_option("--duration-s", options.duration_s, "measured duration after the warm-up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup-s", options.warmup_s, "unmeasured start (connections, first sets)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--rest-s", options.rest_s, "rest between an athlete's sets (plus up to 2.6 s)")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  app.add_option("--ambid", options.ambid_path,
                 "ambid to run (default: next to ambi-load, the build tree, then PATH)");
  app.add_option("--ambid-cpu", options.ambid_cpu,
                 "the core ambid is pinned to; the simulator and subscribers get the others")
      ->capture_default_str();
  app.add_flag("--no-pin", options.no_pin, "pin nothing");
  app.add_option("--ambid-nice", options.ambid_nice,
                 "nice value of ambid (e.g. -10 on a machine shared with builds; needs root)")
      ->check(CLI::Range(-20, 19))
      ->capture_default_str();
  app.add_flag("--shared-channel", options.shared_channel,
               "all subscribers on one gRPC connection (default: one connection each)");
  app.add_option("--work-dir", options.work_dir,
                 "directory for the config, sockets, links, log and data (kept); default a "
                 "temporary one, removed unless --keep");
  app.add_flag("--keep", options.keep, "keep the temporary directory");
  app.add_option("--central-url", options.central_url,
                 "also ship the box's history to this PostgreSQL database ([central]) and report "
                 "rows shipped per second and how far the copy falls behind live");
  app.add_option("--log-level", options.log_level, "ambid's log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--json", options.json, "one JSON object instead of the text report");
  app.add_flag("--quiet", options.quiet, "no progress lines on stderr");
  CLI11_PARSE(app, argc, argv);
  try {
    return Run(options);
  } catch (const std::exception& error) {
    std::cerr << "ambi-load: " << error.what() << "\n";
    return 1;
  }
}
