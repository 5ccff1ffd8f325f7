#include "proto/convert/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <string_view>

#include "proto/convert/compact_json.h"

namespace ambi::proto {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Steps per unit: 10 rounds to 0.1. Dividing by a whole number (rather than multiplying by 0.1)
// gives the double nearest the decimal, which prints short ("3.304", not "3.3040000000000003").
double StepsPerUnitFor(std::string_view field) {
  if (EndsWith(field, "_deg") || EndsWith(field, "_deg_s")) return 10.0;
  if (EndsWith(field, "_pct") || field == "percent_difference") return 10.0;
  if (EndsWith(field, "_ms")) return 1.0;
  return 1000.0;  // *_s to 1 ms; metric values (deg, s or deg/s) and anything else to 0.001
}

// A rep pair event prints about 1.6 KB: one allocation for most events instead of several.
constexpr std::size_t kCompactJsonReserveBytes = 2048;

double RoundTo(double value, double steps_per_unit) {
  const double rounded = std::round(value * steps_per_unit) / steps_per_unit;
  return rounded == 0.0 ? 0.0 : rounded;  // no "-0" in goldens
}

}  // namespace

void RoundForGolden(google::protobuf::Message* message) {
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  const google::protobuf::Reflection* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
      const double step = StepsPerUnitFor(field->name());
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(*message, field); ++k) {
          reflection->SetRepeatedDouble(
              message, field, k, RoundTo(reflection->GetRepeatedDouble(*message, field, k), step));
        }
      } else {
        reflection->SetDouble(message, field,
                              RoundTo(reflection->GetDouble(*message, field), step));
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(*message, field); ++k) {
          RoundForGolden(reflection->MutableRepeatedMessage(message, field, k));
        }
      } else if (reflection->HasField(*message, field)) {
        RoundForGolden(reflection->MutableMessage(message, field));
      }
    }
  }
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  if (!pretty) {
    std::string json;
    json.reserve(kCompactJsonReserveBytes);
    if (AppendCompactJson(message, &json)) return json;
  }
  // Printing a well-formed message cannot fail; an empty object would show up in any test.
  return ProtobufJson(message, pretty);
}

std::string ProtobufJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = pretty;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) json.clear();
  return json;
}

}  // namespace ambi::proto
