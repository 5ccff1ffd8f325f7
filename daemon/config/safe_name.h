#ifndef AMBI_DAEMON_CONFIG_SAFE_NAME_H_
#define AMBI_DAEMON_CONFIG_SAFE_NAME_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ambi::config {

// A name of an athlete, a sensor or a file that is safe wherever ambid puts it: as one path
// component (captures are named "<athlete>-<time>.capture"), in a log line, in SQL, in an
// HTTP/gRPC reply. 1 to kMaxBytes of ASCII letters, digits, '_', '-' and '.', not starting with
// '.' (so never "." or "..", nor a hidden file). That rules out path separators, "..", control
// characters and newlines (a fake log line), spaces and non-ASCII bytes.
//
// Use at every boundary where a name comes in (config, RPC requests, capture headers):
//   std::string error;
//   std::optional<SafeName> name = SafeName::Parse(request.athlete(), "athlete", &error);
//   if (!name) return InvalidArgument(error);
//   ... NewCapturePath(dir, name->str()) ...
class SafeName {
 public:
  // Long enough for "firstname.lastname-left_wrist", short enough for a file name and a screen.
  static constexpr std::size_t kMaxBytes = 64;

  // The name, or nullopt and *error: "<what> name "<text, escaped>" <what is wrong>", e.g.
  // 'athlete name "../x" must not start with '.''. 'what' is what the name names ("athlete",
  // "sensor", "file"); the text is escaped and shortened so the message is one safe line.
  static std::optional<SafeName> Parse(std::string_view text, std::string_view what,
                                       std::string* error);
  // Empty when 'text' is a valid name, else what is wrong (as Parse's error, without the
  // "<what> name" prefix).
  static std::string Problem(std::string_view text);

  const std::string& str() const { return value_; }
  bool operator==(const SafeName&) const = default;

 private:
  explicit SafeName(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// 'text' for a message: at most 'max_bytes' bytes of it, control and non-ASCII bytes as \xNN,
// quotes and backslashes escaped. Never contains a newline.
std::string EscapeForMessage(std::string_view text, std::size_t max_bytes = 80);

}  // namespace ambi::config

#endif  // AMBI_DAEMON_CONFIG_SAFE_NAME_H_
