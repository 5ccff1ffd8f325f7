// ambi-bench-decode: ns per decoded sample for the three byte protocols, against a baseline
// measured in the same run: memcpy of the same bytes in the same read sizes (what any
// byte-handling stage costs at least). Reads are 256 bytes, like a serial driver's; a second
// set feeds whole 4096-sample buffers, like a capture replay.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fusion/decode/decoder.h"
#include "fusion/decode/encoder.h"

namespace ambi::bench {
namespace {

using fusion::ImuSample;
using fusion::Protocol;

constexpr int kSamples = 4096;

// Bytes of kSamples samples of a moving limb, as the device (or ambi_sample) sends them.
const std::vector<std::uint8_t>& Stream(Protocol protocol) {
  static const auto make = [](Protocol p) {
    std::vector<std::uint8_t> bytes;
    for (int k = 0; k < kSamples; ++k) {
      const double t = k * 0.01;
      ImuSample s;
      s.time = fusion::TimeFromSeconds(t);
      s.accel_m_s2 = {3.0 * std::sin(t), 9.0 * std::cos(0.5 * t), 1.0};
      s.gyro_rad_s = {2.0 * std::sin(2.5 * t), 0.8 * std::cos(1.7 * t), 0.1};
      s.mag_uT = {20.0, -5.0, 40.0};
      s.has_mag = false;
      switch (p) {
        case Protocol::kWitMotionSerial:
          // Default content minus mag: accel, gyro, angle (33 bytes per sample).
          fusion::AppendWitMotionSerialFrames(s, {10.0, 20.0, 30.0}, {}, &bytes);
          break;
        case Protocol::kWitMotionBle:
          fusion::AppendWitMotionBleFrame(s, {10.0, 20.0, 30.0}, &bytes);
          break;
        case Protocol::kAmbiSample:
          fusion::AppendAmbiSampleFrame(s, &bytes);
          break;
      }
    }
    return bytes;
  };
  static const std::vector<std::uint8_t> serial = make(Protocol::kWitMotionSerial);
  static const std::vector<std::uint8_t> ble = make(Protocol::kWitMotionBle);
  static const std::vector<std::uint8_t> ambi = make(Protocol::kAmbiSample);
  switch (protocol) {
    case Protocol::kWitMotionSerial:
      return serial;
    case Protocol::kWitMotionBle:
      return ble;
    case Protocol::kAmbiSample:
      break;
  }
  return ambi;
}

void SetCounters(benchmark::State& state) {
  // Seconds per sample, printed with an SI prefix (e.g. "34n" = 34 ns).
  state.counters["per_sample"] = benchmark::Counter(
      static_cast<double>(kSamples),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Decode(benchmark::State& state) {
  const auto protocol = static_cast<Protocol>(state.range(0));
  const auto read_bytes = static_cast<std::size_t>(state.range(1));
  const std::vector<std::uint8_t>& bytes = Stream(protocol);
  fusion::Decoder decoder({protocol, 0.0});
  double sum = 0.0;
  std::int64_t t_ns = 0;
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < bytes.size(); pos += read_bytes) {
      const std::size_t n = std::min(read_bytes, bytes.size() - pos);
      decoder.Feed(std::span(bytes.data() + pos, n), fusion::TimeFromNanoseconds(++t_ns),
                   [&sum](const ImuSample& s) { sum += s.gyro_rad_s.x; });
    }
    benchmark::DoNotOptimize(sum);
  }
  if (decoder.stats().samples != static_cast<std::uint64_t>(kSamples) * state.iterations()) {
    state.SkipWithError("decoder lost samples");
  }
  SetCounters(state);
}

void BM_MemcpyBaseline(benchmark::State& state) {
  const auto protocol = static_cast<Protocol>(state.range(0));
  const auto read_bytes = static_cast<std::size_t>(state.range(1));
  const std::vector<std::uint8_t>& bytes = Stream(protocol);
  std::vector<std::uint8_t> out(read_bytes);
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < bytes.size(); pos += read_bytes) {
      const std::size_t n = std::min(read_bytes, bytes.size() - pos);
      std::memcpy(out.data(), bytes.data() + pos, n);
      benchmark::ClobberMemory();
    }
  }
  SetCounters(state);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"protocol", "read_bytes"});
  for (Protocol p : {Protocol::kWitMotionSerial, Protocol::kWitMotionBle, Protocol::kAmbiSample}) {
    b->Args({static_cast<std::int64_t>(p), 256});
    b->Args({static_cast<std::int64_t>(p), 1 << 20});
  }
}

BENCHMARK(BM_MemcpyBaseline)->Apply(Args);
BENCHMARK(BM_Decode)->Apply(Args);

}  // namespace
}  // namespace ambi::bench

BENCHMARK_MAIN();
