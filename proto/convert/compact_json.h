#ifndef AMBI_PROTO_CONVERT_COMPACT_JSON_H_
#define AMBI_PROTO_CONVERT_COMPACT_JSON_H_

#include <google/protobuf/message.h>

#include <string>

namespace ambi::proto {

// Appends 'message' to 'out' as one line of proto3 JSON, byte for byte what protobuf 3.21's
// MessageToJsonString prints with preserve_proto_field_names and always_print_primitive_fields
// and no whitespace, in about a tenth of its time: it walks the message through reflection
// straight into 'out', where protobuf serialises the message, parses it back into a tree of
// values with their defaults and prints that. Fields come in declaration order; every field is
// printed except unset sub-messages and unset oneof members (proto3 'optional' included);
// 64-bit integers and non-finite doubles as strings; doubles in 15 significant digits, or 17
// when 15 do not read back the same; enums by name (an unknown value as its number); bytes as
// base64; strings with protobuf's escapes (controls, '"', '\\', '<', '>', DEL, C1 controls and
// invisible format characters such as U+2028) and its dropping of invalid UTF-8.
// Returns false, with 'out' as it was, for what this writer does not print: map fields,
// google.protobuf's well-known types, and proto2 messages. The caller then asks protobuf.
bool AppendCompactJson(const google::protobuf::Message& message, std::string* out);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_CONVERT_COMPACT_JSON_H_
