#include "daemon/sim/pty_simulator.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/pty_pair.h"
#include "daemon/sim/set_sequence.h"
#include "daemon/transport/asio.h"
#include "daemon/transport/byte_source.h"

namespace ambi::sim {
namespace {

// Cycles due more than this long ago are dropped instead of sent in a burst: after the process
// stalled, a real device would not have buffered them either.
constexpr std::chrono::seconds kMaxLag{1};
// Bytes per write when catching up (many cycles due at once at a high time scale).
constexpr std::size_t kMaxBatchBytes = 8192;
// Sets an athlete keeps planned; its two devices are never more than one set apart.
constexpr std::size_t kSetsKept = 3;
// A simulator's own link folder is <link_dir>/ambi-sim.<pid>.XXXXXX (mkdtemp fills the Xs).
constexpr std::string_view kLinkFolderPrefix = "ambi-sim.";
constexpr std::string_view kLinkFolderUnique = "XXXXXX";

// The process has ended: no such pid, or a zombie its parent has not reaped yet (a crashed
// daemon under a supervisor that waits late still holds its pid, though it holds no links).
bool ProcessHasEnded(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(stat_file, stat);
  // "pid (comm) S ...": the state follows the last ')', since comm may itself hold ") ".
  const std::size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos || comm_end + 2 >= stat.size()) return false;
  const char state = stat[comm_end + 2];
  return state == 'Z' || state == 'X';
}

}  // namespace

