#ifndef AMBI_PROTO_CONVERT_EVENT_TEXT_H_
#define AMBI_PROTO_CONVERT_EVENT_TEXT_H_

#include <string>

#include "ambi/v1/events.pb.h"

namespace ambi::proto {

// One line a coach can read at a glance, e.g. for a rep pair
// "set 2 rep 5  L 118.2°  R 104.9°  ROM diff 11.3 % (amber, right weaker)  lead L 40 ms".
// Every kind of event gets a line; an empty event gets a line saying so. Used by ambi-watch and
// `ambi-replay --format text`.
std::string DescribeEvent(const v1::Event& event);

// The sentence of a cue, rendered from its values (kind, side, target, metric, figures); the one
// place cue text is written (docs/coaching.md lists what each kind says).
std::string CueSentence(const v1::Cue& cue);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_EVENT_TEXT_H_
