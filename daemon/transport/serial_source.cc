#include "daemon/transport/serial_source.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

#include "daemon/transport/asio.h"

namespace ambi::transport {
namespace {

// Standard termios rates in the range the supported devices use (PROTOCOLS.md: 2400-921600).
constexpr std::array<unsigned, 10> kSupportedBauds = {2400,  4800,   9600,   19200,  38400,
                                                      57600, 115200, 230400, 460800, 921600};

void ValidateOptions(const SerialSourceOptions& options) {
  if (options.path.empty()) throw std::invalid_argument("serial source: empty tty path");
  if (std::find(kSupportedBauds.begin(), kSupportedBauds.end(), options.baud) ==
      kSupportedBauds.end()) {
    throw std::invalid_argument("serial source " + options.path + ": baud " +
                                std::to_string(options.baud) +
                                " is not a standard rate (2400, 4800, 9600, 19200, 38400, 57600, "
                                "115200, 230400, 460800, 921600)");
  }
  if (options.read_buffer_bytes == 0) {
    throw std::invalid_argument("serial source " + options.path +
                                ": read_buffer_bytes must be > 0");
  }
}

}  // namespace

// Everything the asynchronous handlers touch. Each handler holds a shared_ptr to it and the
// 'epoch' it was started in; Stop() and every close bump the epoch, so a handler of a closed
// connection or a stopped source returns without touching callbacks.
struct SerialSource::State : std::enable_shared_from_this<SerialSource::State> {
  State(asio::io_context& io, SerialSourceOptions source_options, ByteSourceCallbacks cbs)
      : options(std::move(source_options)),
        callbacks(std::move(cbs)),
        port(io),
        retry_timer(io),
        command_timer(io),
        read_buffer(options.read_buffer_bytes),
        backoff(options.backoff, options.backoff_seed) {
    if (options.witmotion) commands = WitMotionSetupCommands(*options.witmotion);
    stats.state = ByteSourceState::kStopped;
  }

  void Start();
  void Stop();
  void TryOpen();
  void ScheduleRetry();
  void StartRead();
  void OnRead(std::uint64_t started_epoch, const boost::system::error_code& error,
              std::size_t size);
  void SendNextCommand(std::uint64_t started_epoch);
  void HandleLoss(const std::string& reason);
  void ClosePort();
  bool Current(std::uint64_t started_epoch) const { return running && started_epoch == epoch; }
  std::string ConnectedDetail() const;

