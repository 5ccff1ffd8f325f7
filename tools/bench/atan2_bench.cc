// ambi-bench-atan2: ns per call of fusion::Atan2 (the segment angle's, one per sample) against
// std::atan2 measured in the same run, over what the segment angle asks of it: gravity's two
// components in the plane of a limb that swings through a rep, slowly and with noise.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fusion/core/atan2.h"
#include "tools/bench/run_times_reporter.h"

namespace ambi::bench {
namespace {

// Gravity in the plane of a curl at 100 Hz: the angle swings through 140 deg and back every
// 6 s, with accelerometer-like noise. Built once; each iteration takes the whole stream.
std::vector<std::pair<double, double>> SwingStream() {
  std::mt19937 random(1);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::vector<std::pair<double, double>> stream;
  for (int i = 0; i < 4096; ++i) {
    const double angle_rad = 1.2 * std::sin(2.0 * std::numbers::pi * i / 600.0) - 0.3;
    stream.emplace_back(std::sin(angle_rad) + noise(random), std::cos(angle_rad) + noise(random));
  }
  return stream;
}

const std::vector<std::pair<double, double>>& Stream() {
  static const std::vector<std::pair<double, double>> stream = SwingStream();
  return stream;
}

template <double (*Atan2)(double, double)>
void BM_Atan2Of(benchmark::State& state) {
  const std::vector<std::pair<double, double>>& stream = Stream();
  for (auto _ : state) {
    double sum_rad = 0.0;
    for (const auto& [y, x] : stream) sum_rad += Atan2(y, x);
    benchmark::DoNotOptimize(sum_rad);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
  state.counters["per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * static_cast<std::int64_t>(stream.size())),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

double LibmAtan2(double y, double x) { return std::atan2(y, x); }
double FoldedAtan2(double y, double x) { return fusion::Atan2(y, x); }

void BM_BaselineLibm(benchmark::State& state) { BM_Atan2Of<LibmAtan2>(state); }
void BM_Folded(benchmark::State& state) { BM_Atan2Of<FoldedAtan2>(state); }

BENCHMARK(BM_BaselineLibm);
BENCHMARK(BM_Folded);

}  // namespace
}  // namespace ambi::bench

int main(int argc, char** argv) {
  return ambi::bench::RunBenchmarksWithRatios(
      argc, argv, {"atan2 over a stream", 24, 0, 2, [](const std::string&) {
                     return std::string("BM_BaselineLibm");
                   }});
}
