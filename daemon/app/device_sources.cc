#include "daemon/app/device_sources.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <string>

#include "daemon/transport/ble_source.h"
#include "daemon/transport/serial_source.h"

namespace ambi::app {

std::unique_ptr<transport::ByteSource> MakeDeviceSource(
    asio::io_context& io, Athlete& athlete, int device_index,
    std::shared_ptr<transport::BleBus>* ble_bus) {
  Device& device = athlete.devices[static_cast<std::size_t>(device_index)];
  const config::DeviceConfig& config = device.spec.device;
  transport::ByteSourceCallbacks callbacks;
  callbacks.on_bytes = [&athlete, device_index](transport::SteadyTime arrival,
                                                std::span<const std::uint8_t> bytes) {
    if (athlete.session) athlete.session->OnBytes(device_index, arrival, bytes);
  };
  callbacks.on_connected = [&athlete, &device, device_index](transport::SteadyTime time,
                                                             const std::string& detail) {
    spdlog::info("device {}: connected ({})", device.spec.device.name, detail);
    // The first connection is the normal start, not news; a return after a loss is.
    if (device.lost && athlete.session) {
      athlete.session->OnDeviceBack(device_index, time, detail);
    }
    device.lost = false;
  };
  callbacks.on_lost = [&athlete, &device, device_index](transport::SteadyTime time,
                                                        const std::string& reason) {
    spdlog::warn("device {}: lost: {}", device.spec.device.name, reason);
    device.lost = true;
    if (athlete.session) athlete.session->OnDeviceLost(device_index, time, reason);
  };
  if (config.transport == config::TransportKind::kSerial) {
    transport::SerialSourceOptions serial;
    serial.path = config.path;
    serial.baud = config.baud;
    if (config.configure) {
      transport::WitMotionSetup setup;
      setup.rate_hz = static_cast<int>(config.rate_hz);
      setup.with_mag = config.mag_uT_per_count > 0.0;
      serial.witmotion = setup;
    }
    serial.backoff_seed = std::hash<std::string>{}(config.name);
    return std::make_unique<transport::SerialSource>(io, serial, std::move(callbacks));
  }
  if (!*ble_bus) *ble_bus = std::make_shared<transport::BleBus>();
  transport::BleSourceConfig ble;
  ble.address = config.address;
  ble.adapter = config.adapter;
  if (config.configure) ble.rate_hz = static_cast<int>(config.rate_hz);
  return std::make_unique<transport::BleSource>(io, *ble_bus, ble, std::move(callbacks));
}

}  // namespace ambi::app
