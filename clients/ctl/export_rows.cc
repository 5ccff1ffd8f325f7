#include "clients/ctl/export_rows.h"

#include <map>
#include <nlohmann/json.hpp>

#include "clients/ctl/ctl_text.h"

namespace ambi::ctl {
namespace {

// Four decimals: 0.0001° and 0.1 ms are far below what the sensors resolve, and a spreadsheet
// keeps the stored values without float noise.
std::string Number(double value) { return Format("%.4f", value); }
std::string Count(std::uint64_t value) { return std::to_string(value); }

const v1::SetSummary* FindSet(const v1::GetSessionResponse& session, std::uint32_t set_index) {
  for (const v1::SetSummary& set : session.sets()) {
    if (set.set_index() == set_index) return &set;
  }
  return nullptr;
}

// The columns every row starts with.
ExportRow Head(const v1::GetSessionResponse& session, std::uint32_t set_index) {
  const v1::SetSummary* set = FindSet(session, set_index);
  return {Count(kExportVersion),
          session.session().session_id(),
          session.session().athlete(),
          UtcIso(session.session().start_unix_ns()),
          Count(set_index),
          set != nullptr ? set->exercise() : "",
          set != nullptr ? ModeName(set->mode()) : ""};
}

void AddRep(const v1::GetSessionResponse& session, const v1::Rep& rep, const v1::RepPair* pair,
            std::vector<ExportRow>* rows) {
  ExportRow row = Head(session, rep.set_index());
  const v1::MetricComparison* rom =
      pair != nullptr ? FindMetric(pair->metrics(), v1::METRIC_ROM) : nullptr;
  const v1::Limb limb =
      rep.limb() == v1::LIMB_UNSPECIFIED && pair != nullptr ? pair->limb() : rep.limb();
  const ExportRow rest = {
      LimbName(limb),
      SideName(rep.side()),
      Count(rep.index()),
      pair != nullptr ? Count(pair->pair_index()) : "",
      Number(rep.start_s()),
      Number(rep.end_s()),
      Number(rep.rom_deg()),
      Number(rep.concentric_s()),
      Number(rep.eccentric_s()),
      Number(rep.peak_speed_deg_s()),
      rom != nullptr ? Number(rom->percent_difference()) : "",
      rom != nullptr ? Number(rom->symmetry_index_pct()) : "",
      rom != nullptr ? BandName(rom->band()) : "",
      rom != nullptr ? SideName(rom->weaker_side()) : "",
      pair != nullptr ? Number(pair->lead_ms()) : "",
  };
  row.insert(row.end(), rest.begin(), rest.end());
  rows->push_back(std::move(row));
}

bool IsNumberColumn(const std::string& column) {
  static const char* const kText[] = {
      "session_id", "athlete", "session_start_utc", "exercise", "mode",
      "limb",       "side",    "rom_band",          "band",     "weaker_side"};
  for (const char* text : kText) {
    if (column == text) return false;
  }
  return true;
}

std::string CsvCell(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

const std::vector<std::string>& ExportColumns(ExportLevel level) {
  static const std::vector<std::string> kRep = {"export_version",
                                                "session_id",
                                                "athlete",
                                                "session_start_utc",
                                                "set_index",
                                                "exercise",
                                                "mode",
                                                "limb",
                                                "side",
                                                "rep_index",
                                                "pair_index",
                                                "start_s",
                                                "end_s",
                                                "rom_deg",
                                                "concentric_s",
                                                "eccentric_s",
                                                "peak_speed_deg_s",
                                                "rom_percent_difference",
                                                "rom_symmetry_index_pct",
                                                "rom_band",
                                                "weaker_side",
                                                "lead_ms"};
  static const std::vector<std::string> kSet = {"export_version",
                                                "session_id",
                                                "athlete",
                                                "session_start_utc",
                                                "set_index",
                                                "exercise",
                                                "mode",
                                                "limb",
                                                "start_s",
                                                "end_s",
                                                "left_reps",
                                                "right_reps",
                                                "left_mean_rom_deg",
                                                "right_mean_rom_deg",
                                                "left_sd_rom_deg",
                                                "right_sd_rom_deg",
                                                "left_mean_concentric_s",
                                                "right_mean_concentric_s",
                                                "left_mean_eccentric_s",
                                                "right_mean_eccentric_s",
                                                "left_mean_peak_speed_deg_s",
                                                "right_mean_peak_speed_deg_s",
                                                "left_max_speed_loss_pct",
                                                "right_max_speed_loss_pct",
                                                "rom_percent_difference",
                                                "rom_symmetry_index_pct",
                                                "rom_band",
                                                "band",
                                                "weaker_side",
                                                "significant",
                                                "compared_with_set_index",
                                                "cues"};
  return level == ExportLevel::kRep ? kRep : kSet;
}

std::vector<ExportRow> ExportRows(const v1::GetSessionResponse& session, ExportLevel level) {
  std::vector<ExportRow> rows;
  if (level == ExportLevel::kRep) {
    for (const v1::RepPair& pair : session.rep_pairs()) {
      AddRep(session, pair.left(), &pair, &rows);
      AddRep(session, pair.right(), &pair, &rows);
    }
    for (const v1::UnpairedRep& unpaired : session.unpaired_reps()) {
      AddRep(session, unpaired.rep(), nullptr, &rows);
    }
    return rows;
  }
  std::map<std::uint32_t, int> cues_by_set;
  for (const v1::Cue& cue : session.cues()) ++cues_by_set[cue.set_index()];
  for (const v1::SetSummary& set : session.sets()) {
    ExportRow row = Head(session, set.set_index());
    const v1::MetricComparison* rom = FindMetric(set.metrics(), v1::METRIC_ROM);
    const ExportRow rest = {
        LimbName(set.limb()),
        Number(set.start_s()),
        Number(set.end_s()),
        Count(set.left().rep_count()),
        Count(set.right().rep_count()),
        Number(set.left().mean_rom_deg()),
        Number(set.right().mean_rom_deg()),
        Number(set.left().sd_rom_deg()),
        Number(set.right().sd_rom_deg()),
        Number(set.left().mean_concentric_s()),
        Number(set.right().mean_concentric_s()),
        Number(set.left().mean_eccentric_s()),
        Number(set.right().mean_eccentric_s()),
        Number(set.left().mean_peak_speed_deg_s()),
        Number(set.right().mean_peak_speed_deg_s()),
        Number(set.left().max_speed_loss_pct()),
        Number(set.right().max_speed_loss_pct()),
        rom != nullptr ? Number(rom->percent_difference()) : "",
        rom != nullptr ? Number(rom->symmetry_index_pct()) : "",
        rom != nullptr ? BandName(rom->band()) : "",
        BandName(set.band()),
        SideName(set.weaker_side()),
        set.significant() ? "1" : "0",
        set.compared_with_set_index() != 0 ? Count(set.compared_with_set_index()) : "",
        Count(static_cast<std::uint64_t>(cues_by_set[set.set_index()])),
    };
    row.insert(row.end(), rest.begin(), rest.end());
    rows.push_back(std::move(row));
  }
  return rows;
}

void WriteExport(const std::vector<ExportRow>& rows, ExportLevel level, ExportFormat format,
                 bool header, std::ostream& out) {
  const std::vector<std::string>& columns = ExportColumns(level);
  if (format == ExportFormat::kCsv) {
    const auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << CsvCell(cells[i]);
      out << "\n";
    };
    if (header) line(columns);
    for (const ExportRow& row : rows) line(row);
    return;
  }
  for (const ExportRow& row : rows) {
    nlohmann::ordered_json object;
    for (std::size_t i = 0; i < columns.size() && i < row.size(); ++i) {
      if (row[i].empty()) {
        object[columns[i]] = nullptr;
      } else if (IsNumberColumn(columns[i])) {
        if (row[i].find('.') == std::string::npos) {
          object[columns[i]] = std::stoll(row[i]);
        } else {
          object[columns[i]] = std::stod(row[i]);
        }
      } else {
        object[columns[i]] = row[i];
      }
    }
    out << object.dump() << "\n";
  }
}

}  // namespace ambi::ctl
