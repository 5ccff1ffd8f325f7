#ifndef AMBI_DAEMON_APP_DEVICE_SOURCES_H_
#define AMBI_DAEMON_APP_DEVICE_SOURCES_H_

#include <memory>

#include "daemon/app/athlete_registry.h"
#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"
#include "daemon/transport/byte_source.h"

namespace ambi::app {

// The transport of device 'device_index' of 'athlete' (serial or BLE, as its spec says), wired
// to the athlete's live session: bytes in, link lost and back. Not started. The athlete must
// outlive the source. 'ble_bus' is created on the first BLE device and shared by the others.
// Throws std::exception (naming the device) when the transport cannot be built.
std::unique_ptr<transport::ByteSource> MakeDeviceSource(
    asio::io_context& io, Athlete& athlete, int device_index,
    std::shared_ptr<transport::BleBus>* ble_bus);

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_DEVICE_SOURCES_H_
