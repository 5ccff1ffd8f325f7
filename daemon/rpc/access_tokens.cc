#include "daemon/rpc/access_tokens.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ambi::rpc {
namespace {

// Equal over kMaxTokenBytes whatever the inputs; both must be at most that long. Each byte
// position compares a byte of each (or 0 past the end) and the lengths are compared too, so the
// time does not depend on where the first difference is.
bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  unsigned difference = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < AccessTokens::kMaxTokenBytes; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    difference |= static_cast<unsigned>(x ^ y);
  }
  return difference == 0;
}

bool IsTokenByte(char c) { return c > ' ' && c < 0x7f; }

}  // namespace

std::string_view ToString(AccessRole role) {
  switch (role) {
    case AccessRole::kNone:
      return "none";
    case AccessRole::kRead:
      return "read";
    case AccessRole::kControl:
      return "control";
  }
  return "none";
}

std::optional<AccessTokens> AccessTokens::Parse(std::string_view text, std::string_view source,
                                                std::string* error) {
  AccessTokens tokens;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& what) {
    *error = std::string(source) + ":" + std::to_string(number) + ": " + what;
    return std::nullopt;
  };
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::istringstream fields(line.substr(start));
    std::string role_text;
    std::string value;
    std::string extra;
    fields >> role_text >> value >> extra;
    AccessRole role = AccessRole::kNone;
    if (role_text == "read") {
      role = AccessRole::kRead;
    } else if (role_text == "control") {
      role = AccessRole::kControl;
    } else {
      return fail("the role must be \"read\" or \"control\" (a line is \"<role> <token>\")");
    }
    if (value.empty() || !extra.empty()) {
      return fail("expected \"<role> <token>\": one role and one token without spaces");
    }
    if (value.size() < kMinTokenBytes || value.size() > kMaxTokenBytes) {
      return fail("the token is " + std::to_string(value.size()) + " bytes long; it must be " +
                  std::to_string(kMinTokenBytes) + " to " + std::to_string(kMaxTokenBytes));
    }
    for (char c : value) {
      if (!IsTokenByte(c)) return fail("the token has a byte that is not printable ASCII");
    }
    for (const Token& earlier : tokens.tokens_) {
      if (earlier.value == value) return fail("the token is listed twice");
    }
    tokens.tokens_.push_back({role, std::move(value)});
  }
  if (tokens.tokens_.empty()) {
    *error = std::string(source) + ": no token (lines \"read <token>\" or \"control <token>\")";
    return std::nullopt;
  }
  return tokens;
}

std::optional<AccessTokens> AccessTokens::LoadFile(const std::string& path, std::string* error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    *error = "token file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(info.st_mode)) {
    *error = "token file " + path + " is not a regular file";
    return std::nullopt;
  }
  if ((info.st_mode & S_IRWXO) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    *error = "token file " + path + " has mode " + mode +
             ": others may read or write it; chmod o-rwx (e.g. 0640)";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "token file " + path + ": cannot open it";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), "token file " + path, error);
}

AccessRole AccessTokens::RoleOf(std::string_view presented) const {
  if (presented.empty() || presented.size() > kMaxTokenBytes) return AccessRole::kNone;
  AccessRole role = AccessRole::kNone;
  for (const Token& token : tokens_) {  // no early exit: every token is compared
    if (ConstantTimeEqual(token.value, presented)) role = token.role;
  }
  return role;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace ambi::rpc
