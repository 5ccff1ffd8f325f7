#include "proto/convert/event_text.h"

#include <cmath>
#include <cstdio>
#include <tuple>

namespace ambi::proto {

std::string SideName(v1::Side side) {
  switch (side) {
    case v1::SIDE_LEFT:
      return "left";
    case v1::SIDE_RIGHT:
      return "right";
    default:
      return "";
  }
}

std::string LimbName(v1::Limb limb) {
  switch (limb) {
    case v1::LIMB_WRIST:
      return "wrist";
    case v1::LIMB_ANKLE:
      return "ankle";
    default:
      return "";
  }
}

std::string BandName(v1::Band band) {
  switch (band) {
    case v1::BAND_GREEN:
      return "green";
    case v1::BAND_AMBER:
      return "amber";
    case v1::BAND_RED:
      return "red";
    default:
      return "n/a";
  }
}

std::string ModeName(v1::SetMode mode) {
  switch (mode) {
    case v1::SET_MODE_BILATERAL:
      return "bilateral";
    case v1::SET_MODE_UNILATERAL:
      return "unilateral";
    default:
      return "";
  }
}

const v1::MetricComparison* FindMetric(
    const google::protobuf::RepeatedPtrField<v1::MetricComparison>& metrics, v1::Metric metric) {
  for (const auto& comparison : metrics) {
    if (comparison.metric() == metric) return &comparison;
  }
  return nullptr;
}

namespace {

std::string Format(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  return buffer;
}

// The placement's limb word; a sensor of no known limb is "sensor".
std::string LimbOrSensor(v1::Limb limb) {
  const std::string name = LimbName(limb);
  return name.empty() ? "sensor" : name;
}

std::string Placement(v1::Side side, v1::Limb limb) {
  const std::string side_word = SideName(side);
  return side_word.empty() ? LimbOrSensor(limb) : side_word + " " + LimbOrSensor(limb);
}

// "(amber, right weaker, significant)" for a comparison.
std::string Verdict(v1::Band band, v1::Side weaker_side, bool significant) {
  std::string text = std::string("(") + BandName(band);
  if (weaker_side != v1::SIDE_UNSPECIFIED)
    text += std::string(", ") + SideName(weaker_side) + " weaker";
  if (significant) text += ", significant";
  return text + ")";
}

const char* MetricWords(v1::Metric metric) {
  switch (metric) {
    case v1::METRIC_ROM:
      return "ROM";
    case v1::METRIC_CONCENTRIC_TIME:
      return "concentric time";
    case v1::METRIC_ECCENTRIC_TIME:
      return "eccentric time";
    case v1::METRIC_PEAK_SPEED:
      return "peak speed";
    default:
      return "metric";
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
    case v1::SET_MODE_BILATERAL:
      return "bilateral";
    case v1::SET_MODE_UNILATERAL:
      return side == v1::SIDE_UNSPECIFIED ? "unilateral" : "unilateral " + SideName(side);
    default:
      return "mode unknown";
  }
}

std::string Describe(const v1::SetStarted& e) {
  return Format("set %u started  %s, %s%s", e.set_index(),
                e.exercise().empty() ? "(no exercise)" : e.exercise().c_str(),
                ModeText(e.mode(), e.side()).c_str(), e.automatic() ? " (detected)" : "");
}

std::string Describe(const v1::Rep& e) {
  return Format("set %u  %s rep %u  ROM %.1f°  up %.2f s  down %.2f s  peak %.0f°/s%s",
                e.set_index(), Placement(e.side(), e.limb()).c_str(), e.index(), e.rom_deg(),
                e.concentric_s(), e.eccentric_s(), e.peak_speed_deg_s(),
                e.stepped() ? "  stepped" : "");
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

// "15 % less range of motion": how a gap in 'metric' reads, the weaker side being the subject.
std::string GapWords(v1::Metric metric, double pct) {
  switch (metric) {
    case v1::METRIC_ROM:
      return Format("%.0f %% less range of motion", pct);
    case v1::METRIC_CONCENTRIC_TIME:
      return Format("%.0f %% slower lifting", pct);
    case v1::METRIC_ECCENTRIC_TIME:
      return Format("%.0f %% faster, less controlled lowering", pct);
    case v1::METRIC_PEAK_SPEED:
      return Format("%.0f %% lower peak speed", pct);
    default:
      return Format("%.0f %% gap", pct);
  }
}

// Why the weaker side ('e.side()') is weaker: its gap, or its reps against the other side's.
std::string Reason(const v1::Cue& e, const std::string& other_side) {
  if (e.metric() == v1::METRIC_UNSPECIFIED && e.reps_compared() + e.other_reps() > 0) {
    return Format("it managed %u reps, your %s side %u", e.reps_compared(), other_side.c_str(),
                  e.other_reps());
  }
  return GapWords(e.metric(), e.value_pct());
}

std::string Describe(const v1::Cue& e) { return "CUE  " + CueSentence(e); }

// "  lead L 150 ms (amber, consistent)": which side starts first, over the set's pairs.
std::string LeadLagText(const v1::LeadLag& lead) {
  if (lead.pairs() == 0) return "";
  const double lead_ms = std::round(lead.mean_lead_ms());
  std::string text = lead_ms == 0.0
                         ? std::string("  lead 0 ms")
                         : Format("  lead %s %.0f ms", lead_ms > 0 ? "L" : "R", std::abs(lead_ms));
  return text + " (" + BandName(lead.band()) + (lead.significant() ? ", consistent)" : ")");
}

// "  verdict: left weaker, 8 reps target": the one verdict the set's cues come from. Nothing for
// a summary recorded before verdicts existed.
std::string VerdictText(const v1::SetSummary& summary) {
  if (!summary.has_verdict()) return "";
  const v1::SetVerdict& v = summary.verdict();
  if (!v.judged()) {
    // The first set of a unilateral pair has nothing to be compared with yet, however many reps.
    if (summary.mode() == v1::SET_MODE_UNILATERAL && summary.compared_with_set_index() == 0) {
      return "  verdict: judged after the other side's set";
    }
    return "  verdict: too few reps to judge";
  }
  if (v.normal()) return "  verdict: normal";
  if (v.inconsistent() && !v.lead_lag() && v.stop_side() == v1::SIDE_UNSPECIFIED) {
    return "  verdict: gap not consistent, no advice";
  }
  std::string text = "  verdict:";
  if (v.gap()) {
    text += Format(" %s weaker", SideName(v.weaker_side()).c_str());
    if (v.target_reps() > 0) text += Format(", %u reps target", v.target_reps());
  }
  if (v.lead_lag()) text += v.gap() ? ", lead/lag" : " lead/lag";
  if (v.stop_side() != v1::SIDE_UNSPECIFIED) {
    text += Format("%s stop cued for %s", v.gap() || v.lead_lag() ? "," : "",
                   SideName(v.stop_side()).c_str());
  }
  return text;
}

std::string Describe(const v1::SetSummary& e) {
  std::string text =
      Format("set %u done  %s  reps L %u / R %u  mean ROM L %.1f° / R %.1f°", e.set_index(),
             e.exercise().empty() ? "-" : e.exercise().c_str(), e.left().rep_count(),
             e.right().rep_count(), e.left().mean_rom_deg(), e.right().mean_rom_deg());
  if (e.working_side() != v1::SIDE_UNSPECIFIED) {
    text += Format("  %s side's set", SideName(e.working_side()).c_str());
  }
  if (e.compared_with_set_index() != 0)
    text += Format(" (with set %u)", e.compared_with_set_index());
  const v1::MetricComparison* rom = FindMetric(e.metrics(), v1::METRIC_ROM);
  if (rom == nullptr) {
    return text + "  " + Verdict(e.band(), e.weaker_side(), e.significant()) + VerdictText(e);
  }
  // The set's band is its worst metric's: beside the ROM figure show the ROM's own verdict, and
  // name the metric that set the band when it is another one, so "ROM diff 5 % (amber)" never
  // reads as a ROM gap when the tempo was the amber one.
  text += Format("  ROM diff %.1f %% ", rom->percent_difference()) +
          Verdict(rom->band(), rom->weaker_side(), rom->significant());
  if (const v1::MetricComparison* worst = WorstMetric(e.metrics());
      worst != nullptr && worst != rom && worst->band() > rom->band()) {
    text +=
        Format("  worst %s %.1f %% ", MetricWords(worst->metric()), worst->percent_difference()) +
        Verdict(worst->band(), worst->weaker_side(), worst->significant());
  }
  // Tempo has its own line item whenever a phase is out of green, even if ROM is worse.
  for (v1::Metric metric : {v1::METRIC_CONCENTRIC_TIME, v1::METRIC_ECCENTRIC_TIME}) {
    const v1::MetricComparison* tempo = FindMetric(e.metrics(), metric);
    if (tempo == nullptr || tempo->band() < v1::BAND_AMBER) continue;
    text +=
        Format("  %s L %.2f s / R %.2f s ", MetricWords(metric), tempo->left(), tempo->right()) +
        Verdict(tempo->band(), tempo->weaker_side(), tempo->significant());
  }
  return text + LeadLagText(e.lead_lag()) + VerdictText(e);
}

}  // namespace

std::string DescribeSensorStatus(const v1::SensorStatus& e) {
  const std::string where = Placement(e.side(), e.limb()) + " sensor";
  std::string text;
  switch (e.kind()) {
    case v1::SensorStatus::KIND_GAP:
      text = Format("%s: gap %.2f s, %lld samples missing", where.c_str(), e.gap_s(),
                    static_cast<long long>(e.missing_samples()));
      break;
    case v1::SensorStatus::KIND_LOST:
      text = where + ": lost";
      break;
    case v1::SensorStatus::KIND_BACK:
      text = where + ": back";
      break;
    case v1::SensorStatus::KIND_BAD_DATA:
      text = e.values_wrong() ? where + ": wrong values"
                              : Format("%s: bad data, %lld bytes skipped", where.c_str(),
                                       static_cast<long long>(e.bytes_discarded()));
      break;
    default:
      text = where + ": status unknown";
      break;
  }
  if (!e.detail().empty()) text += " (" + e.detail() + ")";
  return text;
}

std::string CueSentence(const v1::Cue& e) {
  const std::string side = SideName(e.side());
  const std::string other = SideName(e.side() == v1::SIDE_LEFT    ? v1::SIDE_RIGHT
                                     : e.side() == v1::SIDE_RIGHT ? v1::SIDE_LEFT
                                                                  : v1::SIDE_UNSPECIFIED);
  switch (e.kind()) {
    case v1::Cue::KIND_START_WITH_WEAKER_SIDE: {
      std::string text = "Next set: one side at a time, starting with your " + side + " side";
      if (e.target_reps() > 0) text += Format(", %u reps", e.target_reps());
      return text + " (" + Reason(e, other) + ").";
    }
    case v1::Cue::KIND_MATCH_WEAKER_SIDE_REPS:
      if (e.target_reps() == 0)
        return "Stop your " + side + " side at the " + other + " side's reps.";
      return Format("Stop your %s side at %u reps, as many as your %s side managed.", side.c_str(),
                    e.target_reps(), other.c_str());
    case v1::Cue::KIND_STOP_SET:
      return Format("Your %s side has slowed %.0f %% from its best early reps: stop the set.",
                    side.c_str(), e.value_pct());
    case v1::Cue::KIND_ASYMMETRY_NORMAL:
      return Format("Left/right difference is normal (largest gap %.1f %%): nothing to fix.",
                    e.value_pct());
    case v1::Cue::KIND_LEAD_LAG:
      return Format("Your %s side starts %.0f ms after your %s side: start both sides together.",
                    side.c_str(), e.lag_ms(), other.c_str());
    default:
      break;
  }
  return e.message().empty() ? "cue of unknown kind" : e.message();
}

std::string DescribeEvent(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kSetStarted:
      return Describe(event.set_started());
    case v1::Event::kRep:
      return Describe(event.rep());
    case v1::Event::kRepPair:
      return Describe(event.rep_pair());
    case v1::Event::kUnpairedRep:
      return Describe(event.unpaired_rep());
    case v1::Event::kFatigue:
      return Describe(event.fatigue());
    case v1::Event::kCue:
      return Describe(event.cue());
    case v1::Event::kSetSummary:
      return Describe(event.set_summary());
    case v1::Event::kSensorStatus:
      return DescribeSensorStatus(event.sensor_status());
    case v1::Event::KIND_NOT_SET:
      break;
  }
  return "(empty event)";
}

}  // namespace ambi::proto
