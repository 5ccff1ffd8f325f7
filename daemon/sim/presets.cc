#include "daemon/sim/presets.h"

#include <cmath>
#include <cstddef>
#include <iterator>
#include <numbers>
#include <string>

namespace ambi::sim {
namespace {

void SetBoth(SessionSpec& spec, auto&& edit) {
  edit(spec.left);
  edit(spec.right);
}

// Noise of a consumer MEMS IMU (WitMotion class) at 100 Hz.
NoiseSpec TypicalNoise(double sign) {
  NoiseSpec n;
  n.gyro_bias_rad_s = {0.010 * sign, -0.006, 0.004 * sign};
  n.gyro_noise_rad_s = 0.004;
  n.accel_bias_m_s2 = {0.03, -0.02 * sign, 0.04};
  n.accel_noise_m_s2 = 0.03;
  n.mag_noise_uT = 0.3;
  return n;
}

// Strips every error source: exact kinematics for closed-form tests.
void MakeClean(SessionSpec& spec) {
  SetBoth(spec, [](SideSpec& s) {
    s.noise = {};
    s.sway.amplitude_deg = 0.0;
    s.rom_jitter_pct = 0.0;
    s.tempo_jitter_pct = 0.0;
  });
}

// How each exercise moves when done well, on both sides.
struct MovementShape {
  ExerciseKind kind;
  double rom_deg;
  double concentric_s;
  double eccentric_s;
  double pause_turnaround_s;
  double rest_between_s;
  double lever_arm_m;  // joint to sensor
};

constexpr MovementShape kShapes[] = {
    // kind, rom_deg, concentric_s, eccentric_s, pause_turnaround_s, rest_between_s, lever_arm_m
    {ExerciseKind::kCurl, 130.0, 1.0, 1.5, 0.3, 0.8, 0.25},
    {ExerciseKind::kLateralRaise, 30.0, 1.0, 1.4, 0.2, 0.8, 0.6},
    {ExerciseKind::kKneeExtension, 80.0, 1.2, 1.8, 0.5, 1.0, 0.35},
    {ExerciseKind::kSquat, 35.0, 1.0, 1.6, 0.2, 1.0, 0.12},
    {ExerciseKind::kStraightLegRaise, 50.0, 1.5, 2.0, 1.0, 1.5, 0.8},
};

// One row per ExerciseKind, in the enum's order, so a kind indexes its row.
constexpr bool ShapesFollowTheEnum() {
  for (std::size_t i = 0; i < std::size(kShapes); ++i) {
    if (static_cast<std::size_t>(kShapes[i].kind) != i) return false;
  }
  return std::size(kShapes) == static_cast<std::size_t>(ExerciseKind::kStraightLegRaise) + 1;
}
static_assert(ShapesFollowTheEnum(), "kShapes needs one row per ExerciseKind, in enum order");

const MovementShape& ShapeOf(ExerciseKind kind) { return kShapes[static_cast<std::size_t>(kind)]; }

const std::vector<PresetInfo> kPresets = {
    {"curl", "bilateral biceps curl, 10 reps, symmetric, realistic noise and mounts"},
    {"curl-clean", "curl without noise, sway or jitter (exact kinematics)"},
    {"curl-asym10", "curl, right side 10 % less ROM"},
    {"curl-tempo-asym", "curl, right concentric 20 % slower"},
    {"curl-lag", "curl, right side starts each rep 150 ms after the left"},
    {"curl-fatigue", "curl, 12 reps, concentric speed loss 2 %/rep left and 5 %/rep right"},
    {"curl-dropouts", "curl with sample dropouts (left 0.5 s, right 1.5 s)"},
    {"curl-drift", "curl, device clocks offset (100 s, 250.5 s) and drifting (+200, -150 ppm)"},
    {"curl-mag", "curl with magnetometer (50 uT, 65 deg dip)"},
    {"curl-25hz", "curl sampled at 25 Hz"},
    {"curl-200hz", "curl sampled at 200 Hz"},
    {"unilateral-curl", "left set of 8 curls, 6 s rest, right set of 7 curls with 15 % less ROM"},
    {"lateral-raise", "bilateral lateral raise, 30 deg ROM, arm hanging"},
    {"knee-extension", "seated knee extension, 80 deg ROM, shank vertical at rest"},
    {"knee-extension-hold", "knee extension holding 3 s at the top (physiotherapy)"},
    {"squat", "bilateral squat, shank tilts 35 deg forward, eccentric first"},
    {"squat-asym15", "squat, right shank 15 % less ROM"},
    {"straight-leg-raise", "lying straight-leg raise, 50 deg ROM"},
    {"curl-handling",
     "curl; dumbbells picked up before the set (42 deg, 2 s lift), put down after"},
    {"curl-walk", "curl after 6 s of walking (45 deg arm swing, 0.9 Hz, anti-phase, bounce)"},
    {"curl-loss-bursts", "curl at 50 Hz losing bursts of 1-10 samples (BLE-like, 0.5 per s)"},
    {"curl-two-sets", "two curl sets, 30 s rest between them with the dumbbells in hand"},
    {"knee-extension-follower",
     "right-leg knee extension; the resting left shank rocks 5-12 deg with every rep"},
    {"leg-raise-rocking-follower",
     "unilateral straight-leg raise of the right leg; the left rocks 10-20 deg with every rep, "
     "rolling about its long axis and lagging by up to 0.3 s (no hinge)"},
    {"curl-gym", "walk, pick up, two curl sets with rest in hand, put down, BLE loss bursts"},
};

}  // namespace

fusion::Quaternion QuaternionFromAxisAngle(const fusion::Vec3& axis, double angle_deg) {
  const double norm = std::sqrt(axis.x * axis.x + axis.y * axis.y + axis.z * axis.z);
  if (norm == 0.0) return {};
  const double half = angle_deg * std::numbers::pi / 360.0;
  const double s = std::sin(half) / norm;
  return {std::cos(half), axis.x * s, axis.y * s, axis.z * s};
}

SessionSpec DefaultSpec(ExerciseKind kind) {
  SessionSpec spec;
  spec.name = std::string(ToString(kind));
  spec.exercise = kind;
  spec.mode = fusion::SetMode::kBilateral;
  spec.rate_hz = 100.0;
  spec.seed = 20261123;
  SetBoth(spec, [](SideSpec& s) {
    s.rep_count = 10;
    s.rom_jitter_pct = 3.0;
    s.tempo_jitter_pct = 5.0;
    s.sway.amplitude_deg = 0.3;
    s.sway.frequency_hz = 0.4;
  });
  spec.left.noise = TypicalNoise(1.0);
  spec.right.noise = TypicalNoise(-1.0);
  // Straps are never aligned with the bone: arbitrary, different rotations per side.
  spec.left.mount_sensor_to_segment = QuaternionFromAxisAngle({0.3, -0.5, 0.8}, 70.0);
  spec.right.mount_sensor_to_segment = QuaternionFromAxisAngle({-0.6, 0.2, 0.4}, 145.0);
  const MovementShape& shape = ShapeOf(kind);
  SetBoth(spec, [&shape](SideSpec& s) {
    s.rom_deg = shape.rom_deg;
    s.concentric_s = shape.concentric_s;
    s.eccentric_s = shape.eccentric_s;
    s.pause_turnaround_s = shape.pause_turnaround_s;
    s.rest_between_s = shape.rest_between_s;
    s.lever_arm_m = shape.lever_arm_m;
  });
  return spec;
}

const std::vector<PresetInfo>& Presets() { return kPresets; }

std::optional<SessionSpec> MakePreset(std::string_view name) {
  const std::string name_str(name);
  SessionSpec spec;
  if (name == "curl" || name.starts_with("curl-")) {
    spec = DefaultSpec(ExerciseKind::kCurl);
    if (name == "curl-clean") {
      MakeClean(spec);
    } else if (name == "curl-asym10") {
      spec.right.rom_deg *= 0.9;
    } else if (name == "curl-tempo-asym") {
      spec.right.concentric_s *= 1.2;
    } else if (name == "curl-lag") {
      spec.right_lag_ms = 150.0;
    } else if (name == "curl-fatigue") {
      SetBoth(spec, [](SideSpec& s) { s.rep_count = 12; });
      spec.left.fatigue_speed_loss_pct_per_rep = 2.0;
      spec.right.fatigue_speed_loss_pct_per_rep = 5.0;
    } else if (name == "curl-dropouts") {
      spec.left.dropouts = {{8.0, 8.5}};
      spec.right.dropouts = {{15.0, 16.5}};
    } else if (name == "curl-drift") {
      spec.left.clock = {100.0, 200.0};
      spec.right.clock = {250.5, -150.0};
    } else if (name == "curl-mag") {
      spec.with_mag = true;
    } else if (name == "curl-25hz") {
      spec.rate_hz = 25.0;
    } else if (name == "curl-200hz") {
      spec.rate_hz = 200.0;
    } else if (name == "curl-handling") {
      spec.handling.enabled = true;
    } else if (name == "curl-walk") {
      spec.walk.duration_s = 6.0;
    } else if (name == "curl-loss-bursts") {
      spec.rate_hz = 50.0;
      SetBoth(spec, [](SideSpec& s) { s.loss.bursts_per_s = 0.5; });
    } else if (name == "curl-two-sets") {
      spec.sets.set_count = 2;
    } else if (name == "curl-gym") {
      spec.walk.duration_s = 6.0;
      spec.handling.enabled = true;
      spec.sets.set_count = 2;
      SetBoth(spec, [](SideSpec& s) { s.loss.bursts_per_s = 0.5; });
    } else if (name != "curl") {
      return std::nullopt;
    }
  } else if (name == "unilateral-curl") {
    spec = DefaultSpec(ExerciseKind::kCurl);
    spec.mode = fusion::SetMode::kUnilateral;
    spec.rest_between_sets_s = 6.0;
    spec.left.rep_count = 8;
    spec.right.rep_count = 7;
    spec.right.rom_deg *= 0.85;
  } else if (name == "lateral-raise") {
    spec = DefaultSpec(ExerciseKind::kLateralRaise);
  } else if (name == "knee-extension") {
    spec = DefaultSpec(ExerciseKind::kKneeExtension);
  } else if (name == "knee-extension-follower") {
    spec = DefaultSpec(ExerciseKind::kKneeExtension);
    spec.mode = fusion::SetMode::kUnilateral;
    spec.unilateral_first_side = fusion::Side::kRight;
    spec.left.rep_count = 0;
    spec.left.follow = {5.0, 12.0};
  } else if (name == "leg-raise-rocking-follower") {
    spec = DefaultSpec(ExerciseKind::kStraightLegRaise);
    spec.mode = fusion::SetMode::kUnilateral;
    spec.unilateral_first_side = fusion::Side::kRight;
    spec.left.rep_count = 0;
    spec.left.follow = {10.0, 20.0, 0.6, 0.3};
  } else if (name == "knee-extension-hold") {
    spec = DefaultSpec(ExerciseKind::kKneeExtension);
    SetBoth(spec, [](SideSpec& s) { s.pause_turnaround_s = 3.0; });
  } else if (name == "squat") {
    spec = DefaultSpec(ExerciseKind::kSquat);
  } else if (name == "squat-asym15") {
    spec = DefaultSpec(ExerciseKind::kSquat);
    spec.right.rom_deg *= 0.85;
  } else if (name == "straight-leg-raise") {
    spec = DefaultSpec(ExerciseKind::kStraightLegRaise);
  } else {
    return std::nullopt;
  }
  spec.name = name_str;
  return spec;
}

}  // namespace ambi::sim
