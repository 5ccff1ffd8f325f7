#include "daemon/sim/session_spec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <sstream>
#include <utility>

namespace ambi::sim {
namespace {

constexpr std::array<std::pair<ExerciseKind, std::string_view>, 5> kKindNames = {{
    {ExerciseKind::kCurl, "curl"},
    {ExerciseKind::kLateralRaise, "lateral-raise"},
    {ExerciseKind::kKneeExtension, "knee-extension"},
    {ExerciseKind::kSquat, "squat"},
    {ExerciseKind::kStraightLegRaise, "straight-leg-raise"},
}};

bool Finite(double v) { return std::isfinite(v); }

void ValidateSide(const SideSpec& s, std::string_view side, std::ostringstream& err) {
  auto bad = [&](std::string_view field, double value, std::string_view why) {
    if (err.tellp() > 0) err << "; ";
    err << side << "." << field << " = " << value << ": " << why;
  };
  if (s.rep_count < 0 || s.rep_count > 10000) bad("rep_count", s.rep_count, "must be 0..10000");
  if (!Finite(s.rom_deg) || s.rom_deg <= 0.0 || s.rom_deg > 180.0) {
    bad("rom_deg", s.rom_deg, "must be in (0, 180]");
  }
  if (!Finite(s.concentric_s) || s.concentric_s <= 0.05) {
    bad("concentric_s", s.concentric_s, "must be > 0.05");
  }
  if (!Finite(s.eccentric_s) || s.eccentric_s <= 0.05) {
    bad("eccentric_s", s.eccentric_s, "must be > 0.05");
  }
  if (!Finite(s.pause_turnaround_s) || s.pause_turnaround_s < 0.0) {
    bad("pause_turnaround_s", s.pause_turnaround_s, "must be >= 0");
  }
  if (!Finite(s.rest_between_s) || s.rest_between_s < 0.0) {
    bad("rest_between_s", s.rest_between_s, "must be >= 0");
  }
  if (!(s.rom_jitter_pct >= 0.0 && s.rom_jitter_pct <= 30.0)) {
    bad("rom_jitter_pct", s.rom_jitter_pct, "must be in [0, 30]");
  }
  if (!(s.tempo_jitter_pct >= 0.0 && s.tempo_jitter_pct <= 30.0)) {
    bad("tempo_jitter_pct", s.tempo_jitter_pct, "must be in [0, 30]");
  }
  if (!(s.fatigue_speed_loss_pct_per_rep >= 0.0 && s.fatigue_speed_loss_pct_per_rep <= 20.0)) {
    bad("fatigue_speed_loss_pct_per_rep", s.fatigue_speed_loss_pct_per_rep, "must be in [0, 20]");
  }
  if (!(s.fatigue_rom_loss_pct_per_rep >= 0.0 && s.fatigue_rom_loss_pct_per_rep <= 20.0)) {
    bad("fatigue_rom_loss_pct_per_rep", s.fatigue_rom_loss_pct_per_rep, "must be in [0, 20]");
  }
  if (!(s.lever_arm_m > 0.0 && s.lever_arm_m <= 2.0)) {
    bad("lever_arm_m", s.lever_arm_m, "must be in (0, 2]");
  }
  const auto& q = s.mount_sensor_to_segment;
  const double norm = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  if (!(std::abs(norm - 1.0) < 1e-6)) {
    bad("mount_sensor_to_segment |q|", norm, "must be a unit quaternion");
  }
  if (!(std::abs(s.clock.drift_ppm) <= 10000.0)) {
    bad("clock.drift_ppm", s.clock.drift_ppm, "must be within +-10000");
  }
  if (!Finite(s.clock.offset_s)) bad("clock.offset_s", s.clock.offset_s, "must be finite");
  for (const Dropout& d : s.dropouts) {
    if (!(Finite(d.start_s) && Finite(d.end_s) && d.end_s > d.start_s)) {
      bad("dropouts.start_s", d.start_s, "each dropout needs start_s < end_s");
    }
  }
  const NoiseSpec& n = s.noise;
  if (!(n.gyro_noise_rad_s >= 0.0))
    bad("noise.gyro_noise_rad_s", n.gyro_noise_rad_s, "must be >= 0");
  if (!(n.accel_noise_m_s2 >= 0.0))
    bad("noise.accel_noise_m_s2", n.accel_noise_m_s2, "must be >= 0");
  if (!(n.mag_noise_uT >= 0.0)) bad("noise.mag_noise_uT", n.mag_noise_uT, "must be >= 0");
  if (!(s.sway.amplitude_deg >= 0.0 && s.sway.amplitude_deg <= 10.0)) {
    bad("sway.amplitude_deg", s.sway.amplitude_deg, "must be in [0, 10]");
  }
  if (!(s.sway.frequency_hz > 0.0 && s.sway.frequency_hz <= 20.0)) {
    bad("sway.frequency_hz", s.sway.frequency_hz, "must be in (0, 20]");
  }
  if (!(s.loss.bursts_per_s >= 0.0 && s.loss.bursts_per_s <= 10.0)) {
    bad("loss.bursts_per_s", s.loss.bursts_per_s, "must be in [0, 10]");
  }
  if (s.loss.max_samples < 1 || s.loss.max_samples > 1000) {
    bad("loss.max_samples", s.loss.max_samples, "must be 1..1000");
  }
  if (!(s.loss.max_duration_s > 0.0 && s.loss.max_duration_s <= 10.0)) {
    bad("loss.max_duration_s", s.loss.max_duration_s, "must be in (0, 10]");
  }
  if (!(s.follow.min_deg >= 0.0 && s.follow.max_deg >= s.follow.min_deg &&
        s.follow.max_deg <= 45.0)) {
    bad("follow.max_deg", s.follow.max_deg, "need 0 <= follow.min_deg <= follow.max_deg <= 45");
  }
  if (!(s.follow.roll_frac >= 0.0 && s.follow.roll_frac <= 1.0)) {
    bad("follow.roll_frac", s.follow.roll_frac, "must be in [0, 1]");
  }
  if (!(s.follow.lag_max_s >= 0.0 && s.follow.lag_max_s <= 1.0)) {
    bad("follow.lag_max_s", s.follow.lag_max_s, "must be in [0, 1]");
  }
}

}  // namespace

std::string_view ToString(ExerciseKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<ExerciseKind> ParseExerciseKind(std::string_view text) {
  for (const auto& [k, name] : kKindNames) {
    if (name == text) return k;
  }
  return std::nullopt;
}

std::string_view CatalogNameOf(ExerciseKind kind) {
  switch (kind) {
    case ExerciseKind::kCurl:
      return "biceps_curl";
    case ExerciseKind::kLateralRaise:
      return "lateral_raise";
    case ExerciseKind::kKneeExtension:
      return "leg_extension";
    case ExerciseKind::kSquat:
      return "squat";
    case ExerciseKind::kStraightLegRaise:
      return "straight_leg_raise";
  }
  return "";
}

std::string_view CatalogNameOf(const SessionSpec& spec) {
  if (spec.step.step_up()) return "step_up";
  return CatalogNameOf(spec.exercise);
}

StepSpec StepUpOntoBox(fusion::Side leading) {
  return {.enabled = true,
          .leading = leading,
          .box_m = 0.35,
          .length_m = 0.3,
          .swing_s = 0.7,
          .swing_knee_deg = 50.0};
}

fusion::Limb LimbOf(ExerciseKind kind) {
  switch (kind) {
    case ExerciseKind::kCurl:
    case ExerciseKind::kLateralRaise:
      return fusion::Limb::kWrist;
    case ExerciseKind::kKneeExtension:
    case ExerciseKind::kSquat:
    case ExerciseKind::kStraightLegRaise:
      return fusion::Limb::kAnkle;
  }
  return fusion::Limb::kWrist;
}

fusion::Phase FirstPhaseOf(ExerciseKind kind) {
  return kind == ExerciseKind::kSquat ? fusion::Phase::kEccentric : fusion::Phase::kConcentric;
}

bool OtherSideRestsIn(ExerciseKind kind) { return kind != ExerciseKind::kSquat; }

std::vector<fusion::Rep> OwnSetReps(const GroundTruth& truth, fusion::Side side) {
  const std::vector<fusion::Rep>& reps = truth.side(side).reps;
  if (truth.mode == fusion::SetMode::kBilateral) return reps;
  const int own_set = side == truth.unilateral_first_side ? 1 : 2;
  std::vector<fusion::Rep> own;
  std::copy_if(reps.begin(), reps.end(), std::back_inserter(own),
               [&](const fusion::Rep& rep) { return rep.set_index == own_set; });
  return own;
}

std::vector<int> RepsPerSet(const std::vector<fusion::Rep>& reps) {
  std::vector<int> counts;
  int set_index = -1;
  for (const fusion::Rep& rep : reps) {
    if (rep.set_index != set_index) {
      set_index = rep.set_index;
      counts.push_back(0);
    }
    ++counts.back();
  }
  return counts;
}

void ScaleNoise(NoiseSpec& noise, double scale) {
  noise.gyro_noise_rad_s *= scale;
  noise.accel_noise_m_s2 *= scale;
  noise.mag_noise_uT *= scale;
}

fusion::Vec3 GyroBiasAlong(const fusion::Vec3& direction, double magnitude_rad_s) {
  return fusion::Scale(direction, magnitude_rad_s / std::sqrt(fusion::Dot(direction, direction)));
}

std::string Validate(const SessionSpec& spec) {
  std::ostringstream err;
  auto bad = [&](std::string_view field, double value, std::string_view why) {
    if (err.tellp() > 0) err << "; ";
    err << field << " = " << value << ": " << why;
  };
  if (!(spec.rate_hz >= 1.0 && spec.rate_hz <= 2000.0))
    bad("rate_hz", spec.rate_hz, "must be in [1, 2000]");
  if (!(spec.rest_before_s >= 0.0 && spec.rest_before_s <= 3600.0)) {
    bad("rest_before_s", spec.rest_before_s, "must be in [0, 3600]");
  }
  if (!(spec.rest_after_s >= 0.0 && spec.rest_after_s <= 3600.0)) {
    bad("rest_after_s", spec.rest_after_s, "must be in [0, 3600]");
  }
  if (!(spec.rest_between_sets_s >= 0.0)) {
    bad("rest_between_sets_s", spec.rest_between_sets_s, "must be >= 0");
  }
  if (!(std::abs(spec.right_lag_ms) <= 5000.0))
    bad("right_lag_ms", spec.right_lag_ms, "must be within +-5000");
  if (!(spec.mag_field_uT > 0.0 && spec.mag_field_uT < 1000.0)) {
    bad("mag_field_uT", spec.mag_field_uT, "must be in (0, 1000)");
  }
  if (!(std::abs(spec.mag_dip_deg) <= 90.0))
    bad("mag_dip_deg", spec.mag_dip_deg, "must be within +-90");
  const HandlingSpec& h = spec.handling;
  if (h.enabled) {
    if (spec.mode != fusion::SetMode::kBilateral) {
      bad("handling.enabled", 1, "handling is simulated for bilateral sets only");
    }
    if (!(h.angle_deg > 0.0 && h.angle_deg <= 120.0)) {
      bad("handling.angle_deg", h.angle_deg, "must be in (0, 120]");
    }
    for (double v : {h.reach_s, h.lift_s}) {
      if (!(v > 0.05 && v <= 30.0)) bad("handling.reach_s/lift_s", v, "must be in (0.05, 30]");
    }
    for (double v : {h.grip_s, h.settle_s}) {
      if (!(v >= 0.0 && v <= 30.0)) bad("handling.grip_s/settle_s", v, "must be in [0, 30]");
    }
  }
  const WalkSpec& w = spec.walk;
  if (!(w.duration_s >= 0.0 && w.duration_s <= 600.0)) {
    bad("walk.duration_s", w.duration_s, "must be in [0, 600]");
  }
  if (w.duration_s > 0.0) {
    if (!(w.swing_deg >= 0.0 && w.swing_deg <= 120.0)) {
      bad("walk.swing_deg", w.swing_deg, "must be in [0, 120]");
    }
    if (!(w.frequency_hz >= 0.2 && w.frequency_hz <= 3.0)) {
      bad("walk.frequency_hz", w.frequency_hz, "must be in [0.2, 3]");
    }
    if (!(w.duration_s >= 2.0 / w.frequency_hz)) {
      bad("walk.duration_s", w.duration_s, "must cover at least two swing periods");
    }
    if (!(w.bounce_m >= 0.0 && w.bounce_m <= 0.2)) {
      bad("walk.bounce_m", w.bounce_m, "must be in [0, 0.2]");
    }
    if (!(w.stand_s >= 0.0 && w.stand_s <= 60.0))
      bad("walk.stand_s", w.stand_s, "must be in [0, 60]");
  }
  const SetsSpec& sets = spec.sets;
  if (sets.set_count < 1 || sets.set_count > 20)
    bad("sets.set_count", sets.set_count, "must be 1..20");
  if (sets.set_count > 1 && spec.mode != fusion::SetMode::kBilateral) {
    bad("sets.set_count", sets.set_count, "several sets are simulated for bilateral mode only");
  }
  if (!(sets.rest_s >= 0.0 && sets.rest_s <= 600.0))
    bad("sets.rest_s", sets.rest_s, "must be in [0, 600]");
  if (!(sets.fidget_deg >= 0.0 && sets.fidget_deg <= 20.0)) {
    bad("sets.fidget_deg", sets.fidget_deg, "must be in [0, 20]");
  }
  if (!(sets.fidget_hz > 0.0 && sets.fidget_hz <= 5.0)) {
    bad("sets.fidget_hz", sets.fidget_hz, "must be in (0, 5]");
  }
  const StepSpec& step = spec.step;
  if (step.enabled) {
    if (spec.exercise != ExerciseKind::kSquat) {
      bad("step.enabled", 1, "a lunge or a step-up steps from a squat session");
    } else if (!step.step_up() && spec.mode != fusion::SetMode::kBilateral) {
      bad("step.enabled", 1, "a lunge steps from a bilateral squat session (both legs work)");
    }
    const auto within = [&](std::string_view field, double value, double low, double high) {
      if (value >= low && value <= high) return;
      std::ostringstream why;
      why << "must be in [" << low << ", " << high << "]";
      bad(field, value, why.str());
    };
    within("step.length_m", step.length_m, 0.0, 1.5);
    within("step.lift_m", step.lift_m, 0.0, 0.5);
    within("step.swing_s", step.swing_s, 0.2, 3.0);
    within("step.swing_knee_deg", step.swing_knee_deg, 0.0, 90.0);
    within("step.reach_deg", step.reach_deg, 0.0, 45.0);
    within("step.reach_settle_s", step.reach_settle_s, 0.1, 3.0);
    within("step.box_m", step.box_m, 0.0, 0.6);
    if (step.step_up() && spec.left.rep_count != spec.right.rep_count) {
      bad("step.box_m", step.box_m, "a step-up takes both legs up together: equal rep counts");
    }
  }
  for (const SideSpec* s : {&spec.left, &spec.right}) {
    if (s->follow.max_deg > 0.0 && spec.mode != fusion::SetMode::kUnilateral) {
      bad("follow.max_deg", s->follow.max_deg, "a following limb needs unilateral mode");
    }
  }
  ValidateSide(spec.left, "left", err);
  ValidateSide(spec.right, "right", err);
  return err.str();
}

}  // namespace ambi::sim
