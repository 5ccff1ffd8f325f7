#include "proto/convert/compact_json.h"

#include <google/protobuf/descriptor.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace ambi::proto {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kHexDigits[] = "0123456789abcdef";  // protobuf writes \u escapes in lower case

// The escape protobuf writes for a code point below U+00A0, or "" when it copies it as it is:
// the controls, '"', '\\', '<' and '>' (for HTML), DEL and the C1 controls.
struct AsciiEscapes {
  char text[0xa0][7] = {};
  constexpr AsciiEscapes() {
    for (int c = 0; c < 0xa0; ++c) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>') continue;
      text[c][0] = '\\';
      text[c][1] = 'u';
      text[c][2] = '0';
      text[c][3] = '0';
      text[c][4] = kHexDigits[c >> 4];
      text[c][5] = kHexDigits[c & 0xf];
    }
    const auto two = [this](int c, char second) {
      text[c][0] = '\\';
      text[c][1] = second;
      text[c][2] = '\0';
    };
    two('\b', 'b');
    two('\t', 't');
    two('\n', 'n');
    two('\f', 'f');
    two('\r', 'r');
    two('"', '"');
    two('\\', '\\');
  }
};
constexpr AsciiEscapes kAsciiEscapes;

// Format characters that protobuf escapes beyond U+009F, as it says, against security bugs in
// JavaScript: in the Basic Multilingual Plane ...
bool EscapedInBmp(std::uint32_t cp) {
  return cp == 0x00ad || (cp >= 0x0600 && cp <= 0x0603) || cp == 0x06dd || cp == 0x070f ||
         cp == 0x17b4 || cp == 0x17b5 || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

// ... and above it, written as a UTF-16 surrogate pair.
bool EscapedAboveBmp(std::uint32_t cp) {
  return (cp >= 0x1d173 && cp <= 0x1d17a) || cp == 0xe0001 || (cp >= 0xe0020 && cp <= 0xe007f);
}

void AppendUnicodeEscape(std::uint32_t unit, std::string* out) {
  const char text[6] = {'\\',
                        'u',
                        kHexDigits[(unit >> 12) & 0xf],
                        kHexDigits[(unit >> 8) & 0xf],
                        kHexDigits[(unit >> 4) & 0xf],
                        kHexDigits[unit & 0xf]};
  out->append(text, sizeof text);
}

bool NeedsEscape(std::uint32_t cp) {
  if (cp < 0xa0) return kAsciiEscapes.text[cp][0] != '\0';
  return EscapedInBmp(cp) || EscapedAboveBmp(cp);
}

// The escape of a code point for which NeedsEscape holds.
void AppendEscapeOf(std::uint32_t cp, std::string* out) {
  if (cp < 0xa0) {
    out->append(kAsciiEscapes.text[cp]);
  } else if (cp < 0x10000) {
    AppendUnicodeEscape(cp, out);
  } else {
    const std::uint32_t offset = cp - 0x10000;
    AppendUnicodeEscape(0xd800 + (offset >> 10), out);
    AppendUnicodeEscape(0xdc00 + (offset & 0x3ff), out);
  }
}

// A string as protobuf writes it: quoted, escaped as above, and with every byte of a malformed
// UTF-8 sequence dropped (a stray continuation byte, a lead byte above 0xF7, a sequence cut by
// a byte that does not continue it -- that byte is dropped too --, one cut by the end of the
// string, an encoded surrogate or a code point above U+10FFFF). Overlong forms are decoded, not
// rejected, as protobuf does: the code point is escaped if it needs to be, else copied as is.
void AppendString(std::string_view text, std::string* out) {
  out->push_back('"');
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t copied_to = 0;  // bytes before this one are in 'out' or dropped
  std::size_t i = 0;
  const auto flush = [&](std::size_t end) {
    out->append(text.data() + copied_to, end - copied_to);
  };
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      if (kAsciiEscapes.text[lead][0] != '\0') {
        flush(i);
        out->append(kAsciiEscapes.text[lead]);
        copied_to = i + 1;
      }
      ++i;
      continue;
    }
    int continuation_bytes = 0;
    std::uint32_t cp = 0;
    if (lead >= 0xc0 && lead <= 0xdf) {
      continuation_bytes = 1;
      cp = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuation_bytes = 2;
      cp = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf7) {
      continuation_bytes = 3;
      cp = lead & 0x07;
    } else {  // a continuation byte where a sequence should start, or 0xF8-0xFF
      flush(i);
      copied_to = ++i;
      continue;
    }
    std::size_t end = i + 1;
    bool malformed = false;
    for (int k = 0; k < continuation_bytes; ++k) {
      if (end == size) {  // cut by the end of the string
        malformed = true;
        break;
      }
      const unsigned char next = bytes[end++];
      cp = (cp << 6) | (next & 0x3f);
      if (next < 0x80 || next > 0xbf) {
        malformed = true;
        break;
      }
    }
    if (!malformed && ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) malformed = true;
    if (malformed) {
      flush(i);
      copied_to = end;
    } else if (NeedsEscape(cp)) {
      flush(i);
      AppendEscapeOf(cp, out);
      copied_to = end;
    }  // else the bytes stay in the run still to copy
    i = end;
  }
  flush(size);
  out->push_back('"');
}

