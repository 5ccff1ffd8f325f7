#ifndef AMBI_PROTO_CONVERT_EVENT_TEXT_H_
#define AMBI_PROTO_CONVERT_EVENT_TEXT_H_

#include <string>

#include "ambi/v1/events.pb.h"

namespace ambi::proto {

// Enum values as every client writes them: "left"/"right", "wrist"/"ankle", "green"/"amber"/"red",
// "bilateral"/"unilateral"; "" for an unspecified side, limb or mode and "n/a" for a band that
// does not apply. The one place these words are spelt (exports and JSON carry them too).
std::string SideName(v1::Side side);
std::string LimbName(v1::Limb limb);
std::string BandName(v1::Band band);
std::string ModeName(v1::SetMode mode);

// The comparison of 'metric' in 'metrics', or nullptr.
const v1::MetricComparison* FindMetric(
    const google::protobuf::RepeatedPtrField<v1::MetricComparison>& metrics, v1::Metric metric);

// One line a coach can read at a glance, e.g. for a rep pair
// "set 2 rep 5  L 118.2°  R 104.9°  ROM diff 11.3 % (amber, right weaker)  lead L 40 ms".
// Every kind of event gets a line; an empty event gets a line saying so. Used by ambi-watch and
// `ambi-replay --format text`.
std::string DescribeEvent(const v1::Event& event);

// The line of one sensor status (gap, lost, back, bad data or wrong values, with its detail), e.g.
// "right wrist sensor: gap 0.52 s, 26 samples missing": DescribeEvent's, and `ambictl show`'s
// data-quality notes.
std::string DescribeSensorStatus(const v1::SensorStatus& status);

// The sentence of a cue, rendered from its values (kind, side, target, metric, figures); the one
// place cue text is written (docs/coaching.md lists what each kind says).
std::string CueSentence(const v1::Cue& cue);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_EVENT_TEXT_H_
