#include "tools/eval/perturb.h"

#include <Eigen/Geometry>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "daemon/capture/csv_samples.h"

namespace ambi::eval {
namespace {

// A rotation drawn uniformly (a normalised 4-D Gaussian is a uniform unit quaternion).
Eigen::Quaterniond RandomRotation(std::mt19937_64& rng) {
  std::normal_distribution<double> gauss;
  const double w = gauss(rng);
  const double x = gauss(rng);
  const double y = gauss(rng);
  const double z = gauss(rng);
  return Eigen::Quaterniond(w, x, y, z).normalized();
}

fusion::Vec3 Turn(const Eigen::Quaterniond& q, const fusion::Vec3& v) {
  const Eigen::Vector3d turned = q * Eigen::Vector3d(v.x, v.y, v.z);
  return {turned.x(), turned.y(), turned.z()};
}

// Each run of 'k' samples in a row (none further apart than 1.5 nominal periods) averaged into
// one at their mean time; a run cut short by a jump in time is left out.
std::vector<fusion::ImuSample> AveragedDown(const std::vector<fusion::ImuSample>& samples,
                                            double rate_hz, int k) {
  if (k <= 1 || rate_hz <= 0.0) return samples;
  const double max_step_s = 1.5 / rate_hz;
  std::vector<fusion::ImuSample> out;
  std::size_t first = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i > first && fusion::ToSeconds(samples[i].time - samples[i - 1].time) > max_step_s) {
      first = i;  // a jump: the run so far is too short
    }
    if (i + 1 - first < static_cast<std::size_t>(k)) continue;
    fusion::ImuSample mean = samples[first];
    double t_s = 0.0;
    mean.accel_m_s2 = mean.gyro_rad_s = mean.mag_uT = {};
    for (std::size_t j = first; j <= i; ++j) {
      t_s += fusion::ToSeconds(samples[j].time);
      mean.accel_m_s2 = fusion::Add(mean.accel_m_s2, samples[j].accel_m_s2);
      mean.gyro_rad_s = fusion::Add(mean.gyro_rad_s, samples[j].gyro_rad_s);
      mean.mag_uT = fusion::Add(mean.mag_uT, samples[j].mag_uT);
    }
    const double n = static_cast<double>(k);
    mean.time = fusion::TimeFromSeconds(t_s / n);
    mean.accel_m_s2 = fusion::Scale(mean.accel_m_s2, 1.0 / n);
    mean.gyro_rad_s = fusion::Scale(mean.gyro_rad_s, 1.0 / n);
    mean.mag_uT = fusion::Scale(mean.mag_uT, 1.0 / n);
    out.push_back(mean);
    first = i + 1;
  }
  return out;
}

}  // namespace

capture::CaptureStatus WritePerturbedCsv(const std::string& in, const std::string& out,
                                         const Perturbation& perturbation, std::uint64_t salt) {
  std::vector<fusion::ImuSample> samples;
  if (capture::CaptureStatus status = capture::ReadCsvSamples(in, &samples); !status.ok()) {
    return status;
  }
  double rate_hz = capture::EstimateRateHz(samples);
  if (perturbation.max_rate_hz > 0.0 && rate_hz > perturbation.max_rate_hz) {
    const int k = static_cast<int>(std::lround(rate_hz / perturbation.max_rate_hz));
    samples = AveragedDown(samples, rate_hz, k);
    rate_hz /= k;
  }
  Eigen::Quaterniond turn = Eigen::Quaterniond::Identity();
  if (perturbation.mount_seed != 0) {
    std::mt19937_64 rng(perturbation.mount_seed * 1000003u + salt);
    turn = RandomRotation(rng);
  }
  std::mt19937_64 loss_rng(perturbation.loss_seed * 1000003u + salt);
  std::uniform_real_distribution<double> uniform;
  const double start_chance = rate_hz > 0.0 ? perturbation.loss_bursts_per_s / rate_hz : 0.0;
  const int max_burst =
      std::max(1, std::min(10, static_cast<int>(std::floor(perturbation.max_burst_s * rate_hz))));
  std::uniform_int_distribution<int> burst_length(1, max_burst);

  std::FILE* file = std::fopen(out.c_str(), "w");
  if (file == nullptr) {
    return capture::CaptureStatus::Error(out + ": cannot write the perturbed recording");
  }
  const bool mag = !samples.empty() && samples.front().has_mag;
  std::fprintf(file, mag ? "t_s,ax,ay,az,gx,gy,gz,mx,my,mz\n" : "t_s,ax,ay,az,gx,gy,gz\n");
  int dropping = 0;
  bool kept_previous = true;
  // The first and last samples stay, so the recording keeps its span; a sample is kept between
  // two bursts (as the simulator keeps them apart), so no loss is longer than max_burst_s.
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const bool edge = i == 0 || i + 1 == samples.size();
    if (dropping == 0 && kept_previous && !edge && uniform(loss_rng) < start_chance) {
      dropping = burst_length(loss_rng);
    }
    if (dropping > 0 && !edge) {
      --dropping;
      kept_previous = false;
      continue;
    }
    kept_previous = true;
    const fusion::ImuSample& s = samples[i];
    const fusion::Vec3 a = Turn(turn, s.accel_m_s2);
    const fusion::Vec3 g = Turn(turn, s.gyro_rad_s);
    std::fprintf(file, "%.6f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g", fusion::ToSeconds(s.time), a.x, a.y,
                 a.z, g.x, g.y, g.z);
    if (mag) {
      const fusion::Vec3 m = Turn(turn, s.mag_uT);
      std::fprintf(file, ",%.9g,%.9g,%.9g", m.x, m.y, m.z);
    }
    std::fputc('\n', file);
  }
  if (std::fclose(file) != 0) {
    return capture::CaptureStatus::Error(out + ": cannot write the perturbed recording");
  }
  return capture::CaptureStatus::Ok();
}

}  // namespace ambi::eval