void AppendBase64(std::string_view data, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    const char text[4] = {kAlphabet[group >> 18], kAlphabet[(group >> 12) & 63],
                          kAlphabet[(group >> 6) & 63], kAlphabet[group & 63]};
    out->append(text, 4);
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    const std::uint32_t group = (bytes[i] << 16) | (rest == 2 ? bytes[i + 1] << 8 : 0);
    const char text[4] = {kAlphabet[group >> 18], kAlphabet[(group >> 12) & 63],
                          rest == 2 ? kAlphabet[(group >> 6) & 63] : '=', '='};
    out->append(text, 4);
  }
  out->push_back('"');
}

template <typename Integer>
void AppendInteger(Integer value, bool quoted, std::string* out) {
  char text[24];
  const auto result = std::to_chars(text, text + sizeof text, value);
  if (quoted) out->push_back('"');
  out->append(text, result.ptr);
  if (quoted) out->push_back('"');
}

// Whether 'text' reads back as 'value' the way protobuf checks it: a double by value alone; a
// float through strtof, also failing on a range error, which glibc reports for a subnormal
// result (so a subnormal float always prints in the long form).
bool ReadsBackAs(char* text, char* end, double value) {
  double read_back = 0;
  const auto parsed = std::from_chars(text, end, read_back);
  return parsed.ec == std::errc() && read_back == value;
}

bool ReadsBackAs(char* text, char* end, float value) {
  *end = '\0';
  errno = 0;
  char* parsed_to = nullptr;
  const float read_back = std::strtof(text, &parsed_to);
  return parsed_to == end && errno == 0 && read_back == value;
}

// Non-finite values as protobuf's strings; finite ones as printf's "%.{short}g", or
// "%.{long}g" when the short form does not read back as the same value (protobuf's SimpleDtoa
// and SimpleFtoa: 15 and 17 digits for doubles, 6 and 9 for floats). Not the shortest
// round-trip form: 0.1 + 0.2 prints as 0.30000000000000004, 17 digits.
template <typename Real>
void AppendReal(Real value, int short_digits, int long_digits, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char text[40];
  auto result =
      std::to_chars(text, text + sizeof text - 1, value, std::chars_format::general, short_digits);
  if (!ReadsBackAs(text, result.ptr, value)) {
    result =
        std::to_chars(text, text + sizeof text - 1, value, std::chars_format::general, long_digits);
  }
  out->append(text, result.ptr);
}

// What protobuf prints in its own way rather than field by field; a message of these types,
// or holding one, goes to protobuf.
bool IsWellKnownType(const Descriptor* type) {
  return type->file()->package() == "google.protobuf";
}

