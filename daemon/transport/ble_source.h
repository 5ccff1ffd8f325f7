#ifndef AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_
#define AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"
#include "daemon/transport/ble_witmotion_commands.h"
#include "daemon/transport/byte_source.h"
#include "daemon/transport/reconnect_backoff.h"

namespace ambi::daemon {

// The reconnect policy suited to BLE: 500 ms after a loss, doubling up to 10 s, reset after a
// connection that lived 10 s, 20 % jitter. Why slower than serial: BlueZ's Connect() itself
// already waits for the device (up to connect_timeout_s), so retrying faster than every half
// second gains nothing, and a sensor out of range costs one Connect() every 10 s at most.
ReconnectBackoffOptions BleReconnectBackoffOptions();

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

// A BLE GATT characteristic's notifications, through BlueZ on the system D-Bus, as a ByteSource.
// Each attempt: is the device known to BlueZ (its object in GetManagedObjects)? -> if not, LE
// discovery on the adapter until its InterfacesAdded (at most discovery_timeout_s) ->
// Device1.Connect() -> ServicesResolved (read, and watched) -> the characteristic looked up by
// UUID via ObjectManager -> StartNotify() -> optional rate command -> on_connected.
// Discovery is claimed from the BleBus, which starts it (SetDiscoveryFilter {Transport: "le"},
// StartDiscovery) for the first source of an adapter and stops it when the last one lets go; a
// source lets go as soon as its device appears (before Connect), on timeout, on any failure and
// on Stop. Connect() failing with UnknownObject/DoesNotExist (the device forgotten since the
// check) also leads to discovery, once per attempt. A failed or timed-out discovery ends the
// attempt like any other step, with last_error naming the address, the adapter and the reason.
// Every Value change of the characteristic then becomes on_bytes, in order, stamped when the
// D-Bus thread read it. Connected/ServicesResolved turning false, the device or characteristic
// removed, a failed call, a step timeout or a lost bus ends the attempt (on_lost if it had
// connected) and a new one starts after a backoff; nothing is cached across attempts.
//
// Every D-Bus call is asynchronous, so the io thread never waits for BlueZ. All state lives on
// the io thread; the D-Bus thread only decodes and posts. Callbacks run on 'io' (run by one
// thread). Not thread-safe: call on the io thread; destroy before 'io'.
class BleSource : public ByteSource {
 public:
  // Throws std::invalid_argument naming the bad field when 'config' is malformed (address,
  // adapter, UUID, rate not available on the model, timeouts not positive, inconsistent backoff).
  BleSource(asio::io_context& io, std::shared_ptr<BleBus> bus, BleSourceConfig config,
            ByteSourceCallbacks callbacks);
  // Stops; no callback runs afterwards.
  ~BleSource() override;
  BleSource(const BleSource&) = delete;
  BleSource& operator=(const BleSource&) = delete;

  void Start() override;
  // Cancels every pending step and turns notifications off on the device (best effort, not
  // waited for); no callback runs afterwards. Start() may be called again.
  void Stop() override;
  ByteSourceStats stats() const override;
  std::string transport() const override { return "ble"; }
  // The normalized address, "AA:BB:CC:DD:EE:FF".
  std::string address() const override;

 private:
  class Link;
  std::shared_ptr<Link> link_;
};

}  // namespace ambi::daemon

#endif  // AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_
