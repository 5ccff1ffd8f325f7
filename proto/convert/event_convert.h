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

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_EVENT_CONVERT_H_
