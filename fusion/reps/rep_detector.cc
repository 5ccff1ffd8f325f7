#include "fusion/reps/rep_detector.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "fusion/core/median.h"
#include "fusion/core/rotation.h"

namespace ambi::fusion {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;
constexpr double kDegToRad = std::numbers::pi / 180.0;
// Below this a speed difference between two samples is zero (no crossing to interpolate).
constexpr double kFlatSpeed = 1e-12;

// The largest turn CarryWorldVector carries a vector through accurately (rad).
constexpr double kCarryTurnMaxRad = 0.1;

// A vector fixed in the world, in the frame of a sensor that turned by 'lost_rad' (sensor frame)
// while samples were lost: 10 samples of a fast turn at 25 Hz are over 100 deg, so in pieces.
Vec3 CarryLostRotation(const Vec3& v, const Vec3& lost_rad) {
  const double turn_rad = Norm(lost_rad);
  if (turn_rad == 0.0) return v;
  const int pieces = static_cast<int>(std::ceil(turn_rad / kCarryTurnMaxRad));
  Vec3 out = v;
  for (int i = 0; i < pieces; ++i) out = CarryWorldVector(out, lost_rad, 1.0 / pieces);
  return out;
}

// The angle between two axes, whatever their signs (deg).
double AxisAngleDeg(const Vec3& a, const Vec3& b) {
  return std::acos(std::clamp(std::abs(Dot(a, b)), 0.0, 1.0)) * kRadToDeg;
}

// The angle between two unit directions (rad): how far a segment tilted between two samples'
// gravity.
double DirectionAngleRad(const Vec3& a, const Vec3& b) {
  return std::acos(std::clamp(Dot(a, b), -1.0, 1.0));
}

// Time where 'value' crosses 'level' between two samples, linearly interpolated.
std::int64_t Interpolate(std::int64_t t0, double v0, std::int64_t t1, double v1, double level) {
  const double dv = v1 - v0;
  if (std::abs(dv) < kFlatSpeed) return t0;
  const double f = std::clamp((level - v0) / dv, 0.0, 1.0);
  return t0 + static_cast<std::int64_t>(std::llround(f * static_cast<double>(t1 - t0)));
}

// Where the speed, crossing 'level' (> 0 in magnitude) between two samples, extrapolates to
// zero: the half-cosine-like speed near a start, stop or turnaround is close to linear in time,
// so this recovers the true instant that a threshold alone would miss by a fraction of the
// phase. At most max(one sample period, 'max_s') beyond the crossing.
std::int64_t ExtrapolateToZero(std::int64_t t0, double v0, std::int64_t t1, double v1, double level,
                               double max_s) {
  const std::int64_t crossing = Interpolate(t0, v0, t1, v1, level);
  const double dt_s = static_cast<double>(t1 - t0) * 1e-9;
  const double slope = (v1 - v0) / dt_s;  // per second
  if (std::abs(slope) < kFlatSpeed) return crossing;
  const double limit_s = std::max(dt_s, max_s);
  const double shift_s = std::clamp(-level / slope, -limit_s, limit_s);
  return crossing + static_cast<std::int64_t>(std::llround(shift_s * 1e9));
}

// One rep made of two movements: 'out' up to its turn at 'turn_from', held until 'turn_to', and
// 'back' from there (a trip up onto a box and down, or a movement that went on after a gap).
Rep TwoWayRep(const Rep& out, const Rep& back, Time turn_from, Time turn_to) {
  Rep rep = out;
  rep.turnaround = turn_from;
  rep.end = back.end;
  rep.rom_deg = std::max(out.rom_deg, back.rom_deg);
  rep.concentric_s = ToSeconds(turn_from - out.start);
  rep.eccentric_s = ToSeconds(back.end - turn_to);
  rep.pause_turnaround_s = std::max(0.0, ToSeconds(turn_to - turn_from));
  rep.peak_speed_deg_s = std::max(out.peak_speed_deg_s, back.peak_speed_deg_s);
  rep.peak_concentric_speed_deg_s = out.peak_speed_deg_s;
  rep.bridged = out.bridged || back.bridged;
  return rep;
}

}  // namespace

const char* RepStateName(RepState state) {
  switch (state) {
    case RepState::kLearningAxis:
      return "learning_axis";
    case RepState::kResuming:
      return "resuming";
    case RepState::kSeekingRest:
      return "seeking_rest";
    case RepState::kAtRest:
      return "at_rest";
    case RepState::kRising:
      return "rising";
    case RepState::kFalling:
      return "falling";
    case RepState::kReturning:
      return "returning";
    case RepState::kStoppedSuddenly:
      return "stopped_suddenly";
  }
  return "?";
}

RepDetectorParams ResolveForExercise(RepDetectorParams params) {
  if (!(params.exercise_min_rom_deg > 0.0) || !(params.min_rom_deg > 0.0)) return params;
  const double k = std::min(1.0, params.exercise_min_rom_deg / params.min_rom_deg);
  for (double* floor : {&params.start_min_deg, &params.start_set_min_deg, &params.turn_min_deg,
                        &params.turn_set_min_deg, &params.min_rom_deg, &params.min_rom_set_deg,
                        &params.swing_min_deg, &params.axis.lock_rotation_deg,
                        &params.axis.slow_lock_rotation_deg}) {
    *floor *= k;
  }
  if (params.exercise_min_rom_deg < params.gyro_angle_below_rom_deg) params.angle.gyro_only = true;
  return params;
}

RepDetector::RepDetector(const RepDetectorParams& params)
    : params_(ResolveForExercise(params)),
      capacity_(static_cast<std::int64_t>(std::ceil((params.max_rep_s + params.buffer_extra_s) *
                                                    std::max(params.nominal_rate_hz, 1.0) *
                                                    params.buffer_rate_margin))),
      buffer_(static_cast<std::size_t>(capacity_)),
      axis_estimator_(params_.axis),
      angle_(params_.angle),
      axis_update_every_(std::max(
          1, static_cast<int>(std::lround(params.axis_update_period_s * params.nominal_rate_hz)))),
      rest_gyro_rad_s_(params_.rest_gyro_rad_s) {}

void RepDetector::ClearSet() {
  StartLearningAxis(next_index_);
  still_s_ = 0.0;
  previous_time_ns_.reset();
  ForgetSetShape();
  did_reps_ = false;
  swinging_ = false;
  previous_end_.reset();
  held_.reset();
  rising_at_gap_.reset();
  trip_out_.reset();
  last_judged_ = {};
  last_rep_tempo_.reset();
  stance_end_index_.reset();
}

void RepDetector::RelearnAxis(std::int64_t index) {
  ++relearned_;
  StartLearningAxis(index);
}

void RepDetector::StartLearningAxis(std::int64_t index) {
  SettleAtItsEnd();
  floor_index_ = index;
  learning_motion_from_.reset();
  learning_rest_up_.reset();
  learning_cut_after_motion_ = false;
  axis_estimator_.Reset();
  angle_ = SegmentAngle(params_.angle);
  samples_since_axis_update_ = 0;
  state_ = RepState::kLearningAxis;
  rest_ = RestPose{};
  rest_before_gap_deg_.reset();
  away_from_rest_deg_.reset();
  last_end_index_ = -1;
  still_pose_.reset();
  axis_confirmed_ = false;
  relocked_on_swing_ = false;
  relock_axis_.reset();
}

RepDetector::Travel RepDetector::SensorTravel(std::int64_t first, std::int64_t last) const {
  // From the first sample after a gap (or the data's first) the limb may already have been
  // moving: no velocity is known there.
  const double whole_s = static_cast<double>(At(last).time_ns - At(first).time_ns) * 1e-9;
  const double longest_s = params_.climbing ? params_.step_rise_max_s : params_.step_max_s;
  if (first <= floor_index_ || first < OldestIndex() || last <= first || whole_s > longest_s) {
    return {};
  }
  // The vertical and two horizontal directions, fixed in the world, carried by the gyro. Which
  // two horizontal ones does not matter: the distance is the same.
  Vec3 up = At(first).gravity;
  Vec3 east = Cross(up, std::abs(up.x) < 0.9 ? Vec3{1.0, 0.0, 0.0} : Vec3{0.0, 1.0, 0.0});
  east = Scale(east, 1.0 / Norm(east));
  // Velocity and position from zero at 'first'; the limb stopped at 'last' too, so the velocity
  // left there is an error that grew over the span (a constant one linearly): the position less
  // half of it times the span. That also takes gravity out of the vertical, whatever the
  // accelerometer's scale. The vertical's error grew faster where the limb turned and where
  // samples were lost (step_turn_weight_per_rad_s, step_lost_weight_per_rad_s): its share up to
  // each step ('error_share'), integrated over the span, is what it moved the height by per m/s
  // left.
  double velocity_m_s[3] = {0.0, 0.0, 0.0};
  double position_m[3] = {0.0, 0.0, 0.0};
  double span_s = 0.0;
  double error_share = 0.0;
  double error_share_s = 0.0;
  for (std::int64_t j = first + 1; j <= last; ++j) {
    const Entry& e = At(j);
    // Over a gap the bridge would not span, nothing can be told.
    const double step_s = static_cast<double>(e.time_ns - At(j - 1).time_ns) * 1e-9;
    if (step_s > params_.gap.bridge_max_s) return {};
    // The time the limb moved between the two samples: samples found late lengthen the step
    // they were found at, but were lost where the clock located them (lost_before_s, their
    // rotation lost_rad), often many samples earlier. Turned through the whole step, a leg
    // stepping down at 266 deg/s was carried 24 deg too far, and its 0.35 m read 0.003 m.
    const double found_late_s = std::min(e.lost_in_step_s, step_s);
    const double turned_s = step_s - found_late_s;
    const double moved_s = turned_s + e.lost_before_s;
    up = CarryLostRotation(up, e.lost_rad);
    east = CarryLostRotation(east, e.lost_rad);
    const Vec3 rate_rad_s = Scale(Add(At(j - 1).gyro_rad_s, e.gyro_rad_s), 0.5);
    up = CarryWorldVector(up, rate_rad_s, turned_s);
    east = CarryWorldVector(east, rate_rad_s, turned_s);
    east = Sub(east, Scale(up, Dot(east, up)));
    east = Scale(east, 1.0 / Norm(east));
    const Vec3 north = Cross(up, east);
    // The lost samples' acceleration is taken as this sample's.
    velocity_m_s[0] += Dot(e.accel_m_s2, east) * moved_s;
    velocity_m_s[1] += Dot(e.accel_m_s2, north) * moved_s;
    velocity_m_s[2] += (Dot(e.accel_m_s2, up) - kStandardGravity_m_s2) * moved_s;
    for (int k = 0; k < 3; ++k) position_m[k] += velocity_m_s[k] * moved_s;
    span_s += moved_s;
    const double lost_s = e.bridged ? moved_s : e.lost_before_s;
    const double turn_rad_s = Norm(e.gyro_rad_s);
    const double share =
        (moved_s - lost_s) * (1.0 + params_.step_turn_weight_per_rad_s * turn_rad_s) +
        params_.step_lost_weight_per_rad_s * turn_rad_s * lost_s;
    error_share_s += (error_share + 0.5 * share) * moved_s;  // the share grows over the step
    error_share += share;
  }
  const auto moved_m = [&](int k) { return position_m[k] - 0.5 * span_s * velocity_m_s[k]; };
  Travel travel;
  if (whole_s <= params_.step_max_s) travel.across_m = std::hypot(moved_m(0), moved_m(1));
  if (params_.climbing && StillForTravel(first) && StillForTravel(last)) {
    const double centre_s = error_share > 0.0 ? error_share_s / error_share : 0.5 * span_s;
    travel.rise_m = position_m[2] - centre_s * velocity_m_s[2];
  }
  return travel;
}

