#ifndef AMBI_DAEMON_SIM_PRESETS_H_
#define AMBI_DAEMON_SIM_PRESETS_H_

#include <optional>
#include <string_view>
#include <vector>

#include "daemon/sim/session_spec.h"
#include "fusion/core/geometry.h"

namespace ambi::sim {

struct PresetInfo {
  std::string_view name;
  std::string_view description;
};

// Named scenarios, in a stable order.
const std::vector<PresetInfo>& Presets();

// The spec of a named preset; nullopt for an unknown name.
std::optional<SessionSpec> MakePreset(std::string_view name);

// A realistic default for one exercise: both sides alike, moderate noise, a small sway and
// different, non-trivial sensor mounts on the two sides.
SessionSpec DefaultSpec(ExerciseKind kind);

// Unit quaternion of a rotation of 'angle_deg' about 'axis' (normalized here).
fusion::Quaternion QuaternionFromAxisAngle(const fusion::Vec3& axis, double angle_deg);

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_PRESETS_H_
