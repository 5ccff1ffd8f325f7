// ambi-bench-madgwick: ns per update of MadgwickFilter (production) and MadgwickReference,
// 6/9-axis, against a baseline measured in the same run: a plain textbook float 6-axis Madgwick
// update with an exact 1/sqrtf. Results are printed as ratios to that baseline, so they compare
// across machines.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fusion/orientation/madgwick.h"
#include "fusion/orientation/madgwick_reference.h"
#include "tools/bench/run_times_reporter.h"

namespace ambi::bench {
namespace {

using fusion::ImuSample;
using fusion::MadgwickFilter;
using fusion::MadgwickReference;
using fusion::Quaternion;
using fusion::Vec3;

constexpr int kStreamLength = 4096;  // power of two: cheap wrap-around
constexpr double kRateHz = 100.0;

// A wrist-like stream: rests and sinusoidal rotations, gravity and a 50 uT field rotated into the
// sensor frame by the integrated truth, plus deterministic noise. Built once.
const std::vector<ImuSample>& Stream() {
  static const std::vector<ImuSample> stream = [] {
    std::vector<ImuSample> out;
    out.reserve(kStreamLength);
    Quaternion q{0.95, 0.2, -0.1, 0.2};
    std::uint64_t seed = 0x1234567ULL;
    auto noise = [&seed](double sigma) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      return sigma * (static_cast<double>(seed >> 11) / 9007199254740992.0 - 0.5) * 3.46;
    };
    const double dt = 1.0 / kRateHz;
    for (int k = 0; k < kStreamLength; ++k) {
      const double t = k * dt;
      const double moving = std::fmod(t, 8.0) < 5.0 ? 1.0 : 0.0;
      const Vec3 w{moving * 2.0 * std::sin(2.5 * t), moving * 0.8 * std::cos(1.7 * t),
                   moving * 0.5 * std::sin(0.9 * t)};
      const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
      q = {q.w / n, q.x / n, q.y / n, q.z / n};
      // Earth vectors in the sensor frame: rows of R(q) dotted with (0,0,g) and the field.
      const double r20 = 2 * (q.x * q.z - q.w * q.y), r21 = 2 * (q.y * q.z + q.w * q.x),
                   r22 = 1 - 2 * (q.x * q.x + q.y * q.y);
      const double r00 = 1 - 2 * (q.y * q.y + q.z * q.z), r01 = 2 * (q.x * q.y + q.w * q.z),
                   r02 = 2 * (q.x * q.z - q.w * q.y);
      ImuSample s;
      s.time = fusion::TimeFromSeconds(t);
      s.gyro_rad_s = {w.x + 0.01 + noise(0.005), w.y - 0.005 + noise(0.005), w.z + noise(0.005)};
      s.accel_m_s2 = {9.81 * r20 + noise(0.05), 9.81 * r21 + noise(0.05), 9.81 * r22 + noise(0.05)};
      // m_E = (21, 0, -45) uT in NWU.
      s.mag_uT = {21.0 * r00 - 45.0 * r20 + noise(0.3), 21.0 * r01 - 45.0 * r21 + noise(0.3),
                  21.0 * r02 - 45.0 * r22 + noise(0.3)};
      s.has_mag = true;
      out.push_back(s);
      // Integrate the truth: q += 1/2 q (0, w) dt.
      const Quaternion d{
          0.5 * (-q.x * w.x - q.y * w.y - q.z * w.z), 0.5 * (q.w * w.x + q.y * w.z - q.z * w.y),
          0.5 * (q.w * w.y - q.x * w.z + q.z * w.x), 0.5 * (q.w * w.z + q.x * w.y - q.y * w.x)};
      q = {q.w + d.w * dt, q.x + d.x * dt, q.y + d.y * dt, q.z + d.z * dt};
    }
    return out;
  }();
  return stream;
}

// Baseline: the textbook float 6-axis update (normalise a, gradient J^T f, normalise the step,
// integrate, normalise q), exact 1/sqrtf. Written here so the bench has its own yardstick.
struct PlainMadgwickF32 {
  float q0 = 1.0f, q1 = 0.0f, q2 = 0.0f, q3 = 0.0f;
  float beta = 0.1f;
  float dt = 0.01f;

