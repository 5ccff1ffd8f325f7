#ifndef AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_
#define AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ambi::bench {

// Google Benchmark's console output, plus each benchmark's CPU time per iteration kept by name,
// so that a tool can print ratios against a baseline measured in the same run. With
// --benchmark_repetitions the medians are kept, else the last run.
class RunTimesReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const std::string name = run.run_name.str();
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        last_ns_[name] = run.GetAdjustedCPUTime();
      } else if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        median_ns_[name] = run.GetAdjustedCPUTime();
      } else {
        continue;
      }
      if (order_.empty() || order_.back() != name) order_.push_back(name);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // Time per iteration by benchmark name (ns, or the unit the benchmark set).
  const std::map<std::string, double>& times() const {
    return median_ns_.empty() ? last_ns_ : median_ns_;
  }
  // Benchmark names in the order they ran.
  const std::vector<std::string>& order() const { return order_; }
  const char* which() const { return median_ns_.empty() ? "last run" : "median of repetitions"; }

 private:
  std::map<std::string, double> last_ns_;
  std::map<std::string, double> median_ns_;
  std::vector<std::string> order_;
};

// The ratio table a tool prints after its runs: each benchmark's time against the baseline
// 'baseline_of' names for it ("" or a baseline not run: no row).
struct RatioTable {
  const char* title;  // the first column's heading
  int name_width;
  int ns_decimals;
  int ratio_decimals;
  std::function<std::string(const std::string& name)> baseline_of;
};

inline void PrintRatios(const RunTimesReporter& reporter, const RatioTable& table) {
  const std::map<std::string, double>& ns = reporter.times();
  bool header = false;
  for (const std::string& name : reporter.order()) {
    const auto it = ns.find(name);
    const auto base = ns.find(table.baseline_of(name));
    if (it == ns.end() || base == ns.end() || base->second <= 0.0) continue;
    if (!header) {
      std::printf("\n%-*s %10s %8s  (%s)\n", table.name_width, table.title, "ns", "ratio",
                  reporter.which());
      header = true;
    }
    std::printf("%-*s %10.*f %8.*f\n", table.name_width, name.c_str(), table.ns_decimals,
                it->second, table.ratio_decimals, it->second / base->second);
  }
}

// A benchmark tool's main: runs the benchmarks selected on the command line, then the table.
inline int RunBenchmarksWithRatios(int argc, char** argv, const RatioTable& table) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RunTimesReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintRatios(reporter, table);
  benchmark::Shutdown();
  return 0;
}

}  // namespace ambi::bench

#endif  // AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_