bool RepDetector::StillForTravel(std::int64_t index) const {
  const Entry& e = At(index);
  return std::abs(Norm(e.accel_m_s2) - kStandardGravity_m_s2) <= params_.step_still_accel_m_s2 &&
         Norm(e.gyro_rad_s) <= params_.step_still_gyro_deg_s * kDegToRad;
}

std::optional<std::int64_t> RepDetector::LastStillBefore(std::int64_t index) const {
  const std::int64_t lo = std::max(floor_index_ + 1, OldestIndex());
  for (std::int64_t j = index - 1; j >= lo; --j) {
    if (static_cast<double>(At(index).time_ns - At(j).time_ns) * 1e-9 >
        params_.step_still_before_max_s) {
      break;
    }
    if (StillForTravel(j)) return j;
  }
  return std::nullopt;
}

std::optional<std::int64_t> RepDetector::LastPauseWithin(std::int64_t first,
                                                         std::int64_t end) const {
  std::int64_t last = end - 1;
  while (last > first && StillForTravel(last)) --last;   // the landing at the end
  while (last > first && !StillForTravel(last)) --last;  // the last movement
  std::int64_t from = last;
  while (from > first && StillForTravel(from - 1)) --from;
  if (last <= first || SecondsBetween(from, last) < params_.step_pause_min_s) return std::nullopt;
  return last;
}

bool RepDetector::CarriedElsewhere(std::int64_t first, std::int64_t last, std::int64_t settled,
                                   double* rise_m) const {
  // Up to the first moment the limb was still at or after its end, before it settled: the least
  // time for a tilt error to leak gravity into the vertical.
  std::int64_t end = last;
  while (end < settled && !StillForTravel(end)) ++end;
  if (CarriedTo(first, end, rise_m)) return true;
  // Read again where the limb came to rest, when it did: a leading leg lands bent on the box,
  // its rise then no more than a knee turned that far might give it, and the body rising over it
  // turns it upright.
  double settled_rise_m = 0.0;
  if (params_.climbing && settled > end && StillForTravel(settled) &&
      CarriedTo(first, settled, &settled_rise_m)) {
    *rise_m = settled_rise_m;
    return true;
  }
  // Read again on each side of the limb's last pause within the movement: a leading leg lands on
  // the box and pauses before the body rises over it, and lowers the body, pauses and only then
  // steps down. Over the whole (2-2.5 s at 25 Hz with samples lost) the height read a 0.2 m step
  // as 0.06-0.13 m.
  if (params_.climbing) {
    if (const std::optional<std::int64_t> pause = LastPauseWithin(first, end)) {
      double part_rise_m = 0.0;
      if (CarriedTo(first, *pause, &part_rise_m) || CarriedTo(*pause, end, &part_rise_m)) {
        *rise_m = part_rise_m;
        return true;
      }
    }
  }
  return false;
}

bool RepDetector::CarriedTo(std::int64_t first, std::int64_t end, double* rise_m) const {
  Travel travel = SensorTravel(first, end);
  if (params_.climbing && travel.rise_m == 0.0) {
    // The movement's start is where it crossed its threshold, already moving off (a step's
    // carrying begins with the knee's turn): its height is read from the last still moment
    // before it. Its end may be where the next movement already began (a trailing leg's short
    // stand on the box lost in a gap, the way down under way at the first sample after it): its
    // height is read up to the last still moment before that end.
    std::int64_t from = first;
    std::int64_t to = end;
    if (!StillForTravel(first)) from = LastStillBefore(first).value_or(first);
    if (!StillForTravel(end)) {
      const std::optional<std::int64_t> still = LastStillBefore(end);
      if (still && *still > first) to = *still;
    }
    if ((from != first || to != end) && StillForTravel(from) && StillForTravel(to)) {
      travel.rise_m = SensorTravel(from, to).rise_m;
    }
  }
  *rise_m = travel.rise_m;
  const double tilt_rad = DirectionAngleRad(At(first).gravity, At(end).gravity);
  const double arc_m = 2.0 * params_.step_lever_m * std::sin(0.5 * tilt_rad);
  const double arc_rise_m = params_.step_rise_lever_m * (1.0 - std::cos(tilt_rad));
  return travel.across_m > params_.step_min_m + arc_m ||
         std::abs(travel.rise_m) > params_.step_rise_min_m + arc_rise_m;
}

std::optional<Rep> RepDetector::CloseTrip(const Rep& step, double rise_m, std::int64_t first,
                                          std::int64_t last, double filled_frac,
                                          const JudgedMovement& judged_before) {
  const std::optional<TripOut> out = std::exchange(trip_out_, std::nullopt);
  const double larger_m = std::max(std::abs(rise_m), out ? std::abs(out->rise_m) : 0.0);
  // A height read across a fill says the limb stepped, not by how much nor which way: a fill of
  // 0.1 of a way up's turning read it 0.85 m up for 0.39 m, one of 0.3 of a way down read it
  // 0.25 m up, one of 0.06 read it 0.10 m down for 0.3 m up. A step so read after a way up is its
  // way down. With none waiting it may be a way up read low (0.12-0.14 m, with a third to two
  // thirds of its turning filled) or even falling: it begins a trip unless it fell a step of its
  // own. A trip begun below step_rise_min_m is closed only by a way down that falls a step of its
  // own where that was measured; read across a fill as well, no height can tell.
  const bool this_measured = filled_frac == 0.0;
  if (!out && params_.climbing && this_measured && rise_m < -params_.step_rise_min_m) {
    if (const std::optional<std::int64_t> lost_from =
            WayUpLostBefore(judged_before, first, ToSeconds(step.end - step.start))) {
      // Its way up lies in the loss, unseen: the trip went up from where the limb was last seen
      // and turned where the way down began. Its range is the way down's, its timing uncertain.
      Rep way_up = step;  // TwoWayRep takes its start, range, peak speed and bridged flag
      way_up.start = TimeFromNanoseconds(At(*lost_from).time_ns);
      way_up.peak_speed_deg_s = 0.0;  // not seen
      way_up.bridged = true;
      Rep trip = TwoWayRep(way_up, step, step.start, step.start);
      trip.stepped = true;
      return trip;
    }
  }
  const bool heights_measured = out && this_measured && out->height_measured;
  // A way up begun below step_rise_min_m, by a height read across a fill.
  const bool out_read_low = out && out->rise_m <= params_.step_rise_min_m;
  if (!out || (this_measured && rise_m >= 0.0) ||
      (heights_measured &&
       std::abs(rise_m + out->rise_m) > params_.step_trip_mismatch_frac * larger_m) ||
      (out_read_low && this_measured && rise_m > -params_.step_rise_min_m) ||
      ToSeconds(step.start - out->step.end) > params_.step_trip_stand_max_s) {
    // Only a set that climbs reads heights: elsewhere a step is no trip's half.
    if (params_.climbing && (rise_m > params_.step_rise_min_m ||
                             (!this_measured && rise_m > -params_.step_rise_min_m))) {
      trip_out_ = TripOut{step, rise_m, first, last, this_measured};
    }
    return std::nullopt;
  }
  // Up and back down: the way up (concentric) from the lift to the top, the way down
  // (eccentric) from leaving the top to the foot back on the floor; the time at the top between.
  Time top_from = out->step.end;
  Time top_to = step.start;
  // Still buffered: each sample's gravity holds across a gap or a relearned axis.
  if (out->first >= next_index_ - capacity_ && first > out->last) {
    // On the box, the shank's tilt from where it stood on the floor: the top is where it is
    // most upright, within the band.
    const Vec3 floor_gravity = At(out->first).gravity;
    const auto tilt_deg = [&](std::int64_t i) {
      return DirectionAngleRad(At(i).gravity, floor_gravity) * kRadToDeg;
    };
    double upright_deg = tilt_deg(out->last);
    for (std::int64_t i = out->last + 1; i <= first; ++i)
      upright_deg = std::min(upright_deg, tilt_deg(i));
    std::int64_t from = out->last;
    while (tilt_deg(from) > upright_deg + params_.step_top_band_deg) ++from;
    std::int64_t to = first;
    while (tilt_deg(to) > upright_deg + params_.step_top_band_deg) --to;
    top_from = TimeFromNanoseconds(At(from).time_ns);
    top_to = TimeFromNanoseconds(At(to).time_ns);
  }
  Rep trip = TwoWayRep(out->step, step, top_from, top_to);
  trip.stepped = true;
  return trip;
}

std::optional<std::int64_t> RepDetector::WayUpLostBefore(const JudgedMovement& judged_before,
                                                         std::int64_t first,
                                                         double way_down_s) const {
  if (judged_before.counted_alone) return std::nullopt;
  const std::int64_t oldest = std::max(OldestIndex(), judged_before.last + 1);
  // The latest loss, within a stand on the box of the way down.
  std::int64_t last_lost = first - 1;
  while (last_lost >= oldest && !At(last_lost).bridged &&
         SecondsBetween(last_lost, first) <= params_.step_trip_stand_max_s) {
    --last_lost;
  }
  if (last_lost < oldest || !At(last_lost).bridged) return std::nullopt;
  // The way up took no longer than its way down by step_like_tempo_ratio.
  const double way_up_max_s = params_.step_like_tempo_ratio * way_down_s;
  std::int64_t first_lost = last_lost;
  for (std::int64_t i = last_lost - 1; i >= oldest && SecondsBetween(i, last_lost) <= way_up_max_s;
       --i) {
    if (At(i).bridged) first_lost = i;
  }
  const std::int64_t seen_before = std::max(oldest, first_lost - 1);
  // The way up may end in measured samples after the loss, within its time; then the limb stood
  // on the box: a movement measured later was no hidden way up's (its own way up, measured, found
  // no trip for another reason).
  for (std::int64_t i = last_lost + 1; i < first; ++i) {
    if (SecondsBetween(last_lost, i) > way_up_max_s && !AtRestSpeed(At(i).speed_deg_s)) {
      return std::nullopt;
    }
  }
  return seen_before;
}

void RepDetector::ForgetSetShape() {
  rom_count_ = 0;
  trips_in_set_ = 0;
  stepped_rep_in_set_ = false;
  last_trip_rom_deg_ = 0.0;
  amplitude_deg_ = 0.0;
  rest_gyro_rad_s_ = params_.rest_gyro_rad_s;
  measured_step_.reset();
  step_into_stance_.reset();
}

void RepDetector::Reset() {
  ClearSet();
  pending_count_ = 0;
}

std::int64_t RepDetector::OldestIndex() const {
  return std::max(floor_index_, next_index_ - capacity_);
}

std::int64_t RepDetector::RepOldestIndex() const {
  return rep_.turnaround_in_gap ? std::max<std::int64_t>(0, next_index_ - capacity_)
                                : OldestIndex();
}

