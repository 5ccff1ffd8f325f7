#include "clients/ctl/live_view.h"

#include <cmath>

#include "clients/ctl/ctl_text.h"
#include "proto/convert/event_text.h"

namespace ambi::ctl {
namespace {

constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";

const char* BandColour(v1::Band band) {
  switch (band) {
    case v1::BAND_GREEN:
      return "\033[32m";
    case v1::BAND_AMBER:
      return "\033[33m";
    case v1::BAND_RED:
      return "\033[31m";
    default:
      return "";
  }
}

std::string Coloured(const std::string& text, const char* colour, bool on) {
  if (!on || *colour == '\0') return text;
  return colour + text + kReset;
}

std::string Prefix(const std::string& athlete) { return (athlete.empty() ? "-" : athlete) + "  "; }

// "diff 11.2 % left weaker" or "even" (n/a bands), coloured by band.
std::string Difference(const v1::MetricComparison& rom, bool colour) {
  if (rom.band() == v1::BAND_NOT_APPLICABLE || rom.band() == v1::BAND_UNSPECIFIED) {
    return "diff n/a";
  }
  std::string text = Format("diff %.1f %%", rom.percent_difference());
  if (rom.weaker_side() != v1::SIDE_UNSPECIFIED)
    text += " " + SideName(rom.weaker_side()) + " weaker";
  text += " [" + BandName(rom.band()) + "]";
  return Coloured(text, BandColour(rom.band()), colour);
}

}  // namespace

std::string RepPairLine(const std::string& athlete, const v1::RepPair& pair, bool colour) {
  std::string line = Prefix(athlete);
  line += Format("set %u rep %u  %s ROM  L %5.1f°  R %5.1f°  ", pair.set_index(), pair.pair_index(),
                 SegmentWord(pair.limb()).c_str(), pair.left().rom_deg(), pair.right().rom_deg());
  if (const v1::MetricComparison* rom = FindMetric(pair.metrics(), v1::METRIC_ROM)) {
    line += Difference(*rom, colour);
  }
  // Tempo: concentric/eccentric seconds per side.
  line +=
      Format("  tempo L %.1f/%.1f s  R %.1f/%.1f s", pair.left().concentric_s(),
             pair.left().eccentric_s(), pair.right().concentric_s(), pair.right().eccentric_s());
  if (std::abs(pair.lead_ms()) >= kLeadShownFromMs) {
    // lead_ms > 0: the left side started first, so the right one lags.
    line += Format("  %s lags %.0f ms", pair.lead_ms() > 0 ? "right" : "left",
                   std::abs(pair.lead_ms()));
  }
  return line;
}

std::optional<std::string> LiveView::Line(const v1::LiveEvent& live) {
  const v1::Event& event = live.event();
  const std::string& athlete = event.athlete();
  switch (event.kind_case()) {
    case v1::Event::kRepPair:
      return RepPairLine(athlete, event.rep_pair(), options_.colour);
    case v1::Event::kRep: {
      // In a bilateral set the pair line follows at once; alone, a rep is noise there.
      const auto mode = mode_by_athlete_.find(athlete);
      if (mode == mode_by_athlete_.end() || mode->second != v1::SET_MODE_UNILATERAL) {
        return std::nullopt;
      }
      const v1::Rep& rep = event.rep();
      return Prefix(athlete) + Format("set %u  %s rep %u  %s ROM %5.1f°  tempo %.1f/%.1f s",
                                      rep.set_index(), SideName(rep.side()).c_str(), rep.index(),
                                      SegmentWord(rep.limb()).c_str(), rep.rom_deg(),
                                      rep.concentric_s(), rep.eccentric_s());
    }
    case v1::Event::kFatigue:
      if (!options_.fatigue) return std::nullopt;
      return Prefix(athlete) + Coloured(proto::DescribeEvent(event), kDim, options_.colour);
    case v1::Event::kCue:
      return Prefix(athlete) + Coloured("CUE  " + event.cue().message(), kBold, options_.colour);
    case v1::Event::kSetStarted:
      mode_by_athlete_[athlete] = event.set_started().mode();
      return Prefix(athlete) + Coloured(proto::DescribeEvent(event), kBold, options_.colour);
    case v1::Event::kSetSummary: {
      std::string text = proto::DescribeEvent(event);
      return Prefix(athlete) +
             Coloured(text, BandColour(event.set_summary().band()), options_.colour);
    }
    default:
      return Prefix(athlete) + proto::DescribeEvent(event);
  }
}

void AthleteTable::Update(const v1::LiveEvent& live) {
  const v1::Event& event = live.event();
  Row& row = rows_[event.athlete().empty() ? "-" : event.athlete()];
  switch (event.kind_case()) {
    case v1::Event::kSetStarted: {
      Row fresh;  // a new set: counts and the last pair start again; sensor state carries on
      fresh.set_index = event.set_started().set_index();
      fresh.exercise = event.set_started().exercise();
      fresh.limb = event.set_started().limb();
      fresh.sensors = row.sensors;
      row = fresh;
    } break;
    case v1::Event::kRep:
      row.set_index = event.rep().set_index();
      (event.rep().side() == v1::SIDE_LEFT ? row.left_reps : row.right_reps) += 1;
      break;
    case v1::Event::kRepPair: {
      const v1::RepPair& pair = event.rep_pair();
      row.limb = pair.limb();
      row.left_rom_deg = pair.left().rom_deg();
      row.right_rom_deg = pair.right().rom_deg();
      row.have_pair = true;
      if (const v1::MetricComparison* rom = FindMetric(pair.metrics(), v1::METRIC_ROM)) {
        row.rom_difference_pct = rom->percent_difference();
        row.band = rom->band();
        row.weaker_side = rom->weaker_side();
      }
      break;
    }
    case v1::Event::kCue:
      row.last_cue = event.cue().message();
      break;
    case v1::Event::kSensorStatus: {
      const v1::SensorStatus& status = event.sensor_status();
      const std::string where = SideName(status.side()) + " " + LimbName(status.limb());
      if (status.kind() == v1::SensorStatus::KIND_LOST) row.sensors = where + " lost";
      if (status.kind() == v1::SensorStatus::KIND_BACK) row.sensors = "ok";
      if (status.kind() == v1::SensorStatus::KIND_GAP) {
        row.sensors = Format("%s gap %.1f s", where.c_str(), status.gap_s());
      }
      break;
    }
    default:
      break;
  }
}

std::string AthleteTable::Render(bool colour) const {
  Table table({"ATHLETE", "SET", "EXERCISE", "REPS L/R", "ROM L", "ROM R", "DIFF", "BAND", "WEAKER",
               "SENSORS", "LAST CUE"});
  for (const auto& [athlete, row] : rows_) {
    const bool compared = row.have_pair && row.band != v1::BAND_NOT_APPLICABLE;
    table.Add({athlete, row.set_index == 0 ? "-" : std::to_string(row.set_index),
               row.exercise.empty() ? "-" : row.exercise,
               Format("%u/%u", row.left_reps, row.right_reps),
               row.have_pair ? Format("%.1f°", row.left_rom_deg) : "-",
               row.have_pair ? Format("%.1f°", row.right_rom_deg) : "-",
               compared ? Format("%.1f %%", row.rom_difference_pct) : "-",
               row.have_pair ? BandName(row.band) : "-",
               row.weaker_side == v1::SIDE_UNSPECIFIED ? "-" : SideName(row.weaker_side),
               row.sensors, row.last_cue.empty() ? "-" : row.last_cue});
  }
  std::string text = table.Render();
  if (!colour) return text;
  // Colour the band words after alignment, so escape codes do not upset the column widths.
  for (const v1::Band band : {v1::BAND_GREEN, v1::BAND_AMBER, v1::BAND_RED}) {
    const std::string word = "  " + BandName(band) + " ";
    for (std::size_t at = text.find(word); at != std::string::npos;
         at = text.find(word, at + word.size() + 8)) {
      text.replace(at + 2, word.size() - 3,
                   std::string(BandColour(band)) + BandName(band) + kReset);
    }
  }
  return text;
}

}  // namespace ambi::ctl
