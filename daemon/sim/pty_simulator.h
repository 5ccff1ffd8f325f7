#ifndef AMBI_DAEMON_SIM_PTY_SIMULATOR_H_
#define AMBI_DAEMON_SIM_PTY_SIMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/sim/sim_athlete.h"
#include "fusion/core/placement.h"
#include "fusion/decode/protocol.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ambi::sim {

struct PtySimulatorOptions {
  // Where the stable device symlinks go: <link_dir>/ambi-sim-<athlete>-<placement>.
  std::string link_dir;
  // Playback speed: 1 is real time, 10 plays ten times faster (tests).
  double time_scale = 1.0;
  // The links go into a new folder of this simulator's own inside link_dir
  // (<link_dir>/ambi-sim.<pid>.XXXXXX, mode 0700), removed when it stops: two simulators on one
  // machine (two `ambid --simulate`) would otherwise replace each other's links and read each
  // other's pseudo-terminals. Off for ambi-sim-pty, whose links a separate ambid is configured
  // with by name.
  bool own_folder = false;
};

// $XDG_RUNTIME_DIR when set and a directory, else /tmp.
std::string DefaultSimLinkDir();

// Removes the link folders (own_folder) that simulators left in 'link_dir' when their process
// ended without stopping them (a crash): folders of this user named ambi-sim.<pid>.XXXXXX whose
// process no longer exists. Run by a simulator that makes its own folder there.
void RemoveFoldersOfEndedSimulators(const std::string& link_dir);

struct SimDeviceInfo {
  std::string athlete;
  fusion::Placement placement;
  fusion::Protocol protocol = fusion::Protocol::kWitMotionSerial;
  double rate_hz = 0.0;
  // Stable across replugs: configure the daemon's SerialSource with this path.
  std::string link_path;
  // The pseudo-terminal slave the link points at now (a new one after each replug).
  std::string slave_path;
  bool plugged = true;
};

struct SimDeviceStats {
  std::uint64_t cycles_written = 0;  // output cycles handed to the pseudo-terminal
  // Cycles nobody received: no reader had the tty open, unplugged, the reader stalled (the
  // pty buffer was full), or the simulator fell more than a second behind. A real device's bytes
  // are lost the same way.
  std::uint64_t cycles_dropped = 0;
  std::uint64_t cycles_stalled = 0;  // of those written, cycles held back by Stall()
  std::uint64_t bytes_written = 0;
  std::uint64_t bytes_from_host = 0;  // what the reader wrote (e.g. WitMotion setup commands)
  int sets_started = 0;
  double true_time_s = 0.0;  // true time of the last cycle produced
  bool finished = false;     // a non-looping athlete's set is over
};

// Simulated sensors behind pseudo-terminals, so the daemon reads them through its real serial
// path. Each device owns a pty pair in raw mode and a stable symlink to its slave; an Asio timer
// writes each output cycle of sim::DeviceByteStream into the master when the cycle's true time
// comes (scheduled from the start time, so it does not drift). Left and right of an athlete come
// from the same SetSequence. Unplug() closes the master (the reader gets end of file or EIO) and
// removes the symlink (ENOENT), as udev does; Replug() opens a new pair and links it again.
// Time goes on while a device is unplugged, as the athlete keeps moving.
//
// Lifetime: handlers share each device's state and check a stopped flag; Stop() (also run by the
// destructor) closes every pty, removes the symlinks, and no write happens afterwards.
// Not thread-safe: call on the io_context's thread.
class PtySimulator {
 public:
  PtySimulator(boost::asio::io_context& io, PtySimulatorOptions options);
  ~PtySimulator();

  PtySimulator(const PtySimulator&) = delete;
  PtySimulator& operator=(const PtySimulator&) = delete;

  // Creates the athlete's left and right devices (their ptys and symlinks exist on return) and
  // returns their indices, left first. Throws std::invalid_argument for an invalid athlete or a
  // name already used, std::runtime_error / std::system_error when a pty or symlink fails.
  std::vector<std::size_t> AddAthlete(const SimAthlete& athlete);
  // The folder the links are in (link_dir, or the simulator's own folder in it).
  const std::string& link_folder() const { return options_.link_dir; }

  // Starts every device's clock at the same instant. Once only.
  void Start();
  // Stops writing, closes the ptys and removes the symlinks. Final.
  void Stop();

  // Simulates pulling the cable / re-seating it. Out-of-range indices throw std::out_of_range.
  void Unplug(std::size_t device);
  void Replug(std::size_t device);
  // Simulates a delivery stall (a USB hub or BLE link holding data back, a starved host): the
  // device's output cycles due in the next 'seconds' (real time) are held and then written at
  // once, none lost. Out-of-range indices throw std::out_of_range.
  void Stall(std::size_t device, double seconds);

  std::size_t device_count() const;
  SimDeviceInfo device(std::size_t index) const;
  SimDeviceStats device_stats(std::size_t index) const;
  std::optional<std::size_t> FindDevice(std::string_view athlete,
                                        fusion::Placement placement) const;

 private:
  struct Athlete;
  struct Device;

  boost::asio::io_context& io_;
  PtySimulatorOptions options_;
  std::vector<std::shared_ptr<Device>> devices_;
  std::vector<std::string> athlete_names_;
  bool started_ = false;
  bool stopped_ = false;
  bool folder_made_ = false;  // options_.link_dir is the simulator's own: removed at Stop()
};

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_PTY_SIMULATOR_H_