std::optional<Time> RepDetector::UnreturnedRepFrom() const {
  if (next_index_ == OldestIndex()) return std::nullopt;  // nothing buffered
  std::optional<std::int64_t> from;
  switch (state_) {
    case RepState::kLearningAxis:
      // A limb still since the learning began holds no rep.
      if (learning_motion_from_) from = std::max(OldestIndex(), *learning_motion_from_ - 1);
      break;
    case RepState::kRising:
    case RepState::kFalling:
    case RepState::kReturning:
    case RepState::kStoppedSuddenly:
      from = std::max(RepOldestIndex(), last_end_index_ + 1);
      break;
    default:
      break;
  }
  std::optional<Time> start;
  const auto may_start_at = [&start](Time t) { start = start ? std::min(*start, t) : t; };
  if (held_) may_start_at(held_->rep.start);
  // A movement still to be judged (settling, or waiting for a loss to be found) may be a rep.
  if (unsettled_) may_start_at(unsettled_->rep.start);
  if (from) may_start_at(TimeFromNanoseconds(At(*from).time_ns));
  if (!start) return std::nullopt;
  // Never further back than unreturned_wait_max_s: a limb learning its axis buffers up to
  // max_rep_s, and the other side's unpaired reps must not wait that long.
  const Time newest = TimeFromNanoseconds(At(next_index_ - 1).time_ns);
  return std::max(*start, newest - DurationFromSeconds(params_.unreturned_wait_max_s));
}

void RepDetector::EndAsSwing(std::int64_t index) {
  SettleAtItsEnd();
  ++swings_;
  stance_end_index_.reset();
  swinging_ = true;
  Rep swing;
  swing.start = TimeFromNanoseconds(At(rep_.base.index).time_ns);
  swing.turnaround = TimeFromNanoseconds(At(rep_.peak_index).time_ns);
  swing.end = TimeFromNanoseconds(At(index).time_ns);
  swing.rom_deg = rep_.peak_deg - rep_.base.angle_deg;
  swing_ = swing;
  state_ = RepState::kAtRest;
  rest_ = {At(index).angle_deg, index, RestOrigin::kSeen};
}

bool RepDetector::BetweenReps() const {
  return state_ == RepState::kAtRest || state_ == RepState::kSeekingRest ||
         state_ == RepState::kResuming;
}

RepDetectorDiagnostics RepDetector::diagnostics() const {
  RepDetectorDiagnostics d;
  d.state = state_;
  d.axis = angle_.axis();
  d.gravity_angle = angle_.source() == AngleSource::kGravity;
  d.amplitude_deg = amplitude_deg_;
  d.rejected_reps = rejected_reps_;
  d.dropped_by_gap = dropped_by_gap_;
  d.abandoned = abandoned_;
  d.swings = swings_;
  d.steps = steps_;
  d.relearned = relearned_;
  d.bridged_samples = bridged_samples_;
  return d;
}

void RepDetector::ComputeAngle(std::int64_t index) {
  Entry& entry = At(index);
  entry.speed_deg_s = angle_.SpeedDegS(entry.gyro_rad_s);
  const bool has_previous = index > OldestIndex();
  const Entry* previous = has_previous ? &At(index - 1) : nullptr;
  // A gyro angle goes on from the previous one, plus any rotation found lost between the two.
  entry.angle_deg =
      angle_.Angle(entry.gravity, entry.speed_deg_s, has_previous,
                   has_previous ? previous->angle_deg + LostDeg(entry) : 0.0,
                   has_previous ? previous->speed_deg_s : 0.0, has_previous ? entry.dt_s : 0.0);
}

RepDetector::GyroRange RepDetector::IntegrateGyro(std::int64_t first, std::int64_t last) const {
  GyroRange range;
  double angle_deg = 0.0;
  for (std::int64_t i = first + 1; i <= last; ++i) {
    angle_deg += 0.5 * (At(i).speed_deg_s + At(i - 1).speed_deg_s) * At(i).dt_s + LostDeg(At(i));
    range.high_deg = std::max(range.high_deg, angle_deg);
    range.low_deg = std::min(range.low_deg, angle_deg);
  }
  return range;
}

void RepDetector::LockAxis() { LockAxisTo(axis_estimator_.axis()); }

void RepDetector::LockAxisTo(const Vec3& axis) {
  const std::int64_t first = OldestIndex();
  const std::int64_t last = next_index_ - 1;
  if (rom_count_ > 0 && AxisAngleDeg(axis, amplitude_axis_) > params_.amplitude_axis_max_deg) {
    ForgetSetShape();
  }
  angle_.SetReferenceGravity(At(first).gravity);
  angle_.SetAxis(axis, /*first=*/true);
  for (std::int64_t i = first; i <= last; ++i) ComputeAngle(i);
  // The first phase is positive: it leads away from the pose the data began in, so the sign is
  // that of the largest excursion from the first sample. Not the direction of the movement that
  // taught us the axis: a slow raise stays below the axis estimator's speed floor and a brisker
  // return can teach it (a physiotherapy leg raise). The excursion is integrated from the gyro:
  // over these few seconds it drifts little, while the fused gravity may still be settling from
  // its startup under the linear acceleration of a brisk first rep. From where the limb began
  // to move: a long rest before (between two sets, learning afresh) adds only the gyro's bias,
  // which over half a minute turns further than the rep (0.7 deg/s: 25 deg).
  const std::int64_t moved =
      learning_motion_from_ ? std::clamp(*learning_motion_from_, first, last) : first;
  const GyroRange excursion = IntegrateGyro(moved, last);
  double direction =
      excursion.high_deg >= -excursion.low_deg ? excursion.high_deg : excursion.low_deg;
  // A gap that cut the learning after the limb began to move took where it began with it: the
  // limb may be anywhere in its rep after the gap (at the top of a raise, its largest excursion
  // from there is the way back down). A gravity angle is absolute on either side of the gap:
  // the excursion is then taken from the rest pose the limb left, and that pose is remembered
  // while the limb is away from it (HeldAwayFromRestBeforeGap).
  std::optional<double> rest_left_deg;
  if (learning_cut_after_motion_ && learning_rest_up_ && angle_.source() == AngleSource::kGravity) {
    rest_left_deg = angle_.Angle(*learning_rest_up_, 0.0, /*has_previous=*/false, 0.0, 0.0, 0.0);
    direction = 0.0;
    for (std::int64_t i = first; i <= last; ++i) {
      const double from_rest_deg = At(i).angle_deg - *rest_left_deg;
      if (std::abs(from_rest_deg) > std::abs(direction)) direction = from_rest_deg;
    }
  }
  if (direction < 0.0) {
    angle_.SetAxis(Scale(angle_.axis(), -1.0), /*first=*/true);
    for (std::int64_t i = first; i <= last; ++i) ComputeAngle(i);
    if (rest_left_deg) *rest_left_deg = -*rest_left_deg;
  }
  away_from_rest_deg_ = rest_left_deg;
  // The first sample is the rest pose; if the limb moves there, the rep's true start was before
  // the data.
  const bool moving = !AtRestSpeed(At(first).speed_deg_s);
  rest_ = {At(first).angle_deg, first, moving ? RestOrigin::kDataStart : RestOrigin::kSeen};
  still_pose_.reset();
  state_ = RepState::kAtRest;
  unsettled_.reset();  // the replay measures it again
  for (std::int64_t i = first; i <= last; ++i) {
    // What "still" means may change during the replay (a rep accepted here sets the set's
    // speed), so each sample is judged again as a live one would be.
    if (i > first) UpdateStill(At(i), i, At(i - 1).still_s, At(i - 1).bridged);
    Step(i);
    if (relock_axis_) break;
  }
  if (relock_axis_) RelockOnFirstRep();
}

void RepDetector::RelockOnFirstRep() {
  const Vec3 axis = *relock_axis_;
  relock_axis_.reset();
  axis_confirmed_ = true;
  // From now on the axis follows the set's reps, starting from this one's rotation.
  axis_estimator_.Reset();
  const std::int64_t last = next_index_ - 1;
  for (std::int64_t i = std::max(relock_from_index_, OldestIndex()); i <= last; ++i) {
    axis_estimator_.Add(At(i).gyro_rad_s, At(i).dt_s, At(i).gravity);
  }
  axis_estimator_.Recompute();
  last_end_index_ = -1;  // the rep measured about the old axis is not a rep
  LockAxisTo(axis);
}

double RepDetector::RunningS(std::int64_t index) const {
  return static_cast<double>(At(index).time_ns -
                             At(std::max(rep_.cross_index, OldestIndex())).time_ns) *
         1e-9;
}

void RepDetector::CheckRunningRep(std::int64_t index) {
  const std::int64_t from = std::max(rep_.base.index, OldestIndex());
  double travel_deg = 0.0;
  for (std::int64_t j = from; j <= index; ++j) {
    const Vec3& w = At(j).gyro_rad_s;
    travel_deg += Norm(w) * At(j).dt_s * kRadToDeg;
  }
  const double excursion_deg = std::max(rep_.peak_deg - rep_.base.angle_deg, MinRomDeg());
  if (travel_deg < params_.confirm_axis_travel_factor * excursion_deg) return;
  const Vec3 own = RepRotationAxis(from, index);
  if (AxisAngleDeg(own, angle_.axis()) <= params_.confirm_axis_max_deg) return;
  relock_axis_ = own;
  relock_from_index_ = from;
}

double RepDetector::LostDeg(const Entry& entry) const {
  return Dot(entry.lost_rad, angle_.axis()) * kRadToDeg;
}

bool RepDetector::AtRestSpeed(double speed_deg_s) const {
  return std::abs(speed_deg_s) < rest_gyro_rad_s_ * kRadToDeg;
}

inline void RepDetector::UpdateStill(Entry& entry, std::int64_t index, double previous_still_s,
                                     bool after_fill) {
  const bool still = Dot(entry.gyro_rad_s, entry.gyro_rad_s) < rest_gyro_rad_s_ * rest_gyro_rad_s_;
  double still_before_s = previous_still_s;
  // The first measured sample after a fill: still through it only if it did not move.
  if (still && after_fill && !entry.bridged && MovedAcrossFill(index)) still_before_s = 0.0;
  entry.still_s = still ? still_before_s + entry.dt_s : 0.0;
  still_s_ = entry.still_s;
}

bool RepDetector::MovedAcrossFill(std::int64_t index) const {
  std::int64_t before = index - 1;
  while (before > OldestIndex() && At(before).bridged) --before;
  return before >= OldestIndex() && !At(before).bridged &&
         DirectionAngleRad(At(before).gravity, At(index).gravity) * kRadToDeg >
             params_.fill_moved_deg;
}

