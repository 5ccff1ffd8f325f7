#ifndef AMBI_CLIENTS_CTL_EXPORT_ROWS_H_
#define AMBI_CLIENTS_CTL_EXPORT_ROWS_H_

#include <ostream>
#include <string>
#include <vector>

#include "ambi/v1/service.pb.h"

namespace ambi::ctl {

// `ambictl export`: the versioned contract of docs/export.md. Within one version a column is
// never renamed or removed (new ones may be appended); the version is the first column.
inline constexpr int kExportVersion = 1;

enum class ExportLevel { kRep, kSet };
enum class ExportFormat { kCsv, kJson };

// The columns of a level, in order.
const std::vector<std::string>& ExportColumns(ExportLevel level);

// One value per column of ExportColumns(level), as text (numbers with fixed precision).
using ExportRow = std::vector<std::string>;

// The rows of one session: per rep, one row for each rep of a rep pair (left, then right),
// followed by the reps without a partner; per set, one row per set.
std::vector<ExportRow> ExportRows(const v1::GetSessionResponse& session, ExportLevel level);

// Writes the header (CSV) and rows; JSON: one object per line, numbers as numbers, empty
// values as null.
void WriteExport(const std::vector<ExportRow>& rows, ExportLevel level, ExportFormat format,
                 bool header, std::ostream& out);

}  // namespace ambi::ctl

#endif  // AMBI_CLIENTS_CTL_EXPORT_ROWS_H_
