#include "daemon/rpc/request_id.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>

namespace ambi::rpc {
namespace {

constexpr std::size_t kMaxSentBytes = 64;

bool Acceptable(std::string_view id) {
  if (id.empty() || id.size() > kMaxSentBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Distinct across restarts (random start) and within a run (a counter): ids of one log stay
// unique for 2^32 calls.
std::uint32_t NextNumber() {
  static std::atomic<std::uint32_t> next{std::random_device{}()};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

std::string RequestIdFor(std::optional<std::string_view> sent) {
  if (sent && Acceptable(*sent)) return std::string(*sent);
  char text[16];
  std::snprintf(text, sizeof(text), "%08x", static_cast<unsigned>(NextNumber()));
  return text;
}

}  // namespace ambi::rpc
