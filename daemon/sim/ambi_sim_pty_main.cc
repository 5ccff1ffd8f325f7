// ambi-sim-pty: simulated sensors behind pseudo-terminals, for a separately started ambid.
// Prints one line per device (athlete, placement, stable symlink, current pty) and runs until
// SIGINT or SIGTERM, then removes its symlinks.

#include <CLI/CLI.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sim/demo_roster.h"
#include "daemon/sim/presets.h"
#include "daemon/sim/pty_simulator.h"
#include "daemon/sim/session_spec.h"
#include "daemon/transport/asio.h"

namespace {

using ambi::sim::PtySimulator;
using ambi::sim::SimAthlete;

int Run(int argc, char** argv) {
  CLI::App app{"Simulated IMU sensors on pseudo-terminals (WitMotion serial bytes, paced)."};
  std::string preset;
  std::string athlete_name = "sim";
  std::string link_dir = ambi::sim::DefaultSimLinkDir();
  double time_scale = 1.0;
  bool once = false;
  bool list_presets = false;
  double faulty_gyro_deg_s = 0.0;
  app.add_option("--preset", preset,
                 "an ambi-sim preset for one athlete (default: the demo roster alice + bob)");
  app.add_option("--athlete", athlete_name, "athlete name with --preset")->capture_default_str();
  app.add_option("--link-dir", link_dir, "where the ambi-sim-<athlete>-<placement> symlinks go")
      ->capture_default_str();
  app.add_option("--time-scale", time_scale,
                 "playback speed, 1 = real time; any other speed shrinks or stretches every angle "
                 "and tempo for a reader that times samples by their arrival, as ambid does")
      ->capture_default_str();
  app.add_flag("--once", once, "with --preset: play the set once instead of looping");
  app.add_option("--faulty-gyro-deg-s", faulty_gyro_deg_s,
                 "the first athlete's left sensor reads this gyro offset (deg/s): above 11.5 a raw "
                 "part the daemon cannot calibrate, which it names (tests of clients that show a "
                 "sensor to check)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--list-presets", list_presets, "list the presets and exit");
  CLI11_PARSE(app, argc, argv);

  if (list_presets) {
    for (const auto& info : ambi::sim::Presets()) {
      std::cout << info.name << "\t" << info.description << "\n";
    }
    return 0;
  }

  std::vector<SimAthlete> athletes;
  if (preset.empty()) {
    athletes = ambi::sim::DemoRoster();
  } else {
    std::optional<SimAthlete> athlete = ambi::sim::AthleteFromPreset(athlete_name, preset, !once);
    if (!athlete) {
      std::cerr << "ambi-sim-pty: unknown preset '" << preset << "' (see --list-presets)\n";
      return 2;
    }
    athletes.push_back(std::move(*athlete));
  }

  if (faulty_gyro_deg_s > 0.0 && !athletes.empty()) {
    athletes.front().session.left.noise.gyro_bias_rad_s =
        ambi::sim::GyroBiasAlong({0.6, -0.5, 0.62}, faulty_gyro_deg_s * std::numbers::pi / 180.0);
  }

  ambi::asio::io_context io;
  PtySimulator simulator(io, {link_dir, time_scale});
  for (const SimAthlete& athlete : athletes) simulator.AddAthlete(athlete);
  for (std::size_t i = 0; i < simulator.device_count(); ++i) {
    const ambi::sim::SimDeviceInfo info = simulator.device(i);
    std::cout << info.athlete << " " << ambi::fusion::ToString(info.placement) << " "
              << info.link_path << " -> " << info.slave_path << " "
              << ambi::fusion::ToString(info.protocol) << " " << info.rate_hz << " Hz\n";
  }
  std::cout.flush();

  // Pulling a cable on demand (tests of clients that show sensors lost and back): SIGUSR1
  // unplugs the first device listed, SIGUSR2 plugs it in again.
  ambi::asio::signal_set plug_signals(io, SIGUSR1, SIGUSR2);
  ambi::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int /*signal*/) {
    if (error) return;
    simulator.Stop();
    plug_signals.cancel();
  });
  std::function<void(const boost::system::error_code&, int)> on_plug_signal =
      [&](const boost::system::error_code& error, int signal) {
        if (error) return;
        if (signal == SIGUSR1) simulator.Unplug(0);
        if (signal == SIGUSR2) simulator.Replug(0);
        plug_signals.async_wait(on_plug_signal);
      };
  plug_signals.async_wait(on_plug_signal);
  simulator.Start();
  io.run();  // returns once Stop() cancelled the timers
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "ambi-sim-pty: " << error.what() << "\n";
    return 1;
  }
}
