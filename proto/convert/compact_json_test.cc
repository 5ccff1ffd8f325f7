// AppendCompactJson against protobuf's own printer: the same bytes for every ambi.v1 message,
// filled through reflection with edge values and at random, and for a message built here with
// every scalar type protobuf has.
#include "proto/convert/compact_json.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/timestamp.pb.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "ambi/v1/common.pb.h"
#include "ambi/v1/events.pb.h"
#include "ambi/v1/sample.pb.h"
#include "ambi/v1/service.pb.h"
#include "proto/convert/proto_json.h"

namespace ambi::proto {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// protobuf's printer with ToJson's options; it must print every message these tests build.
std::string PrintedByProtobuf(const Message& message) {
  std::string json = ProtobufJson(message);
  EXPECT_FALSE(json.empty()) << "protobuf could not print " << message.GetTypeName();
  return json;
}

// Both printers on 'message': the writer must print it (no hand-over to protobuf), byte for
// byte as protobuf does.
void ExpectSameJson(const Message& message) {
  std::string json = "prefix";
  ASSERT_TRUE(AppendCompactJson(message, &json)) << message.GetTypeName();
  ASSERT_EQ(json.substr(0, 6), "prefix");
  EXPECT_EQ(json.substr(6), PrintedByProtobuf(message))
      << message.GetTypeName() << ": " << message.ShortDebugString();
}

void CollectTypes(const Descriptor* type, std::vector<const Descriptor*>* types) {
  types->push_back(type);
  for (int i = 0; i < type->nested_type_count(); ++i) CollectTypes(type->nested_type(i), types);
}

// Every message type of proto/ambi/v1, nested ones included.
std::vector<const Descriptor*> AllAmbiTypes() {
  std::vector<const Descriptor*> types;
  for (const auto* file :
       {v1::Event::descriptor()->file(), v1::CaptureHeader::descriptor()->file(),
        v1::ImuSample::descriptor()->file(), v1::ListDevicesRequest::descriptor()->file(),
        v1::Vec3::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i)
      CollectTypes(file->message_type(i), &types);
  }
  return types;
}

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(prototype->New());
}

const std::vector<double>& EdgeDoubles() {
  static const std::vector<double> values = {0.0,
                                             -0.0,
                                             1e-7,
                                             1e21,
                                             std::nan(""),
                                             std::numeric_limits<double>::infinity(),
                                             -std::numeric_limits<double>::infinity(),
                                             0.1,
                                             1.0 / 3.0,
                                             -2.5,
                                             123.456,
                                             1e15,
                                             1e16,
                                             1e17,
                                             1e-5,
                                             0.0001,
                                             128.873,
                                             100.0,
                                             5e-324,
                                             -2.2250738585072014e-308,
                                             1.7976931348623157e308,
                                             0.30000000000000004,
                                             9007199254740993.0,
                                             -1e-300};
  return values;
}

const std::vector<std::int64_t>& EdgeIntegers() {
  static const std::vector<std::int64_t> values = {0,
                                                   1,
                                                   -1,
                                                   127,
                                                   128,
                                                   255,
                                                   65535,
                                                   2147483647,
                                                   -2147483648,
                                                   4294967295,
                                                   4294967296,
                                                   1LL << 53,
                                                   (1LL << 53) + 1,
                                                   std::numeric_limits<std::int64_t>::max(),
                                                   std::numeric_limits<std::int64_t>::min()};
  return values;
}

// Pieces that strings are made of: plain text, every class of character protobuf escapes, and
// malformed UTF-8 of each kind it drops.
const std::vector<std::string>& StringPieces() {
  static const std::vector<std::string> pieces = {
      "", "sim", "left wrist", "\"", "\\", "/", "<", ">", "&'=", "\n", "\t", "\r", "\b", "\f",
      std::string(1, '\0'), "\x01", "\x1f", "\x7f", "\xc2\x80", "\xc2\x9f", "\xc2\xa0", "\xc2\xad",
      "\xc3\xa9", "\xd8\x80", "\xdb\x9d", "\xdc\x8f", "\xe1\x9e\xb4", "\xe2\x80\x8b",
      "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xae", "\xe2\x81\xa0", "\xe2\x81\xaf",
      "\xef\xbb\xbf", "\xef\xbf\xb9", "\xef\xbf\xbd", "\xf0\x9f\x98\x80", "\xf0\x9d\x85\xb3",
      "\xf3\xa0\x80\x81", "\xf3\xa0\x81\xbf", "\xe4\xb8\xad\xe6\x96\x87",
      // malformed: stray continuation, bad leads, cut sequences, surrogates, above U+10FFFF,
      // overlong forms
      "\x80", "\xbf", "\xf8", "\xff", "\xc3", "\xc3(", "\xe2\x80", "\xe2\x80(", "\xf0\x9f\x98",
      "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xc0\x80",
      "\xc0\xbc", "\xc1\x81", "\xe0\x80\xa2", "\xf0\x80\x80\xbe"};
  return pieces;
}

