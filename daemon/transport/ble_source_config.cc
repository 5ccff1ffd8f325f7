#include "daemon/transport/ble_source_config.h"

#include <stdexcept>
#include <utility>

#include "daemon/transport/ble_bluez_names.h"

namespace ambi::transport {
namespace {

void CheckPositive(double value, const char* field) {
  if (!(value > 0.0)) {
    throw std::invalid_argument(std::string("BLE source config: ") + field + " must be > 0, got " +
                                std::to_string(value));
  }
}

void CheckUuid(const std::string& uuid, const char* field) {
  // A full 128-bit UUID, or a form whose 16-bit part is known.
  const bool full =
      uuid.size() == 36 && uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-';
  if (!full && !BleUuid16(uuid)) {
    throw std::invalid_argument(std::string("BLE source config: ") + field + " '" + uuid +
                                "' is neither a 128-bit UUID nor a 16-bit one like ffe4");
  }
}

}  // namespace

ReconnectBackoffOptions BleReconnectBackoffOptions() {
  ReconnectBackoffOptions options;
  options.initial_delay = std::chrono::milliseconds(500);
  options.max_delay = std::chrono::milliseconds(10000);
  options.stable_after = std::chrono::milliseconds(10000);
  options.jitter_fraction = 0.2;
  return options;
}

BleSourceConfig ValidatedBleSourceConfig(BleSourceConfig config) {
  BluezDevicePath(config.adapter, config.address);  // throws for a bad address or adapter
  CheckUuid(config.notify_uuid, "notify_uuid");
  if (config.rate_hz != 0) {
    CheckUuid(config.write_uuid, "write_uuid");
    WitBleRateCommands(config.model, config.rate_hz);  // throws for an unsupported rate
  }
  CheckPositive(config.connect_timeout_s, "connect_timeout_s");
  CheckPositive(config.services_timeout_s, "services_timeout_s");
  CheckPositive(config.call_timeout_s, "call_timeout_s");
  CheckPositive(config.discovery_timeout_s, "discovery_timeout_s");
  try {
    ReconnectBackoff check(config.backoff);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("BLE source config: backoff: ") + e.what());
  }
  return config;
}

}  // namespace ambi::transport
