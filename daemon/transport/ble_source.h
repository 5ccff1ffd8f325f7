#ifndef AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_
#define AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_

#include <memory>
#include <string>

#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"
#include "daemon/transport/ble_source_config.h"
#include "daemon/transport/byte_source.h"

namespace ambi::transport {

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
// The logic is BleLink's (ble_link.h, events in, actions out); this class only turns D-Bus
// replies and signals into its events and carries out its actions. Every D-Bus call is
// asynchronous, so the io thread never waits for BlueZ. All state lives on the io thread; the
// D-Bus thread only decodes and posts. Callbacks run on 'io' (run by one
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

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BLE_SOURCE_H_