// Picks values either at random or, for the edge cases, walking the lists above in order so
// that each variant of a message gets other values in each field.
class ValueSource {
 public:
  static ValueSource Random(std::uint64_t seed) { return ValueSource(seed, false, 0); }
  static ValueSource Edges(std::size_t variant) { return ValueSource(0, true, variant); }

  std::size_t Below(std::size_t n) {
    if (edges_) return (variant_ + counter_++) % n;
    return static_cast<std::size_t>(rng_() % n);
  }

  double Double() {
    if (!edges_ && Below(3) == 0) {
      const std::uint64_t bits = rng_();
      double value = 0;
      std::memcpy(&value, &bits, sizeof value);
      return value;
    }
    if (!edges_ && Below(3) == 0) return std::uniform_real_distribution<double>(-500, 500)(rng_);
    return EdgeDoubles()[Below(EdgeDoubles().size())];
  }

  std::int64_t Integer() {
    if (!edges_ && Below(2) == 0) return static_cast<std::int64_t>(rng_());
    return EdgeIntegers()[Below(EdgeIntegers().size())];
  }

  std::string String() {
    std::string text;
    const std::size_t pieces = Below(5);
    for (std::size_t i = 0; i < pieces; ++i) {
      if (!edges_ && Below(6) == 0) {
        text.push_back(static_cast<char>(rng_()));  // any byte at all
      } else {
        text += StringPieces()[Below(StringPieces().size())];
      }
    }
    return text;
  }

 private:
  ValueSource(std::uint64_t seed, bool edges, std::size_t variant)
      : rng_(seed), edges_(edges), variant_(variant) {}

  std::mt19937_64 rng_;
  bool edges_;
  std::size_t variant_;
  std::size_t counter_ = 0;
};

void Fill(Message* message, ValueSource* source, int depth);

int EnumNumber(const FieldDescriptor* field, ValueSource* source) {
  const auto* type = field->enum_type();
  const std::size_t pick = source->Below(type->value_count() + 2);
  if (pick < static_cast<std::size_t>(type->value_count())) {
    return type->value(static_cast<int>(pick))->number();
  }
  return pick == static_cast<std::size_t>(type->value_count()) ? 99 : -7;  // unknown values
}

// Sets 'field' (adds an element when repeated) to a value from 'source'.
void SetValue(Message* message, const FieldDescriptor* field, ValueSource* source, int depth) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      const auto value = static_cast<std::int32_t>(source->Integer());
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      const auto value = static_cast<std::uint32_t>(source->Integer());
      repeated ? reflection->AddUInt32(message, field, value)
               : reflection->SetUInt32(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      const std::int64_t value = source->Integer();
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      const auto value = static_cast<std::uint64_t>(source->Integer());
      repeated ? reflection->AddUInt64(message, field, value)
               : reflection->SetUInt64(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double value = source->Double();
      repeated ? reflection->AddDouble(message, field, value)
               : reflection->SetDouble(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      // Through double: float rounding of the same edge values, overflow to infinity included.
      const auto value = static_cast<float>(source->Double());
      repeated ? reflection->AddFloat(message, field, value)
               : reflection->SetFloat(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool value = source->Below(2) == 1;
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int value = EnumNumber(field, source);
      repeated ? reflection->AddEnumValue(message, field, value)
               : reflection->SetEnumValue(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = source->String();
      repeated ? reflection->AddString(message, field, std::move(value))
               : reflection->SetString(message, field, std::move(value));
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = repeated ? reflection->AddMessage(message, field)
                                : reflection->MutableMessage(message, field);
      Fill(child, source, depth + 1);
      break;
    }
  }
}

// Fills 'message' through reflection: each plain field set or left at its default, 0-3
// elements in each repeated field, each oneof on one of its cases or none, sub-messages set
// (and filled) or not, down to a few levels.
void Fill(Message* message, ValueSource* source, int depth) {
  const Descriptor* type = message->GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->containing_oneof() != nullptr) continue;
    if (field->is_repeated()) {
      const std::size_t count = depth > 2 ? 0 : source->Below(4);
      for (std::size_t k = 0; k < count; ++k) SetValue(message, field, source, depth);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (depth < 3 && source->Below(3) != 0) SetValue(message, field, source, depth);
    } else if (source->Below(4) != 0) {
      SetValue(message, field, source, depth);
    }
  }
  for (int i = 0; i < type->oneof_decl_count(); ++i) {
    const auto* oneof = type->oneof_decl(i);
    const std::size_t pick = source->Below(oneof->field_count() + 1);
    if (pick < static_cast<std::size_t>(oneof->field_count())) {
      SetValue(message, oneof->field(static_cast<int>(pick)), source, depth);
    }
  }
}

