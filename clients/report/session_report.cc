// The session report: overview, one section (printed page) per set, data-quality notes.

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "clients/report/html_parts.h"
#include "clients/report/report.h"
#include "clients/report/weekly_summary.h"
#include "proto/convert/event_text.h"

namespace ambi::report {
namespace {

using proto::BandName;
using proto::FindMetric;
using proto::ModeName;
using proto::SideName;

constexpr double kChartWidth = 720;
constexpr double kRomChartHeight = 230;
constexpr double kTempoChartHeight = 200;
constexpr double kAsymmetryChartHeight = 200;

std::string LimbText(v1::Limb limb) {
  switch (limb) {
    case v1::LIMB_WRIST:
      return "wrists (forearm angle)";
    case v1::LIMB_ANKLE:
      return "ankles (shank angle)";
    default:
      return "";
  }
}

std::string Utc(std::int64_t unix_ns, const char* format) {
  if (unix_ns == 0) return "-";
  const auto seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

// A side's figure, or "-" when the side has no reps in the set (the other side of a unilateral
// set): a zero there would read as a measured zero.
std::string SideFigure(const v1::SideStats& side, double value, int decimals) {
  return side.rep_count() == 0 ? std::string("-") : Fixed(value, decimals);
}

// The ROM difference, or "-" when it does not apply (nothing compared yet).
std::string DifferenceText(const v1::MetricComparison* rom) {
  if (rom == nullptr || rom->band() == v1::BAND_NOT_APPLICABLE ||
      rom->band() == v1::BAND_UNSPECIFIED) {
    return "-";
  }
  return Fixed(rom->percent_difference(), 1) + " %";
}

std::string BandCell(v1::Band band) {
  const std::string word = BandName(band);
  return "<td class=\"band-" + word + "\">" + word + "</td>";
}

// Paired bars: the left and right ROM of each rep pair of a set.
std::string RomChart(std::uint32_t set_index, const std::vector<const v1::RepPair*>& pairs) {
  double max_rom = 0;
  for (const v1::RepPair* pair : pairs) {
    max_rom = std::max({max_rom, pair->left().rom_deg(), pair->right().rom_deg()});
  }
  Chart chart("rom", "Range of motion per rep, left and right (segment angle)", kChartWidth,
              kRomChartHeight, NiceMax(max_rom, 10), "ROM °");
  chart.Legend({{kLeftColour, "left"}, {kRightColour, "right"}});
  const double group =
      chart.plot_width() / static_cast<double>(std::max<std::size_t>(1, pairs.size()));
  const double bar = std::min(28.0, group * 0.36);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const v1::RepPair& pair = *pairs[i];
    const double centre = chart.left() + group * (static_cast<double>(i) + 0.5);
    const v1::MetricComparison* rom = FindMetric(pair.metrics(), v1::METRIC_ROM);
    for (const auto& [rep, colour, x] : {std::tuple{&pair.left(), kLeftColour, centre - bar - 1},
                                         std::tuple{&pair.right(), kRightColour, centre + 1}}) {
      const double y = chart.Y(rep->rom_deg());
      chart.Add("<rect class=\"rom-bar\" data-set=\"" + std::to_string(set_index) +
                "\" data-pair=\"" + std::to_string(pair.pair_index()) + "\" data-side=\"" +
                SideName(rep->side()) + "\" data-rom-deg=\"" + Exact(rep->rom_deg()) + "\" x=\"" +
                Fixed(x, 1) + "\" y=\"" + Fixed(y, 1) + "\" width=\"" + Fixed(bar, 1) +
                "\" height=\"" + Fixed(chart.bottom() - y, 1) + "\" fill=\"" + colour +
                "\"><title>rep " + std::to_string(pair.pair_index()) + " " + SideName(rep->side()) +
                ": " + Fixed(rep->rom_deg(), 1) + "°</title></rect>");
    }
    if (rom != nullptr && rom->band() != v1::BAND_NOT_APPLICABLE) {
      // A small band-coloured marker under each pair: the rep's verdict at a glance.
      chart.Add("<rect class=\"rep-band\" data-pair=\"" + std::to_string(pair.pair_index()) +
                "\" data-band=\"" + BandName(rom->band()) + "\" data-rom-percent-difference=\"" +
                Exact(rom->percent_difference()) + "\" x=\"" + Fixed(centre - bar, 1) + "\" y=\"" +
                Fixed(chart.bottom() + 2, 1) + "\" width=\"" + Fixed(2 * bar, 1) +
                "\" height=\"3\" fill=\"" + BandFill(BandName(rom->band())) + "\"/>");
    }
    chart.XLabel(centre, std::to_string(pair.pair_index()));
  }
  return chart.Svg();
}

// A unilateral set: each side's reps as bars, this set's working side and the side of the set it
// was compared with, the weaker side marked. The sides were not moving together, so their reps
// are not paired: each side is a group of its own, with its mean as a dashed line.
using RepsBySet = std::map<std::uint32_t, std::vector<const v1::Rep*>>;

// The reps a unilateral set is judged on, per side: its own and those of the set it was compared
// with. Where the summary names its working side, only that side's reps of this set and the other
// side's of the compared set: the other leg of a split squat moves in every rep, but it is not
// what the pair compares.
std::pair<std::vector<const v1::Rep*>, std::vector<const v1::Rep*>> UnilateralReps(
    const v1::SetSummary& set, const RepsBySet& reps) {
  const v1::Side work = set.working_side();
  const v1::Side other = work == v1::SIDE_LEFT    ? v1::SIDE_RIGHT
                         : work == v1::SIDE_RIGHT ? v1::SIDE_LEFT
                                                  : v1::SIDE_UNSPECIFIED;
  std::vector<const v1::Rep*> left;
  std::vector<const v1::Rep*> right;
  for (const std::uint32_t index : {set.compared_with_set_index(), set.set_index()}) {
    const auto found = reps.find(index);
    if (index == 0 || found == reps.end()) continue;
    const v1::Side judged = index == set.set_index() ? work : other;
    for (const v1::Rep* rep : found->second) {
      if (judged != v1::SIDE_UNSPECIFIED && rep->side() != judged) continue;
      if (rep->side() == v1::SIDE_LEFT) left.push_back(rep);
      if (rep->side() == v1::SIDE_RIGHT) right.push_back(rep);
    }
  }
  return {std::move(left), std::move(right)};
}

std::string UnilateralRomChart(const v1::SetSummary& set, const RepsBySet& reps) {
  const auto [left, right] = UnilateralReps(set, reps);
  if (left.empty() && right.empty()) return "";
  double max_rom = 0;
  for (const auto* side : {&left, &right}) {
    for (const v1::Rep* rep : *side) max_rom = std::max(max_rom, rep->rom_deg());
  }
  Chart chart("rom unilateral", "Range of motion per rep, each side on its own (segment angle)",
              kChartWidth, kRomChartHeight, NiceMax(max_rom, 10), "ROM °");
  chart.Legend({{kLeftColour, "left"}, {kRightColour, "right"}});
  // Slots: the left reps, one empty slot, the right reps.
  const std::size_t slots = left.size() + right.size() + (left.empty() || right.empty() ? 0 : 1);
  const double slot = chart.plot_width() / static_cast<double>(std::max<std::size_t>(1, slots));
  const double bar = std::min(34.0, slot * 0.7);
  std::size_t at = 0;
  for (const auto& [side_reps, side, colour] : {std::tuple{&left, v1::SIDE_LEFT, kLeftColour},
                                                std::tuple{&right, v1::SIDE_RIGHT, kRightColour}}) {
    if (side_reps->empty()) continue;
    const std::string name = SideName(side);
    const bool weaker = set.weaker_side() == side;
    const double first_x = chart.left() + slot * static_cast<double>(at);
    double sum = 0;
    for (const v1::Rep* rep : *side_reps) {
      const double centre = chart.left() + slot * (static_cast<double>(at) + 0.5);
      const double y = chart.Y(rep->rom_deg());
      chart.Add("<rect class=\"rom-bar unilateral\" data-set=\"" +
                std::to_string(rep->set_index()) + "\" data-rep=\"" + std::to_string(rep->index()) +
                "\" data-side=\"" + name + "\" data-rom-deg=\"" + Exact(rep->rom_deg()) +
                "\" x=\"" + Fixed(centre - bar / 2, 1) + "\" y=\"" + Fixed(y, 1) + "\" width=\"" +
                Fixed(bar, 1) + "\" height=\"" + Fixed(chart.bottom() - y, 1) + "\" fill=\"" +
                colour + "\"><title>" + name + " rep " + std::to_string(rep->index()) + " (set " +
                std::to_string(rep->set_index()) + "): " + Fixed(rep->rom_deg(), 1) +
                "°</title></rect>");
      chart.XLabel(centre, std::to_string(rep->index()));
      sum += rep->rom_deg();
      ++at;
    }
    const double last_x = chart.left() + slot * static_cast<double>(at);
    const double mean = sum / static_cast<double>(side_reps->size());
    chart.Add("<line class=\"side-mean\" data-side=\"" + name + "\" data-mean-rom-deg=\"" +
              Exact(mean) + "\" x1=\"" + Fixed(first_x + 2, 1) + "\" x2=\"" + Fixed(last_x - 2, 1) +
              "\" y1=\"" + Fixed(chart.Y(mean), 1) + "\" y2=\"" + Fixed(chart.Y(mean), 1) +
              "\" stroke=\"#222\" stroke-dasharray=\"6 4\"/>");
    // The side's name over its group; the weaker one says so, in bold with a marker.
    chart.Add("<text class=\"side-label" + std::string(weaker ? " weaker" : "") +
              "\" data-side=\"" + name + "\"" + (weaker ? " data-weaker=\"yes\"" : "") + " x=\"" +
              Fixed((first_x + last_x) / 2, 1) + "\" y=\"" + Fixed(chart.top() + 14, 1) +
              "\" text-anchor=\"middle\" font-weight=\"" + (weaker ? "800" : "400") + "\">" + name +
              " · mean " + Fixed(mean, 1) + "°" + (weaker ? " · ▼ weaker" : "") + "</text>");
    ++at;  // the empty slot between the sides
  }
  return chart.Svg();
}

// A unilateral set's tempo: each side's reps as a group, lifting (solid) and lowering (light)
// seconds stacked, as the ROM chart above it.
std::string UnilateralTempoChart(const v1::SetSummary& set, const RepsBySet& reps) {
  const auto [left, right] = UnilateralReps(set, reps);
  if (left.empty() && right.empty()) return "";
  double max_s = 0;
  for (const auto* side : {&left, &right}) {
    for (const v1::Rep* rep : *side) {
      max_s = std::max(max_s, rep->concentric_s() + rep->eccentric_s());
    }
  }
  Chart chart("tempo unilateral", "Tempo per rep: lifting (solid) and lowering (light) time",
              kChartWidth, kTempoChartHeight, NiceMax(max_s, 1), "s");
  chart.Legend({{kLeftColour, "left"}, {kRightColour, "right"}});
  const std::size_t slots = left.size() + right.size() + (left.empty() || right.empty() ? 0 : 1);
  const double slot = chart.plot_width() / static_cast<double>(std::max<std::size_t>(1, slots));
  const double bar = std::min(34.0, slot * 0.7);
  std::size_t at = 0;
  for (const auto& [side_reps, colour] :
       {std::pair{&left, kLeftColour}, std::pair{&right, kRightColour}}) {
    if (side_reps->empty()) continue;
    for (const v1::Rep* rep : *side_reps) {
      const double centre = chart.left() + slot * (static_cast<double>(at) + 0.5);
      const double x = centre - bar / 2;
      const double y_concentric = chart.Y(rep->concentric_s());
      const double y_total = chart.Y(rep->concentric_s() + rep->eccentric_s());
      const std::string name = SideName(rep->side());
      chart.Add("<g class=\"tempo-bar unilateral\" data-set=\"" + std::to_string(rep->set_index()) +
                "\" data-rep=\"" + std::to_string(rep->index()) + "\" data-side=\"" + name +
                "\" data-concentric-s=\"" + Exact(rep->concentric_s()) + "\" data-eccentric-s=\"" +
                Exact(rep->eccentric_s()) + "\"><rect x=\"" + Fixed(x, 1) + "\" y=\"" +
                Fixed(y_concentric, 1) + "\" width=\"" + Fixed(bar, 1) + "\" height=\"" +
                Fixed(chart.bottom() - y_concentric, 1) + "\" fill=\"" + colour + "\"/><rect x=\"" +
                Fixed(x, 1) + "\" y=\"" + Fixed(y_total, 1) + "\" width=\"" + Fixed(bar, 1) +
                "\" height=\"" + Fixed(y_concentric - y_total, 1) + "\" fill=\"" + colour +
                "\" fill-opacity=\"0.4\"/><title>" + name + " rep " + std::to_string(rep->index()) +
                " (set " + std::to_string(rep->set_index()) + "): up " +
                Fixed(rep->concentric_s(), 2) + " s, down " + Fixed(rep->eccentric_s(), 2) +
                " s</title></g>");
      chart.XLabel(centre, std::to_string(rep->index()));
      ++at;
    }
    ++at;  // the empty slot between the sides
  }
  return chart.Svg();
}

// Tempo: per rep and side, the concentric (dark) and eccentric (light) seconds stacked.
std::string TempoChart(std::uint32_t set_index, const std::vector<const v1::RepPair*>& pairs) {
  double max_s = 0;
  for (const v1::RepPair* pair : pairs) {
    max_s = std::max({max_s, pair->left().concentric_s() + pair->left().eccentric_s(),
                      pair->right().concentric_s() + pair->right().eccentric_s()});
  }
  Chart chart("tempo", "Tempo per rep: lifting (solid) and lowering (light) time", kChartWidth,
              kTempoChartHeight, NiceMax(max_s, 1), "s");
  chart.Legend({{kLeftColour, "left"}, {kRightColour, "right"}});
  const double group =
      chart.plot_width() / static_cast<double>(std::max<std::size_t>(1, pairs.size()));
  const double bar = std::min(28.0, group * 0.36);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const v1::RepPair& pair = *pairs[i];
    const double centre = chart.left() + group * (static_cast<double>(i) + 0.5);
    for (const auto& [rep, colour, x] : {std::tuple{&pair.left(), kLeftColour, centre - bar - 1},
                                         std::tuple{&pair.right(), kRightColour, centre + 1}}) {
      const double y_concentric = chart.Y(rep->concentric_s());
      const double y_total = chart.Y(rep->concentric_s() + rep->eccentric_s());
      chart.Add("<g class=\"tempo-bar\" data-set=\"" + std::to_string(set_index) +
                "\" data-pair=\"" + std::to_string(pair.pair_index()) + "\" data-side=\"" +
                SideName(rep->side()) + "\" data-concentric-s=\"" + Exact(rep->concentric_s()) +
                "\" data-eccentric-s=\"" + Exact(rep->eccentric_s()) + "\"><rect x=\"" +
                Fixed(x, 1) + "\" y=\"" + Fixed(y_concentric, 1) + "\" width=\"" + Fixed(bar, 1) +
                "\" height=\"" + Fixed(chart.bottom() - y_concentric, 1) + "\" fill=\"" + colour +
                "\"/><rect x=\"" + Fixed(x, 1) + "\" y=\"" + Fixed(y_total, 1) + "\" width=\"" +
                Fixed(bar, 1) + "\" height=\"" + Fixed(y_concentric - y_total, 1) + "\" fill=\"" +
                colour + "\" fill-opacity=\"0.4\"/><title>rep " +
                std::to_string(pair.pair_index()) + " " + SideName(rep->side()) + ": up " +
                Fixed(rep->concentric_s(), 2) + " s, down " + Fixed(rep->eccentric_s(), 2) +
                " s</title></g>");
    }
    chart.XLabel(centre, std::to_string(pair.pair_index()));
  }
  return chart.Svg();
}

// The ROM difference of every set against the shaded bands.
std::string AsymmetryChart(const v1::GetSessionResponse& session) {
  double max_pct = kRedFromPct + 5;
  for (const v1::SetSummary& set : session.sets()) {
    if (const auto* rom = FindMetric(set.metrics(), v1::METRIC_ROM)) {
      max_pct = std::max(max_pct, rom->percent_difference());
    }
  }
  Chart chart("asymmetry", "ROM difference per set against the bands", kChartWidth,
              kAsymmetryChartHeight, NiceMax(max_pct, 30), "ROM diff %");
  chart.Band(0, kAmberFromPct, kGreenShade, "green");
  chart.Band(kAmberFromPct, kRedFromPct, kAmberShade, "amber");
  chart.Band(kRedFromPct, 1e9, kRedShade, "red");
  const double group = chart.plot_width() / static_cast<double>(std::max(1, session.sets_size()));
  const double bar = std::min(40.0, group * 0.5);
  for (int i = 0; i < session.sets_size(); ++i) {
    const v1::SetSummary& set = session.sets(i);
    const double centre = chart.left() + group * (i + 0.5);
    chart.XLabel(centre, "set " + std::to_string(set.set_index()));
    const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
    if (rom == nullptr) continue;
    const double y = chart.Y(rom->percent_difference());
    chart.Add("<rect class=\"set-asymmetry\" data-set=\"" + std::to_string(set.set_index()) +
              "\" data-rom-percent-difference=\"" + Exact(rom->percent_difference()) +
              "\" data-band=\"" + BandName(rom->band()) + "\" x=\"" + Fixed(centre - bar / 2, 1) +
              "\" y=\"" + Fixed(y, 1) + "\" width=\"" + Fixed(bar, 1) + "\" height=\"" +
              Fixed(chart.bottom() - y, 1) + "\" fill=\"" + BandFill(BandName(rom->band())) +
              "\"><title>set " + std::to_string(set.set_index()) + ": " +
              Fixed(rom->percent_difference(), 1) + " % (" + BandName(rom->band()) +
              ")</title></rect>");
  }
  return chart.Svg();
}

std::string SetTable(const v1::SetSummary& set) {
  const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
  std::string html = "<table class=\"set-stats\"><tr><th></th><th>left</th><th>right</th></tr>";
  const auto row = [&](const std::string& name, const std::string& left, const std::string& right) {
    html += "<tr><td>" + name + "</td><td>" + left + "</td><td>" + right + "</td></tr>";
  };
  row("reps", std::to_string(set.left().rep_count()), std::to_string(set.right().rep_count()));
  const v1::SideStats& l = set.left();
  const v1::SideStats& r = set.right();
  row("mean ROM (°)", SideFigure(l, l.mean_rom_deg(), 1), SideFigure(r, r.mean_rom_deg(), 1));
  row("ROM spread, SD (°)", SideFigure(l, l.sd_rom_deg(), 1), SideFigure(r, r.sd_rom_deg(), 1));
  row("lifting time (s)", SideFigure(l, l.mean_concentric_s(), 2),
      SideFigure(r, r.mean_concentric_s(), 2));
  row("lowering time (s)", SideFigure(l, l.mean_eccentric_s(), 2),
      SideFigure(r, r.mean_eccentric_s(), 2));
  row("peak speed (°/s)", SideFigure(l, l.mean_peak_speed_deg_s(), 0),
      SideFigure(r, r.mean_peak_speed_deg_s(), 0));
  html += "<tr class=\"speed-loss\" data-set=\"" + std::to_string(set.set_index()) +
          "\" data-left-speed-loss-pct=\"" + Exact(set.left().max_speed_loss_pct()) +
          "\" data-right-speed-loss-pct=\"" + Exact(set.right().max_speed_loss_pct()) +
          "\"><td>speed loss (%)</td><td>" + SideFigure(l, l.max_speed_loss_pct(), 1) +
          "</td><td>" + SideFigure(r, r.max_speed_loss_pct(), 1) + "</td></tr></table>";
  html +=
      "<table class=\"verdict\"><tr><th>ROM difference</th><th>ROM band</th>"
      "<th>weaker side</th><th>set band (worst metric)</th></tr><tr><td>" +
      DifferenceText(rom) + "</td>" +
      (rom != nullptr ? BandCell(rom->band()) : std::string("<td>-</td>")) + "<td>" +
      (set.weaker_side() == v1::SIDE_UNSPECIFIED ? "-" : SideName(set.weaker_side())) + "</td>" +
      BandCell(set.band()) + "</tr></table>";
  if (set.compared_with_set_index() != 0) {
    html += "<p class=\"meta\">Compared with set " + std::to_string(set.compared_with_set_index()) +
            " (the other side of a unilateral pair).</p>";
  }
  return html;
}

std::string DataQuality(const v1::GetSessionResponse& session) {
  std::string items;
  for (const v1::SensorStatus& status : session.sensor_events()) {
    const std::string where =
        (SideName(status.side()).empty() ? "" : SideName(status.side()) + " ") +
        (status.limb() == v1::LIMB_ANKLE ? "ankle" : "wrist") + " sensor";
    std::string text;
    switch (status.kind()) {
      case v1::SensorStatus::KIND_GAP:
        text = where + ": gap of " + Fixed(status.gap_s(), 2) + " s (" +
               std::to_string(status.missing_samples()) + " samples missing)";
        break;
      case v1::SensorStatus::KIND_LOST:
        text = where + ": lost";
        break;
      case v1::SensorStatus::KIND_BACK:
        text = where + ": back";
        break;
      case v1::SensorStatus::KIND_BAD_DATA:
        text = status.values_wrong()
                   ? where + ": wrong values"
                   : where + ": bad data, " + std::to_string(status.bytes_discarded()) +
                         " bytes skipped";
        break;
      default:
        text = where + ": status unknown";
        break;
    }
    if (!status.detail().empty()) text += " (" + status.detail() + ")";
    items += "<li class=\"sensor-note\" data-kind=\"" +
             std::string(v1::SensorStatus::Kind_Name(status.kind())) + "\" data-t-s=\"" +
             Exact(status.t_s()) + "\">at " + Fixed(status.t_s(), 1) + " s: " + Escape(text) +
             "</li>";
  }
  std::set<std::uint32_t> unilateral_sets;
  for (const v1::SetSummary& set : session.sets()) {
    if (set.mode() == v1::SET_MODE_UNILATERAL) unilateral_sets.insert(set.set_index());
  }
  for (const v1::UnpairedRep& unpaired : session.unpaired_reps()) {
    // One side works in a unilateral set: its reps have no partner by design, not by a fault.
    if (unilateral_sets.contains(unpaired.rep().set_index())) continue;
    items += "<li class=\"unpaired-note\">set " + std::to_string(unpaired.rep().set_index()) +
             ": " + SideName(unpaired.rep().side()) + " rep " +
             std::to_string(unpaired.rep().index()) +
             " has no partner on the other side (not compared)</li>";
  }
  if (session.session().end_unix_ns() == 0) {
    items += "<li>The session was still live when this report was made.</li>";
  }
  if (items.empty()) return "<p class=\"none\">No gaps, lost sensors or unpaired reps.</p>";
  return "<ul class=\"notes\">" + items + "</ul>";
}

}  // namespace

