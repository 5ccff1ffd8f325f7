#ifndef AMBI_CLIENTS_CTL_CTL_TEXT_H_
#define AMBI_CLIENTS_CTL_CTL_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "proto/convert/event_text.h"

namespace ambi::ctl {

// Side, limb, band and mode words, FindMetric and a sensor status's line are
// proto/convert/event_text.h's (SideName...).
using proto::BandName;
using proto::DescribeSensorStatus;
using proto::FindMetric;
using proto::LimbName;
using proto::ModeName;
using proto::SideName;

// The segment a limb's sensor measures: "forearm", "shank"; "segment" when unknown.
std::string SegmentWord(v1::Limb limb);

// "2026-11-02 10:15:00" and "2026-11-02T10:15:00Z" (UTC); "-" for 0.
std::string UtcTime(std::int64_t unix_ns);
std::string UtcIso(std::int64_t unix_ns);

// A date on the command line, as Unix ns (UTC): "2026-11-02", "2026-11-02T10:15[:30][Z]",
// "today", "yesterday", or "7d" (that many days before now, at 00:00). With 'end_of_day' a bare
// date means the end of that day (for --until, inclusive). nullopt when it is none of these.
std::optional<std::int64_t> ParseDate(std::string_view text, std::int64_t now_unix_ns,
                                      bool end_of_day);
// What ParseDate accepts, for error messages.
extern const char kDateForms[];

// A bare path is a unix socket: "/run/ambi/ambid.sock" -> "unix:/run/ambi/ambid.sock".
std::string NormalizeAddress(const std::string& address);
// Why a unix socket address cannot be reached, from the file system: "no such file",
// "not a socket", "permission denied"; "connection refused" otherwise (and for TCP).
std::string UnreachableReason(const std::string& address);

// A table with a header row, columns padded to their widest cell; numbers right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// printf into a std::string.
std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace ambi::ctl

#endif  // AMBI_CLIENTS_CTL_CTL_TEXT_H_
