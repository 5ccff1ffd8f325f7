#include "tools/replay/event_text.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace ambi::replay {
namespace {

using fusion::ToSeconds;

std::string Format(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  return buffer;
}


const char* BandWord(fusion::Band band) {
  switch (band) {
    case fusion::Band::kGreen: return "green";
    case fusion::Band::kAmber: return "AMBER";
    case fusion::Band::kRed: return "RED";
    case fusion::Band::kNotApplicable: break;
  }
  return "n/a";
}

std::string WeakerText(const fusion::MetricComparison& metric) {
  if (!metric.weaker_side) return "";
  return Format(" (weaker %s%s)", std::string(ToString(*metric.weaker_side)).c_str(),
                metric.significant ? ", significant" : "");
}

struct Describer {
  std::string operator()(const fusion::SetStarted& e) const {
    return Format("%8.2fs  set %d started: %s, %s%s", ToSeconds(e.time), e.set_index,
                  e.exercise.c_str(), std::string(ToString(e.mode)).c_str(),
                  e.automatic ? " (detected)" : "");
  }
  std::string operator()(const fusion::Rep& e) const {
    return Format("%8.2fs  %-11s rep %2d  ROM %5.1f deg  up %4.2fs  down %4.2fs  peak %5.0f deg/s",
                  ToSeconds(e.end), std::string(ToString(e.placement)).c_str(), e.index, e.rom_deg,
                  e.concentric_s, e.eccentric_s, e.peak_speed_deg_s);
  }
  std::string operator()(const fusion::RepPair& e) const {
    const auto& rom = e.metrics[static_cast<int>(fusion::Metric::kRom)];
    const auto& up = e.metrics[static_cast<int>(fusion::Metric::kConcentricTime)];
    return Format("%8.2fs  pair %2d %-5s ROM L %5.1f / R %5.1f  diff %4.1f%% %-5s%s  tempo diff %4.1f%%  "
                  "lead %+4.0f ms",
                  ToSeconds(std::max(e.left.end, e.right.end)), e.pair_index,
                  std::string(ToString(e.limb)).c_str(), rom.left, rom.right,
                  rom.percent_difference, BandWord(rom.band), WeakerText(rom).c_str(),
                  up.percent_difference, e.lead_ms);
  }
  std::string operator()(const fusion::UnpairedRep& e) const {
    return Format("%8.2fs  %s rep %d has no partner on the other side", ToSeconds(e.rep.end),
                  std::string(ToString(e.rep.placement)).c_str(), e.rep.index);
  }
  std::string operator()(const fusion::FatigueUpdate&) const { return ""; }
  std::string operator()(const fusion::Cue& e) const {
    return Format("%8.2fs  CUE: %s", ToSeconds(e.time), e.message.c_str());
  }
  std::string operator()(const fusion::SetSummary& e) const {
    const auto& rom = e.metrics[static_cast<int>(fusion::Metric::kRom)];
    std::string text = Format("%8.2fs  set %d %s summary: reps L %d / R %d, mean ROM L %.1f / R %.1f deg, "
                              "diff %.1f%% %s",
                              ToSeconds(e.end), e.set_index, std::string(ToString(e.limb)).c_str(),
                              e.left ? e.left->rep_count : 0, e.right ? e.right->rep_count : 0,
                              e.left ? e.left->mean_rom_deg : 0.0,
                              e.right ? e.right->mean_rom_deg : 0.0, rom.percent_difference,
                              BandWord(e.band));
    if (e.weaker_side) {
      text += Format(", weaker side %s%s", std::string(ToString(*e.weaker_side)).c_str(),
                     e.significant ? " (significant)" : " (within normal variability)");
    }
    return text;
  }
  std::string operator()(const fusion::SensorStatus& e) const {
    switch (e.kind) {
      case fusion::SensorEventKind::kGap:
        return Format("%8.2fs  %s: %.2f s without samples (%lld missing)", ToSeconds(e.time),
                      std::string(ToString(e.placement)).c_str(), ToSeconds(e.gap),
                      static_cast<long long>(e.missing_samples));
      case fusion::SensorEventKind::kLost:
        return Format("%8.2fs  %s: sensor lost", ToSeconds(e.time),
                      std::string(ToString(e.placement)).c_str());
      case fusion::SensorEventKind::kBack:
        return Format("%8.2fs  %s: sensor back", ToSeconds(e.time),
                      std::string(ToString(e.placement)).c_str());
      case fusion::SensorEventKind::kBadData:
        return Format("%8.2fs  %s: %lld bad bytes skipped", ToSeconds(e.time),
                      std::string(ToString(e.placement)).c_str(),
                      static_cast<long long>(e.bytes_discarded));
    }
    return "";
  }
};

}  // namespace

std::string DescribeEvent(const fusion::Event& event) { return std::visit(Describer{}, event); }

}  // namespace ambi::replay