void RepDetector::AddLostRotation(std::int64_t first_index, const Vec3& lost_rad, double lost_s,
                                  std::span<const Vec3> corrected_up) {
  if (first_index < OldestIndex() || first_index >= next_index_ ||
      static_cast<std::int64_t>(corrected_up.size()) != next_index_ - first_index) {
    return;
  }
  for (std::int64_t i = first_index; i < next_index_; ++i) {
    At(i).gravity = corrected_up[static_cast<std::size_t>(i - first_index)];
  }
  At(first_index).lost_rad = Add(At(first_index).lost_rad, lost_rad);
  At(first_index).lost_before_s += lost_s;
  if (state_ == RepState::kLearningAxis) return;  // the buffer is measured when the axis locks
  for (std::int64_t i = first_index; i < next_index_; ++i) ComputeAngle(i);
  // The poses the state machine keeps, where they lie after the loss, move with their samples.
  if (rest_.index >= first_index) rest_.angle_deg = At(rest_.index).angle_deg;
  if (still_pose_ && still_pose_->index >= first_index) {
    still_pose_->angle_deg = At(still_pose_->index).angle_deg;
  }
  if (BetweenReps()) return;
  if (rep_.base.index >= first_index) {
    rep_.base.angle_deg = At(rep_.base.index).angle_deg;
    // Where the rep started was misread: so may have been whether it is a stance.
    JudgeStance();
  }
  if (rep_.peak_index >= first_index) rep_.peak_deg = At(rep_.peak_index).angle_deg;
  for (std::int64_t i = std::max(first_index, rep_.cross_index); i < next_index_; ++i) {
    if (At(i).angle_deg > rep_.peak_deg) {
      rep_.peak_deg = At(i).angle_deg;
      rep_.peak_index = i;
    }
  }
  if (state_ == RepState::kReturning || state_ == RepState::kStoppedSuddenly) {
    for (std::int64_t i = first_index; i < next_index_; ++i) {
      rep_.min_deg = std::min(rep_.min_deg, At(i).angle_deg);
    }
  }
  EndRepReturnedInCorrectedSpan(first_index);
}

void RepDetector::EndRepReturnedInCorrectedSpan(std::int64_t first_index) {
  // A fill that missed a fast turn back (a lunge's step out landing in a loss) carried the rep
  // on past where it had returned, and what followed (the stance) seemed part of it. Corrected,
  // the angles show the return: the rep ends there, as it would have live, and the samples since
  // are stepped again from that end.
  if (state_ != RepState::kRising && state_ != RepState::kFalling) return;
  const double floor_deg = rep_.stance_from_deg.value_or(rep_.base.angle_deg);
  const double returned_deg = floor_deg + params_.end_frac * (rep_.peak_deg - floor_deg);
  // Where the limb was measured back and still: a filled speed is no stop, and a step that has
  // not stopped is still carrying the limb (its travel is read up to the end).
  const auto still_measured = [&](std::int64_t i) { return !At(i).bridged && At(i).still_s > 0.0; };
  std::int64_t back = std::max(first_index, rep_.peak_index + 1);
  while (back < next_index_ && !(still_measured(back) && At(back).angle_deg <= returned_deg)) {
    ++back;
  }
  // Still from there up to the newest sample, it is left to end at the next one, as it would
  // live: ended on the first still sample after a fill, a step back's travel read short.
  std::int64_t moved = back;
  while (moved < next_index_ && still_measured(moved)) ++moved;
  if (moved >= next_index_) return;
  CompleteRep(back, /*at_gap=*/false);
  for (std::int64_t j = back + 1; j < next_index_ && !relock_axis_; ++j) Step(j);
  if (relock_axis_) RelockOnFirstRep();
}

const RepDetectorOutput& RepDetector::Update(const ImuSample& sample,
                                             const Quaternion& sensor_to_earth, bool bridged,
                                             double lost_in_step_s) {
  const std::int64_t time_ns = ToNanoseconds(sample.time);
  double dt_s = 1.0 / params_.nominal_rate_hz;
  if (previous_time_ns_) {
    const double measured =
        static_cast<double>(time_ns - *previous_time_ns_) * 1e-9 - lost_in_step_s;
    if (measured > 0.0 && measured < params_.max_step_periods / params_.nominal_rate_hz) {
      dt_s = measured;
    }
  }
  previous_time_ns_ = time_ns;

  const Vec3& w = sample.gyro_rad_s;
  if (bridged) ++bridged_samples_;

  const std::int64_t index = next_index_++;
  Entry& entry = At(index);
  entry.time_ns = time_ns;
  entry.dt_s = dt_s;
  entry.gravity = UpInSensorFrame(sensor_to_earth);
  entry.gyro_rad_s = w;
  entry.accel_m_s2 = sample.accel_m_s2;
  UpdateStill(entry, index, still_s_, last_fed_bridged_);
  last_fed_bridged_ = bridged;
  if (bridged) {
    tilt_unchecked_after_bridge_ = true;
  } else if (entry.still_s >= params_.rest_min_s) {
    tilt_unchecked_after_bridge_ = false;  // still: the pipeline's filter checked the tilt
  }
  if (state_ == RepState::kLearningAxis && entry.still_s == 0.0 && !learning_motion_from_) {
    learning_motion_from_ = index;
    if (index > OldestIndex() && At(index - 1).still_s >= params_.rest_min_s) {
      learning_rest_up_ = At(index - 1).gravity;
    }
  }
  entry.angle_deg = 0.0;
  entry.speed_deg_s = 0.0;
  entry.bridged = bridged;
  entry.lost_in_step_s = lost_in_step_s;
  entry.lost_rad = {};
  entry.lost_before_s = 0.0;

  axis_estimator_.Add(w, dt_s, entry.gravity);
  if (held_) {
    resume_up_ = QuietUp(params_.gap, sample.accel_m_s2, w);
  }
  const bool recompute = ++samples_since_axis_update_ >= axis_update_every_;
  if (recompute) samples_since_axis_update_ = 0;
  if (state_ == RepState::kLearningAxis) {
    if (recompute && axis_estimator_.Recompute()) LockAxis();
  } else {
    bool replayed = false;
    if (recompute && BetweenReps() && axis_estimator_.Recompute()) {
      // Between reps only, so one rep is measured about one axis. Keep the rest pose where it
      // was: shift it by the change the new axis makes to the current angle.
      Vec3 axis = axis_estimator_.axis();
      if (Dot(axis, angle_.axis()) < 0.0) axis = Scale(axis, -1.0);
      if (!axis_confirmed_ && !relocked_on_swing_ &&
          AxisAngleDeg(axis, angle_.axis()) > params_.confirm_axis_max_deg) {
        // Before any rep confirmed it the axis swung far: it locked on something else (a jerk
        // before the first rise). The sign kept across the swing says nothing; lock afresh.
        relocked_on_swing_ = true;
        LockAxisTo(axis);
        replayed = true;
      } else if (index > OldestIndex()) {
        const double before = At(index - 1).angle_deg;
        angle_.SetAxis(axis, /*first=*/false);
        ComputeAngle(index - 1);
        rest_.angle_deg += At(index - 1).angle_deg - before;
        if (still_pose_) still_pose_->angle_deg += At(index - 1).angle_deg - before;
      } else {
        angle_.SetAxis(axis, /*first=*/false);
      }
    }
    if (!replayed) {
      ComputeAngle(index);
      Step(index);
      if (recompute && !relock_axis_ && !BetweenReps() &&
          (!axis_confirmed_ || RunningS(index) > params_.confirm_running_rep_after_s)) {
        CheckRunningRep(index);
      }
    }
    if (relock_axis_) RelockOnFirstRep();
    // A set of step-ups may count trips only: they are forgotten with the reps, so that the next
    // set, the legs' roles swapped, learns its axis afresh.
    if (state_ == RepState::kAtRest && entry.still_s >= params_.set_rest_s &&
        (rom_count_ > 0 || trips_in_set_ > 0)) {
      ForgetSetShape();
    }
    if (state_ == RepState::kAtRest && entry.still_s >= params_.rest_min_s &&
        rom_count_ + trips_in_set_ < params_.relearn_until_reps && !trip_out_ && !unsettled_ &&
        !stepped_rep_in_set_ && !HeldAwayFromRestBeforeGap(entry.angle_deg)) {
      // At rest before the set has its reps: what taught the axis so far may not be the set's
      // movement. Learn it, and the direction, from the next movement (replayed from here). Not
      // between a trip's way up and its way down: a step up taught it, and the next movement may
      // be the body rising over the leg on the box, which turns the shank the other way (a
      // simulated leading leg's step down then seemed to swing through its pose). Nor after a
      // lunge's stance: the next movement is its step back. Nor while the last movement waits to
      // be judged (late_loss_wait_s): it may be a trip's way up.
      RelearnAxis(index);
    }
  }

  // Filled in place: a fresh output per sample was zeroed whole (three optional reps).
  RepDetectorOutput& output = output_;
  output.moving = still_s_ < params_.rest_min_s;
  output.segment_angle_deg = 0.0;
  output.segment_speed_deg_s = 0.0;
  if (state_ != RepState::kLearningAxis) {
    output.segment_angle_deg =
        entry.angle_deg - (BetweenReps() ? rest_.angle_deg : rep_.base.angle_deg);
    output.segment_speed_deg_s = entry.speed_deg_s;
  }
  // What ended since the last sample moves out: the detector's copy is left empty.
  output.swing.reset();
  output.swing.swap(swing_);
  output.carried.reset();
  output.carried.swap(carried_);
  output.rep.reset();
  output.rep_rotation = {};
  if (pending_count_ > 0) {
    output.rep = pending_[0];
    output.rep_rotation = pending_rotations_[0];
    std::copy(pending_.begin() + 1, pending_.begin() + pending_count_, pending_.begin());
    std::copy(pending_rotations_.begin() + 1, pending_rotations_.begin() + pending_count_,
              pending_rotations_.begin());
    --pending_count_;
  }
  return output;
}

double RepDetector::StartDeg() const {
  return std::max(did_reps_ ? params_.start_set_min_deg : params_.start_min_deg,
                  params_.start_frac * amplitude_deg_);
}

double RepDetector::TurnDeg(double excursion_deg) const {
  return std::max(did_reps_ ? params_.turn_set_min_deg : params_.turn_min_deg,
                  params_.turn_frac * excursion_deg);
}

double RepDetector::MinRomDeg() const {
  return std::max(did_reps_ ? params_.min_rom_set_deg : params_.min_rom_deg,
                  params_.min_rom_frac * amplitude_deg_);
}

double RepDetector::Threshold() const {
  return std::max(params_.timing_speed_min_deg_s,
                  params_.timing_speed_frac * rep_.peak_speed_deg_s);
}

bool RepDetector::SuddenStop(std::int64_t index) const {
  if (index <= OldestIndex() || !(rep_.peak_speed_deg_s > 0.0)) return false;
  // A minimum-jerk descent turns at 16 x^2 (1 - x)^2 of its peak speed where the fraction x of
  // its time is left (x = 0.5: the peak). It crosses the threshold at x0, and a sample period
  // earlier (dt / duration more of it left) it turned at most max_frac. (The threshold is taken
  // at most a quarter of the peak speed, where x0 is still real.)
  const double threshold_frac = std::min(0.25, Threshold() / rep_.peak_speed_deg_s);
  const double x0 = 0.5 * (1.0 - std::sqrt(1.0 - std::sqrt(threshold_frac)));
  const double x = std::min(0.5, x0 + At(index).dt_s / params_.sudden_stop_descent_min_s);
  const double max_frac = 16.0 * x * x * (1.0 - x) * (1.0 - x);
  return At(index - 1).speed_deg_s < -max_frac * rep_.peak_speed_deg_s;
}

