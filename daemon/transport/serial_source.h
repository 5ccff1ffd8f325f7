#ifndef AMBI_DAEMON_TRANSPORT_SERIAL_SOURCE_H_
#define AMBI_DAEMON_TRANSPORT_SERIAL_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon/transport/byte_source.h"
#include "daemon/transport/reconnect_backoff.h"
#include "daemon/transport/witmotion_commands.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ambi::transport {

struct SerialSourceOptions {
  // The tty: "/dev/ttyUSB0", a udev symlink such as "/dev/serial/by-id/...", or the stable
  // symlink of a simulated device. Opened again by name on every reconnect.
  std::string path;
  // 8 data bits, no parity, 1 stop bit, no flow control are fixed (all supported devices).
  unsigned baud = 115200;
  // Configure a WitMotion device after each connect; nullopt sends nothing.
  std::optional<WitMotionSetup> witmotion;
  ReconnectBackoffOptions backoff;
  std::uint64_t backoff_seed = 1;  // jitter; give each device its own
  std::size_t read_buffer_bytes = 4096;
};

// A serial device as a ByteSource. Opens 'path' (termios 8N1 at 'baud', no flow control),
// optionally configures a WitMotion device, then reads continuously: every completed read is
// passed on as it came, stamped with steady_clock::now(); the bytes are never interpreted (a
// decoder downstream resynchronises on garbage).
//
// A read error or end of file (the USB adapter vanished, a pseudo-terminal's master closed) closes
// the port, reports on_lost and retries with ReconnectBackoff; a failed open (ENOENT while
// unplugged, EACCES, ...) retries likewise and leaves the reason, with the path, in
// stats().last_error. "Connected" means the tty opened and accepted its settings: a tty cannot
// tell whether a device is talking until bytes arrive.
//
// Lifetime: the asynchronous handlers share the state with this object and check a stopped flag,
// so Stop() (also run by the destructor) guarantees no callback runs afterwards, and the object may
// be destroyed right after Stop() even while operations are still queued on the io_context
// (they complete as cancelled and release the state). A callback may call Stop().
// Not thread-safe: construct, call and destroy on the io_context's thread.
class SerialSource : public ByteSource {
 public:
  // Throws std::invalid_argument naming the option when 'options' is unusable.
  SerialSource(boost::asio::io_context& io, SerialSourceOptions options,
               ByteSourceCallbacks callbacks);
  ~SerialSource() override;

  SerialSource(const SerialSource&) = delete;
  SerialSource& operator=(const SerialSource&) = delete;

  void Start() override;
  void Stop() override;
  ByteSourceStats stats() const override;
  std::string transport() const override { return "serial"; }
  std::string address() const override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ambi::transport

#endif  // AMBI_DAEMON_TRANSPORT_SERIAL_SOURCE_H_
