#include "daemon/app/athlete_registry.h"

#include <chrono>
#include <utility>

namespace ambi::app {

AthleteRegistry::AthleteRegistry(std::vector<AthleteSpec> athletes) {
  for (AthleteSpec& spec : athletes) {
    auto athlete = std::make_unique<Athlete>();
    for (const SensorSpec& sensor : spec.sensors) {
      Device device;
      device.spec = sensor;
      athlete->devices.push_back(std::move(device));
    }
    athlete->exercise = spec.exercise;
    athlete->automatic_sets = spec.automatic_sets;
    athlete->spec = std::move(spec);
    athletes_.push_back(std::move(athlete));
  }
}

Athlete* AthleteRegistry::Find(const std::string& name) {
  for (auto& athlete : athletes_) {
    if (athlete->name() == name) return athlete.get();
  }
  return nullptr;
}

const Athlete* AthleteRegistry::Find(const std::string& name) const {
  return const_cast<AthleteRegistry*>(this)->Find(name);
}

std::size_t AthleteRegistry::device_count() const {
  std::size_t devices = 0;
  for (const auto& athlete : athletes_) devices += athlete->devices.size();
  return devices;
}

void AthleteRegistry::StartRateWindow(transport::SteadyTime now) {
  for (auto& athlete : athletes_) {
    for (Device& device : athlete->devices) device.rate_time = now;
  }
}

void AthleteRegistry::UpdateRates(transport::SteadyTime now) {
  for (auto& athlete : athletes_) {
    for (std::size_t d = 0; d < athlete->devices.size(); ++d) {
      Device& device = athlete->devices[d];
      const std::int64_t samples =
          athlete->session ? athlete->session->counters(static_cast<int>(d)).samples : 0;
      const double dt_s = std::chrono::duration<double>(now - device.rate_time).count();
      device.measured_rate_hz = dt_s > 0.0 && samples >= device.rate_samples
                                    ? static_cast<double>(samples - device.rate_samples) / dt_s
                                    : 0.0;
      device.rate_samples = samples;
      device.rate_time = now;
    }
  }
}

}  // namespace ambi::app
