#ifndef AMBI_DAEMON_APP_SYSTEMD_NOTIFIER_H_
#define AMBI_DAEMON_APP_SYSTEMD_NOTIFIER_H_

#include <chrono>
#include <optional>
#include <string_view>

namespace ambi::app {

// The service manager's side channel (Type=notify): readiness, status text, watchdog pings,
// stopping. Every call is a no-op when the daemon was not started by systemd (no NOTIFY_SOCKET),
// so the same binary runs by hand, in tests and under systemd.
class SystemdNotifier {
 public:
  void Ready(std::string_view status);
  void Status(std::string_view status);
  void Stopping();
  void WatchdogPing();
  // Half the watchdog timeout systemd set (WatchdogSec=), the usual ping interval; empty when
  // the watchdog is off.
  static std::optional<std::chrono::microseconds> WatchdogPingInterval();
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_SYSTEMD_NOTIFIER_H_
