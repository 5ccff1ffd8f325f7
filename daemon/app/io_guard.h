#ifndef AMBI_DAEMON_APP_IO_GUARD_H_
#define AMBI_DAEMON_APP_IO_GUARD_H_

#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

#include "daemon/transport/asio.h"

namespace ambi::app {

// Logs, on one line, that the io handler 'name' threw 'what' and that the daemon goes on.
void LogEscapedException(std::string_view name, std::string_view what);

// Wraps an io handler so that an exception it throws is logged with 'name' instead of ending
// the io loop (and with it the daemon, which serves every athlete from that one thread). The
// work the handler did not finish is lost, so handlers that re-arm themselves do so first.
// 'name' must outlive the handler (a string literal).
template <typename Handler>
auto Guarded(std::string_view name, Handler handler) {
  return [name, handler = std::move(handler)](auto&&... args) mutable {
    try {
      handler(std::forward<decltype(args)>(args)...);
    } catch (const std::exception& e) {
      LogEscapedException(name, e.what());
    } catch (...) {
      LogEscapedException(name, "an exception that is not a std::exception");
    }
  };
}

// io.run() that goes on after a handler threw: the top-level guard for handlers that are not
// wrapped in Guarded (the transports' reads, replay steps). Asio lets run() be called again after
// an exception left it. Returns when 'io' runs out of work or is stopped.
void RunIoGuarded(asio::io_context& io);

// The same for at most 'duration' (io.run_for).
void RunIoGuardedFor(asio::io_context& io, std::chrono::milliseconds duration);

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_IO_GUARD_H_