void RepDetector::Step(std::int64_t index) {
  switch (state_) {
    case RepState::kLearningAxis:
      return;
    case RepState::kResuming:
      Resume(index);
      if (BetweenReps()) {
        StepBetweenReps(index);
      } else {
        StepInRep(index);
      }
      return;
    case RepState::kSeekingRest:
    case RepState::kAtRest:
      // A held rep's limb left coming back by Resume: no rep starts while it descends.
      if (held_) FollowHeldRep(index);
      StepBetweenReps(index);
      return;
    case RepState::kRising:
    case RepState::kFalling:
    case RepState::kReturning:
    case RepState::kStoppedSuddenly:
      StepInRep(index);
      return;
  }
}

bool RepDetector::HeldRepCameBack(const Entry& entry) {
  // A rep cut on its way back counts if the limb is found back at its start. Gravity angles
  // are absolute, so comparable across the gap. A gyro angle restarts at the gap: there the
  // tilt of gravity from the starting pose tells instead (rotation about a near-vertical axis
  // barely tilts it, but neither did the rep's own start).
  // The fused tilt here is still the one carried over the gap; where the limb is still, its
  // accelerometer reads where it is now (QuietUp).
  if (params_.angle.gyro_only) return true;
  const bool gravity = angle_.source() == AngleSource::kGravity;
  const Vec3 up = std::exchange(resume_up_, std::nullopt).value_or(entry.gravity);
  const double now_deg = gravity ? angle_.Angle(up, entry.speed_deg_s, /*has_previous=*/true,
                                                entry.angle_deg, 0.0, 0.0)
                                 : entry.angle_deg;
  CutRepReturn cut = held_->cut;
  cut.from_start_deg =
      gravity ? now_deg - held_->base_deg : DirectionAngleRad(up, held_->base_gravity) * kRadToDeg;
  cut.start_unseen = cut.start_unseen && gravity;
  cut.descent_from_peak_deg = held_->peak_deg - now_deg;
  return CameBackDuringGap(params_.gap, cut);
}

bool RepDetector::HeldLimbStillComingBack(const Entry& entry) const {
  return !resume_up_ && entry.speed_deg_s <= -Threshold();
}

void RepDetector::FollowHeldRep(std::int64_t index) {
  const Entry& entry = At(index);
  if (HeldLimbStillComingBack(entry)) return;
  // Slowed (or still, where the accelerometer reads the pose): judged here. Turned up again
  // first: it did not come back to where it started.
  if (entry.speed_deg_s < Threshold() && HeldRepCameBack(entry)) {
    AcceptRep(held_->rep, held_->rotation);
  } else {
    ++dropped_by_gap_;
  }
  held_.reset();
}

void RepDetector::DropHeldRepFollowed() {
  if (!held_ || state_ == RepState::kResuming) return;
  ++dropped_by_gap_;
  held_.reset();
}

void RepDetector::Resume(std::int64_t index) {
  const Entry& entry = At(index);
  const double angle = entry.angle_deg;
  if (held_) {
    // Read before HeldRepCameBack takes the pose the accelerometer read.
    const bool coming_back = HeldLimbStillComingBack(entry);
    if (HeldRepCameBack(entry)) {
      AcceptRep(held_->rep, held_->rotation);
      held_.reset();
    } else if (!coming_back) {
      ++dropped_by_gap_;
      held_.reset();
    }
    // Else still coming back, too fast for its accelerometer to read the pose: judged where it
    // slows (FollowHeldRep).
  }
  if (rising_at_gap_) {
    // A rep cut on its way up goes on if the limb is still up, and the gap was too short for it
    // to have come down and risen again (a gravity angle: comparable across the gap).
    const RepInProgress cut = *std::exchange(rising_at_gap_, std::nullopt);
    const std::int64_t last_before_gap_ns = At(floor_index_ - 1).time_ns;
    CutRise rise;
    rise.rose_s = static_cast<double>(last_before_gap_ns - At(cut.base.index).time_ns) * 1e-9;
    rise.gap_s = static_cast<double>(entry.time_ns - last_before_gap_ns) * 1e-9;
    rise.from_start_deg = angle - cut.base.angle_deg;
    rise.start_deg = StartDeg();
    if (RiseWentOnThroughGap(params_.gap, rise)) {
      rep_ = cut;
      rep_.turnaround_in_gap = true;
      state_ = RepState::kRising;
      return;
    }
    ++dropped_by_gap_;
  }
  const bool slow = AtRestSpeed(entry.speed_deg_s);
  // Coming back down: the limb rose in the gap, and the tilt carried over it still reads the
  // pose it left (and below it, by as much as it rose) until the tilt is checked. No pose it is
  // read at is its rest pose: it waits until it is slow (a curl found on its way down after an
  // unplug followed its stale angle 80 deg below rest, and the next curl read 200 deg).
  const bool coming_back = entry.speed_deg_s <= -Threshold();
  if (!coming_back && rest_before_gap_deg_ &&
      RestPoseCarriesOver(params_.gap, angle, *rest_before_gap_deg_, amplitude_deg_,
                          params_.start_min_deg)) {
    // Just left (or still at) the rest pose seen before the gap: it carries over, unless the
    // limb is not moving here: then this is the rest pose (the one before the gap may be the low
    // point of a wobble on the way down). Moving here: a rep that starts now began in the gap.
    rest_ = {slow ? angle : std::min(angle, *rest_before_gap_deg_), index,
             slow ? RestOrigin::kSeen : RestOrigin::kCarriedOverGap};
    state_ = RepState::kAtRest;
  } else {
    state_ = RepState::kSeekingRest;
    // Away from the rest pose left before the gap: with a gravity angle (comparable across the
    // gap) remember it while the limb is away (HeldAwayFromRestBeforeGap).
    if (rest_before_gap_deg_ && angle_.source() == AngleSource::kGravity) {
      away_from_rest_deg_ = *rest_before_gap_deg_;
    }
  }
}

void RepDetector::StepBetweenReps(std::int64_t index) {
  const Entry& entry = At(index);
  const double angle = entry.angle_deg;
  if (unsettled_) {
    if (!unsettled_->settled && entry.still_s >= params_.rest_min_s) unsettled_->settled = index;
    const double since_end_s = SecondsBetween(unsettled_->last, index);
    if (unsettled_->settled && since_end_s >= params_.late_loss_wait_s) {
      SettleMovement(*unsettled_->settled);
    } else if (since_end_s > params_.step_settle_max_s) {
      SettleAtItsEnd();
    }
  }
  // At rest the rest pose is wherever the limb is (gravity says so), where it was measured (a
  // fill holds no pose the limb was seen in); while moving between reps, the lowest point so
  // far; without a trusted rest pose, the current one.
  if (state_ == RepState::kSeekingRest || (entry.still_s >= params_.rest_min_s && !entry.bridged) ||
      angle < rest_.angle_deg) {
    rest_ = {angle, index, RestOrigin::kSeen};
  }
  // Seen still: a bridged sample is no pose the limb was seen in. Filled from the still samples
  // before a loss as a step out began, it read as still, and once the tilt was checked at the
  // next stillness it took the whole correction made for the step's turn, which it never made:
  // standing read 9 deg off, and the stance after the step was judged a swing.
  if (entry.still_s >= params_.rest_min_s && !entry.bridged) {
    still_pose_ = RestPose{angle, index, RestOrigin::kSeen};
    swinging_ = false;
  }
  if (AtRestSpeed(entry.speed_deg_s)) {
    state_ = RepState::kAtRest;
  }
  if (unsettled_ && state_ == RepState::kAtRest && angle - rest_.angle_deg >= StartDeg() &&
      StoppedBetween(unsettled_->last, index)) {
    // Moved on into the next movement before settling: the last one is judged at its end (which
    // may size the set, and so the start threshold). Without a stop between, the next one may
    // be the same movement going on (CompleteRep).
    SettleAtItsEnd();
  }
  if (state_ == RepState::kAtRest && angle - rest_.angle_deg >= StartDeg()) {
    state_ = RepState::kRising;
    rep_ = RepInProgress{};
    rep_.base = rest_;
    rep_.cross_index = index;
    rep_.peak_deg = angle;
    rep_.peak_index = index;
    JudgeStance();
  }
}

void RepDetector::JudgeStance() {
  // Below the pose the limb last stood still in, not long after it: did it step? (Or, where a
  // loss hid how far it went, move as the last step measured did.)
  rep_.stance_from_deg.reset();
  rep_.stance_step_filled = false;
  if (!still_pose_ || rep_.base.angle_deg >= still_pose_->angle_deg) return;
  const std::int64_t still = still_pose_->index;
  const std::int64_t base = rep_.base.index;
  const double filled_frac = FilledTurnFrac(still, base);
  const bool travelled = SensorTravel(still, base).across_m > params_.step_min_m;
  if (travelled || (StepMeasured() && LikeTheMeasuredStep(filled_frac, SecondsBetween(still, base),
                                                          PeakSpeedDegS(still, base)))) {
    rep_.stance_from_deg = still_pose_->angle_deg;
    rep_.stance_step_filled = filled_frac > 0.0;
  }
  if (travelled) RememberStepIntoStance(still, base);
}

void RepDetector::RememberStepIntoStance(std::int64_t still, std::int64_t landed) {
  // Back from where it landed, past the pause there, to where the limb last stood still: a
  // swing's turnaround is still for a sample or two, not for rest_min_s.
  const std::int64_t lo = std::max(still, OldestIndex());
  std::int64_t end = landed;
  while (end > lo && At(end).still_s > 0.0) --end;
  std::int64_t start = end;
  while (start > lo && At(start).still_s < params_.rest_min_s) --start;
  RememberStep(step_into_stance_, FilledTurnFrac(start, end), SecondsBetween(start, end),
               PeakSpeedDegS(start, end));
}

