#include "daemon/app/io_guard.h"

#include <spdlog/spdlog.h>

#include "daemon/config/safe_name.h"

namespace ambi::app {
namespace {

// Unnamed: an exception that left a handler no Guarded wrapper names.
constexpr std::string_view kUnnamed = "(unnamed: a transport or replay step)";

template <typename Run>
void RunCatching(Run run) {
  while (true) {
    try {
      run();
      return;
    } catch (const std::exception& e) {
      LogEscapedException(kUnnamed, e.what());
    } catch (...) {
      LogEscapedException(kUnnamed, "an exception that is not a std::exception");
    }
  }
}

}  // namespace

void LogEscapedException(std::string_view name, std::string_view what) {
  // 'what' may quote outside input (a path, a name): shown escaped so it stays one line.
  spdlog::error("io handler {} threw: {}; the daemon goes on", name,
                config::EscapeForMessage(what, 400));
}

void RunIoGuarded(asio::io_context& io) {
  RunCatching([&io] { io.run(); });
}

void RunIoGuardedFor(asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  RunCatching([&io, deadline] { io.run_until(deadline); });
}

}  // namespace ambi::app
