// The weekly report: summary, balance bars with the 2:1 line, asymmetry trend, ROM per side.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "clients/report/html_parts.h"
#include "clients/report/report.h"
#include "clients/report/weekly_summary.h"

namespace ambi::report {
namespace {

constexpr double kChartWidth = 720;
constexpr double kBalanceChartHeight = 240;
constexpr double kTrendChartHeight = 240;
constexpr double kRomChartHeight = 180;

// Distinguishable line colours for exercises in the trend chart.
constexpr const char* kSeriesColours[] = {"#2f6db5", "#e08a1e", "#4a9d5b", "#8b4fb3",
                                          "#c8322f", "#2a9d9d", "#7a6a3a", "#d45fa0"};

std::string ShortWeek(const std::string& week) {
  // "2026-W48" -> "W48"
  const auto at = week.find('W');
  return at == std::string::npos ? week : week.substr(at);
}

const v1::ExerciseAsymmetry* FindExercise(const v1::WeekBalance& week, const std::string& name) {
  for (const v1::ExerciseAsymmetry& exercise : week.exercises()) {
    if (exercise.exercise() == name) return &exercise;
  }
  return nullptr;
}

// Per week: push and pull sets side by side, with the pull aim (2 x push) drawn as a dashed line
// across the pull bar.
std::string BalanceChart(const v1::WeeklyBalanceResponse& balance) {
  double max_sets = 4;
  for (const v1::WeekBalance& week : balance.weeks()) {
    max_sets =
        std::max({max_sets, static_cast<double>(week.push_sets()),
                  static_cast<double>(week.pull_sets()), kPullPerPushAim * week.push_sets()});
  }
  Chart chart("balance", "Push and pull sets per week; dashed: the pull aim (2 pull per push)",
              kChartWidth, kBalanceChartHeight, NiceMax(max_sets, 4), "sets");
  chart.Legend({{"#7b8fb0", "push"}, {"#3f5f8f", "pull"}, {"#1d2330", "2:1 aim"}});
  const double group = chart.plot_width() / static_cast<double>(std::max(1, balance.weeks_size()));
  const double bar = std::min(30.0, group * 0.32);
  for (int i = 0; i < balance.weeks_size(); ++i) {
    const v1::WeekBalance& week = balance.weeks(i);
    const double centre = chart.left() + group * (i + 0.5);
    for (const auto& [kind, sets, fill, x] :
         {std::tuple{"push", week.push_sets(), "#7b8fb0", centre - bar - 1},
          std::tuple{"pull", week.pull_sets(), "#3f5f8f", centre + 1}}) {
      const double y = chart.Y(sets);
      chart.Add("<rect class=\"balance-bar\" data-week=\"" + Escape(week.week()) +
                "\" data-kind=\"" + kind + "\" data-sets=\"" + std::to_string(sets) + "\" x=\"" +
                Fixed(x, 1) + "\" y=\"" + Fixed(y, 1) + "\" width=\"" + Fixed(bar, 1) +
                "\" height=\"" + Fixed(chart.bottom() - y, 1) + "\" fill=\"" + fill + "\"><title>" +
                Escape(week.week()) + ": " + std::to_string(sets) + " " + kind +
                " sets</title></rect>");
    }
    if (week.push_sets() > 0) {
      const double aim = kPullPerPushAim * week.push_sets();
      const double y = chart.Y(aim);
      chart.Add("<line class=\"aim\" data-week=\"" + Escape(week.week()) +
                "\" data-aim-pull-sets=\"" + Exact(aim) + "\" x1=\"" + Fixed(centre - 4, 1) +
                "\" x2=\"" + Fixed(centre + bar + 6, 1) + "\" y1=\"" + Fixed(y, 1) + "\" y2=\"" +
                Fixed(y, 1) + "\"/>");
    }
    chart.XLabel(centre, ShortWeek(week.week()));
  }
  return chart.Svg();
}

std::string BalanceTable(const v1::WeeklyBalanceResponse& balance) {
  std::string html =
      "<table class=\"balance\"><tr><th>week</th><th>push</th><th>pull</th>"
      "<th>pull:push</th><th>quads</th><th>hamstrings</th><th>reach</th>"
      "<th>reps L</th><th>reps R</th></tr>";
  for (const v1::WeekBalance& week : balance.weeks()) {
    const std::string ratio =
        week.push_sets() > 0
            ? Fixed(static_cast<double>(week.pull_sets()) / week.push_sets(), 1) + " : 1"
            : "-";
    html += "<tr data-week=\"" + Escape(week.week()) + "\"><td>" + Escape(week.week()) +
            "</td><td>" + std::to_string(week.push_sets()) + "</td><td>" +
            std::to_string(week.pull_sets()) + "</td><td>" + ratio + "</td><td>" +
            std::to_string(week.quadriceps_sets()) + "</td><td>" +
            std::to_string(week.hamstrings_sets()) + "</td><td>" +
            std::to_string(week.reaching_sets()) + "</td><td>" + std::to_string(week.left_reps()) +
            "</td><td>" + std::to_string(week.right_reps()) + "</td></tr>";
  }
  return html + "</table>";
}

std::string MuscleGroupTable(const v1::WeeklyBalanceResponse& balance) {
  std::set<std::string> groups;
  for (const v1::WeekBalance& week : balance.weeks()) {
    for (const v1::MuscleGroupVolume& volume : week.muscle_groups())
      groups.insert(volume.muscle_group());
  }
  if (groups.empty()) return "<p class=\"none\">No sets of catalogued exercises.</p>";
  std::string html = "<table class=\"groups\"><tr><th>sets per muscle group</th>";
  for (const v1::WeekBalance& week : balance.weeks())
    html += "<th>" + ShortWeek(week.week()) + "</th>";
  html += "</tr>";
  for (const std::string& group : groups) {
    html += "<tr><td>" + Escape(ExerciseTitle(group)) + "</td>";
    for (const v1::WeekBalance& week : balance.weeks()) {
      std::uint32_t sets = 0;
      for (const v1::MuscleGroupVolume& volume : week.muscle_groups()) {
        if (volume.muscle_group() == group) sets = volume.sets();
      }
      html += "<td>" + (sets == 0 ? std::string("·") : std::to_string(sets)) + "</td>";
    }
    html += "</tr>";
  }
  return html + "</table>";
}

std::vector<std::string> ExercisesWith(const v1::WeeklyBalanceResponse& balance, bool compared) {
  std::set<std::string> names;
  for (const v1::WeekBalance& week : balance.weeks()) {
    for (const v1::ExerciseAsymmetry& exercise : week.exercises()) {
      const bool has_rom = exercise.mean_left_rom_deg() > 0 || exercise.mean_right_rom_deg() > 0;
      if (compared ? exercise.compared_sets() > 0 : has_rom) names.insert(exercise.exercise());
    }
  }
  return {names.begin(), names.end()};
}

// The ROM difference per exercise and week, a line per exercise, on the shaded bands.
std::string TrendChart(const v1::WeeklyBalanceResponse& balance,
                       const std::vector<std::string>& exercises) {
  double max_pct = kRedFromPct + 5;
  for (const v1::WeekBalance& week : balance.weeks()) {
    for (const v1::ExerciseAsymmetry& exercise : week.exercises()) {
      if (exercise.compared_sets() > 0) {
        max_pct = std::max(max_pct, exercise.mean_rom_percent_difference());
      }
    }
  }
  Chart chart("trend", "ROM difference per exercise, week by week (bands shaded)", kChartWidth,
              kTrendChartHeight, NiceMax(max_pct, 30), "ROM diff %");
  chart.Band(0, kAmberFromPct, kGreenShade, "green");
  chart.Band(kAmberFromPct, kRedFromPct, kAmberShade, "amber");
  chart.Band(kRedFromPct, 1e9, kRedShade, "red");
  const double step = chart.plot_width() / static_cast<double>(std::max(1, balance.weeks_size()));
  std::vector<std::pair<std::string, std::string>> legend;
  for (std::size_t e = 0; e < exercises.size(); ++e) {
    const char* colour = kSeriesColours[e % std::size(kSeriesColours)];
    legend.emplace_back(colour, ExerciseTitle(exercises[e]));
    std::string points;
    for (int i = 0; i < balance.weeks_size(); ++i) {
      const v1::WeekBalance& week = balance.weeks(i);
      const v1::ExerciseAsymmetry* exercise = FindExercise(week, exercises[e]);
      if (exercise == nullptr || exercise->compared_sets() == 0) continue;
      const double x = chart.left() + step * (i + 0.5);
      const double y = chart.Y(exercise->mean_rom_percent_difference());
      points += Fixed(x, 1) + "," + Fixed(y, 1) + " ";
      chart.Add("<circle class=\"trend-point\" data-week=\"" + Escape(week.week()) +
                "\" data-exercise=\"" + Escape(exercises[e]) + "\" data-rom-percent-difference=\"" +
                Exact(exercise->mean_rom_percent_difference()) +
                "\" data-rom-symmetry-index-pct=\"" +
                Exact(exercise->mean_rom_symmetry_index_pct()) + "\" cx=\"" + Fixed(x, 1) +
                "\" cy=\"" + Fixed(y, 1) + "\" r=\"4\" fill=\"" + colour + "\"><title>" +
                Escape(ExerciseTitle(exercises[e])) + " " + Escape(week.week()) + ": " +
                Fixed(exercise->mean_rom_percent_difference(), 1) + " %</title></circle>");
    }
    if (!points.empty()) {
      chart.Add("<polyline class=\"trend-line\" data-exercise=\"" + Escape(exercises[e]) +
                "\" points=\"" + points + "\" fill=\"none\" stroke=\"" + colour +
                "\" stroke-width=\"2\"/>");
    }
  }
  for (int i = 0; i < balance.weeks_size(); ++i) {
    chart.XLabel(chart.left() + step * (i + 0.5), ShortWeek(balance.weeks(i).week()));
  }
  chart.Legend(legend);
  return chart.Svg();
}

// One small chart per exercise: the left and right ROM, week by week.
std::string RomChart(const v1::WeeklyBalanceResponse& balance, const std::string& name) {
  double max_rom = 10;
  for (const v1::WeekBalance& week : balance.weeks()) {
    if (const auto* exercise = FindExercise(week, name)) {
      max_rom = std::max({max_rom, exercise->mean_left_rom_deg(), exercise->mean_right_rom_deg()});
    }
  }
  Chart chart("rom-weeks", ExerciseTitle(name) + ": mean ROM per side (segment angle)", kChartWidth,
              kRomChartHeight, NiceMax(max_rom, 10), "ROM °");
  chart.Legend({{kLeftColour, "left"}, {kRightColour, "right"}});
  const double group = chart.plot_width() / static_cast<double>(std::max(1, balance.weeks_size()));
  const double bar = std::min(24.0, group * 0.3);
  for (int i = 0; i < balance.weeks_size(); ++i) {
    const v1::WeekBalance& week = balance.weeks(i);
    const double centre = chart.left() + group * (i + 0.5);
    chart.XLabel(centre, ShortWeek(week.week()));
    const v1::ExerciseAsymmetry* exercise = FindExercise(week, name);
    if (exercise == nullptr) continue;
    for (const auto& [side, rom, colour, x] :
         {std::tuple{"left", exercise->mean_left_rom_deg(), kLeftColour, centre - bar - 1},
          std::tuple{"right", exercise->mean_right_rom_deg(), kRightColour, centre + 1}}) {
      if (rom <= 0) continue;
      const double y = chart.Y(rom);
      chart.Add("<rect class=\"week-rom\" data-week=\"" + Escape(week.week()) +
                "\" data-exercise=\"" + Escape(name) + "\" data-side=\"" + side +
                "\" data-rom-deg=\"" + Exact(rom) + "\" x=\"" + Fixed(x, 1) + "\" y=\"" +
                Fixed(y, 1) + "\" width=\"" + Fixed(bar, 1) + "\" height=\"" +
                Fixed(chart.bottom() - y, 1) + "\" fill=\"" + colour + "\"><title>" +
                Escape(week.week()) + " " + side + ": " + Fixed(rom, 1) + "°</title></rect>");
    }
  }
  return chart.Svg();
}

std::string AsymmetryTable(const v1::WeeklyBalanceResponse& balance,
                           const std::vector<std::string>& exercises) {
  std::string html =
      "<table class=\"asymmetry\"><tr><th>exercise</th><th>week</th>"
      "<th>sets</th><th>ROM diff</th><th>vs baseline</th><th>weaker</th></tr>";
  for (const std::string& name : exercises) {
    for (const v1::WeekBalance& week : balance.weeks()) {
      const v1::ExerciseAsymmetry* exercise = FindExercise(week, name);
      if (exercise == nullptr || exercise->compared_sets() == 0) continue;
      const double change = exercise->mean_rom_percent_difference() -
                            BaselinePercentDifference(balance, *exercise)
                                .value_or(exercise->mean_rom_percent_difference());
      const bool baseline = exercise->baseline_week() == week.week();
      html += "<tr><td>" + Escape(ExerciseTitle(name)) + "</td><td>" + Escape(week.week()) +
              "</td><td>" + std::to_string(exercise->sets()) + "</td><td>" +
              Fixed(exercise->mean_rom_percent_difference(), 1) + " %</td><td>" +
              (baseline ? std::string("baseline")
                        : (change > 0 ? "+" : "") + Fixed(change, 1) + " pts") +
              "</td><td>" +
              (exercise->weaker_side() == v1::SIDE_LEFT    ? "left"
               : exercise->weaker_side() == v1::SIDE_RIGHT ? "right"
                                                           : "-") +
              "</td></tr>";
    }
  }
  return html + "</table>";
}

}  // namespace

std::string WeeklyReportHtml(const v1::WeeklyBalanceResponse& balance) {
  const std::string range =
      balance.weeks().empty()
          ? std::string("no weeks")
          : balance.weeks(0).week() + " to " + balance.weeks(balance.weeks_size() - 1).week();
  std::string body;
  body += "<header class=\"weekly\" data-athlete=\"" + Escape(balance.athlete()) +
          "\" data-weeks=\"" + std::to_string(balance.weeks_size()) + "\"><h1>" +
          Escape(balance.athlete()) + " — weekly balance</h1><p class=\"meta\">" + Escape(range) +
          " (ISO weeks, UTC) · " + std::to_string(balance.weeks_size()) + " weeks</p></header>";
  body += "<h2>Summary</h2><ul class=\"summary\">";
  for (const std::string& sentence : SummarySentences(balance)) {
    body += "<li>" + Escape(sentence) + "</li>";
  }
  body += "</ul>";
  body += "<h2>Balance</h2>" + BalanceChart(balance) + BalanceTable(balance);
  body += MuscleGroupTable(balance);

  const std::vector<std::string> compared = ExercisesWith(balance, true);
  body += "<section class=\"page\"><h2>Left/right asymmetry over the weeks</h2>";
  if (compared.empty()) {
    body += "<p class=\"none\">No set compared the two sides in these weeks.</p>";
  } else {
    body += TrendChart(balance, compared) + AsymmetryTable(balance, compared);
  }
  body += "</section>";
  const std::vector<std::string> with_rom = ExercisesWith(balance, false);
  body += "<section class=\"page\"><h2>Range of motion per side over the weeks</h2>";
  if (with_rom.empty()) body += "<p class=\"none\">No reps recorded in these weeks.</p>";
  for (const std::string& name : with_rom) body += RomChart(balance, name);
  body += "</section>";
  return Page(balance.athlete() + " — weekly balance " + range, body);
}

}  // namespace ambi::report
