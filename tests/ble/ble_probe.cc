// ble_probe: runs one BleSource per --address (all on one BleBus, as in ambid) against whatever
// BlueZ the system bus offers (the fake one in tests) and prints what reaches the owner, one JSON
// object per line, each with the source's "address", for the e2e harness:
//   {"event":"connected","detail":...}      on_connected
//   {"event":"sample","accel_m_s2":[...],"gyro_rad_s":[...]}   each sample the real decoder makes
//   {"event":"lost","reason":...}           on_lost
//   {"event":"error","last_error":...}      whenever stats().last_error changes
// Runs until SIGTERM or SIGINT.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/transport/asio.h"
#include "daemon/transport/ble_bus.h"
#include "daemon/transport/ble_source.h"
#include "fusion/decode/decoder.h"

namespace {

namespace asio = ambi::asio;

// A JSON string literal (quoted and escaped).
std::string JsonString(const std::string& text) { return nlohmann::json(text).dump(); }

void PrintLine(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string JsonVec3(const ambi::fusion::Vec3& v) {
  char text[96];
  std::snprintf(text, sizeof(text), "[%.9g,%.9g,%.9g]", v.x, v.y, v.z);
  return text;
}

}  // namespace

// One source and what its events need.
struct Probed {
  explicit Probed(std::string address_text)
      : address(std::move(address_text)),
        decoder({.protocol = ambi::fusion::Protocol::kWitMotionBle}) {}
  std::string address;
  ambi::fusion::Decoder decoder;
  std::unique_ptr<ambi::transport::BleSource> source;
  std::string last_error;

  void Print(const std::string& event, const std::string& fields) const {
    PrintLine("{\"event\":\"" + event + "\",\"address\":" + JsonString(address) + fields + "}");
  }
};

int main(int argc, char** argv) {
  CLI::App app("Prints what BleSources deliver, as JSON lines");
  ambi::transport::BleSourceConfig config;
  std::vector<std::string> addresses;
  app.add_option("--address", addresses, "device address AA:BB:CC:DD:EE:FF (repeatable)")
      ->required();
  app.add_option("--adapter", config.adapter, "adapter name");
  app.add_option("--notify-uuid", config.notify_uuid, "notify characteristic UUID");
  app.add_option("--rate-hz", config.rate_hz, "output rate to set on connect (0: keep)");
  double backoff_initial_s = 0.5;
  double backoff_max_s = 10.0;
  app.add_option("--backoff-initial-s", backoff_initial_s, "first reconnect delay");
  app.add_option("--backoff-max-s", backoff_max_s, "longest reconnect delay");
  app.add_option("--services-timeout-s", config.services_timeout_s, "wait for ServicesResolved");
  app.add_option("--discovery-timeout-s", config.discovery_timeout_s,
                 "how long to discover a device BlueZ does not know");
  CLI11_PARSE(app, argc, argv);
  const auto to_ms = [](double seconds) {
    return std::chrono::milliseconds(std::llround(seconds * 1000.0));
  };
  config.backoff.initial_delay = to_ms(backoff_initial_s);
  config.backoff.max_delay = to_ms(backoff_max_s);
  // stdout carries the JSON lines only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("ble_probe"));

  asio::io_context io;
  const auto start = std::chrono::steady_clock::now();
  auto bus = std::make_shared<ambi::transport::BleBus>();
  // Stable addresses: the callbacks capture their Probed.
  std::vector<std::unique_ptr<Probed>> probed;
  for (const std::string& address : addresses) {
    auto& p = *probed.emplace_back(std::make_unique<Probed>(address));
    ambi::transport::ByteSourceCallbacks callbacks;
    callbacks.on_bytes = [&p, start](ambi::transport::SteadyTime arrival,
                                     std::span<const std::uint8_t> bytes) {
      const ambi::fusion::Time time = ambi::fusion::TimeFromNanoseconds(
          std::chrono::duration_cast<std::chrono::nanoseconds>(arrival - start).count());
      p.decoder.Feed(bytes, time, [&p](const ambi::fusion::ImuSample& sample) {
        p.Print("sample", ",\"accel_m_s2\":" + JsonVec3(sample.accel_m_s2) +
                              ",\"gyro_rad_s\":" + JsonVec3(sample.gyro_rad_s));
      });
    };
    callbacks.on_connected = [&p](ambi::transport::SteadyTime, const std::string& detail) {
      p.Print("connected", ",\"detail\":" + JsonString(detail));
    };
    callbacks.on_lost = [&p](ambi::transport::SteadyTime, const std::string& reason) {
      p.decoder.Reset();
      p.Print("lost", ",\"reason\":" + JsonString(reason));
    };
    ambi::transport::BleSourceConfig source_config = config;
    source_config.address = address;
    try {
      p.source = std::make_unique<ambi::transport::BleSource>(io, bus, source_config, callbacks);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "ble_probe: %s\n", e.what());
      return 2;
    }
  }
  for (const auto& p : probed) p->source->Start();

  // Report last_error changes so the harness can see why an attempt is not getting through.
  asio::steady_timer poll(io);
  std::function<void()> poll_errors = [&] {
    for (const auto& p : probed) {
      const std::string error = p->source->stats().last_error;
      if (error != p->last_error) {
        p->last_error = error;
        p->Print("error", ",\"last_error\":" + JsonString(error));
      }
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) poll_errors();
    });
  };
  poll_errors();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    for (const auto& p : probed) p->source->Stop();
    poll.cancel();
    PrintLine("{\"event\":\"stopped\"}");
    io.stop();
  });
  io.run();
  probed.clear();
  return 0;
}
