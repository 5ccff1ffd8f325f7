#ifndef AMBI_DAEMON_TRANSPORT_BYTE_SOURCE_H_
#define AMBI_DAEMON_TRANSPORT_BYTE_SOURCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace ambi::transport {

using SteadyTime = std::chrono::steady_clock::time_point;

// What a transport tells its owner. Every callback runs on the io_context thread the source was
// created with, never concurrently, so the owner (a session pipeline) needs no locking.
struct ByteSourceCallbacks {
  // Bytes exactly as received, stamped when they arrived. The span is valid during the call only.
  std::function<void(SteadyTime arrival, std::span<const std::uint8_t> bytes)> on_bytes;
  // The device is (again) delivering; 'detail' says how it was reached, for logs.
  std::function<void(SteadyTime time, const std::string& detail)> on_connected;
  // The device went away (unplugged, out of range, read error); the source retries by itself.
  std::function<void(SteadyTime time, const std::string& reason)> on_lost;
};

enum class ByteSourceState { kConnecting, kConnected, kStopped };

// Counters of one transport, for device listings.
struct ByteSourceStats {
  ByteSourceState state = ByteSourceState::kConnecting;
  std::uint64_t bytes = 0;
  std::uint32_t reconnects = 0;  // successful connections after the first
  std::string last_error;        // empty when none yet
};

// A device link that produces bytes: a serial port, a BLE characteristic, a capture file. Starts
// idle; Start() connects (and keeps reconnecting with backoff); Stop() closes and cancels every
// pending operation, after which no callback runs. Not thread-safe: call on the io thread.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
  virtual ByteSourceStats stats() const = 0;
  // "serial", "ble", "replay"
  virtual std::string transport() const = 0;
  // tty path, BLE address, file
  virtual std::string address() const = 0;
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_BYTE_SOURCE_H_
