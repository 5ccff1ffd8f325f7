#ifndef AMBI_PROTO_CONVERT_PROTO_JSON_H_
#define AMBI_PROTO_CONVERT_PROTO_JSON_H_

#include <google/protobuf/message.h>

#include <string>

namespace ambi::proto {

// Any ambi.v1 message as text, with no view of the core's structs: what clients need.

// Rounds every double of 'message' (recursively) to the precision its field name implies:
// *_deg and *_deg_s to 0.1, *_s to 1 ms, *_ms to 1 ms, percentages to 0.1, metric values to
// 0.001. Golden files are written rounded so that compilers do not flip their last digits.
void RoundForGolden(google::protobuf::Message* message);

// One line of proto3 JSON with the proto field names kept in snake_case and every field printed,
// defaults included. 'pretty' adds indentation (for people). The one-line form comes from
// AppendCompactJson (the same bytes as protobuf's printer, faster); the indented one, and any
// message that writer leaves to protobuf, from protobuf's MessageToJsonString.
std::string ToJson(const google::protobuf::Message& message, bool pretty = false);

// protobuf's own printer with ToJson's options: the reference the compact writer is held to
// (tests, fuzzing, benchmark) and ToJson's fallback. Empty if protobuf fails.
std::string ProtobufJson(const google::protobuf::Message& message, bool pretty = false);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_PROTO_JSON_H_