  void Update(float gx, float gy, float gz, float ax, float ay, float az) {
    float d0 = 0.5f * (-q1 * gx - q2 * gy - q3 * gz);
    float d1 = 0.5f * (q0 * gx + q2 * gz - q3 * gy);
    float d2 = 0.5f * (q0 * gy - q1 * gz + q3 * gx);
    float d3 = 0.5f * (q0 * gz + q1 * gy - q2 * gx);
    if (!(ax == 0.0f && ay == 0.0f && az == 0.0f)) {
      const float ra = 1.0f / std::sqrt(ax * ax + ay * ay + az * az);
      ax *= ra;
      ay *= ra;
      az *= ra;
      const float f1 = 2.0f * (q1 * q3 - q0 * q2) - ax;
      const float f2 = 2.0f * (q0 * q1 + q2 * q3) - ay;
      const float f3 = 1.0f - 2.0f * (q1 * q1 + q2 * q2) - az;
      const float s0 = -2.0f * q2 * f1 + 2.0f * q1 * f2;
      const float s1 = 2.0f * q3 * f1 + 2.0f * q0 * f2 - 4.0f * q1 * f3;
      const float s2 = -2.0f * q0 * f1 + 2.0f * q3 * f2 - 4.0f * q2 * f3;
      const float s3 = 2.0f * q1 * f1 + 2.0f * q2 * f2;
      const float rs = 1.0f / std::sqrt(s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3);
      d0 -= beta * s0 * rs;
      d1 -= beta * s1 * rs;
      d2 -= beta * s2 * rs;
      d3 -= beta * s3 * rs;
    }
    q0 += d0 * dt;
    q1 += d1 * dt;
    q2 += d2 * dt;
    q3 += d3 * dt;
    const float rq = 1.0f / std::sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3);
    q0 *= rq;
    q1 *= rq;
    q2 *= rq;
    q3 *= rq;
  }
};

void BM_BaselinePlainFloat6(benchmark::State& state) {
  // Float copies of the stream, so the baseline does not pay conversions inside the loop.
  std::vector<float> f;
  for (const ImuSample& s : Stream()) {
    for (double v : {s.gyro_rad_s.x, s.gyro_rad_s.y, s.gyro_rad_s.z, s.accel_m_s2.x, s.accel_m_s2.y,
                     s.accel_m_s2.z}) {
      f.push_back(static_cast<float>(v));
    }
  }
  PlainMadgwickF32 filter;
  std::size_t k = 0;
  for (auto _ : state) {
    const float* x = &f[6 * k];
    filter.Update(x[0], x[1], x[2], x[3], x[4], x[5]);
    benchmark::DoNotOptimize(filter.q0);
    k = (k + 1) & (kStreamLength - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

template <typename Filter>
void RunFilter(benchmark::State& state, Filter filter, bool nine_axis) {
  std::vector<ImuSample> stream = Stream();
  for (ImuSample& s : stream) s.has_mag = nine_axis;
  const double dt_s = 1.0 / kRateHz;
  std::size_t k = 0;
  for (auto _ : state) {
    filter.UpdateWithDt(stream[k], dt_s);
    benchmark::DoNotOptimize(filter.sensor_to_earth());
    k = (k + 1) & (kStreamLength - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Reference6(benchmark::State& state) {
  RunFilter(state, MadgwickReference({}, kRateHz), false);
}
void BM_Reference9(benchmark::State& state) {
  RunFilter(state, MadgwickReference({}, kRateHz), true);
}
void BM_Production6(benchmark::State& state) {
  RunFilter(state, MadgwickFilter({}, kRateHz), false);
}
void BM_Production9(benchmark::State& state) {
  RunFilter(state, MadgwickFilter({}, kRateHz), true);
}

// Production with timestamps (Update computes dt from the sample time).
void BM_Production6Timestamps(benchmark::State& state) {
  std::vector<ImuSample> stream = Stream();
  for (ImuSample& s : stream) s.has_mag = false;
  MadgwickFilter filter({}, kRateHz);
  std::size_t k = 0;
  std::int64_t lap = 0;
  const fusion::Duration period = fusion::DurationFromSeconds(kStreamLength / kRateHz);
  for (auto _ : state) {
    ImuSample s = stream[k];
    s.time += lap * period;
    filter.Update(s);
    benchmark::DoNotOptimize(filter.sensor_to_earth());
    if (++k == kStreamLength) {
      k = 0;
      ++lap;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_BaselinePlainFloat6);
BENCHMARK(BM_Reference6);
BENCHMARK(BM_Reference9);
BENCHMARK(BM_Production6);
BENCHMARK(BM_Production9);
BENCHMARK(BM_Production6Timestamps);
}  // namespace
}  // namespace ambi::bench

int main(int argc, char** argv) {
  // Each update's time against the plain-float baseline of the same run. With
  // --benchmark_repetitions the table uses the median of the repetitions (the machine is
  // shared: the median resists load spikes).
  return ambi::bench::RunBenchmarksWithRatios(argc, argv,
                                              {"update", 28, 2, 2, [](const std::string&) {
                                                 return std::string("BM_BaselinePlainFloat6");
                                               }});
}
