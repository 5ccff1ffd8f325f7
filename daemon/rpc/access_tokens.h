#ifndef AMBI_DAEMON_RPC_ACCESS_TOKENS_H_
#define AMBI_DAEMON_RPC_ACCESS_TOKENS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ambi::rpc {

// What a caller may do. Ordered: a control token can do everything a read token can.
enum class AccessRole {
  kNone,     // no valid token
  kRead,     // Subscribe and the history/listing calls
  kControl,  // also StartSession, EndSession, StartSet, EndSet
};
std::string_view ToString(AccessRole role);  // "none", "read", "control"

// The bearer tokens remote clients present ("authorization: Bearer <token>"), loaded from the
// file named by [daemon] token_file. One token per line, "read <token>" or "control <token>";
// blank lines and lines starting with '#' are ignored. A token is 16 to kMaxTokenBytes printable
// ASCII bytes without spaces. The file must not be readable or writable by others (mode o-rwx),
// like an ssh key: a token readable by every local user is no secret.
class AccessTokens {
 public:
  static constexpr std::size_t kMinTokenBytes = 16;
  static constexpr std::size_t kMaxTokenBytes = 256;

  // The tokens, or nullopt and *error naming the file, the line and what is wrong.
  static std::optional<AccessTokens> LoadFile(const std::string& path, std::string* error);
  // The same from text ('source' names it in errors); no mode check.
  static std::optional<AccessTokens> Parse(std::string_view text, std::string_view source,
                                           std::string* error);

  // The role of 'presented', kNone if it matches no token. Takes the same time whichever token
  // matches and however many leading bytes match: every token is compared over kMaxTokenBytes.
  AccessRole RoleOf(std::string_view presented) const;

  std::size_t size() const { return tokens_.size(); }

 private:
  struct Token {
    AccessRole role;
    std::string value;
  };
  std::vector<Token> tokens_;
};

// The token of an "authorization" header value "Bearer <token>" (scheme case-insensitive);
// nullopt for anything else.
std::optional<std::string_view> BearerToken(std::string_view authorization);

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_ACCESS_TOKENS_H_
