#include "proto/convert/event_text.h"

#include <cmath>
#include <cstdio>
#include <tuple>

namespace ambi::proto {
namespace {

std::string Format(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  return buffer;
}

const char* SideWord(v1::Side side) {
  switch (side) {
    case v1::SIDE_LEFT: return "left";
    case v1::SIDE_RIGHT: return "right";
    default: return "";
  }
}

const char* LimbWord(v1::Limb limb) {
  switch (limb) {
    case v1::LIMB_WRIST: return "wrist";
    case v1::LIMB_ANKLE: return "ankle";
    default: return "sensor";
  }
}

std::string Placement(v1::Side side, v1::Limb limb) {
  const std::string side_word = SideWord(side);
  return side_word.empty() ? LimbWord(limb) : side_word + " " + LimbWord(limb);
}

const char* BandWord(v1::Band band) {
  switch (band) {
    case v1::BAND_GREEN: return "green";
    case v1::BAND_AMBER: return "amber";
    case v1::BAND_RED: return "red";
    default: return "n/a";
  }
}

// "(amber, right weaker, significant)" for a comparison.
std::string Verdict(v1::Band band, v1::Side weaker_side, bool significant) {
  std::string text = std::string("(") + BandWord(band);
  if (weaker_side != v1::SIDE_UNSPECIFIED) text += std::string(", ") + SideWord(weaker_side) + " weaker";
  if (significant) text += ", significant";
  return text + ")";
}

const v1::MetricComparison* FindMetric(
    const google::protobuf::RepeatedPtrField<v1::MetricComparison>& metrics, v1::Metric metric) {
  for (const auto& comparison : metrics) {
    if (comparison.metric() == metric) return &comparison;
  }
  return nullptr;
}

const char* MetricWords(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_ROM: return "ROM";
    case v1::METRIC_CONCENTRIC_TIME: return "concentric time";
    case v1::METRIC_ECCENTRIC_TIME: return "eccentric time";
    case v1::METRIC_PEAK_SPEED: return "peak speed";
    default: return "metric";
  }
}

// The comparison with the worst band; among equal bands a significant one, then the larger gap.
const v1::MetricComparison* WorstMetric(
    const google::protobuf::RepeatedPtrField<v1::MetricComparison>& metrics) {
  // The Band enum is declared in order of severity (n/a < green < amber < red).
  const auto key = [](const v1::MetricComparison& c) {
    return std::make_tuple(static_cast<int>(c.band()), c.significant(), c.percent_difference());
  };
  const v1::MetricComparison* worst = nullptr;
  for (const auto& m : metrics) {
    if (worst == nullptr || key(m) > key(*worst)) worst = &m;
  }
  return worst;
}

std::string ModeText(v1::SetMode mode, v1::Side side) {
  switch (mode) {
    case v1::SET_MODE_BILATERAL: return "bilateral";
    case v1::SET_MODE_UNILATERAL:
      return side == v1::SIDE_UNSPECIFIED ? "unilateral" : std::string("unilateral ") + SideWord(side);
    default: return "mode unknown";
  }
}

std::string Describe(const v1::SetStarted& e) {
  return Format("set %u started  %s, %s%s", e.set_index(),
                e.exercise().empty() ? "(no exercise)" : e.exercise().c_str(),
                ModeText(e.mode(), e.side()).c_str(), e.automatic() ? " (detected)" : "");
}

std::string Describe(const v1::Rep& e) {
  return Format("set %u  %s rep %u  ROM %.1f°  up %.2f s  down %.2f s  peak %.0f°/s", e.set_index(),
                Placement(e.side(), e.limb()).c_str(), e.index(), e.rom_deg(), e.concentric_s(),
                e.eccentric_s(), e.peak_speed_deg_s());
}

std::string Describe(const v1::RepPair& e) {
  std::string text = Format("set %u rep %u  L %.1f°  R %.1f°", e.set_index(), e.pair_index(),
                            e.left().rom_deg(), e.right().rom_deg());
  if (const v1::MetricComparison* rom = FindMetric(e.metrics(), v1::METRIC_ROM)) {
    text += Format("  ROM diff %.1f %% ", rom->percent_difference()) +
            Verdict(rom->band(), rom->weaker_side(), rom->significant());
  }
  const double lead_ms = std::round(e.lead_ms());
  if (lead_ms == 0.0) {
    text += "  lead 0 ms";
  } else {
    text += Format("  lead %s %.0f ms", lead_ms > 0 ? "L" : "R", std::abs(lead_ms));
  }
  return text;
}

std::string Describe(const v1::UnpairedRep& e) {
  return Format("set %u  %s rep %u has no partner on the other side", e.rep().set_index(),
                Placement(e.rep().side(), e.rep().limb()).c_str(), e.rep().index());
}

std::string Describe(const v1::FatigueUpdate& e) {
  return Format("set %u  %s after rep %u  speed loss %.1f %%  ROM loss %.1f %%", e.set_index(),
                Placement(e.side(), e.limb()).c_str(), e.rep_index(), e.speed_loss_pct(),
                e.rom_loss_pct());
}

std::string Describe(const v1::Cue& e) { return "CUE  " + e.message(); }

std::string Describe(const v1::SetSummary& e) {
  std::string text = Format("set %u done  %s  reps L %u / R %u  mean ROM L %.1f° / R %.1f°",
                            e.set_index(), e.exercise().empty() ? "-" : e.exercise().c_str(),
                            e.left().rep_count(), e.right().rep_count(), e.left().mean_rom_deg(),
                            e.right().mean_rom_deg());
  if (e.compared_with_set_index() != 0) text += Format(" (with set %u)", e.compared_with_set_index());
  const v1::MetricComparison* rom = FindMetric(e.metrics(), v1::METRIC_ROM);
  if (rom == nullptr) return text + "  " + Verdict(e.band(), e.weaker_side(), e.significant());
  // The set's band is its worst metric's: beside the ROM figure show the ROM's own verdict, and
  // name the metric that set the band when it is another one, so "ROM diff 5 % (amber)" never
  // reads as a ROM gap when the tempo was the amber one.
  text += Format("  ROM diff %.1f %% ", rom->percent_difference()) +
          Verdict(rom->band(), rom->weaker_side(), rom->significant());
  if (const v1::MetricComparison* worst = WorstMetric(e.metrics());
      worst != nullptr && worst != rom && worst->band() > rom->band()) {
    text += Format("  worst %s %.1f %% ", MetricWords(worst->metric()),
                   worst->percent_difference()) +
            Verdict(worst->band(), worst->weaker_side(), worst->significant());
  }
  return text;
}

std::string Describe(const v1::SensorStatus& e) {
  const std::string where = Placement(e.side(), e.limb()) + " sensor";
  std::string text;
  switch (e.kind()) {
    case v1::SensorStatus::KIND_GAP:
      text = Format("%s: gap %.2f s, %lld samples missing", where.c_str(), e.gap_s(),
                    static_cast<long long>(e.missing_samples()));
      break;
    case v1::SensorStatus::KIND_LOST: text = where + ": lost"; break;
    case v1::SensorStatus::KIND_BACK: text = where + ": back"; break;
    case v1::SensorStatus::KIND_BAD_DATA:
      text = Format("%s: bad data, %lld bytes skipped", where.c_str(),
                    static_cast<long long>(e.bytes_discarded()));
      break;
    default: text = where + ": status unknown"; break;
  }
  if (!e.detail().empty()) text += " (" + e.detail() + ")";
  return text;
}

}  // namespace

std::string DescribeEvent(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kSetStarted: return Describe(event.set_started());
    case v1::Event::kRep: return Describe(event.rep());
    case v1::Event::kRepPair: return Describe(event.rep_pair());
    case v1::Event::kUnpairedRep: return Describe(event.unpaired_rep());
    case v1::Event::kFatigue: return Describe(event.fatigue());
    case v1::Event::kCue: return Describe(event.cue());
    case v1::Event::kSetSummary: return Describe(event.set_summary());
    case v1::Event::kSensorStatus: return Describe(event.sensor_status());
    case v1::Event::KIND_NOT_SET: break;
  }
  return "(empty event)";
}

}  // namespace ambi::proto
