#ifndef AMBI_CLIENTS_WEB_PAIRING_H_
#define AMBI_CLIENTS_WEB_PAIRING_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ambi::web {

// Pairing of tablets with a LAN listener: ambi-web shows a short one-time code (on its
// terminal / journal); a browser that sends it gets a random session token, kept in an
// HttpOnly SameSite cookie. A used code is replaced by a fresh one (for the next tablet), and
// so is a code after kMaxWrongAttempts wrong guesses, so it cannot be guessed by trying.
// Not thread-safe (the HTTP io thread owns it).
class Pairing {
 public:
  // Wrong codes tolerated before the code is replaced: 5 tries at 1 in 30^6 each.
  static constexpr int kMaxWrongAttempts = 5;
  static constexpr std::size_t kCodeLength = 6;
  static constexpr char kCookieName[] = "ambi_session";
  // Tablets paired at once; the oldest session is forgotten beyond it.
  static constexpr std::size_t kMaxSessions = 64;

  // 'random_bytes' fills a buffer with unpredictable bytes (tests pass a fixed source).
  // 'on_new_code' is called with every code made (the first one from the constructor).
  Pairing(std::function<void(unsigned char*, std::size_t)> random_bytes,
          std::function<void(const std::string& code)> on_new_code);

  // The session token for a correct code (and a new code is made), or nullopt.
  std::optional<std::string> Pair(std::string_view code);

  // True when the Cookie header 'cookie_header' carries a session this instance handed out.
  bool IsPaired(std::string_view cookie_header) const;

  // The Set-Cookie value for 'token'.
  static std::string SetCookieValue(const std::string& token, bool secure);

  const std::string& code() const { return code_; }

 private:
  void NewCode();

  std::function<void(unsigned char*, std::size_t)> random_bytes_;
  std::function<void(const std::string&)> on_new_code_;
  std::string code_;
  int wrong_attempts_ = 0;
  std::set<std::string> tokens_;
  std::vector<std::string> token_order_;
};

// The value of cookie 'name' in a Cookie header, or nullopt.
std::optional<std::string_view> FindCookie(std::string_view cookie_header, std::string_view name);

// Reads the system's random source; throws when it cannot.
void SystemRandomBytes(unsigned char* out, std::size_t size);

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_PAIRING_H_