void RemoveFoldersOfEndedSimulators(const std::string& link_dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(link_dir, error)) {
    // ambi-sim.<pid>.XXXXXX: a real folder of this user whose process is gone.
    const std::string name = entry.path().filename().string();
    const std::size_t prefix = kLinkFolderPrefix.size();
    const std::size_t dot = name.find('.', prefix);
    if (!name.starts_with(kLinkFolderPrefix) || dot == std::string::npos || dot == prefix ||
        name.size() != dot + 1 + kLinkFolderUnique.size()) {
      continue;
    }
    const std::string digits = name.substr(prefix, dot - prefix);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    struct stat info {};
    if (::lstat(entry.path().c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
        info.st_uid != ::geteuid()) {
      continue;
    }
    if (pid == ::getpid() || !ProcessHasEnded(pid)) continue;
    // Its dangling links (remove_all removes links, never what they point at), then itself.
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}

std::string DefaultSimLinkDir() {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  std::error_code error;
  if (runtime_dir != nullptr && *runtime_dir != '\0' &&
      std::filesystem::is_directory(runtime_dir, error)) {
    return runtime_dir;
  }
  return "/tmp";
}

// The sets of one athlete, shared by its devices so that both sides play the same plan.
struct PtySimulator::Athlete {
  explicit Athlete(const SimAthlete& config) : sequence(config) {}

  // The set with 'index', planning it when it is the next one; nullptr when there is none.
  std::shared_ptr<const SimSet> SetAt(int index) {
    while (!finished && (sets.empty() || sets.back()->index < index)) {
      std::shared_ptr<const SimSet> next = sequence.Next();
      if (!next) {
        finished = true;
        break;
      }
      sets.push_back(std::move(next));
      if (sets.size() > kSetsKept) sets.pop_front();
    }
    for (const auto& set : sets) {
      if (set->index == index) return set;
    }
    return nullptr;
  }

  SetSequence sequence;
  std::deque<std::shared_ptr<const SimSet>> sets;
  bool finished = false;
};

// One simulated sensor. Handlers hold a shared_ptr and the epochs they started in: 'epoch' changes
// on Stop, 'plug_epoch' on every unplug and replug, so a handler of a closed pty does nothing.
struct PtySimulator::Device : std::enable_shared_from_this<PtySimulator::Device> {
  Device(asio::io_context& io, std::shared_ptr<Athlete> owner, fusion::Side device_side,
         std::string link, double scale)
      : athlete(std::move(owner)),
        side(device_side),
        link_path(std::move(link)),
        master(io),
        timer(io),
        time_scale(scale) {}

  void OpenPty();
  void Start(transport::SteadyTime start);
  void Stop();
  void Unplug();
  void RemoveLink();
  void Replug();
  void Stall(double seconds);
  bool AdvanceCycle();
  transport::SteadyTime DueTime(double true_time_s) const;
  void Schedule();
  void OnTimer();
  void Drain();
  const SimAthlete& config() const { return athlete->sequence.athlete(); }

  std::shared_ptr<Athlete> athlete;
  fusion::Side side;
  std::string link_path;
  std::string slave_path;
  asio::posix::stream_descriptor master;
  asio::steady_timer timer;
  double time_scale;
  transport::SteadyTime start_time{};

  std::shared_ptr<const SimSet> set;
  std::unique_ptr<sim::DeviceByteStream> stream;
  std::vector<std::uint8_t> cycle_bytes;
  double cycle_true_s = 0.0;
  bool has_cycle = false;

  std::vector<std::uint8_t> batch;
  std::vector<std::uint8_t> write_buffer;
  bool writing = false;
  std::array<std::uint8_t, 256> drain_buffer{};
  bool draining = false;

  // Stall(): cycles due before held_until are kept in 'held' and written when it has passed.
  transport::SteadyTime held_until{};
  std::vector<std::uint8_t> held;
  std::uint64_t held_cycles = 0;

  bool plugged = false;
  bool running = false;
  std::uint64_t epoch = 0;
  std::uint64_t plug_epoch = 0;
  SimDeviceStats stats;
};

void PtySimulator::Device::OpenPty() {
  RawPty pty = OpenRawPty();
  master.assign(pty.master_fd);
  try {
    PointSymlinkAtomically(link_path, pty.slave_path);
  } catch (...) {
    boost::system::error_code ignored;
    master.close(ignored);
    throw;
  }
  slave_path = std::move(pty.slave_path);
  plugged = true;
  ++plug_epoch;
}

void PtySimulator::Device::Start(transport::SteadyTime start) {
  start_time = start;
  running = true;
  has_cycle = AdvanceCycle();
  Schedule();
}

void PtySimulator::Device::Stop() {
  running = false;
  ++epoch;
  ++plug_epoch;
  plugged = false;
  timer.cancel();
  boost::system::error_code ignored;
  master.close(ignored);
  RemoveLink();
}

void PtySimulator::Device::RemoveLink() {
  std::error_code ignored;
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(link_path, ignored))) {
    std::filesystem::remove(link_path, ignored);
  }
}

void PtySimulator::Device::Unplug() {
  if (!plugged) return;
  plugged = false;
  ++plug_epoch;
  held.clear();  // bytes held back in the cable are gone with it
  held_cycles = 0;
  writing = false;
  draining = false;
  boost::system::error_code ignored;
  master.close(ignored);
  // As udev removes a /dev/serial/by-id link on unplug. A dangling link would be worse than
  // untidy: the kernel reuses the freed pts number for the next pty anyone opens, and a reader
  // retrying the link would read that stranger's bytes.
  RemoveLink();
}

void PtySimulator::Device::Stall(double seconds) {
  held_until = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<transport::SteadyTime::duration>(
                   std::chrono::duration<double>(seconds));
}

void PtySimulator::Device::Replug() {
  if (plugged) return;
  writing = false;
  draining = false;
  OpenPty();
}

bool PtySimulator::Device::AdvanceCycle() {
  while (true) {
    double stream_time_s = 0.0;
    if (stream && stream->Next(&cycle_bytes, &stream_time_s)) {
      cycle_true_s = set->start_s + stream_time_s;
      return true;
    }
    std::shared_ptr<const SimSet> next = athlete->SetAt(set ? set->index + 1 : 0);
    if (!next) {
      stream.reset();
      stats.finished = true;
      return false;
    }
    set = std::move(next);
    stream = std::make_unique<sim::DeviceByteStream>(set->spec, set->plan, side, config().protocol,
                                                     config().witmotion);
    ++stats.sets_started;
  }
}

