// ambi-sim-accuracy: simulated sessions with known truth through the real SessionPipeline
// (simulator -> device bytes -> OnBytes with arrival times -> events), scored per scenario.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/sim/limb_simulator.h"
#include "tests/accuracy/sim_scenarios.h"
#include "tools/sim/session_writer.h"

namespace {
// Sessions of the drawn grid per seed.
constexpr int kDrawnPerSeed = 20;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Rep count, ROM, tempo and asymmetry accuracy of the SessionPipeline on simulated "
      "sessions with known truth"};
  std::uint64_t seed = 1;
  int seeds = 1;
  std::vector<std::string> filters;
  bool totals_only = false;
  std::string grid = "all";
  app.add_option("--seed", seed, "first grid seed (mounts, noise, latency jitter)");
  app.add_option("--seeds", seeds, "number of grid seeds to run, from --seed on")
      ->check(CLI::Range(1, 100));
  app.add_option("--filter", filters,
                 "run only scenarios whose name contains every one of these strings "
                 "(e.g. --filter squat --filter asym10)");
  app.add_flag("--totals-only", totals_only, "print only the totals");
  std::string export_dir;
  app.add_option("--export", export_dir,
                 "also write each scenario run as ambi-sim CSV (a sensor per file and "
                 "ground_truth.json) into a folder of this directory named after it, to replay "
                 "with ambi-replay --sensor");
  bool device_time = false;
  app.add_flag("--device-time", device_time,
               "run every session over a link whose samples carry the device's time (ambi's "
               "sample frame) instead of its own (most are WitMotion serial: arrival times only)");
  app.add_option("--grid", grid,
                 "standard (exercises x asymmetry, rates, dropouts, clocks, fatigue), situations "
                 "(issue 8: handling, walking, loss bursts, a following limb, rest in hand) or "
                 "drawn (sessions whose every parameter is drawn from realistic ranges), stepping "
                 "(forward lunges) or all; totals are printed per grid")
      ->check(CLI::IsMember({"standard", "situations", "drawn", "stepping", "all"}));
  CLI11_PARSE(app, argc, argv);

  int matched = 0;
  for (const std::string& which : {std::string("standard"), std::string("situations"),
                                   std::string("drawn"), std::string("stepping")}) {
    if (grid != "all" && grid != which) continue;
    std::vector<ambi::accuracy::ScenarioResult> results;
    for (int k = 0; k < seeds; ++k) {
      const std::uint64_t s = seed + static_cast<std::uint64_t>(k);
      auto scenarios = which == "standard"     ? ambi::accuracy::StandardGrid(s)
                       : which == "situations" ? ambi::accuracy::SituationGrid(s)
                       : which == "stepping"   ? ambi::accuracy::StepGrid(s)
                                               : ambi::accuracy::DrawnGrid(s, kDrawnPerSeed);
      if (device_time) {
        for (ambi::accuracy::Scenario& scenario : scenarios) {
          scenario = ambi::accuracy::OverDeviceTime(std::move(scenario));
        }
      }
      for (const ambi::accuracy::Scenario& scenario : scenarios) {
        bool wanted = true;
        for (const std::string& f : filters) {
          wanted = wanted && scenario.name.find(f) != std::string::npos;
        }
        if (!wanted) continue;
        if (!export_dir.empty()) {
          std::string folder = scenario.name;
          for (char& c : folder) {
            if (c == ' ' || c == '/') c = '_';
          }
          ambi::sim::WriteCsvSession(ambi::sim::Simulate(scenario.spec),
                                     std::filesystem::path(export_dir) / folder);
        }
        results.push_back(ambi::accuracy::RunScenario(scenario));
        if (!totals_only) ambi::accuracy::PrintScenario(results.back(), std::cout);
      }
    }
    if (results.empty()) continue;
    matched += static_cast<int>(results.size());
    std::cout << "\n#### " << which << " grid\n";
    ambi::accuracy::PrintTotals(results, std::cout);
  }
  if (matched == 0) {
    std::cerr << "no scenario matches the filter\n";
    return 1;
  }
  return 0;
}
