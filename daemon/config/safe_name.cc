#include "daemon/config/safe_name.h"

#include <cstdio>

namespace ambi::config {
namespace {

bool Allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string DescribeByte(char c) {
  if (c == '/' || c == '\\') return std::string("a path separator '") + c + "'";
  if (c == '\n' || c == '\r') return "a line break";
  const auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte == 0x7F) return "a control character";
  if (byte >= 0x80) return "a non-ASCII byte";
  return std::string("'") + c + "'";
}

}  // namespace

std::string EscapeForMessage(std::string_view text, std::size_t max_bytes) {
  std::string out;
  const std::size_t shown = text.size() < max_bytes ? text.size() : max_bytes;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
    } else if (byte < 0x20 || byte >= 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", byte);
      out += hex;
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (shown < text.size()) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string SafeName::Problem(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > kMaxBytes) {
    return "is " + std::to_string(text.size()) + " bytes long, more than " +
           std::to_string(kMaxBytes);
  }
  if (text.front() == '.') return "must not start with '.'";
  for (const char c : text) {
    if (!Allowed(c)) {
      return "contains " + DescribeByte(c) + "; allowed are letters, digits, '_', '-' and '.'";
    }
  }
  return {};
}

std::optional<SafeName> SafeName::Parse(std::string_view text, std::string_view what,
                                        std::string* error) {
  std::string problem = Problem(text);
  if (problem.empty()) return SafeName(std::string(text));
  if (error != nullptr) {
    *error = std::string(what) + " name \"" + EscapeForMessage(text) + "\" " + problem;
  }
  return std::nullopt;
}

}  // namespace ambi::config