  SerialSourceOptions options;
  ByteSourceCallbacks callbacks;
  std::vector<WitMotionCommand> commands;
  asio::serial_port port;
  asio::steady_timer retry_timer;
  asio::steady_timer command_timer;
  std::vector<std::uint8_t> read_buffer;
  ReconnectBackoff backoff;
  ByteSourceStats stats;
  bool running = false;
  bool ever_connected = false;
  std::uint64_t epoch = 0;
  std::size_t next_command = 0;
};

void SerialSource::State::Start() {
  if (running) return;
  running = true;
  ++epoch;
  stats.state = ByteSourceState::kConnecting;
  backoff.Reset();
  // Posted, so that no callback runs inside Start().
  asio::post(port.get_executor(), [self = shared_from_this(), started_epoch = epoch] {
    if (self->Current(started_epoch)) self->TryOpen();
  });
}

void SerialSource::State::Stop() {
  running = false;
  ++epoch;
  retry_timer.cancel();
  command_timer.cancel();
  boost::system::error_code ignored;
  port.close(ignored);
  stats.state = ByteSourceState::kStopped;
}

void SerialSource::State::ClosePort() {
  ++epoch;
  command_timer.cancel();
  boost::system::error_code ignored;
  port.close(ignored);
}

void SerialSource::State::TryOpen() {
  boost::system::error_code error;
  port.open(options.path, error);
  if (error) {
    stats.last_error = "cannot open " + options.path + ": " + error.message();
    ScheduleRetry();
    return;
  }
  using Base = asio::serial_port_base;
  port.set_option(Base::baud_rate(options.baud), error);
  if (!error) port.set_option(Base::character_size(8), error);
  if (!error) port.set_option(Base::parity(Base::parity::none), error);
  if (!error) port.set_option(Base::stop_bits(Base::stop_bits::one), error);
  if (!error) port.set_option(Base::flow_control(Base::flow_control::none), error);
  if (error) {
    stats.last_error = "cannot set " + std::to_string(options.baud) + " baud 8N1 on " +
                       options.path + ": " + error.message();
    ClosePort();
    ScheduleRetry();
    return;
  }

  const std::uint64_t connection_epoch = epoch;
  stats.state = ByteSourceState::kConnected;
  if (ever_connected) ++stats.reconnects;
  ever_connected = true;
  const SteadyTime now = std::chrono::steady_clock::now();
  backoff.OnConnected(now);
  if (callbacks.on_connected) callbacks.on_connected(now, ConnectedDetail());
  if (!Current(connection_epoch)) return;  // the callback stopped us
  StartRead();
  next_command = 0;
  SendNextCommand(connection_epoch);
}

std::string SerialSource::State::ConnectedDetail() const {
  std::string detail = "serial " + options.path + " at " + std::to_string(options.baud) + " baud";
  if (options.witmotion) {
    detail += ", WitMotion setup " + std::to_string(options.witmotion->rate_hz) + " Hz" +
              (options.witmotion->with_mag ? " with mag" : "");
  }
  return detail;
}

void SerialSource::State::ScheduleRetry() {
  stats.state = ByteSourceState::kConnecting;
  retry_timer.expires_after(backoff.NextDelay());
  retry_timer.async_wait(
      [self = shared_from_this(), started_epoch = epoch](const boost::system::error_code& error) {
        if (error || !self->Current(started_epoch)) return;
        self->TryOpen();
      });
}

void SerialSource::State::StartRead() {
  port.async_read_some(asio::buffer(read_buffer),
                       [self = shared_from_this(), started_epoch = epoch](
                           const boost::system::error_code& error, std::size_t size) {
                         self->OnRead(started_epoch, error, size);
                       });
}

void SerialSource::State::OnRead(std::uint64_t started_epoch,
                                 const boost::system::error_code& error, std::size_t size) {
  if (!Current(started_epoch)) return;
  if (size > 0) {
    stats.bytes += size;
    if (callbacks.on_bytes) {
      callbacks.on_bytes(std::chrono::steady_clock::now(),
                         std::span<const std::uint8_t>(read_buffer.data(), size));
    }
    if (!Current(started_epoch)) return;
  }
  if (error) {
    // A pseudo-terminal whose master closed reads as end of file or EIO; a vanished USB tty as
    // EIO or ENODEV. All mean the device is gone.
    HandleLoss("read from " + options.path + " failed: " + error.message());
    return;
  }
  StartRead();
}

void SerialSource::State::SendNextCommand(std::uint64_t started_epoch) {
  if (next_command >= commands.size()) return;
  asio::async_write(port, asio::buffer(commands[next_command]),
                    [self = shared_from_this(), started_epoch](
                        const boost::system::error_code& error, std::size_t /*written*/) {
                      if (!self->Current(started_epoch)) return;
                      if (error) {
                        self->HandleLoss("write of a WitMotion command to " + self->options.path +
                                         " failed: " + error.message());
                        return;
                      }
                      if (++self->next_command >= self->commands.size()) return;
                      self->command_timer.expires_after(self->options.witmotion->command_gap);
                      self->command_timer.async_wait(
                          [self, started_epoch](const boost::system::error_code& timer_error) {
                            if (timer_error || !self->Current(started_epoch)) return;
                            self->SendNextCommand(started_epoch);
                          });
                    });
}

void SerialSource::State::HandleLoss(const std::string& reason) {
  ClosePort();
  stats.state = ByteSourceState::kConnecting;
  stats.last_error = reason;
  const SteadyTime now = std::chrono::steady_clock::now();
  backoff.OnLost(now);
  const std::uint64_t lost_epoch = epoch;
  if (callbacks.on_lost) callbacks.on_lost(now, reason);
  if (!Current(lost_epoch)) return;  // the callback stopped (or restarted) us
  ScheduleRetry();
}

SerialSource::SerialSource(asio::io_context& io, SerialSourceOptions options,
                           ByteSourceCallbacks callbacks) {
  ValidateOptions(options);
  state_ = std::make_shared<State>(io, std::move(options), std::move(callbacks));
}

SerialSource::~SerialSource() { state_->Stop(); }

void SerialSource::Start() { state_->Start(); }

void SerialSource::Stop() { state_->Stop(); }

ByteSourceStats SerialSource::stats() const { return state_->stats; }

std::string SerialSource::address() const { return state_->options.path; }

}  // namespace ambi::transport