class CompactJsonTest : public ::testing::Test {
 protected:
  // Protobuf logs each string field with malformed UTF-8 when it serialises the message; those
  // strings are the point of several cases here.
  void SetUp() override { google::protobuf::SetLogHandler(nullptr); }
};

TEST_F(CompactJsonTest, EveryAmbiTypeEmpty) {
  const auto types = AllAmbiTypes();
  ASSERT_GT(types.size(), 40u);
  for (const Descriptor* type : types) ExpectSameJson(*NewMessage(type));
}

TEST_F(CompactJsonTest, EveryAmbiTypeWithEdgeValues) {
  for (const Descriptor* type : AllAmbiTypes()) {
    for (std::size_t variant = 0; variant < 64; ++variant) {
      auto message = NewMessage(type);
      ValueSource source = ValueSource::Edges(variant);
      Fill(message.get(), &source, 0);
      ExpectSameJson(*message);
    }
  }
}

TEST_F(CompactJsonTest, EveryAmbiTypeAtRandom) {
  ValueSource source = ValueSource::Random(20261202);
  for (const Descriptor* type : AllAmbiTypes()) {
    for (int i = 0; i < 150; ++i) {
      auto message = NewMessage(type);
      Fill(message.get(), &source, 0);
      ExpectSameJson(*message);
    }
  }
}

TEST_F(CompactJsonTest, EachEventKindAndUnsetSubMessages) {
  const Descriptor* type = v1::Event::descriptor();
  const auto* kind = type->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    v1::Event event;
    event.set_athlete("sim");
    event.GetReflection()->MutableMessage(&event, kind->field(i));  // set, every field default
    ExpectSameJson(event);
  }
  v1::Event pair;
  pair.mutable_rep_pair()->mutable_left()->set_rom_deg(-0.0);  // 'right' stays unset
  pair.mutable_rep_pair()->add_metrics()->set_left(1e21);
  pair.mutable_rep_pair()->add_metrics()->set_right(std::nan(""));
  ExpectSameJson(pair);
}

TEST_F(CompactJsonTest, EscapesAsProtobufDoes) {
  for (std::size_t i = 0; i < StringPieces().size(); ++i) {
    for (std::size_t k = 0; k < StringPieces().size(); ++k) {
      v1::Event event;
      event.set_athlete("a" + StringPieces()[i] + StringPieces()[k] + "z");
      ExpectSameJson(event);
    }
  }
  // Every 1-, 2- and 3-byte UTF-8 sequence and a sample of 4-byte ones, each between letters.
  for (std::uint32_t cp = 0; cp < 0x110000; cp += cp < 0x10000 ? 1 : 97) {
    std::string text = "a";
    if (cp < 0x80) {
      text.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      text.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      text.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      text.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
    text += "z";
    v1::Event event;
    event.set_athlete(text);
    std::string json;
    ASSERT_TRUE(AppendCompactJson(event, &json));
    ASSERT_EQ(json, PrintedByProtobuf(event)) << "code point " << cp;
  }
  v1::Event event;
  event.set_athlete("<\xe2\x80\xa8>");
  std::string json;
  ASSERT_TRUE(AppendCompactJson(event, &json));
  EXPECT_NE(json.find(R"("athlete":"\u003c\u2028\u003e")"), std::string::npos) << json;
}

TEST_F(CompactJsonTest, DoublesAsProtobufPrintsThem) {
  v1::Rep rep;
  for (double value : EdgeDoubles()) {
    rep.set_rom_deg(value);
    ExpectSameJson(rep);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = rng();
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    rep.set_rom_deg(value);
    rep.set_start_s(std::uniform_real_distribution<double>(0, 1000)(rng));
    rep.set_end_s(std::round(rep.start_s() * 1000) / 1000);  // what goldens hold
    ExpectSameJson(rep);
  }
}

// Every scalar type protobuf has (floats, sint/fixed integers, repeated and packed ones, bytes),
// in a message built here, since ambi.v1 uses only some of them; a map field is left to
// protobuf.
constexpr char kAllScalarsProto[] = R"pb(
  name: "all_scalars.proto"
  package: "ambi.test"
  syntax: "proto3"
  message_type {
    name: "AllScalars"
    field { name: "f_float" number: 1 type: TYPE_FLOAT label: LABEL_OPTIONAL }
    field { name: "f_sint32" number: 2 type: TYPE_SINT32 label: LABEL_OPTIONAL }
    field { name: "f_sint64" number: 3 type: TYPE_SINT64 label: LABEL_OPTIONAL }
    field { name: "f_fixed32" number: 4 type: TYPE_FIXED32 label: LABEL_OPTIONAL }
    field { name: "f_fixed64" number: 5 type: TYPE_FIXED64 label: LABEL_OPTIONAL }
    field { name: "f_sfixed32" number: 6 type: TYPE_SFIXED32 label: LABEL_OPTIONAL }
    field { name: "f_sfixed64" number: 7 type: TYPE_SFIXED64 label: LABEL_OPTIONAL }
    field { name: "f_uint64" number: 8 type: TYPE_UINT64 label: LABEL_OPTIONAL }
    field { name: "f_bytes" number: 9 type: TYPE_BYTES label: LABEL_OPTIONAL }
    field { name: "r_float" number: 10 type: TYPE_FLOAT label: LABEL_REPEATED }
    field { name: "r_double" number: 11 type: TYPE_DOUBLE label: LABEL_REPEATED }
    field { name: "r_int64" number: 12 type: TYPE_INT64 label: LABEL_REPEATED }
    field { name: "r_bytes" number: 13 type: TYPE_BYTES label: LABEL_REPEATED }
    field { name: "r_bool" number: 14 type: TYPE_BOOL label: LABEL_REPEATED }
    field { name: "r_string" number: 15 type: TYPE_STRING label: LABEL_REPEATED }
    field { name: "r_uint32" number: 16 type: TYPE_UINT32 label: LABEL_REPEATED }
    field { name: "z_first_declared_last" number: 0x100 type: TYPE_INT32 label: LABEL_OPTIONAL }
    field { name: "o_bytes" number: 17 type: TYPE_BYTES label: LABEL_OPTIONAL oneof_index: 0 }
    field { name: "o_float" number: 18 type: TYPE_FLOAT label: LABEL_OPTIONAL oneof_index: 0 }
    field {
      name: "p_int32"
      number: 19
      type: TYPE_INT32
      label: LABEL_OPTIONAL
      oneof_index: 1
      proto3_optional: true
    }
    oneof_decl { name: "choice" }
    oneof_decl { name: "_p_int32" }
  }
  message_type {
    name: "WithMap"
    field {
      name: "counts"
      number: 1
      type: TYPE_MESSAGE
      label: LABEL_REPEATED
      type_name: ".ambi.test.WithMap.CountsEntry"
    }
    nested_type {
      name: "CountsEntry"
      field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
      field { name: "value" number: 2 type: TYPE_INT32 label: LABEL_OPTIONAL }
      options { map_entry: true }
    }
  }
)pb";

