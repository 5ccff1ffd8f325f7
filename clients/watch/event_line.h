#ifndef AMBI_CLIENTS_WATCH_EVENT_LINE_H_
#define AMBI_CLIENTS_WATCH_EVENT_LINE_H_

#include <optional>
#include <string>
#include <string_view>

#include "ambi/v1/service.pb.h"

namespace ambi::watch {

// One line a coach can read at a glance, e.g. for a rep pair
// "alice  set 2 rep 5  L 118.2°  R 104.9°  ROM diff 11.3 % (amber, right weaker)  lead L 40 ms".
// Every kind of event gets a line; an empty event gets a line saying so.
std::string DescribeLiveEvent(const v1::LiveEvent& live);

// An event kind as typed on the command line: "rep_pair", "rep-pair", "REP_PAIR" or
// "EVENT_KIND_REP_PAIR". nullopt for anything else (and for "unspecified").
std::optional<v1::EventKind> ParseEventKind(std::string_view text);

// The names ParseEventKind accepts, lower case, comma separated: for error messages.
std::string EventKindNames();

}  // namespace ambi::watch

#endif  // AMBI_CLIENTS_WATCH_EVENT_LINE_H_