transport::SteadyTime PtySimulator::Device::DueTime(double true_time_s) const {
  return start_time + std::chrono::duration_cast<transport::SteadyTime::duration>(
                          std::chrono::duration<double>(true_time_s / time_scale));
}

void PtySimulator::Device::Schedule() {
  if (!has_cycle || !running) return;
  timer.expires_at(DueTime(cycle_true_s));
  timer.async_wait(
      [self = shared_from_this(), started_epoch = epoch](const boost::system::error_code& error) {
        if (error || !self->running || started_epoch != self->epoch) return;
        self->OnTimer();
      });
}

void PtySimulator::Device::OnTimer() {
  const transport::SteadyTime now = std::chrono::steady_clock::now();
  // Bytes of a device nobody listens to are lost, as on a UART; writing them anyway would queue
  // stale samples in the pty for the next reader.
  const bool listened = plugged && PtySlaveIsOpen(master.native_handle());
  batch.clear();
  std::uint64_t batch_cycles = 0;
  const bool stalled = now < held_until;
  if (!stalled && !held.empty() && listened && !writing) {
    batch.swap(held);  // the stall is over: everything held goes out at once, first
    batch_cycles = held_cycles;
    stats.cycles_stalled += held_cycles;
    held.clear();
    held_cycles = 0;
  }
  while (has_cycle && DueTime(cycle_true_s) <= now && batch.size() < kMaxBatchBytes) {
    stats.true_time_s = cycle_true_s;
    if (listened && (stalled || !held.empty())) {
      held.insert(held.end(), cycle_bytes.begin(), cycle_bytes.end());
      ++held_cycles;
    } else if (listened && !writing && now - DueTime(cycle_true_s) <= kMaxLag) {
      batch.insert(batch.end(), cycle_bytes.begin(), cycle_bytes.end());
      ++batch_cycles;
    } else {
      ++stats.cycles_dropped;
    }
    has_cycle = AdvanceCycle();
  }
  if (!batch.empty()) {
    write_buffer.swap(batch);
    writing = true;
    asio::async_write(master, asio::buffer(write_buffer),
                      [self = shared_from_this(), started = plug_epoch, batch_cycles](
                          const boost::system::error_code& error, std::size_t written) {
                        if (started != self->plug_epoch) return;
                        self->writing = false;
                        if (error) {
                          self->stats.cycles_dropped += batch_cycles;
                          return;
                        }
                        self->stats.cycles_written += batch_cycles;
                        self->stats.bytes_written += written;
                      });
  }
  if (listened && !draining) Drain();
  Schedule();
}

// Reads what the host writes (WitMotion setup commands), so it never fills the pty buffer.
// Stops at the first error (EIO once the reader closed); the next cycle with a reader restarts it.
void PtySimulator::Device::Drain() {
  draining = true;
  master.async_read_some(asio::buffer(drain_buffer),
                         [self = shared_from_this(), started = plug_epoch](
                             const boost::system::error_code& error, std::size_t size) {
                           if (started != self->plug_epoch) return;
                           self->stats.bytes_from_host += size;
                           if (error || !self->running) {
                             self->draining = false;
                             return;
                           }
                           self->Drain();
                         });
}