class BuiltHereTest : public CompactJsonTest {
 protected:
  void SetUp() override {
    CompactJsonTest::SetUp();
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kAllScalarsProto, &file));
    ASSERT_NE(pool_.BuildFile(file), nullptr);
  }

  std::unique_ptr<Message> New(const std::string& name) {
    const Descriptor* type = pool_.FindMessageTypeByName(name);
    EXPECT_NE(type, nullptr) << name;
    return std::unique_ptr<Message>(factory_.GetPrototype(type)->New());
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
};

TEST_F(BuiltHereTest, EveryScalarTypeAsProtobufPrintsIt) {
  ExpectSameJson(*New("ambi.test.AllScalars"));
  for (std::size_t variant = 0; variant < 64; ++variant) {
    auto message = New("ambi.test.AllScalars");
    ValueSource source = ValueSource::Edges(variant);
    Fill(message.get(), &source, 0);
    ExpectSameJson(*message);
  }
  ValueSource source = ValueSource::Random(99);
  for (int i = 0; i < 3000; ++i) {
    auto message = New("ambi.test.AllScalars");
    Fill(message.get(), &source, 0);
    ExpectSameJson(*message);
  }
}

TEST_F(BuiltHereTest, MapsAndWellKnownTypesGoToProtobuf) {
  auto with_map = New("ambi.test.WithMap");
  std::string json = "kept";
  EXPECT_FALSE(AppendCompactJson(*with_map, &json));
  EXPECT_EQ(json, "kept");
  EXPECT_EQ(ToJson(*with_map), PrintedByProtobuf(*with_map));

  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(1764700000);
  EXPECT_FALSE(AppendCompactJson(timestamp, &json));
  EXPECT_EQ(json, "kept");
  EXPECT_EQ(ToJson(timestamp), PrintedByProtobuf(timestamp));
}

TEST_F(CompactJsonTest, ToJsonUsesTheWriterAndKeepsPrettyPrinting) {
  v1::Event event;
  event.set_athlete("sim");
  event.mutable_rep()->set_rom_deg(128.9);
  EXPECT_EQ(ToJson(event), PrintedByProtobuf(event));
  const std::string pretty = ToJson(event, /*pretty=*/true);
  EXPECT_NE(pretty.find("\n"), std::string::npos);
}

}  // namespace
}  // namespace ambi::proto