void RepDetector::StepInRep(std::int64_t index) {
  const Entry& entry = At(index);
  const double angle = entry.angle_deg;
  if (state_ == RepState::kStoppedSuddenly) {
    if (entry.bridged && entry.speed_deg_s < -Threshold()) {
      // Descending again over samples bridged into a loss: the stop was the first sample after
      // the loss, passed on before the loss was found. The rep goes on to its real end.
      state_ = RepState::kReturning;
    } else {
      CompleteRep(rep_.stop_index, /*at_gap=*/false);
      // This sample is the first after the rep, as it would have been (a relock replays it).
      if (!relock_axis_) StepBetweenReps(index);
      return;
    }
  }
  rep_.peak_speed_deg_s = std::max(rep_.peak_speed_deg_s, std::abs(entry.speed_deg_s));
  if (static_cast<double>(entry.time_ns - At(rep_.cross_index).time_ns) * 1e-9 >
      params_.max_rep_s) {
    // Never came back: the limb found a new rest pose.
    SettleAtItsEnd();
    ++abandoned_;
    state_ = RepState::kAtRest;
    rest_ = {angle, index, RestOrigin::kSeen};
    return;
  }
  const double below_still_deg = still_pose_ ? still_pose_->angle_deg - rep_.base.angle_deg : 0.0;
  if (state_ == RepState::kRising && !rep_.stance_from_deg && entry.still_s >= params_.rest_min_s &&
      still_pose_ &&
      (below_still_deg > params_.swing_min_deg || (swinging_ && below_still_deg > 0.0)) &&
      std::abs(angle - still_pose_->angle_deg) <=
          std::max(params_.swing_min_deg, below_still_deg)) {
    // At rest near the pose the limb rests in (no further from it than where the rise began),
    // during a rise that began below it: the last swing of a pendulum (an arm at the end of a
    // walk) coming back to rest, not the rise of a rep. The arm may hang a few degrees from where
    // it hung before the walk (measured about the swing's axis). Below it by swing_min_deg, or
    // by any amount where the rise began at the far end of a swing: a walk's last swings fade to
    // a few degrees. What follows starts from here (and, before the set, learns its axis
    // afresh).
    EndAsSwing(index);
    // The swings before it were no set: the set's axis, size and steps are learned afresh.
    ForgetSetShape();
    return;
  }
  const double excursion = rep_.peak_deg - rep_.base.angle_deg;
  if (state_ == RepState::kRising && entry.still_s >= params_.settle_s &&
      rom_count_ < params_.relearn_until_reps && excursion < MinRomDeg()) {
    // Before the set has its reps, a rise smaller than the smallest rep that stopped and stays
    // still: the limb settled in a new rest pose (the last small swing of a walk, the weights
    // shifted in hand), it is not holding a rep. What follows starts from here and learns its
    // axis and direction afresh, as at any rest before the set. (Within a set a held rep may be
    // as small, near the set's bound, and waits for its return.)
    state_ = RepState::kAtRest;
    rest_ = {angle, index, RestOrigin::kSeen};
    return;
  }
  // In an exercise that climbs, a movement is a step by its height, read from the accelerometer
  // and the gyro at its end. The angle since a bridged gap may miss part of a fast turn (a step
  // up's knee flexion: 28 deg of it across 0.3 s lost at 50 Hz) until the tilt is checked with
  // the limb still, and then seems to swing through the rest pose; it is not judged a swing
  // before the height is read. (Elsewhere nothing but the angle judges it: a walk's swings
  // with bridged samples in them would count.)
  const bool angle_unchecked = params_.climbing && tilt_unchecked_after_bridge_;
  if (state_ != RepState::kRising && still_pose_ && !angle_unchecked) {
    // Judged once the rep has turned, against its whole rise: its start (the low point of the
    // last swing, in gait) and its return. A stance after a step's landing is judged by its
    // return alone.
    const double below_deg = still_pose_->angle_deg -
                             (rep_.stance_from_deg ? angle : std::min(angle, rep_.base.angle_deg));
    const double swing_deg = std::max(
        params_.swing_min_deg, params_.swing_frac * (rep_.peak_deg - still_pose_->angle_deg));
    // A stance's return is read against a pose stood in before a step; where that step was
    // filled, the tilt since may carry what the fill missed (swing_filled_allow_deg).
    if (below_deg > swing_deg &&
        !(rep_.stance_from_deg && below_deg <= swing_deg + params_.swing_filled_allow_deg &&
          FilledTurnFrac(still_pose_->index, index) > 0.0)) {
      // Swung through the pose the limb rests in to its other side: a pendulum, not a rep.
      EndAsSwing(index);
      return;
    }
  }
  // What the rep returns to: where it started, or for a stance the pose stood in before the step.
  const double floor_deg = rep_.stance_from_deg.value_or(rep_.base.angle_deg);
  switch (state_) {
    case RepState::kRising: {
      const double turn_deg = TurnDeg(excursion);
      if (angle > rep_.peak_deg) {
        rep_.peak_deg = angle;
        rep_.peak_index = index;
      } else if (angle <= rep_.peak_deg - turn_deg) {
        state_ = RepState::kFalling;
      }
      break;
    }
    case RepState::kFalling:
      if (angle > rep_.peak_deg) {
        // Went back up past the peak: still the same rep.
        state_ = RepState::kRising;
        rep_.peak_deg = angle;
        rep_.peak_index = index;
      } else if (angle - floor_deg <= params_.end_frac * (rep_.peak_deg - floor_deg)) {
        state_ = RepState::kReturning;
        rep_.min_deg = angle;
      } else if (entry.still_s < params_.settle_s) {
        rep_.held_still = false;  // moving: a new still run is judged afresh
      } else if (!rep_.held_still) {
        // Turned around and came to rest short of its start: the limb was set down in a new
        // rest pose. The rep ended where it stopped. Unless it stopped where it turned: a held
        // leg sags a few degrees while still (a physiotherapy hold), and the rep goes on to its
        // return. (A movement smaller than a rep ends there all the same: it cannot hold a rep.)
        std::int64_t stop = index;
        while (stop > rep_.cross_index && At(stop - 1).still_s > 0.0) --stop;
        const bool held_at_turnaround =
            excursion >= MinRomDeg() && At(stop).angle_deg > rep_.peak_deg - TurnDeg(excursion);
        rep_.held_still = held_at_turnaround;
        if (!held_at_turnaround) CompleteRep(stop, /*at_gap=*/false);
      }
      break;
    case RepState::kReturning:
      rep_.min_deg = std::min(rep_.min_deg, angle);
      if (entry.speed_deg_s >= -Threshold()) {
        if (SuddenStop(index)) {
          rep_.stop_index = index;
          state_ = RepState::kStoppedSuddenly;
        } else {
          CompleteRep(index, /*at_gap=*/false);
        }
      }
      break;
    default:
      break;
  }
}

void RepDetector::CompleteRep(std::int64_t end_index, bool at_gap) {
  // Nothing was measured since the stance ended: this movement goes on from it.
  const bool after_stance = stance_end_index_ && *stance_end_index_ == last_end_index_;
  std::optional<Rep> rep = MeasureRep(end_index, at_gap);
  if (!rep) return;
  // A rep seen whole from where the limb stopped (not begun before the data or in a gap, not
  // while turning the other way) to where it stopped again: was it a step?
  const bool seen_between_stops = !at_gap && rep_.base.origin == RestOrigin::kSeen;
  const bool seen_whole = seen_between_stops && std::abs(At(measured_start_index_).speed_deg_s) <=
                                                    params_.step_start_speed_max_deg_s;
  MovementSeen seen = MovementSeen::kInPart;
  if (seen_whole) {
    seen = MovementSeen::kWhole;
  } else if (seen_between_stops && after_stance) {
    seen = MovementSeen::kFromStance;
  }
  if (params_.climbing && unsettled_ && !at_gap &&
      !StoppedBetween(unsettled_->last, measured_start_index_)) {
    // Begun before the limb stopped after the last movement: that movement going on (a trailing
    // leg's short stand on the box lost in a gap, its way down under way after it). Judged as
    // one, up and back down.
    unsettled_ = JoinMovements(*unsettled_, *rep, end_index);
    return;
  }
  // The movement before, stopped but not yet judged (waiting to settle, or for a loss to be
  // found), is judged first: it is no part of this one.
  SettleAtItsEnd();
  if (params_.climbing && seen_whole) {
    unsettled_ = UnsettledMovement{
        .rep = *rep, .rotation = measured_, .first = measured_start_index_, .last = end_index};
    return;  // judged once the limb settles (step_settle_max_s)
  }
  JudgeMovement(*rep, measured_, measured_start_index_, end_index, end_index, seen, at_gap);
}

double RepDetector::FilledTurnFrac(std::int64_t first, std::int64_t last) const {
  double turned_rad = 0.0;
  double filled_rad = 0.0;
  for (std::int64_t j = std::max(first, OldestIndex()) + 1; j <= last; ++j) {
    const Entry& e = At(j);
    const double turn_rad = Norm(e.gyro_rad_s) * e.dt_s;
    turned_rad += turn_rad;
    if (e.bridged) filled_rad += turn_rad;
  }
  return turned_rad > 0.0 ? filled_rad / turned_rad : 0.0;
}

double RepDetector::SecondsBetween(std::int64_t first, std::int64_t last) const {
  return static_cast<double>(At(last).time_ns - At(first).time_ns) * 1e-9;
}

double RepDetector::PeakSpeedDegS(std::int64_t first, std::int64_t last) const {
  double peak_deg_s = 0.0;
  for (std::int64_t j = std::max(first, OldestIndex()); j <= last; ++j) {
    peak_deg_s = std::max(peak_deg_s, std::abs(At(j).speed_deg_s));
  }
  return peak_deg_s;
}

bool RepDetector::LikeTheMeasuredStep(double filled_frac, double duration_s,
                                      double peak_speed_deg_s) const {
  // Filled more than a reference may be, its peak may have been cut too: then only a peak
  // faster than the steps' tells it apart.
  const bool peak_cut = filled_frac > params_.step_reference_filled_max_frac;
  return filled_frac >= params_.step_like_filled_frac &&
         MovesLikeTheMeasuredStep(duration_s, peak_speed_deg_s, peak_cut);
}

bool RepDetector::MovesLikeTheMeasuredStep(double duration_s, double peak_speed_deg_s,
                                           bool peak_cut) const {
  if (params_.climbing) return false;
  const auto like = [&](const std::optional<Tempo>& step) {
    if (!step) return false;
    if (TempoAlike(*step, duration_s, peak_speed_deg_s)) return true;
    return peak_cut && Alike(duration_s, step->duration_s) && peak_speed_deg_s > 0.0 &&
           peak_speed_deg_s < step->peak_speed_deg_s;
  };
  return like(measured_step_) || like(step_into_stance_);
}

void RepDetector::RememberStep(std::optional<Tempo>& reference, double filled_frac,
                               double duration_s, double peak_speed_deg_s) {
  // A step that moves as the set's reps do cannot tell steps from reps (a curl whose fill added
  // travel read as a step, and the next curl with a fill was judged like it).
  if (filled_frac < params_.step_reference_filled_max_frac &&
      !(last_rep_tempo_ && TempoAlike(*last_rep_tempo_, duration_s, peak_speed_deg_s))) {
    reference = Tempo{duration_s, peak_speed_deg_s};
  }
}

bool RepDetector::LikeTheSetsReps(const Rep& rep, double filled_frac, double duration_s) const {
  if (StepMeasured() || !last_rep_tempo_ || rom_count_ < params_.step_set_reps_min ||
      filled_frac < params_.step_like_filled_frac) {
    return false;
  }
  const double median_peak_deg_s =
      MedianOfFirst(peak_speeds_deg_s_, std::min(rom_count_, kRomHistory));
  return Alike(rep.rom_deg, amplitude_deg_) && Alike(rep.peak_speed_deg_s, median_peak_deg_s) &&
         TempoAlike(*last_rep_tempo_, duration_s, rep.peak_speed_deg_s);
}

bool RepDetector::Alike(double a, double b) const {
  return a > 0.0 && b > 0.0 && std::max(a / b, b / a) <= params_.step_like_tempo_ratio;
}

bool RepDetector::TempoAlike(const Tempo& tempo, double duration_s, double peak_speed_deg_s) const {
  return Alike(duration_s, tempo.duration_s) && Alike(peak_speed_deg_s, tempo.peak_speed_deg_s);
}

bool RepDetector::StoppedBetween(std::int64_t first, std::int64_t last) const {
  // A filled sample is no stop: a fill across a fast turn can dip through a still gyro (a
  // trailing leg's way down filled from 150 deg/s read 15 deg/s at its first filled sample).
  for (std::int64_t i = std::max(first, OldestIndex()); i <= last; ++i) {
    if (!At(i).bridged && StillForTravel(i)) return true;
  }
  return false;
}

RepDetector::UnsettledMovement RepDetector::JoinMovements(const UnsettledMovement& before,
                                                          const Rep& after,
                                                          std::int64_t last) const {
  UnsettledMovement joined = before;
  // Turned where the first part ended, as a trip turns at its top (CloseTrip).
  joined.rep = TwoWayRep(before.rep, after, before.rep.end, after.start);
  joined.rotation.axis = RepRotationAxis(before.first, last);
  joined.last = last;
  joined.joined = true;
  return joined;
}

