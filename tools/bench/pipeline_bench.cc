// ambi-bench-pipeline: whole-pipeline throughput (samples per second on one core) from capture
// bytes to events, for a simulated bilateral curl session (2 wrists, 200 Hz, about 3 minutes).
// Baselines measured in the same run over the same records: decode only, and decode + clock +
// Madgwick (what the pipeline does before reps and asymmetry), so the ratios show the share of
// each stage. The session is built once, outside the timed loops; each iteration feeds every
// record into fresh stages, as a replay of the capture would.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "fusion/clock/sample_clock.h"
#include "fusion/core/events.h"
#include "fusion/decode/decoder.h"
#include "fusion/decode/protocol.h"
#include "fusion/orientation/madgwick.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::bench {
namespace {

using fusion::Protocol;
using fusion::Time;

// One capture data record: a device output cycle as the port delivered it.
struct Record {
  int sensor = 0;
  Time arrival;
  std::uint32_t offset = 0;  // into Session::bytes
  std::uint32_t size = 0;
};

struct Session {
  sim::SessionSpec spec;
  std::vector<std::uint8_t> bytes;
  std::vector<Record> records;  // arrival order
  std::int64_t samples = 0;
  std::int64_t truth_reps = 0;
};

constexpr double kLatencyS = 0.004;

sim::SessionSpec BenchSpec() {
  sim::SessionSpec spec = *sim::MakePreset("curl-200hz");
  // 48 reps of ~3.6 s per side plus rests: about 3 minutes of data.
  spec.left.rep_count = spec.right.rep_count = 48;
  return spec;
}

Session Build(Protocol protocol) {
  Session session;
  session.spec = BenchSpec();
  const sim::SessionPlan plan = sim::PlanSession(session.spec);
  session.truth_reps =
      static_cast<std::int64_t>(plan.truth.left.reps.size() + plan.truth.right.reps.size());
  std::array<sim::DeviceByteStream, 2> devices = {
      sim::DeviceByteStream(session.spec, plan, fusion::Side::kLeft, protocol),
      sim::DeviceByteStream(session.spec, plan, fusion::Side::kRight, protocol)};
  std::array<std::vector<std::uint8_t>, 2> pending;
  std::array<Time, 2> arrival{};
  std::array<bool, 2> has{};
  auto pull = [&](int i) {
    double true_time_s = 0.0;
    has[i] = devices[i].Next(&pending[i], &true_time_s);
    arrival[i] = fusion::TimeFromSeconds(true_time_s + kLatencyS);
  };
  pull(0);
  pull(1);
  while (has[0] || has[1]) {
    const int i = !has[1] || (has[0] && arrival[0] <= arrival[1]) ? 0 : 1;
    session.records.push_back({i, arrival[i], static_cast<std::uint32_t>(session.bytes.size()),
                               static_cast<std::uint32_t>(pending[i].size())});
    session.bytes.insert(session.bytes.end(), pending[i].begin(), pending[i].end());
    ++session.samples;
    pull(i);
  }
  return session;
}

const Session& SessionFor(Protocol protocol) {
  static const Session serial = Build(Protocol::kWitMotionSerial);
  static const Session ambi = Build(Protocol::kAmbiSample);
  return protocol == Protocol::kAmbiSample ? ambi : serial;
}

std::span<const std::uint8_t> BytesOf(const Session& session, const Record& r) {
  return std::span(session.bytes.data() + r.offset, r.size);
}

fusion::SessionParams ParamsFor(const Session& session, Protocol protocol) {
  fusion::SessionParams params;
  params.exercise = fusion::GenericExercise(fusion::Limb::kWrist);
  params.exercise.name = "biceps_curl";
  for (fusion::Side side : {fusion::Side::kLeft, fusion::Side::kRight}) {
    fusion::SensorConfig sensor;
    sensor.placement = {side, fusion::Limb::kWrist};
    sensor.protocol = protocol;
    sensor.nominal_rate_hz = session.spec.rate_hz;
    params.sensors.push_back(sensor);
  }
  return params;
}

class CountingSink : public fusion::EventSink {
 public:
  void OnEvent(const fusion::Event& event) override {
    ++events;
    if (std::holds_alternative<fusion::Rep>(event)) ++reps;
  }
  std::int64_t events = 0;
  std::int64_t reps = 0;
};

void SetCounters(benchmark::State& state, const Session& session) {
  state.SetItemsProcessed(state.iterations() * session.samples);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(session.bytes.size()));
  // Seconds per sample, printed with an SI prefix (e.g. "150n" = 150 ns).
  state.counters["per_sample"] = benchmark::Counter(
      static_cast<double>(session.samples),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Baseline 1: the decoders alone.
void BM_DecodeOnly(benchmark::State& state) {
  const auto protocol = static_cast<Protocol>(state.range(0));
  const Session& session = SessionFor(protocol);
  std::int64_t decoded = 0;
  for (auto _ : state) {
    std::array<fusion::Decoder, 2> decoders = {fusion::Decoder({protocol, 0.0}),
                                               fusion::Decoder({protocol, 0.0})};
    double sum = 0.0;
    for (const Record& r : session.records) {
      decoders[r.sensor].Feed(BytesOf(session, r), r.arrival,
                              [&sum](const fusion::ImuSample& s) { sum += s.gyro_rad_s.x; });
    }
    benchmark::DoNotOptimize(sum);
    decoded = static_cast<std::int64_t>(decoders[0].stats().samples + decoders[1].stats().samples);
  }
  if (decoded != session.samples) state.SkipWithError("decoder lost samples");
  SetCounters(state, session);
}

// Baseline 2: decode + session clock + Madgwick, configured as the pipeline configures them.
void BM_DecodeClockMadgwick(benchmark::State& state) {
  const auto protocol = static_cast<Protocol>(state.range(0));
  const Session& session = SessionFor(protocol);
  const fusion::SessionParams params = ParamsFor(session, protocol);
  fusion::SampleClockParams clock_params = params.clock;
  clock_params.nominal_rate_hz = session.spec.rate_hz;
  clock_params.device_time = fusion::HasDeviceTime(protocol);
  for (auto _ : state) {
    struct Stage {
      fusion::Decoder decoder;
      fusion::SampleClock clock;
      fusion::OrientationFilter filter;
    };
    std::array<Stage, 2> stages = {
        Stage{fusion::Decoder({protocol, 0.0}), fusion::SampleClock(clock_params),
              fusion::OrientationFilter(params.orientation, session.spec.rate_hz)},
        Stage{fusion::Decoder({protocol, 0.0}), fusion::SampleClock(clock_params),
              fusion::OrientationFilter(params.orientation, session.spec.rate_hz)}};
    for (const Record& r : session.records) {
      Stage& stage = stages[r.sensor];
      stage.decoder.Feed(BytesOf(session, r), r.arrival, [&](const fusion::ImuSample& s) {
        const fusion::ClockUpdate clock = stage.clock.Update(s.time, r.arrival);
        if (!clock.accepted) return;
        if (clock.gap) stage.filter.RestartAfterGap();
        fusion::ImuSample timed = s;
        timed.time = clock.time;
        stage.filter.Update(timed);
      });
    }
    benchmark::DoNotOptimize(stages[0].filter.sensor_to_earth());
    benchmark::DoNotOptimize(stages[1].filter.sensor_to_earth());
  }
  SetCounters(state, session);
}

// The whole pipeline: bytes -> decode -> clock -> Madgwick -> reps -> asymmetry -> events.
void BM_Pipeline(benchmark::State& state) {
  const auto protocol = static_cast<Protocol>(state.range(0));
  const Session& session = SessionFor(protocol);
  const fusion::SessionParams params = ParamsFor(session, protocol);
  CountingSink sink;
  for (auto _ : state) {
    sink = CountingSink();
    fusion::SessionPipeline pipeline(params, &sink);
    for (const Record& r : session.records) {
      pipeline.OnBytes(r.sensor, r.arrival, BytesOf(session, r));
    }
    pipeline.Flush(session.records.back().arrival);
  }
  SetCounters(state, session);
  state.counters["events"] = static_cast<double>(sink.events);
  state.counters["reps"] = static_cast<double>(sink.reps);
  state.counters["truth_reps"] = static_cast<double>(session.truth_reps);
}

constexpr int kSerial = static_cast<int>(Protocol::kWitMotionSerial);
constexpr int kAmbi = static_cast<int>(Protocol::kAmbiSample);

BENCHMARK(BM_DecodeOnly)
    ->ArgName("protocol")
    ->Arg(kSerial)
    ->Arg(kAmbi)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeClockMadgwick)
    ->ArgName("protocol")
    ->Arg(kSerial)
    ->Arg(kAmbi)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pipeline)
    ->ArgName("protocol")
    ->Arg(kSerial)
    ->Arg(kAmbi)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ambi::bench

BENCHMARK_MAIN();
