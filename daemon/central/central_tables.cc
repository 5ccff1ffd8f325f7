#include "daemon/central/central_tables.h"

namespace ambi::central {

std::span<const CentralTable> CentralTables() {
  // The sets query ends with the exercise's traits, appended by LocalOutbox from the catalog.
  static const std::vector<CentralTable> tables = {
      {"sessions",
       "SELECT s.id, a.name, s.start_unix_ns, s.end_unix_ns, s.capture_path FROM sessions s "
       "JOIN athletes a ON a.id = s.athlete_id WHERE s.rowid = ?1",
       "ambi_sessions",
       {"session_id", "athlete", "start_unix_ns", "end_unix_ns", "capture_path"},
       {"session_id"},
       true},
      {"sets",
       "SELECT session_id, set_index, exercise, mode, limb, side, automatic, start_unix_ns, "
       "end_unix_ns, start_s, end_s, left_reps, right_reps, weaker_side, band, significant, "
       "rom_percent_difference, rom_symmetry_index_pct, rom_band, compared_with_set_index, "
       "summary FROM sets WHERE rowid = ?1",
       "ambi_sets",
       {"session_id",
        "set_index",
        "exercise",
        "mode",
        "limb",
        "side",
        "automatic",
        "start_unix_ns",
        "end_unix_ns",
        "start_s",
        "end_s",
        "left_reps",
        "right_reps",
        "weaker_side",
        "band",
        "significant",
        "rom_percent_difference",
        "rom_symmetry_index_pct",
        "rom_band",
        "compared_with_set_index",
        "summary",
        "muscle_groups",
        "direction",
        "reaching"},
       {"session_id", "set_index"},
       true},
      {"reps",
       "SELECT session_id, id, set_index, rep_index, side, limb, start_s, turnaround_s, end_s, "
       "rom_deg, concentric_s, eccentric_s, peak_speed_deg_s, unix_ns FROM reps WHERE id = ?1",
       "ambi_reps",
       {"session_id", "seq", "set_index", "rep_index", "side", "limb", "start_s", "turnaround_s",
        "end_s", "rom_deg", "concentric_s", "eccentric_s", "peak_speed_deg_s", "unix_ns"},
       {"session_id", "seq"},
       false},
      {"rep_pairs",
       "SELECT session_id, id, set_index, pair_index, limb, lead_ms, unix_ns, pair FROM rep_pairs "
       "WHERE id = ?1",
       "ambi_rep_pairs",
       {"session_id", "seq", "set_index", "pair_index", "limb", "lead_ms", "unix_ns", "pair"},
       {"session_id", "seq"},
       false},
      {"rep_pair_metrics",
       "SELECT p.session_id, m.rep_pair_id, m.metric, m.left_value, m.right_value, "
       "m.percent_difference, m.symmetry_index_pct, m.weaker_side, m.band, m.significant "
       "FROM rep_pair_metrics m JOIN rep_pairs p ON p.id = m.rep_pair_id WHERE m.rowid = ?1",
       "ambi_rep_pair_metrics",
       {"session_id", "pair_seq", "metric", "left_value", "right_value", "percent_difference",
        "symmetry_index_pct", "weaker_side", "band", "significant"},
       {"session_id", "pair_seq", "metric"},
       false},
      {"cues",
       "SELECT session_id, id, set_index, limb, kind, side, target_reps, value_pct, message, t_s, "
       "unix_ns, cue FROM cues WHERE id = ?1",
       "ambi_cues",
       {"session_id", "seq", "set_index", "limb", "kind", "side", "target_reps", "value_pct",
        "message", "t_s", "unix_ns", "cue"},
       {"session_id", "seq"},
       false},
      {"events",
       "SELECT session_id, id, kind, t_s, unix_ns, event FROM events WHERE id = ?1",
       "ambi_events",
       {"session_id", "seq", "kind", "t_s", "unix_ns", "event"},
       {"session_id", "seq"},
       false},
  };
  return tables;
}

const CentralTable* FindCentralTable(std::string_view store_table) {
  for (const CentralTable& table : CentralTables()) {
    if (table.store_table == store_table) return &table;
  }
  return nullptr;
}

std::string CentralUpsertSql(const CentralTable& table, std::size_t rows) {
  std::string sql = "INSERT INTO " + std::string(table.central_table) + " (box_id";
  for (std::string_view column : table.columns) sql += ", " + std::string(column);
  sql += ") VALUES ";
  // Every row shares $1, the box id; row r's values follow from $(2 + r * columns).
  std::size_t param = 2;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "($1" : ", ($1";
    for (std::size_t i = 0; i < table.columns.size(); ++i) sql += ", $" + std::to_string(param++);
    sql += ")";
  }
  sql += " ON CONFLICT (box_id";
  for (std::string_view key : table.keys) sql += ", " + std::string(key);
  sql += ") DO ";
  if (!table.mutable_row) return sql + "NOTHING";
  sql += "UPDATE SET ";
  bool first = true;
  for (std::string_view column : table.columns) {
    bool is_key = false;
    for (std::string_view key : table.keys) is_key = is_key || key == column;
    if (is_key) continue;
    sql += (first ? "" : ", ") + std::string(column) + " = EXCLUDED." + std::string(column);
    first = false;
  }
  return sql;
}

}  // namespace ambi::central
