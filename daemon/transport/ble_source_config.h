#ifndef AMBI_DAEMON_TRANSPORT_BLE_SOURCE_CONFIG_H_
#define AMBI_DAEMON_TRANSPORT_BLE_SOURCE_CONFIG_H_

#include <cstdint>
#include <string>

#include "daemon/transport/ble_witmotion_commands.h"
#include "daemon/transport/reconnect_backoff.h"

namespace ambi::transport {

// The reconnect policy suited to BLE: 500 ms after a loss, doubling up to 10 s, reset after a
// connection that lived 10 s, 20 % jitter. Why slower than serial: BlueZ's Connect() itself
// already waits for the device (up to connect_timeout_s), so retrying faster than every half
// second gains nothing, and a sensor out of range costs one Connect() every 10 s at most.
ReconnectBackoffOptions BleReconnectBackoffOptions();

// One BLE device link: which device, which characteristics, and how long each step may take.
struct BleSourceConfig {
  std::string address;  // "AA:BB:CC:DD:EE:FF" (any case)
  std::string adapter = "hci0";
  // Matched on the 16-bit part (WitMotion's base UUID is not the SIG base).
  std::string notify_uuid = "0000ffe4-0000-1000-8000-00805f9a34fb";
  // Used only to send the rate command.
  std::string write_uuid = "0000ffe9-0000-1000-8000-00805f9a34fb";
  // Output rate written to the device after each connect; 0 keeps the device's own rate. A
  // failed rate write is reported in last_error but does not stop the stream.
  int rate_hz = 0;
  WitBleModel model = WitBleModel::kBt50;
  // Device1.Connect() may legitimately take long (BlueZ waits for an advertisement), so its
  // timeout is generous; the other steps are local to BlueZ and fast.
  double connect_timeout_s = 30.0;
  double services_timeout_s = 20.0;  // Connect() done -> ServicesResolved
  double call_timeout_s = 10.0;      // GetManagedObjects, StartNotify, WriteValue, Get
  // How long one attempt scans for a device BlueZ does not know yet. Sensors advertise every
  // 0.1-1 s, so a powered one in range shows up within seconds.
  double discovery_timeout_s = 20.0;
  ReconnectBackoffOptions backoff = BleReconnectBackoffOptions();
  // Seeds the backoff's jitter; 0 derives it from the address, so that devices lost together
  // (an adapter reset) do not retry in lockstep.
  std::uint64_t backoff_seed = 0;
};

// 'config' unchanged when it is usable. Throws std::invalid_argument naming the bad field when it
// is malformed (address, adapter, UUID, rate not available on the model, timeouts not positive,
// inconsistent backoff).
BleSourceConfig ValidatedBleSourceConfig(BleSourceConfig config);

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_SOURCE_CONFIG_H_
