#include "fusion/core/placement.h"

namespace ambi::fusion {

std::string_view ToString(Side side) { return side == Side::kLeft ? "left" : "right"; }

std::string_view ToString(Limb limb) { return limb == Limb::kWrist ? "wrist" : "ankle"; }

std::string_view ToString(Placement place) {
  if (place.side == Side::kLeft) return place.limb == Limb::kWrist ? "left_wrist" : "left_ankle";
  return place.limb == Limb::kWrist ? "right_wrist" : "right_ankle";
}

std::optional<Side> ParseSide(std::string_view text) {
  if (text == "left") return Side::kLeft;
  if (text == "right") return Side::kRight;
  return std::nullopt;
}

std::optional<Limb> ParseLimb(std::string_view text) {
  if (text == "wrist") return Limb::kWrist;
  if (text == "ankle") return Limb::kAnkle;
  return std::nullopt;
}

std::optional<Placement> ParsePlacement(std::string_view text) {
  const auto underscore = text.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  const auto side = ParseSide(text.substr(0, underscore));
  const auto limb = ParseLimb(text.substr(underscore + 1));
  if (!side || !limb) return std::nullopt;
  return Placement{*side, *limb};
}

}  // namespace ambi::fusion
