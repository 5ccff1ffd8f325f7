#include "clients/watch/event_line.h"

#include <cctype>

#include "proto/convert/event_text.h"

namespace ambi::watch {
namespace {

constexpr std::string_view kKindPrefix = "event_kind_";

std::string Normalized(std::string_view text) {
  std::string normalized;
  for (char c : text) {
    normalized += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (normalized.starts_with(kKindPrefix)) normalized.erase(0, kKindPrefix.size());
  return normalized;
}

}  // namespace

std::string DescribeLiveEvent(const v1::LiveEvent& live) {
  const std::string& athlete = live.event().athlete();
  return (athlete.empty() ? "-" : athlete) + "  " + proto::DescribeEvent(live.event());
}

std::optional<v1::EventKind> ParseEventKind(std::string_view text) {
  const std::string wanted = Normalized(text);
  for (int kind = v1::EventKind_MIN + 1; kind <= v1::EventKind_MAX; ++kind) {
    if (!v1::EventKind_IsValid(kind)) continue;
    const auto typed = static_cast<v1::EventKind>(kind);
    if (Normalized(v1::EventKind_Name(typed)) == wanted) return typed;
  }
  return std::nullopt;
}

std::string EventKindNames() {
  std::string names;
  for (int kind = v1::EventKind_MIN + 1; kind <= v1::EventKind_MAX; ++kind) {
    if (!v1::EventKind_IsValid(kind)) continue;
    if (!names.empty()) names += ", ";
    names += Normalized(v1::EventKind_Name(static_cast<v1::EventKind>(kind)));
  }
  return names;
}

}  // namespace ambi::watch