void RepDetector::SettleAtItsEnd() {
  if (unsettled_) SettleMovement(unsettled_->settled.value_or(unsettled_->last));
}

void RepDetector::SettleMovement(std::int64_t settled) {
  if (!unsettled_) return;
  const UnsettledMovement movement = *std::exchange(unsettled_, std::nullopt);
  // Joined from two, it went up and back down whatever its height reads: a rep.
  JudgeMovement(movement.rep, movement.rotation, movement.first, movement.last, settled,
                movement.joined ? MovementSeen::kInPart : MovementSeen::kWhole, /*at_gap=*/false);
}

void RepDetector::JudgeMovement(const Rep& rep, const RepRotation& rotation, std::int64_t first,
                                std::int64_t last, std::int64_t settled, MovementSeen seen,
                                bool at_gap) {
  const bool seen_whole = seen == MovementSeen::kWhole;
  // Between the movement judged before and this one (CloseTrip looks there for a lost way up).
  const JudgedMovement judged_before = std::exchange(last_judged_, JudgedMovement{last, false});
  double rise_m = 0.0;
  const double duration_s = ToSeconds(rep.end - rep.start);
  const bool read_as_step = seen_whole && CarriedElsewhere(first, last, settled, &rise_m);
  // Read only where a step may be judged: read as one, or like a step measured.
  const double filled_frac =
      read_as_step || (seen_whole && StepMeasured()) ? FilledTurnFrac(first, last) : 0.0;
  // A step, unless a fill added the travel to one of the set's reps.
  const bool measured_step = read_as_step && !LikeTheSetsReps(rep, filled_frac, duration_s);
  if (measured_step) RememberStep(measured_step_, filled_frac, duration_s, rep.peak_speed_deg_s);
  if (measured_step ||
      (seen_whole && LikeTheMeasuredStep(filled_frac, duration_s, rep.peak_speed_deg_s)) ||
      (seen == MovementSeen::kFromStance &&
       MovesLikeTheMeasuredStep(duration_s, rep.peak_speed_deg_s))) {
    ++steps_;  // the limb was carried elsewhere (a step), it did no rep
    if (std::optional<Rep> trip = CloseTrip(rep, rise_m, first, last, filled_frac, judged_before)) {
      QueueRep(*trip, rotation);  // a rep, but not about the joint: it does not size the set
      ++trips_in_set_;
      last_trip_rom_deg_ = trip->rom_deg;
    } else {
      carried_ = rep;
    }
    return;
  }
  if (params_.climbing && trip_out_ &&
      rep.rom_deg < params_.step_trip_stand_rom_frac *
                        std::max(trip_out_->step.rom_deg, last_trip_rom_deg_)) {
    return;  // standing on the box between a trip's way up and its way down
  }
  if (!axis_confirmed_ && !at_gap) {
    const double off_deg = AxisAngleDeg(rotation.axis, angle_.axis());
    if (off_deg > params_.confirm_axis_max_deg) {
      relock_axis_ = rotation.axis;
      relock_from_index_ = first;
      return;
    }
    axis_confirmed_ = true;
  }
  AcceptRep(rep, rotation);
  last_judged_.counted_alone = true;
  if (rep.stepped) stance_end_index_ = last;
}

Vec3 RepDetector::RepRotationAxis(std::int64_t first, std::int64_t last) const {
  // The rep's own motion, as the axis estimator sees motion (its slower gate, its tilt-only
  // choice), over the rep alone.
  RotationMoments moments{};
  const double slow = params_.axis.slow_motion_gyro_rad_s;
  for (std::int64_t j = first; j <= last; ++j) {
    const Entry& e = At(j);
    if (Dot(e.gyro_rad_s, e.gyro_rad_s) < slow * slow) continue;
    AddRotationMoment(moments, AxisRate(params_.axis, e.gyro_rad_s, e.gravity), e.dt_s);
  }
  const std::optional<PrincipalAxis> principal = PrincipalAxisOf(moments);
  if (!principal) return angle_.axis();
  return Dot(principal->axis, angle_.axis()) < 0.0 ? Scale(principal->axis, -1.0) : principal->axis;
}

Vec3 RepDetector::RepCentreOffset(std::int64_t first, std::int64_t last, const Vec3& axis) const {
  // From the rep's first sample: the limb was about to leave rest, the orientation is settled.
  const std::int64_t from = std::max(first, OldestIndex());
  RotationCentreFit fit(params_.centre, params_.nominal_rate_hz);
  fit.Start(At(from).gravity);
  for (std::int64_t j = from; j <= last; ++j) {
    const Entry& e = At(j);
    fit.Add(j == from ? 0.0 : e.dt_s, e.gyro_rad_s, e.accel_m_s2, !e.bridged);
  }
  return fit.OffsetM(axis).value_or(Vec3{});
}

std::optional<Rep> RepDetector::MeasureRep(std::int64_t end_index, bool at_gap) {
  state_ = RepState::kAtRest;
  rest_ = {At(end_index).angle_deg, end_index, RestOrigin::kSeen};
  const std::int64_t previous_end_index = last_end_index_;
  last_end_index_ = end_index;

  // The start may lie before the rest-pose anchor (the limb creeps out of rest): search back to
  // the previous rep's end.
  const std::int64_t lo = std::max(previous_end_index, RepOldestIndex());
  const double threshold = Threshold();
  const double extrapolate_s = params_.timing_extrapolate_max_s;
  // Start: the last sample before the start threshold was crossed where the limb was not yet
  // moving away (speed about the axis below the threshold), extrapolated to zero speed.
  std::int64_t start_index = lo;
  std::int64_t start_ns = At(lo).time_ns;
  for (std::int64_t j = std::max(rep_.cross_index, lo); j >= lo; --j) {
    if (At(j).speed_deg_s <= threshold) {
      start_index = j;
      start_ns = At(j).time_ns;
      if (j + 1 <= end_index) {
        start_ns = ExtrapolateToZero(At(j).time_ns, At(j).speed_deg_s, At(j + 1).time_ns,
                                     At(j + 1).speed_deg_s, threshold, extrapolate_s);
      }
      break;
    }
  }
  // Turnaround: the farthest point; the hold around it is where the speed stays below threshold.
  std::int64_t peak = start_index;
  double max_deg = At(start_index).angle_deg;
  double min_deg = max_deg;
  double return_min_deg = max_deg;  // the lowest after the turnaround
  double peak_speed = 0.0;
  bool bridged = false;
  for (std::int64_t j = start_index; j <= end_index; ++j) {
    const Entry& e = At(j);
    if (e.angle_deg > max_deg) {
      max_deg = e.angle_deg;
      peak = j;
      return_min_deg = max_deg;
    }
    min_deg = std::min(min_deg, e.angle_deg);
    return_min_deg = std::min(return_min_deg, e.angle_deg);
    peak_speed = std::max(peak_speed, std::abs(e.speed_deg_s));
    bridged = bridged || e.bridged;
  }
  measured_.axis = RepRotationAxis(start_index, end_index);
  measured_.offset_m = {};  // measured below, for a rep that passes the guards
  measured_start_index_ = start_index;
  const std::int64_t peak_ns = At(peak).time_ns;
  std::int64_t hold_begin_ns = peak_ns;
  std::int64_t hold_end_ns = peak_ns;
  std::int64_t seed = peak;
  for (int d = 0; d <= params_.hold_seed_samples; ++d) {
    const std::int64_t candidates[2] = {peak - d, peak + d};
    bool found = false;
    for (std::int64_t j : candidates) {
      if (j >= start_index && j <= end_index && std::abs(At(j).speed_deg_s) <= threshold) {
        seed = j;
        found = true;
        break;
      }
    }
    if (found) break;
  }
  const double hold_band_deg =
      std::max(params_.hold_band_min_deg, params_.hold_band_frac * (max_deg - min_deg));
  auto in_hold = [&](std::int64_t j) {
    return std::abs(At(j).speed_deg_s) <= threshold ||
           (At(j).angle_deg >= max_deg - hold_band_deg &&
            std::abs(At(j).speed_deg_s) <= params_.hold_spike_factor * threshold);
  };
  if (std::abs(At(seed).speed_deg_s) <= threshold) {
    std::int64_t k = seed;
    while (k > start_index && in_hold(k - 1)) --k;
    // Boundaries at a sample that is itself below the threshold.
    while (k < seed && std::abs(At(k).speed_deg_s) > threshold) ++k;
    if (k > start_index) {
      hold_begin_ns = ExtrapolateToZero(At(k - 1).time_ns, At(k - 1).speed_deg_s, At(k).time_ns,
                                        At(k).speed_deg_s, threshold, extrapolate_s);
    } else {
      hold_begin_ns = At(k).time_ns;
    }
    std::int64_t m = seed;
    while (m < end_index && in_hold(m + 1)) ++m;
    while (m > seed && std::abs(At(m).speed_deg_s) > threshold) --m;
    if (m < end_index) {
      hold_end_ns = ExtrapolateToZero(At(m).time_ns, At(m).speed_deg_s, At(m + 1).time_ns,
                                      At(m + 1).speed_deg_s, -threshold, extrapolate_s);
    } else {
      hold_end_ns = At(m).time_ns;
    }
    hold_begin_ns = std::min(hold_begin_ns, peak_ns);
    hold_end_ns = std::max(hold_end_ns, peak_ns);
  } else {
    // No hold: the turnaround is where the speed changes sign next to the peak sample.
    const Entry& p = At(peak);
    if (p.speed_deg_s > 0 && peak < end_index) {
      const Entry& q = At(peak + 1);
      hold_begin_ns = Interpolate(p.time_ns, p.speed_deg_s, q.time_ns, q.speed_deg_s, 0.0);
    } else if (p.speed_deg_s < 0 && peak > start_index) {
      const Entry& q = At(peak - 1);
      hold_begin_ns = Interpolate(q.time_ns, q.speed_deg_s, p.time_ns, p.speed_deg_s, 0.0);
    }
    hold_end_ns = hold_begin_ns;
  }
  // A held limb may sag while held, a few degrees at a time: the hold lasts until the return,
  // the last run of descent before the end, while the limb stayed within the sag band of the
  // peak (a pause further down is part of the descent).
  {
    std::int64_t descent = end_index - 1;
    while (descent > peak && At(descent).speed_deg_s < -threshold) --descent;
    const double sag_band_deg =
        std::max(params_.hold_band_min_deg, params_.hold_sag_frac * (max_deg - min_deg));
    const std::int64_t held_until_ns = At(descent).time_ns;
    if (descent > peak && held_until_ns > hold_end_ns) {
      bool within = true;
      for (std::int64_t j = peak; j <= descent && within; ++j) {
        within = At(j).angle_deg >= max_deg - sag_band_deg;
      }
      if (within) {
        hold_end_ns = descent < end_index
                          ? ExtrapolateToZero(At(descent).time_ns, At(descent).speed_deg_s,
                                              At(descent + 1).time_ns, At(descent + 1).speed_deg_s,
                                              -threshold, extrapolate_s)
                          : held_until_ns;
      }
    }
  }
  // End: where the descent slowed to a stop (or the last sample before a gap).
  std::int64_t end_ns = At(end_index).time_ns;
  if (!at_gap && end_index > start_index) {
    end_ns = ExtrapolateToZero(At(end_index - 1).time_ns, At(end_index - 1).speed_deg_s,
                               At(end_index).time_ns, At(end_index).speed_deg_s, -threshold,
                               extrapolate_s);
  }

  // From the rest pose the rep left (it may lie in a gap just before the first sample); a stance
  // from the pose the limb stood in before it stepped. Where the step had a fill, the tilt may
  // have been off by what the fill missed since (swing_filled_allow_deg), and the stance's own
  // return, read with the same tilt as its turnaround, is the floor when lower.
  double floor_deg = std::min(min_deg, rep_.base.angle_deg);
  if (rep_.stance_from_deg) {
    floor_deg = rep_.stance_step_filled ? std::min(*rep_.stance_from_deg, return_min_deg)
                                        : *rep_.stance_from_deg;
  }
  const double rom_deg = max_deg - floor_deg;
  const double duration_s = static_cast<double>(end_ns - start_ns) * 1e-9;
  // Turning where it began: no first phase was measured, only an angle that jumped past the
  // start threshold (the tilt corrected once the limb is still after a cut gap) and a way back.
  const bool first_phase_seen = hold_begin_ns > start_ns;
  if (rom_deg < MinRomDeg() || duration_s < params_.min_duration_s || !first_phase_seen) {
    ++rejected_reps_;
    return std::nullopt;
  }

  // A bridged rep's centre is fitted from its measured samples (RepCentreOffset): a pick-up whose
  // link dropped a few samples is still handling. Earth-up is carried across the interpolated
  // ones by their gyro, and what that misses the fit's own error bound answers for.
  const bool centre_may_decide =
      rom_count_ < params_.centre_first_reps || rom_deg < params_.centre_rom_frac * amplitude_deg_;
  measured_.offset_m =
      centre_may_decide ? RepCentreOffset(start_index, end_index, measured_.axis) : Vec3{};
  Rep rep;
  rep.start = TimeFromNanoseconds(start_ns);
  rep.turnaround = TimeFromNanoseconds(peak_ns);
  rep.end = TimeFromNanoseconds(end_ns);
  rep.rom_deg = rom_deg;
  rep.bridged = bridged || rep_.turnaround_in_gap;
  rep.stepped = rep_.stance_from_deg.has_value();
  if (rep_.base.origin == RestOrigin::kCarriedOverGap && angle_.source() == AngleSource::kGravity &&
      !at_gap) {
    // The rep began in a gap, and the orientation carried over it is checked against gravity
    // only once the limb is quiet: until then the gravity angle can be off by whatever the limb
    // turned during the gap (a curl found half-way up read 30 deg too high at its peak). The
    // rep's rise and return were seen, so its range is taken from the gyro instead, which is
    // drift-free enough over one rep. The guards above keep the gravity angle, which judged the
    // start and return against the rest pose, so what counts as a rep does not change.
    const GyroRange range = IntegrateGyro(start_index, end_index);
    rep.rom_deg = range.high_deg - range.low_deg;
    rep.bridged = true;
  }
  const double first_s = static_cast<double>(hold_begin_ns - start_ns) * 1e-9;
  const double second_s = static_cast<double>(end_ns - hold_end_ns) * 1e-9;
  const bool concentric_first = params_.first_phase == Phase::kConcentric;
  rep.concentric_s = concentric_first ? first_s : second_s;
  rep.eccentric_s = concentric_first ? second_s : first_s;
  rep.pause_turnaround_s = static_cast<double>(hold_end_ns - hold_begin_ns) * 1e-9;
  rep.pause_before_s = previous_end_ ? std::max(0.0, ToSeconds(rep.start - *previous_end_)) : 0.0;
  rep.peak_speed_deg_s = peak_speed;
  const std::int64_t concentric_lo = concentric_first ? start_index : peak;
  const std::int64_t concentric_hi = concentric_first ? peak : end_index;
  double concentric_speed = 0.0;
  for (std::int64_t j = concentric_lo; j <= concentric_hi; ++j) {
    concentric_speed = std::max(concentric_speed, std::abs(At(j).speed_deg_s));
  }
  rep.peak_concentric_speed_deg_s = concentric_speed;
  return rep;
}

