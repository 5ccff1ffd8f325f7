#include "clients/web/pairing.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace ambi::web {
namespace {

// No 0/O, 1/I/L, 5/S, 2/Z: the code is read off a screen and typed on a tablet.
constexpr std::string_view kCodeAlphabet = "346789ABCDEFGHJKMNPQRTUVWXY";
constexpr std::size_t kTokenBytes = 16;  // 128 bits

std::string Normalized(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;  // people type "ABC 123" or "ABC-123"
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Compares without stopping at the first difference, so timing tells nothing about the code.
bool SameText(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace

Pairing::Pairing(std::function<void(unsigned char*, std::size_t)> random_bytes,
                 std::function<void(const std::string& code)> on_new_code)
    : random_bytes_(std::move(random_bytes)), on_new_code_(std::move(on_new_code)) {
  NewCode();
}

void Pairing::NewCode() {
  std::vector<unsigned char> bytes(kCodeLength);
  random_bytes_(bytes.data(), bytes.size());
  code_.clear();
  for (unsigned char b : bytes) code_ += kCodeAlphabet[b % kCodeAlphabet.size()];
  wrong_attempts_ = 0;
  if (on_new_code_) on_new_code_(code_);
}

std::optional<std::string> Pairing::Pair(std::string_view code) {
  if (!SameText(Normalized(code), code_)) {
    if (++wrong_attempts_ >= kMaxWrongAttempts) NewCode();
    return std::nullopt;
  }
  unsigned char bytes[kTokenBytes];
  random_bytes_(bytes, sizeof(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  tokens_.insert(token);
  token_order_.push_back(token);
  if (token_order_.size() > kMaxSessions) {
    tokens_.erase(token_order_.front());
    token_order_.erase(token_order_.begin());
  }
  NewCode();  // one code, one tablet
  return token;
}

bool Pairing::IsPaired(std::string_view cookie_header) const {
  const auto value = FindCookie(cookie_header, kCookieName);
  return value && tokens_.contains(std::string(*value));
}

std::string Pairing::SetCookieValue(const std::string& token, bool secure) {
  // A month: a gym tablet should not need pairing every morning.
  std::string value = std::string(kCookieName) + "=" + token +
                      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000";
  if (secure) value += "; Secure";
  return value;
}

std::optional<std::string_view> FindCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    std::string_view item = header.substr(0, semicolon);
    header =
        semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    if (item.substr(0, equals) == name) return item.substr(equals + 1);
  }
  return std::nullopt;
}

void SystemRandomBytes(unsigned char* out, std::size_t size) {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(size))) {
    throw std::runtime_error("cannot read /dev/urandom for pairing codes and session tokens");
  }
}

}  // namespace ambi::web
