#include "tests/e2e/sim_rig.h"

#include <exception>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "daemon/transport/asio.h"

namespace ambi::e2e {

namespace asio = ambi::asio;

struct SimRig::Impl {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<sim::PtySimulator> simulator;
  std::thread thread;
};

SimRig::SimRig(const std::string& link_dir) : impl_(std::make_unique<Impl>()) {
  sim::PtySimulatorOptions options;
  options.link_dir = link_dir;
  options.time_scale = 1.0;  // ambid stamps arrival times: faster playback would distort tempo
  impl_->simulator = std::make_unique<sim::PtySimulator>(impl_->io, options);
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SimRig::~SimRig() {
  RunOnSimThread([](sim::PtySimulator& simulator) { simulator.Stop(); });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
  impl_->simulator.reset();
}

void SimRig::RunOnSimThread(const std::function<void(sim::PtySimulator&)>& work) {
  std::promise<void> done;
  std::future<void> result = done.get_future();
  asio::post(impl_->io, [&] {
    try {
      work(*impl_->simulator);
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  result.get();  // rethrows what the simulator threw
}

std::size_t SimRig::IndexOf(sim::PtySimulator& simulator, const std::string& link_path) {
  for (std::size_t i = 0; i < simulator.device_count(); ++i) {
    if (simulator.device(i).link_path == link_path) return i;
  }
  throw std::invalid_argument("SimRig: no simulated device behind " + link_path);
}

std::vector<sim::SimDeviceInfo> SimRig::AddAthlete(const sim::SimAthlete& athlete) {
  std::vector<sim::SimDeviceInfo> devices;
  RunOnSimThread([&](sim::PtySimulator& simulator) {
    for (const std::size_t index : simulator.AddAthlete(athlete)) {
      devices.push_back(simulator.device(index));
    }
  });
  return devices;
}

void SimRig::Start() {
  RunOnSimThread([](sim::PtySimulator& simulator) { simulator.Start(); });
}

void SimRig::Unplug(const std::string& link_path) {
  RunOnSimThread(
      [&](sim::PtySimulator& simulator) { simulator.Unplug(IndexOf(simulator, link_path)); });
}

void SimRig::Replug(const std::string& link_path) {
  RunOnSimThread(
      [&](sim::PtySimulator& simulator) { simulator.Replug(IndexOf(simulator, link_path)); });
}

void SimRig::Stall(const std::string& link_path, double seconds) {
  RunOnSimThread([&](sim::PtySimulator& simulator) {
    simulator.Stall(IndexOf(simulator, link_path), seconds);
  });
}

sim::SimDeviceStats SimRig::stats(const std::string& link_path) {
  sim::SimDeviceStats result;
  RunOnSimThread([&](sim::PtySimulator& simulator) {
    result = simulator.device_stats(IndexOf(simulator, link_path));
  });
  return result;
}

}  // namespace ambi::e2e
