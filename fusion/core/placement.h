#ifndef AMBI_FUSION_CORE_PLACEMENT_H_
#define AMBI_FUSION_CORE_PLACEMENT_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace ambi::fusion {

enum class Side : std::uint8_t { kLeft, kRight };
// Where the sensor is strapped. kAnkle covers the shank (lower leg) as well.
enum class Limb : std::uint8_t { kWrist, kAnkle };

struct Placement {
  Side side = Side::kLeft;
  Limb limb = Limb::kWrist;
  friend bool operator==(const Placement&, const Placement&) = default;
};

constexpr Side OtherSide(Side side) { return side == Side::kLeft ? Side::kRight : Side::kLeft; }

std::string_view ToString(Side side);        // "left" / "right"
std::string_view ToString(Limb limb);        // "wrist" / "ankle"
std::string_view ToString(Placement place);  // "left_wrist", "right_ankle", ...

std::optional<Side> ParseSide(std::string_view text);
std::optional<Limb> ParseLimb(std::string_view text);
// Accepts "left_wrist", "right_wrist", "left_ankle", "right_ankle".
std::optional<Placement> ParsePlacement(std::string_view text);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CORE_PLACEMENT_H_