void AppendEnum(const FieldDescriptor* field, int number, std::string* out) {
  const google::protobuf::EnumValueDescriptor* value =
      field->enum_type()->FindValueByNumber(number);
  if (value == nullptr) {
    AppendInteger(number, /*quoted=*/false, out);
    return;
  }
  out->push_back('"');
  out->append(value->name());
  out->push_back('"');
}

bool AppendMessage(const Message& message, std::string* out);

// One value of a field: the field itself when 'index' < 0, else its element 'index'.
bool AppendValue(const Message& message, const Reflection* reflection, const FieldDescriptor* field,
                 int index, std::string* out) {
  const bool one = index < 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      AppendInteger(one ? reflection->GetInt32(message, field)
                        : reflection->GetRepeatedInt32(message, field, index),
                    false, out);
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      AppendInteger(one ? reflection->GetUInt32(message, field)
                        : reflection->GetRepeatedUInt32(message, field, index),
                    false, out);
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      AppendInteger(one ? reflection->GetInt64(message, field)
                        : reflection->GetRepeatedInt64(message, field, index),
                    true, out);
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      AppendInteger(one ? reflection->GetUInt64(message, field)
                        : reflection->GetRepeatedUInt64(message, field, index),
                    true, out);
      return true;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendReal(one ? reflection->GetDouble(message, field)
                     : reflection->GetRepeatedDouble(message, field, index),
                 15, 17, out);
      return true;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendReal(one ? reflection->GetFloat(message, field)
                     : reflection->GetRepeatedFloat(message, field, index),
                 6, 9, out);
      return true;
    case FieldDescriptor::CPPTYPE_BOOL: {
      const bool value = one ? reflection->GetBool(message, field)
                             : reflection->GetRepeatedBool(message, field, index);
      out->append(value ? "true" : "false");
      return true;
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      AppendEnum(field,
                 one ? reflection->GetEnumValue(message, field)
                     : reflection->GetRepeatedEnumValue(message, field, index),
                 out);
      return true;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;  // used only by messages that do not keep the string (not ours)
      const std::string& value =
          one ? reflection->GetStringReference(message, field, &scratch)
              : reflection->GetRepeatedStringReference(message, field, index, &scratch);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        AppendBase64(value, out);
      } else {
        AppendString(value, out);
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendMessage(one ? reflection->GetMessage(message, field)
                               : reflection->GetRepeatedMessage(message, field, index),
                           out);
  }
  return false;
}

void AppendName(const FieldDescriptor* field, bool* first, std::string* out) {
  if (!*first) out->push_back(',');
  *first = false;
  out->push_back('"');
  out->append(field->name());
  out->append("\":");
}

bool AppendMessage(const Message& message, std::string* out) {
  const Descriptor* descriptor = message.GetDescriptor();
  if (descriptor->file()->syntax() != FileDescriptor::SYNTAX_PROTO3 ||
      IsWellKnownType(descriptor)) {
    return false;
  }
  const Reflection* reflection = message.GetReflection();
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_map()) return false;
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (is_message && IsWellKnownType(field->message_type())) return false;
    if (field->is_repeated()) {
      AppendName(field, &first, out);
      out->push_back('[');
      const int size = reflection->FieldSize(message, field);
      for (int k = 0; k < size; ++k) {
        if (k > 0) out->push_back(',');
        if (!AppendValue(message, reflection, field, k, out)) return false;
      }
      out->push_back(']');
      continue;
    }
    // protobuf fills in the defaults of plain fields only: a sub-message or a oneof member
    // (a proto3 'optional' field too) is printed when set.
    if ((is_message || field->containing_oneof() != nullptr) &&
        !reflection->HasField(message, field)) {
      continue;
    }
    AppendName(field, &first, out);
    if (!AppendValue(message, reflection, field, -1, out)) return false;
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool AppendCompactJson(const google::protobuf::Message& message, std::string* out) {
  const std::size_t size_before = out->size();
  if (AppendMessage(message, out)) return true;
  out->resize(size_before);
  return false;
}

}  // namespace ambi::proto