PtySimulator::PtySimulator(asio::io_context& io, PtySimulatorOptions options)
    : io_(io), options_(std::move(options)) {
  if (options_.link_dir.empty()) options_.link_dir = DefaultSimLinkDir();
  if (!(options_.time_scale > 0.0 && options_.time_scale <= 1e6)) {
    throw std::invalid_argument("pty simulator: time_scale " + std::to_string(options_.time_scale) +
                                " must be in (0, 1e6]");
  }
  std::error_code error;
  if (!std::filesystem::is_directory(options_.link_dir, error)) {
    throw std::invalid_argument("pty simulator: link_dir " + options_.link_dir +
                                " is not a directory");
  }
  if (options_.own_folder) {
    RemoveFoldersOfEndedSimulators(options_.link_dir);
    // mkdtemp: a new name no one else holds, mode 0700, even in a shared /tmp. The pid in it
    // tells a later simulator whether this one still runs.
    std::string folder = (std::filesystem::path(options_.link_dir) /
                          (std::string(kLinkFolderPrefix) + std::to_string(::getpid()) + "." +
                           std::string(kLinkFolderUnique)))
                             .string();
    if (::mkdtemp(folder.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(),
                              "pty simulator: cannot make a link folder in " + options_.link_dir);
    }
    options_.link_dir = std::move(folder);
    folder_made_ = true;
  }
}

PtySimulator::~PtySimulator() { Stop(); }

std::vector<std::size_t> PtySimulator::AddAthlete(const SimAthlete& athlete) {
  if (stopped_) throw std::logic_error("pty simulator: AddAthlete after Stop");
  const std::string error = Validate(athlete);
  if (!error.empty()) throw std::invalid_argument(error);
  if (std::find(athlete_names_.begin(), athlete_names_.end(), athlete.name) !=
      athlete_names_.end()) {
    throw std::invalid_argument("pty simulator: athlete '" + athlete.name + "' added twice");
  }
  auto shared = std::make_shared<Athlete>(athlete);
  const fusion::Limb limb = sim::LimbOf(athlete.session.exercise);
  std::vector<std::size_t> indices;
  for (const fusion::Side side : {fusion::Side::kLeft, fusion::Side::kRight}) {
    const fusion::Placement placement{side, limb};
    const std::string link = (std::filesystem::path(options_.link_dir) /
                              ("ambi-sim-" + athlete.name + "-" + std::string(ToString(placement))))
                                 .string();
    auto device = std::make_shared<Device>(io_, shared, side, link, options_.time_scale);
    device->OpenPty();
    indices.push_back(devices_.size());
    devices_.push_back(device);
    if (started_) device->Start(std::chrono::steady_clock::now());
  }
  athlete_names_.push_back(athlete.name);
  return indices;
}

void PtySimulator::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  const transport::SteadyTime start = std::chrono::steady_clock::now();
  for (const auto& device : devices_) device->Start(start);
}

void PtySimulator::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (const auto& device : devices_) device->Stop();
  if (folder_made_) {
    // Empty now that every link is gone; a folder someone put other files in stays.
    std::error_code ignored;
    std::filesystem::remove(options_.link_dir, ignored);
  }
}

void PtySimulator::Unplug(std::size_t device) {
  if (stopped_) return;
  devices_.at(device)->Unplug();
}

void PtySimulator::Replug(std::size_t device) {
  if (stopped_) return;
  devices_.at(device)->Replug();
}

void PtySimulator::Stall(std::size_t device, double seconds) {
  if (stopped_) return;
  devices_.at(device)->Stall(seconds);
}

std::size_t PtySimulator::device_count() const { return devices_.size(); }

SimDeviceInfo PtySimulator::device(std::size_t index) const {
  const Device& device = *devices_.at(index);
  SimDeviceInfo info;
  info.athlete = device.config().name;
  info.placement = {device.side, sim::LimbOf(device.config().session.exercise)};
  info.protocol = device.config().protocol;
  info.rate_hz = device.config().session.rate_hz;
  info.link_path = device.link_path;
  info.slave_path = device.slave_path;
  info.plugged = device.plugged;
  return info;
}

SimDeviceStats PtySimulator::device_stats(std::size_t index) const {
  return devices_.at(index)->stats;
}

std::optional<std::size_t> PtySimulator::FindDevice(std::string_view athlete,
                                                    fusion::Placement placement) const {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const Device& device = *devices_[i];
    if (device.config().name == athlete &&
        fusion::Placement{device.side, sim::LimbOf(device.config().session.exercise)} ==
            placement) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace ambi::sim
