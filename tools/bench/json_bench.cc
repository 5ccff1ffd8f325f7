// ambi-bench-json: ns per event printed as one line of JSON by ambi's writer (AppendCompactJson,
// what ToJson uses), against protobuf's MessageToJsonString with the same options as the
// baseline measured in the same run. Events: a rep pair with its four metric comparisons (the
// most common and largest event of a set) and a single rep, with unrounded doubles as
// ambi-replay and ambi-web print them.

#include <benchmark/benchmark.h>

#include <string>

#include "ambi/v1/events.pb.h"
#include "proto/convert/compact_json.h"
#include "proto/convert/proto_json.h"
#include "tools/bench/run_times_reporter.h"

namespace ambi::bench {
namespace {

// Doubles as the pipeline leaves them: most need 17 significant digits.
double Unrounded(double value, int salt) { return value * (1.0 + salt * 1e-7) / 3.0 * 3.0; }

void FillRep(v1::Side side, int salt, v1::Rep* rep) {
  rep->set_side(side);
  rep->set_limb(v1::LIMB_WRIST);
  rep->set_set_index(1);
  rep->set_index(7);
  rep->set_start_s(Unrounded(2.02, salt));
  rep->set_turnaround_s(Unrounded(3.304, salt + 1));
  rep->set_end_s(Unrounded(4.647, salt + 2));
  rep->set_rom_deg(Unrounded(128.87312, salt + 3));
  rep->set_concentric_s(Unrounded(0.947, salt + 4));
  rep->set_eccentric_s(Unrounded(1.335, salt + 5));
  rep->set_pause_turnaround_s(Unrounded(0.345, salt + 6));
  rep->set_pause_before_s(0.0);
  rep->set_peak_speed_deg_s(Unrounded(247.275, salt + 7));
  rep->set_peak_concentric_speed_deg_s(Unrounded(247.275, salt + 8));
}

v1::Event RepPairEvent() {
  v1::Event event;
  event.set_athlete("sim");
  v1::RepPair* pair = event.mutable_rep_pair();
  pair->set_limb(v1::LIMB_WRIST);
  pair->set_set_index(1);
  pair->set_pair_index(7);
  FillRep(v1::SIDE_LEFT, 10, pair->mutable_left());
  FillRep(v1::SIDE_RIGHT, 20, pair->mutable_right());
  for (int m = 1; m <= 4; ++m) {
    v1::MetricComparison* metric = pair->add_metrics();
    metric->set_metric(static_cast<v1::Metric>(m));
    metric->set_left(Unrounded(128.873, m));
    metric->set_right(Unrounded(120.076, m + 1));
    metric->set_percent_difference(Unrounded(6.826, m + 2));
    metric->set_symmetry_index_pct(Unrounded(7.07, m + 3));
    metric->set_weaker_side(v1::SIDE_RIGHT);
    metric->set_band(v1::BAND_GREEN);
  }
  pair->set_lead_ms(-2.0);
  return event;
}

v1::Event RepEvent() {
  v1::Event event;
  event.set_athlete("sim");
  FillRep(v1::SIDE_LEFT, 30, event.mutable_rep());
  return event;
}

v1::Event EventOfKind(std::int64_t kind) { return kind == 0 ? RepPairEvent() : RepEvent(); }

void BM_ProtobufPrinter(benchmark::State& state) {
  const v1::Event event = EventOfKind(state.range(0));
  for (auto _ : state) {
    std::string json = proto::ProtobufJson(event);
    benchmark::DoNotOptimize(json.data());
  }
}

// What ambi-replay and ambi-web call: a new string per event.
void BM_ToJson(benchmark::State& state) {
  const v1::Event event = EventOfKind(state.range(0));
  for (auto _ : state) {
    std::string json = proto::ToJson(event);
    benchmark::DoNotOptimize(json.data());
  }
}

// The writer alone, into a string whose capacity is kept.
void BM_CompactWriterReusedString(benchmark::State& state) {
  const v1::Event event = EventOfKind(state.range(0));
  std::string json;
  for (auto _ : state) {
    json.clear();
    if (!proto::AppendCompactJson(event, &json)) state.SkipWithError("left to protobuf");
    benchmark::DoNotOptimize(json.data());
  }
}

void Kinds(benchmark::internal::Benchmark* b) { b->ArgName("rep_pair0_rep1")->Arg(0)->Arg(1); }

BENCHMARK(BM_ProtobufPrinter)->Apply(Kinds);
BENCHMARK(BM_ToJson)->Apply(Kinds);
BENCHMARK(BM_CompactWriterReusedString)->Apply(Kinds);

// Console output plus a closing table: each run's CPU time over the protobuf printer's for the
// same event (the median of repetitions when --benchmark_repetitions is given).
}  // namespace
}  // namespace ambi::bench

int main(int argc, char** argv) {
  // Each printer's time against protobuf's printer on the same event in the same run.
  return ambi::bench::RunBenchmarksWithRatios(
      argc, argv, {"printer/event", 48, 1, 3, [](const std::string& name) {
                     const std::size_t slash = name.find('/');
                     return slash == std::string::npos ? std::string()
                                                       : "BM_ProtobufPrinter" + name.substr(slash);
                   }});
}
