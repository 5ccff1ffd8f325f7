#include "daemon/app/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace ambi::app {

void SystemdNotifier::Ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::Status(std::string_view status) {
  const std::string message = "STATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void SystemdNotifier::WatchdogPing() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogPingInterval() {
  std::uint64_t timeout_us = 0;
  if (sd_watchdog_enabled(0, &timeout_us) <= 0 || timeout_us == 0) return std::nullopt;
  return std::chrono::microseconds(timeout_us / 2);
}

}  // namespace ambi::app
