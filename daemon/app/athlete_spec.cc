#include "daemon/app/athlete_spec.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "daemon/sim/pty_simulator.h"
#include "daemon/sim/session_spec.h"
#include "proto/convert/event_convert.h"

namespace ambi::app {
namespace {

// The model recorded for a configured device: what the transport talks to.
std::string ModelOf(const config::DeviceConfig& device) {
  return device.transport == config::TransportKind::kSerial ? "WitMotion serial" : "WitMotion BLE";
}

constexpr const char* kSimulatedModel = "ambi-sim (pseudo-terminal)";

std::string DefaultDeviceName(const std::string& athlete, const fusion::Placement& placement) {
  return athlete + "-" + std::string(fusion::ToString(placement));
}

}  // namespace

fusion::SensorConfig SensorSpec::ToSensorConfig() const {
  fusion::SensorConfig sensor;
  sensor.placement = device.placement;
  sensor.protocol = device.protocol;
  sensor.nominal_rate_hz = device.rate_hz;
  sensor.witmotion_mag_uT_per_count = device.mag_uT_per_count;
  return sensor;
}

v1::SensorInfo SensorSpec::ToSensorInfo(std::uint32_t sensor_id) const {
  v1::SensorInfo info;
  info.set_sensor_id(sensor_id);
  info.set_side(proto::ToProto(device.placement.side));
  info.set_limb(proto::ToProto(device.placement.limb));
  info.set_device_model(model);
  info.set_protocol(proto::ToProto(device.protocol));
  info.set_nominal_rate_hz(device.rate_hz);
  info.set_address(device.transport == config::TransportKind::kSerial ? device.path
                                                                      : device.address);
  info.set_witmotion_mag_ut_per_count(device.mag_uT_per_count);
  return info;
}

void SensorSpec::DescribeDevice(const std::string& athlete, v1::DeviceInfo* info) const {
  info->set_name(device.name);
  info->set_athlete(athlete);
  info->set_side(proto::ToProto(device.placement.side));
  info->set_limb(proto::ToProto(device.placement.limb));
  info->set_protocol(proto::ToProto(device.protocol));
  info->set_nominal_rate_hz(device.rate_hz);
}

std::vector<AthleteSpec> AthletesFromConfig(const config::DaemonConfig& config) {
  std::vector<AthleteSpec> athletes;
  for (const config::AthleteConfig& athlete_config : config.athletes) {
    AthleteSpec athlete;
    athlete.name = athlete_config.name;
    athlete.exercise = athlete_config.exercise;
    athlete.automatic_sets = config.automatic_sets;
    for (const config::DeviceConfig& device : athlete_config.devices) {
      athlete.sensors.push_back({device, ModelOf(device)});
    }
    athletes.push_back(std::move(athlete));
  }
  return athletes;
}

std::optional<std::vector<AthleteSpec>> AthletesFromSimulator(
    const std::vector<sim::SimAthlete>& roster, const config::DaemonConfig& settings,
    sim::PtySimulator* simulator, std::string* error) {
  // The roster becomes a configuration, so that it is validated like one.
  config::DaemonConfig config = settings;
  config.athletes.clear();
  for (const sim::SimAthlete& sim_athlete : roster) {
    config::AthleteConfig athlete;
    athlete.name = sim_athlete.name;
    athlete.exercise = std::string(sim::CatalogNameOf(sim_athlete.session.exercise));
    for (const std::size_t index : simulator->AddAthlete(sim_athlete)) {
      const sim::SimDeviceInfo info = simulator->device(index);
      config::DeviceConfig device;
      device.placement = info.placement;
      device.name = DefaultDeviceName(athlete.name, info.placement);
      device.transport = config::TransportKind::kSerial;
      device.protocol = info.protocol;
      device.rate_hz = info.rate_hz;
      device.path = info.link_path;
      athlete.devices.push_back(device);
    }
    spdlog::info("simulated athlete {} ({}) on {} pseudo-terminals", athlete.name, athlete.exercise,
                 athlete.devices.size());
    config.athletes.push_back(std::move(athlete));
  }
  if (std::string invalid = config::ValidateDaemonConfig(config); !invalid.empty()) {
    *error = "simulated roster: " + invalid;
    return std::nullopt;
  }
  std::vector<AthleteSpec> athletes = AthletesFromConfig(config);
  for (AthleteSpec& athlete : athletes) {
    for (SensorSpec& sensor : athlete.sensors) sensor.model = kSimulatedModel;
  }
  return athletes;
}

std::optional<AthleteSpec> AthleteFromCapture(const v1::CaptureHeader& header,
                                              const std::string& capture_path, bool automatic_sets,
                                              std::string* error) {
  AthleteSpec athlete;
  athlete.name = header.athlete().empty() ? "replay" : header.athlete();
  athlete.exercise = header.exercise();
  athlete.automatic_sets = automatic_sets;
  athlete.mode = proto::FromProto(header.mode());
  for (const v1::SensorInfo& sensor : header.sensors()) {
    const std::optional<fusion::Side> side = proto::FromProto(sensor.side());
    const std::optional<fusion::Limb> limb = proto::FromProto(sensor.limb());
    const std::optional<fusion::Protocol> protocol = proto::FromProto(sensor.protocol());
    if (!side || !limb || !protocol) {
      *error = capture_path + ": sensor " + std::to_string(sensor.sensor_id()) +
               " has no known side, limb or protocol";
      return std::nullopt;
    }
    config::DeviceConfig device;
    device.placement = {*side, *limb};
    device.name = DefaultDeviceName(athlete.name, device.placement);
    device.protocol = *protocol;
    device.rate_hz = sensor.nominal_rate_hz();
    device.mag_uT_per_count = sensor.witmotion_mag_ut_per_count();
    device.path = capture_path;
    athlete.sensors.push_back({device, ModelOf(device)});
  }
  return athlete;
}

}  // namespace ambi::app
