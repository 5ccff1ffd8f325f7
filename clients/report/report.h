#ifndef AMBI_CLIENTS_REPORT_REPORT_H_
#define AMBI_CLIENTS_REPORT_REPORT_H_

#include <string>

#include "ambi/v1/service.pb.h"

namespace ambi::report {

// The coach's reports, shared by ambictl and ambi-web. Pure functions: the daemon's history
// messages in, one self-contained HTML page out (inline CSS, charts as inline SVG drawn here, no
// script, no external request of any kind), printable (print CSS, A4, one page per set).
// Every chart mark carries the stored value it draws in data- attributes (docs/report.md), so a
// test or a script can read the numbers back from the page.

// One session (GetSession): athlete, date, exercises; per set the L/R ROM of each rep as paired
// bars, the tempo of each rep, the set's asymmetry against the green/amber/red bands, speed loss
// and the cues that fired; data-quality notes (gaps, lost sensors, reps without a partner).
std::string SessionReportHtml(const v1::GetSessionResponse& session);

// One athlete over weeks (GetWeeklyBalance): weekly balance bars with the 2:1 pull:push line,
// the ROM asymmetry trend per exercise with the bands shaded, the ROM per side over the weeks,
// and a short plain-language summary.
std::string WeeklyReportHtml(const v1::WeeklyBalanceResponse& balance);

}  // namespace ambi::report

#endif  // AMBI_CLIENTS_REPORT_REPORT_H_
