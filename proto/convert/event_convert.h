#ifndef AMBI_PROTO_CONVERT_EVENT_CONVERT_H_
#define AMBI_PROTO_CONVERT_EVENT_CONVERT_H_

#include <optional>
#include <string>

#include "ambi/v1/capture.pb.h"
#include "ambi/v1/events.pb.h"
#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/placement.h"
#include "fusion/decode/protocol.h"

namespace ambi::proto {

// Free converters between the core's structs and the ambi.v1 messages: the proto is the wire
// and file format, the struct is what the algorithms use.

v1::Side ToProto(std::optional<fusion::Side> side);
v1::Limb ToProto(fusion::Limb limb);
v1::SetMode ToProto(fusion::SetMode mode);
v1::Protocol ToProto(fusion::Protocol protocol);
v1::Band ToProto(fusion::Band band);
v1::Metric ToProto(fusion::Metric metric);

std::optional<fusion::Side> FromProto(v1::Side side);
std::optional<fusion::Limb> FromProto(v1::Limb limb);
std::optional<fusion::SetMode> FromProto(v1::SetMode mode);
std::optional<fusion::Protocol> FromProto(v1::Protocol protocol);

void ToProto(const fusion::Rep& rep, v1::Rep* out);
v1::Event ToProto(const fusion::Event& event);

// Rounds every double of 'message' (recursively) to the precision its field name implies:
// *_deg and *_deg_s to 0.1, *_s to 1 ms, *_ms to 1 ms, percentages to 0.1, metric values to
// 0.001. Golden files are written rounded so that compilers do not flip their last digits.
void RoundForGolden(google::protobuf::Message* message);

// One line of proto3 JSON with the proto field names kept in snake_case and every field printed,
// defaults included. 'pretty' adds indentation (for people).
std::string ToJson(const google::protobuf::Message& message, bool pretty = false);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_EVENT_CONVERT_H_
