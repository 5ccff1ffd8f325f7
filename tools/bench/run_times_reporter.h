#ifndef AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_
#define AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_

#include <benchmark/benchmark.h>

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

}  // namespace ambi::bench

#endif  // AMBI_TOOLS_BENCH_RUN_TIMES_REPORTER_H_