std::string SessionReportHtml(const v1::GetSessionResponse& session) {
  const v1::SessionInfo& info = session.session();
  std::vector<std::string> exercises;
  for (const v1::SetSummary& set : session.sets()) {
    const std::string name = ExerciseTitle(set.exercise());
    if (std::find(exercises.begin(), exercises.end(), name) == exercises.end()) {
      exercises.push_back(name);
    }
  }
  std::string exercise_list;
  for (const std::string& name : exercises) {
    exercise_list += (exercise_list.empty() ? "" : ", ") + Escape(name);
  }
  const double duration_min =
      info.end_unix_ns() > info.start_unix_ns()
          ? static_cast<double>(info.end_unix_ns() - info.start_unix_ns()) / 60e9
          : 0.0;
  std::string body;
  body += "<header class=\"session\" data-session-id=\"" + Escape(info.session_id()) +
          "\" data-athlete=\"" + Escape(info.athlete()) + "\" data-start-unix-ns=\"" +
          std::to_string(info.start_unix_ns()) + "\"><h1>" + Escape(info.athlete()) +
          " — session report</h1><p class=\"meta\">" +
          Utc(info.start_unix_ns(), "%A %d %B %Y, %H:%M UTC") +
          (duration_min > 0 ? " · " + Fixed(duration_min, 0) + " min" : std::string()) + " · " +
          std::to_string(session.sets_size()) + (session.sets_size() == 1 ? " set" : " sets") +
          " · session " + Escape(info.session_id()) + "</p><p><strong>Exercises:</strong> " +
          (exercise_list.empty() ? std::string("none recorded") : exercise_list) + "</p></header>";

  body += "<h2>Asymmetry per set</h2>";
  body += AsymmetryChart(session);
  body +=
      "<table class=\"overview\"><tr><th>set</th><th>exercise</th><th>reps L/R</th>"
      "<th>ROM L/R (°)</th><th>ROM diff</th><th>band</th><th>weaker</th>"
      "<th>speed loss L/R (%)</th></tr>";
  for (const v1::SetSummary& set : session.sets()) {
    const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
    body +=
        "<tr><td>" + std::to_string(set.set_index()) + "</td><td class=\"text\">" +
        Escape(ExerciseTitle(set.exercise())) + "</td><td>" +
        std::to_string(set.left().rep_count()) + " / " + std::to_string(set.right().rep_count()) +
        "</td><td>" + SideFigure(set.left(), set.left().mean_rom_deg(), 1) + " / " +
        SideFigure(set.right(), set.right().mean_rom_deg(), 1) + "</td><td>" + DifferenceText(rom) +
        "</td>" + BandCell(rom != nullptr ? rom->band() : v1::BAND_NOT_APPLICABLE) + "<td>" +
        (set.weaker_side() == v1::SIDE_UNSPECIFIED ? "-" : SideName(set.weaker_side())) +
        "</td><td>" + SideFigure(set.left(), set.left().max_speed_loss_pct(), 0) + " / " +
        SideFigure(set.right(), set.right().max_speed_loss_pct(), 0) + "</td></tr>";
  }
  body += "</table>";
  body += "<h2>Data quality</h2>" + DataQuality(session);

  std::map<std::uint32_t, std::vector<const v1::RepPair*>> pairs_by_set;
  for (const v1::RepPair& pair : session.rep_pairs())
    pairs_by_set[pair.set_index()].push_back(&pair);
  // In a unilateral set every rep is unpaired (one side works): those are its reps.
  RepsBySet unpaired_by_set;
  for (const v1::UnpairedRep& unpaired : session.unpaired_reps())
    unpaired_by_set[unpaired.rep().set_index()].push_back(&unpaired.rep());
  for (const v1::SetSummary& set : session.sets()) {
    body += "<section class=\"set\" data-set=\"" + std::to_string(set.set_index()) + "\"><h2>Set " +
            std::to_string(set.set_index()) + " — " + Escape(ExerciseTitle(set.exercise())) +
            "</h2><p class=\"meta\">" + ModeName(set.mode()) +
            (LimbText(set.limb()).empty() ? "" : ", " + LimbText(set.limb())) + " · " +
            Fixed(set.start_s(), 0) + "–" + Fixed(set.end_s(), 0) + " s into the session</p>";
    body += SetTable(set);
    const auto& pairs = pairs_by_set[set.set_index()];
    if (pairs.empty() && set.mode() == v1::SET_MODE_UNILATERAL) {
      const std::string chart = UnilateralRomChart(set, unpaired_by_set);
      body +=
          chart.empty()
              ? "<p class=\"none\">A unilateral set: the sides are compared set against set (the "
                "tables above), not rep by rep.</p>"
              : "<p class=\"meta\">A unilateral set: each side's reps on their own" +
                    std::string(set.compared_with_set_index() != 0
                                    ? ", this set's and set " +
                                          std::to_string(set.compared_with_set_index()) + "'s"
                                    : "") +
                    " (the sides are compared set against set).</p>" + chart +
                    UnilateralTempoChart(set, unpaired_by_set);
    } else if (pairs.empty()) {
      body += "<p class=\"none\">No rep pairs in this set (nothing to compare rep by rep).</p>";
    } else {
      body += RomChart(set.set_index(), pairs);
      body += TempoChart(set.set_index(), pairs);
    }
    std::string cues;
    for (const v1::Cue& cue : session.cues()) {
      if (cue.set_index() != set.set_index()) continue;
      cues += "<li class=\"cue\" data-kind=\"" + std::string(v1::Cue::Kind_Name(cue.kind())) +
              "\" data-t-s=\"" + Exact(cue.t_s()) + "\">" + Escape(cue.message()) + "</li>";
    }
    body += "<h3>Cues</h3>" + (cues.empty() ? std::string("<p class=\"none\">No cue fired.</p>")
                                            : "<ul class=\"cues\">" + cues + "</ul>");
    body += "</section>";
  }
  return Page(info.athlete() + " — session " + info.session_id(), body);
}

}  // namespace ambi::report