bool RepDetector::HeldAwayFromRestBeforeGap(double angle_deg) {
  if (!away_from_rest_deg_) return false;
  if (angle_deg <= *away_from_rest_deg_ ||
      RestPoseCarriesOver(params_.gap, angle_deg, *away_from_rest_deg_, amplitude_deg_,
                          params_.start_min_deg)) {
    away_from_rest_deg_.reset();  // back at (or below) that rest pose
    return false;
  }
  return true;
}

void RepDetector::AcceptRep(const Rep& rep, const RepRotation& rotation) {
  amplitude_axis_ = rotation.axis;
  roms_deg_[static_cast<std::size_t>(rom_count_ % kRomHistory)] = rep.rom_deg;
  peak_speeds_deg_s_[static_cast<std::size_t>(rom_count_ % kRomHistory)] = rep.peak_speed_deg_s;
  ++rom_count_;
  if (rep.stepped) stepped_rep_in_set_ = true;
  last_rep_tempo_ = Tempo{ToSeconds(rep.end - rep.start), rep.peak_speed_deg_s};
  // Medians of the last few reps: one partial rep does not move the hysteresis much.
  const int n = std::min(rom_count_, kRomHistory);
  amplitude_deg_ = MedianOfFirst(roms_deg_, n);
  rest_gyro_rad_s_ = std::clamp(
      params_.rest_speed_frac * MedianOfFirst(peak_speeds_deg_s_, n) * kDegToRad,
      std::min(params_.rest_gyro_min_rad_s, params_.rest_gyro_rad_s), params_.rest_gyro_rad_s);
  QueueRep(rep, rotation);
}

void RepDetector::QueueRep(const Rep& rep, const RepRotation& rotation) {
  swinging_ = false;  // a rep, not a pendulum
  trip_out_.reset();  // a step before a rep is no trip's way out
  previous_end_ = rep.end;
  away_from_rest_deg_.reset();  // the rep's return is the rest pose now
  did_reps_ = true;
  PushRep(rep, rotation);
}

void RepDetector::PushRep(const Rep& rep, const RepRotation& rotation) {
  if (pending_count_ == kPendingCapacity) {
    // Cannot happen with one rep per excursion; keep the newest rather than grow.
    std::copy(pending_.begin() + 1, pending_.end(), pending_.begin());
    std::copy(pending_rotations_.begin() + 1, pending_rotations_.end(), pending_rotations_.begin());
    --pending_count_;
  }
  pending_rotations_[static_cast<std::size_t>(pending_count_)] = rotation;
  pending_[static_cast<std::size_t>(pending_count_++)] = rep;
}

void RepDetector::MarkGap(Time /*time*/) {
  // Still coming back from the last gap when this one began: the data cannot say.
  DropHeldRepFollowed();
  if (state_ != RepState::kLearningAxis && next_index_ > OldestIndex()) {
    const std::int64_t last = next_index_ - 1;
    if (state_ == RepState::kStoppedSuddenly) {
      // Stopped at the last sample before the gap: the rep ended there.
      CompleteRep(rep_.stop_index, /*at_gap=*/false);
    } else if (state_ == RepState::kReturning) {
      // Past its turnaround and back near its start: the rep ended before the gap. The rest pose
      // is the lower of where it started and where it came back to: after a start taken
      // mid-movement (the first sample of the data, an orientation still settling) the return
      // is the better estimate.
      const double rest_deg = std::min(rep_.base.angle_deg, rep_.min_deg);
      CompleteRep(last, /*at_gap=*/true);
      rest_.angle_deg = rest_deg;
    } else if (state_ == RepState::kFalling && rep_.base.index >= next_index_ - capacity_) {
      // Past its turnaround but not yet back: whether it came back during the gap is told by
      // the first sample after it (Resume), compared with the pose the rep started from.
      const RepInProgress cut_rep = rep_;
      HeldRep held;
      held.base_deg = cut_rep.base.angle_deg;
      held.base_gravity = At(cut_rep.base.index).gravity;
      held.peak_deg = cut_rep.peak_deg;
      held.cut.excursion_deg = cut_rep.peak_deg - cut_rep.base.angle_deg;
      held.cut.amplitude_deg = amplitude_deg_;
      held.cut.start_unseen = cut_rep.base.origin == RestOrigin::kDataStart;
      held.cut.min_rom_deg = MinRomDeg();
      std::optional<Rep> rep = MeasureRep(last, /*at_gap=*/true);
      if (rep) {
        held.rep = *rep;
        held.rep.bridged = true;  // its return lies in the gap
        held.rotation = measured_;
        held_ = held;
      } else {
        ++dropped_by_gap_;
      }
      rep_ = cut_rep;
      state_ = RepState::kFalling;  // for the rest pose below
    } else if (state_ == RepState::kRising && angle_.source() == AngleSource::kGravity &&
               rep_.base.index >= next_index_ - capacity_) {
      // Still rising: whether it went on through the gap is told by the first sample after it.
      rising_at_gap_ = rep_;
    } else if (!BetweenReps()) {
      ++dropped_by_gap_;
    }
  }
  // A movement that ended before the gap is judged from the samples before it.
  SettleAtItsEnd();
  if (state_ == RepState::kLearningAxis && learning_motion_from_) {
    learning_cut_after_motion_ = true;
  }
  if (state_ != RepState::kLearningAxis) {
    // The rest pose before the gap: where the rep in progress started, or where the limb rests.
    rest_before_gap_deg_ = BetweenReps() ? rest_.angle_deg : rep_.base.angle_deg;
    state_ = RepState::kResuming;
  }
  floor_index_ = next_index_;
  still_s_ = 0.0;
  previous_time_ns_.reset();
  // The limb may have moved during the gap: the pose it rested in before is no reference.
  still_pose_.reset();
}

std::optional<Rep> RepDetector::Finish(RepRotation* rotation) {
  DropHeldRepFollowed();
  if (state_ == RepState::kStoppedSuddenly && rep_.stop_index >= OldestIndex()) {
    CompleteRep(rep_.stop_index, /*at_gap=*/false);
  } else if (state_ == RepState::kReturning && next_index_ > OldestIndex()) {
    CompleteRep(next_index_ - 1, /*at_gap=*/true);
  } else if (state_ == RepState::kFalling && params_.angle.gyro_only &&
             next_index_ > OldestIndex()) {
    // Past its turnaround when the data ended: judged as at a cut gap (gyro_angle_below_rom_deg).
    if (std::optional<Rep> rep = MeasureRep(next_index_ - 1, /*at_gap=*/true)) {
      rep->bridged = true;  // its return was not seen
      AcceptRep(*rep, measured_);
    }
  }
  SettleAtItsEnd();
  if (pending_count_ == 0) return std::nullopt;
  Rep rep = pending_[0];
  if (rotation != nullptr) *rotation = pending_rotations_[0];
  std::copy(pending_.begin() + 1, pending_.begin() + pending_count_, pending_.begin());
  std::copy(pending_rotations_.begin() + 1, pending_rotations_.begin() + pending_count_,
            pending_rotations_.begin());
  --pending_count_;
  return rep;
}

}  // namespace ambi::fusion
