#include "fusion/reps/rep_detector.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ambi::fusion {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;

double Dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
Vec3 Scale(const Vec3& a, double s) { return {a.x * s, a.y * s, a.z * s}; }
Vec3 Sub(const Vec3& a, const Vec3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
double Norm(const Vec3& a) { return std::sqrt(Dot(a, a)); }

// Earth-up expressed in the sensor frame: the third row of the sensor-to-earth rotation matrix.
Vec3 UpInSensor(const Quaternion& q) {
  return {2.0 * (q.x * q.z - q.w * q.y), 2.0 * (q.y * q.z + q.w * q.x),
          1.0 - 2.0 * (q.x * q.x + q.y * q.y)};
}

// Time where 'value' crosses 'level' between two samples, linearly interpolated.
std::int64_t Interpolate(std::int64_t t0, double v0, std::int64_t t1, double v1, double level) {
  const double dv = v1 - v0;
  if (std::abs(dv) < 1e-12) return t0;
  const double f = std::clamp((level - v0) / dv, 0.0, 1.0);
  return t0 + static_cast<std::int64_t>(std::llround(f * static_cast<double>(t1 - t0)));
}

// Where the speed, crossing 'level' (> 0 in magnitude) between two samples, extrapolates to
// zero: the half-cosine-like speed near a start, stop or turnaround is close to linear in time,
// so this recovers the true instant that a threshold alone would miss by a fraction of the
// phase. At most max(one sample period, 60 ms) beyond the crossing, so noise cannot throw it far.
std::int64_t ExtrapolateToZero(std::int64_t t0, double v0, std::int64_t t1, double v1,
                               double level) {
  const std::int64_t crossing = Interpolate(t0, v0, t1, v1, level);
  const double dt_s = static_cast<double>(t1 - t0) * 1e-9;
  const double slope = (v1 - v0) / dt_s;  // per second
  if (std::abs(slope) < 1e-9) return crossing;
  const double limit_s = std::max(dt_s, 0.06);
  const double shift_s = std::clamp(-level / slope, -limit_s, limit_s);
  return crossing + static_cast<std::int64_t>(std::llround(shift_s * 1e9));
}

}  // namespace

RepDetector::RepDetector(const RepDetectorParams& params)
    : params_(params),
      // Margin of 1.5 so a sensor running faster than nominal still fits the longest rep.
      capacity_(static_cast<std::int64_t>(
          std::ceil((params.max_rep_s + 2.0) * std::max(params.nominal_rate_hz, 1.0) * 1.5))),
      buffer_(static_cast<std::size_t>(capacity_)),
      axis_estimator_(params.axis),
      axis_update_every_(std::max(
          1, static_cast<int>(std::lround(params.axis_update_period_s * params.nominal_rate_hz)))) {
}

void RepDetector::ClearSet() {
  floor_index_ = next_index_;
  base_in_gap_ = false;
  axis_estimator_.Reset();
  samples_since_axis_update_ = 0;
  axis_locked_ = false;
  gravity_angle_ = true;
  still_s_ = 0.0;
  has_previous_time_ = false;
  state_ = State::kIdle;
  rom_count_ = 0;
  amplitude_deg_ = 0.0;
  has_previous_end_ = false;
  base_valid_ = false;
  base_unseen_ = false;
  has_rest_level_ = false;
  after_gap_ = false;
  has_held_rep_ = false;
  last_end_index_ = -1;
}

void RepDetector::Reset() {
  ClearSet();
  pending_count_ = 0;
}

std::int64_t RepDetector::OldestIndex() const {
  return std::max(floor_index_, next_index_ - capacity_);
}

RepDetectorDiagnostics RepDetector::diagnostics() const {
  RepDetectorDiagnostics d;
  d.axis_locked = axis_locked_;
  d.axis = axis_;
  d.gravity_angle = gravity_angle_;
  d.amplitude_deg = amplitude_deg_;
  d.rejected_reps = rejected_reps_;
  d.dropped_by_gap = dropped_by_gap_;
  d.abandoned = abandoned_;
  return d;
}

void RepDetector::SetAxis(const Vec3& axis, bool first) {
  axis_ = axis;
  Vec3 reference = Sub(reference_gravity_, Scale(axis_, Dot(reference_gravity_, axis_)));
  const double norm = Norm(reference);
  // Once chosen, the way the angle is measured changes only when the axis has clearly crossed
  // the limit: an axis wavering about it would otherwise flip the angle between the two
  // measurements, which differ by the gyro's drift (a jump of tens of degrees in a heel raise).
  double limit_deg = params_.vertical_axis_deg;
  if (!first) {
    limit_deg +=
        gravity_angle_ ? -params_.vertical_axis_margin_deg : params_.vertical_axis_margin_deg;
  }
  gravity_angle_ = norm > std::sin(limit_deg / kRadToDeg);
  if (norm > 1e-9) {
    reference_ = Scale(reference, 1.0 / norm);
  } else {
    // Any unit vector perpendicular to the axis: the angle is then integrated, not measured.
    const Vec3 helper = std::abs(axis_.x) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
    const Vec3 perpendicular = Cross(axis_, helper);
    reference_ = Scale(perpendicular, 1.0 / Norm(perpendicular));
  }
  binormal_ = Cross(axis_, reference_);
}

void RepDetector::ComputeAngle(std::int64_t index) {
  Entry& entry = At(index);
  entry.speed_deg_s = Dot(entry.gyro_rad_s, axis_) * kRadToDeg;
  const bool has_previous = index > OldestIndex();
  const Entry* previous = has_previous ? &At(index - 1) : nullptr;
  if (gravity_angle_) {
    // A rotation of the sensor by +angle about the axis turns gravity by -angle in its frame.
    double angle =
        -std::atan2(Dot(entry.gravity, binormal_), Dot(entry.gravity, reference_)) * kRadToDeg;
    if (previous != nullptr) {
      // Unwrap so a 140 deg curl from any reference never jumps by 360.
      angle += 360.0 * std::round((previous->angle_deg - angle) / 360.0);
    }
    entry.angle_deg = angle;
  } else if (previous != nullptr) {
    const double dt_s = static_cast<double>(entry.time_ns - previous->time_ns) * 1e-9;
    entry.angle_deg =
        previous->angle_deg + 0.5 * (entry.speed_deg_s + previous->speed_deg_s) * dt_s;
  } else {
    entry.angle_deg = 0.0;
  }
}

RepDetector::GyroRange RepDetector::IntegrateGyro(std::int64_t first, std::int64_t last) const {
  GyroRange range;
  double angle_deg = 0.0;
  for (std::int64_t i = first + 1; i <= last; ++i) {
    const double dt_s = static_cast<double>(At(i).time_ns - At(i - 1).time_ns) * 1e-9;
    angle_deg += 0.5 * (At(i).speed_deg_s + At(i - 1).speed_deg_s) * dt_s;
    range.high_deg = std::max(range.high_deg, angle_deg);
    range.low_deg = std::min(range.low_deg, angle_deg);
  }
  return range;
}

void RepDetector::LockAxis() {
  axis_locked_ = true;
  const std::int64_t first = OldestIndex();
  const std::int64_t last = next_index_ - 1;
  reference_gravity_ = At(first).gravity;
  SetAxis(axis_estimator_.axis(), /*first=*/true);
  for (std::int64_t i = first; i <= last; ++i) ComputeAngle(i);
  // The first phase is positive: it leads away from the pose the data began in, so the sign is
  // that of the largest excursion from the first sample. Not the direction of the movement that
  // taught us the axis: a slow raise stays below the axis estimator's speed floor and a brisker
  // return can teach it (a physiotherapy leg raise). The excursion is integrated from the gyro:
  // over these few seconds it drifts little, while the fused gravity may still be settling from
  // its startup under the linear acceleration of a brisk first rep.
  const GyroRange excursion = IntegrateGyro(first, last);
  const double direction =
      excursion.high_deg >= -excursion.low_deg ? excursion.high_deg : excursion.low_deg;
  if (direction < 0.0) {
    SetAxis(Scale(axis_, -1.0), /*first=*/true);
    for (std::int64_t i = first; i <= last; ++i) ComputeAngle(i);
  }
  state_ = State::kIdle;
  after_gap_ = false;
  for (std::int64_t i = first; i <= last; ++i) Step(i);
}

RepDetectorOutput RepDetector::Update(const ImuSample& sample, const Quaternion& sensor_to_earth) {
  const std::int64_t time_ns = ToNanoseconds(sample.time);
  double dt_s = 1.0 / params_.nominal_rate_hz;
  if (has_previous_time_) {
    const double measured = static_cast<double>(time_ns - previous_time_ns_) * 1e-9;
    if (measured > 0.0 && measured < 5.0 / params_.nominal_rate_hz) dt_s = measured;
  }
  has_previous_time_ = true;
  previous_time_ns_ = time_ns;

  const Vec3& w = sample.gyro_rad_s;
  const bool still = Dot(w, w) < params_.rest_gyro_rad_s * params_.rest_gyro_rad_s;
  still_s_ = still ? still_s_ + dt_s : 0.0;

  const std::int64_t index = next_index_++;
  Entry& entry = At(index);
  entry.time_ns = time_ns;
  entry.gravity = UpInSensor(sensor_to_earth);
  entry.gyro_rad_s = w;
  entry.still_s = still_s_;
  entry.angle_deg = 0.0;
  entry.speed_deg_s = 0.0;

  axis_estimator_.Add(w, dt_s);
  bool recompute = ++samples_since_axis_update_ >= axis_update_every_;
  if (recompute) samples_since_axis_update_ = 0;
  if (!axis_locked_) {
    if (recompute && axis_estimator_.Recompute()) LockAxis();
  } else {
    if (recompute && state_ == State::kIdle && axis_estimator_.Recompute()) {
      // Between reps only, so one rep is measured about one axis. Keep the rest pose where it
      // was: shift it by the change the new axis makes to the current angle.
      const double before = index > OldestIndex() ? At(index - 1).angle_deg : 0.0;
      Vec3 axis = axis_estimator_.axis();
      if (Dot(axis, axis_) < 0.0) axis = Scale(axis, -1.0);
      if (index > OldestIndex()) {
        SetAxis(axis, /*first=*/false);
        ComputeAngle(index - 1);
        base_deg_ += At(index - 1).angle_deg - before;
      } else {
        SetAxis(axis, /*first=*/false);
      }
    }
    ComputeAngle(index);
    Step(index);
  }

  RepDetectorOutput output;
  output.moving = still_s_ < params_.rest_min_s;
  if (axis_locked_) {
    output.segment_angle_deg =
        entry.angle_deg - (state_ == State::kIdle ? base_deg_ : rep_base_deg_);
    output.segment_speed_deg_s = entry.speed_deg_s;
  }
  if (pending_count_ > 0) {
    output.rep = pending_[0];
    std::copy(pending_.begin() + 1, pending_.begin() + pending_count_, pending_.begin());
    --pending_count_;
  }
  return output;
}

void RepDetector::Step(std::int64_t index) {
  const Entry& entry = At(index);
  const double angle = entry.angle_deg;
  if (state_ == State::kIdle) {
    // At rest the rest pose is wherever the limb is (gravity says so); while moving between
    // reps, the lowest point so far.
    if (index == OldestIndex() && after_gap_) {
      after_gap_ = false;
      if (has_held_rep_) {
        // A rep interrupted on its way back counts if the limb is found back at its start.
        has_held_rep_ = false;
        // Gravity angles are absolute, so comparable across the gap. A gyro angle restarts at
        // the gap: there the tilt of gravity from the starting pose tells instead (rotation about
        // a near-vertical axis barely tilts it, but neither did the rep's own start).
        const double from_start_deg =
            gravity_angle_
                ? angle - held_base_deg_
                : std::acos(std::clamp(Dot(entry.gravity, held_base_gravity_), -1.0, 1.0)) *
                      kRadToDeg;
        // A rep whose start was never seen (the data began mid-rise, while the orientation was
        // still settling from its one-sample start) has no trustworthy start pose: it counts
        // when the limb came down from its peak by at least a rep's minimum ROM.
        const bool back = held_base_unseen_ && gravity_angle_
                              ? held_peak_deg_ - angle >= held_min_rom_deg_
                              : from_start_deg <= held_return_deg_;
        if (back) {
          AcceptRep(held_rep_);
        } else {
          ++dropped_by_gap_;
        }
      }
      const double near_deg = std::max(params_.start_min_deg, params_.end_frac * amplitude_deg_);
      const bool slow = std::abs(entry.speed_deg_s) < params_.rest_gyro_rad_s * kRadToDeg;
      if (has_rest_level_ && std::abs(angle - rest_level_deg_) <= near_deg) {
        // Just left (or still at) the rest pose seen before the gap: it carries over, unless the
        // limb is not moving here: then this is the rest pose (the one before the gap may be the
        // low point of a wobble on the way down).
        base_deg_ = slow ? angle : std::min(angle, rest_level_deg_);
        base_unseen_ = false;
        // Moving here: a rep that starts now began in the gap, while the orientation carried
        // over it was not yet checked against gravity (see CompleteRep).
        base_in_gap_ = !slow;
        base_index_ = index;
        base_valid_ = true;
      } else {
        base_valid_ = false;
      }
    } else if (index == OldestIndex()) {
      base_deg_ = angle;
      base_index_ = index;
      base_valid_ = true;
      base_unseen_ = std::abs(entry.speed_deg_s) >= params_.rest_gyro_rad_s * kRadToDeg;
      base_in_gap_ = false;
    }
    if (!base_valid_ || entry.still_s >= params_.rest_min_s || angle < base_deg_) {
      base_deg_ = angle;
      base_index_ = index;
      base_unseen_ = false;
      base_in_gap_ = false;
    }
    if (std::abs(entry.speed_deg_s) < params_.rest_gyro_rad_s * kRadToDeg) base_valid_ = true;
    const double start_deg =
        std::max(rom_count_ > 0 ? params_.start_set_min_deg : params_.start_min_deg,
                 params_.start_frac * amplitude_deg_);
    if (base_valid_ && angle - base_deg_ >= start_deg) {
      state_ = State::kRising;
      rep_base_deg_ = base_deg_;
      rep_base_index_ = base_index_;
      rep_base_unseen_ = base_unseen_;
      rep_started_in_gap_ = base_in_gap_;
      cross_index_ = index;
      peak_deg_ = angle;
      peak_index_ = index;
      rep_peak_speed_deg_s_ = 0.0;
    }
    return;
  }

  rep_peak_speed_deg_s_ = std::max(rep_peak_speed_deg_s_, std::abs(entry.speed_deg_s));
  if (static_cast<double>(entry.time_ns - At(cross_index_).time_ns) * 1e-9 > params_.max_rep_s) {
    // Never came back: the limb found a new rest pose.
    ++abandoned_;
    state_ = State::kIdle;
    base_deg_ = angle;
    base_unseen_ = false;
    base_in_gap_ = false;
    base_index_ = index;
    return;
  }
  const double excursion = peak_deg_ - rep_base_deg_;
  switch (state_) {
    case State::kRising:
      if (angle > peak_deg_) {
        peak_deg_ = angle;
        peak_index_ = index;
      } else if (angle <= peak_deg_ - std::max(rom_count_ > 0 ? params_.turn_set_min_deg
                                                              : params_.turn_min_deg,
                                               params_.turn_frac * excursion)) {
        state_ = State::kFalling;
      }
      break;
    case State::kFalling:
      if (angle > peak_deg_) {
        // Went back up past the peak: still the same rep.
        state_ = State::kRising;
        peak_deg_ = angle;
        peak_index_ = index;
      } else if (angle - rep_base_deg_ <= params_.end_frac * excursion) {
        state_ = State::kEnding;
        min_deg_ = angle;
      } else if (entry.still_s >= params_.settle_s) {
        // Turned around and came to rest short of its start: the limb was set down in a new
        // rest pose. The rep ended where it stopped.
        std::int64_t stop = index;
        while (stop > cross_index_ && At(stop - 1).still_s > 0.0) --stop;
        CompleteRep(stop, /*at_gap=*/false);
      }
      break;
    case State::kEnding: {
      min_deg_ = std::min(min_deg_, angle);
      const double threshold = std::max(params_.timing_speed_min_deg_s,
                                        params_.timing_speed_frac * rep_peak_speed_deg_s_);
      if (entry.speed_deg_s >= -threshold) CompleteRep(index, /*at_gap=*/false);
      break;
    }
    case State::kIdle:
      break;
  }
}

void RepDetector::CompleteRep(std::int64_t end_index, bool at_gap, bool hold) {
  state_ = State::kIdle;
  base_deg_ = At(end_index).angle_deg;
  base_unseen_ = false;
  base_in_gap_ = false;
  base_index_ = end_index;
  const std::int64_t previous_end_index = last_end_index_;
  last_end_index_ = end_index;

  // The start may lie before the rest-pose anchor (the limb creeps out of rest): search back to
  // the previous rep's end.
  const std::int64_t lo = std::max(previous_end_index, OldestIndex());
  const double threshold =
      std::max(params_.timing_speed_min_deg_s, params_.timing_speed_frac * rep_peak_speed_deg_s_);
  // Start: the last sample before the start threshold was crossed where the limb was not yet
  // moving away (speed about the axis below the threshold), interpolated to the crossing.
  std::int64_t start_index = lo;
  std::int64_t start_ns = At(lo).time_ns;
  for (std::int64_t j = std::max(cross_index_, lo); j >= lo; --j) {
    if (At(j).speed_deg_s <= threshold) {
      start_index = j;
      start_ns = At(j).time_ns;
      if (j + 1 <= end_index) {
        start_ns = ExtrapolateToZero(At(j).time_ns, At(j).speed_deg_s, At(j + 1).time_ns,
                                     At(j + 1).speed_deg_s, threshold);
      }
      break;
    }
  }
  // Turnaround: the farthest point; the hold around it is where the speed stays below threshold.
  std::int64_t peak = start_index;
  double max_deg = At(start_index).angle_deg;
  double min_deg = max_deg;
  double peak_speed = 0.0;
  for (std::int64_t j = start_index; j <= end_index; ++j) {
    const Entry& e = At(j);
    if (e.angle_deg > max_deg) {
      max_deg = e.angle_deg;
      peak = j;
    }
    min_deg = std::min(min_deg, e.angle_deg);
    peak_speed = std::max(peak_speed, std::abs(e.speed_deg_s));
  }
  const std::int64_t peak_ns = At(peak).time_ns;
  std::int64_t hold_begin_ns = peak_ns;
  std::int64_t hold_end_ns = peak_ns;
  // With noise the highest sample of a hold can sit at its very edge: seed from a neighbour.
  std::int64_t seed = peak;
  for (std::int64_t j : {peak, peak - 1, peak + 1}) {
    if (j >= start_index && j <= end_index && std::abs(At(j).speed_deg_s) <= threshold) {
      seed = j;
      break;
    }
  }
  // Inside a hold, a short noise spike does not end it while the limb stays near the peak.
  const double hold_band_deg = std::max(1.0, 0.03 * (max_deg - min_deg));
  auto in_hold = [&](std::int64_t j) {
    return std::abs(At(j).speed_deg_s) <= threshold ||
           (At(j).angle_deg >= max_deg - hold_band_deg &&
            std::abs(At(j).speed_deg_s) <= 3.0 * threshold);
  };
  if (std::abs(At(seed).speed_deg_s) <= threshold) {
    std::int64_t k = seed;
    while (k > start_index && in_hold(k - 1)) --k;
    // Boundaries at a sample that is itself below the threshold.
    while (k < seed && std::abs(At(k).speed_deg_s) > threshold) ++k;
    if (k > start_index) {
      hold_begin_ns = ExtrapolateToZero(At(k - 1).time_ns, At(k - 1).speed_deg_s, At(k).time_ns,
                                        At(k).speed_deg_s, threshold);
    } else {
      hold_begin_ns = At(k).time_ns;
    }
    std::int64_t m = seed;
    while (m < end_index && in_hold(m + 1)) ++m;
    while (m > seed && std::abs(At(m).speed_deg_s) > threshold) --m;
    if (m < end_index) {
      hold_end_ns = ExtrapolateToZero(At(m).time_ns, At(m).speed_deg_s, At(m + 1).time_ns,
                                      At(m + 1).speed_deg_s, -threshold);
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
  // End: where the descent slowed to a stop (or the last sample before a gap).
  std::int64_t end_ns = At(end_index).time_ns;
  if (!at_gap && end_index > start_index) {
    end_ns = ExtrapolateToZero(At(end_index - 1).time_ns, At(end_index - 1).speed_deg_s,
                               At(end_index).time_ns, At(end_index).speed_deg_s, -threshold);
  }

  // From the rest pose the rep left (it may lie in a gap just before the first sample).
  const double rom_deg = max_deg - std::min(min_deg, rep_base_deg_);
  const double duration_s = static_cast<double>(end_ns - start_ns) * 1e-9;
  const double min_rom_deg =
      std::max(rom_count_ > 0 ? params_.min_rom_set_deg : params_.min_rom_deg,
               params_.min_rom_frac * amplitude_deg_);
  if (rom_deg < min_rom_deg || duration_s < params_.min_duration_s) {
    ++rejected_reps_;
    return;
  }

  Rep rep;
  rep.start = TimeFromNanoseconds(start_ns);
  rep.turnaround = TimeFromNanoseconds(peak_ns);
  rep.end = TimeFromNanoseconds(end_ns);
  rep.rom_deg = rom_deg;
  if (rep_started_in_gap_ && gravity_angle_ && !at_gap) {
    // The rep began in a gap, and the orientation carried over it is checked against gravity
    // only once the limb is quiet: until then the gravity angle can be off by whatever the limb
    // turned during the gap (a curl found half-way up read 30 deg too high at its peak). The
    // rep's rise and return were seen, so its range is taken from the gyro instead, which is
    // drift-free enough over one rep. The guards above keep the gravity angle, which judged the
    // start and return against the rest pose, so what counts as a rep does not change.
    const GyroRange range = IntegrateGyro(start_index, end_index);
    rep.rom_deg = range.high_deg - range.low_deg;
  }
  const double first_s = static_cast<double>(hold_begin_ns - start_ns) * 1e-9;
  const double second_s = static_cast<double>(end_ns - hold_end_ns) * 1e-9;
  const bool concentric_first = params_.first_phase == Phase::kConcentric;
  rep.concentric_s = concentric_first ? first_s : second_s;
  rep.eccentric_s = concentric_first ? second_s : first_s;
  rep.pause_turnaround_s = static_cast<double>(hold_end_ns - hold_begin_ns) * 1e-9;
  rep.pause_before_s =
      has_previous_end_ ? std::max(0.0, ToSeconds(rep.start - previous_end_)) : 0.0;
  rep.peak_speed_deg_s = peak_speed;
  const std::int64_t concentric_lo = concentric_first ? start_index : peak;
  const std::int64_t concentric_hi = concentric_first ? peak : end_index;
  double concentric_speed = 0.0;
  for (std::int64_t j = concentric_lo; j <= concentric_hi; ++j) {
    concentric_speed = std::max(concentric_speed, std::abs(At(j).speed_deg_s));
  }
  rep.peak_concentric_speed_deg_s = concentric_speed;
  if (hold) {
    held_rep_ = rep;
    has_held_rep_ = true;
    return;
  }
  AcceptRep(rep);
}

void RepDetector::AcceptRep(const Rep& rep) {
  const double rom_deg = rep.rom_deg;
  has_previous_end_ = true;
  previous_end_ = rep.end;
  roms_deg_[static_cast<std::size_t>(rom_count_ % kRomHistory)] = rom_deg;
  ++rom_count_;
  // Median of the last few ROMs: one partial rep does not move the hysteresis much.
  std::array<double, kRomHistory> sorted = roms_deg_;
  const int n = std::min(rom_count_, kRomHistory);
  for (int a = 1; a < n; ++a) {
    for (int b = a; b > 0 && sorted[b - 1] > sorted[b]; --b) std::swap(sorted[b - 1], sorted[b]);
  }
  amplitude_deg_ = sorted[static_cast<std::size_t>(n / 2)];
  PushRep(rep);
}

void RepDetector::PushRep(const Rep& rep) {
  if (pending_count_ == kPendingCapacity) {
    // Cannot happen with one rep per excursion; keep the newest rather than grow.
    std::copy(pending_.begin() + 1, pending_.end(), pending_.begin());
    --pending_count_;
  }
  pending_[static_cast<std::size_t>(pending_count_++)] = rep;
}

void RepDetector::MarkGap(Time /*time*/) {
  if (axis_locked_ && next_index_ > OldestIndex()) {
    if (state_ == State::kEnding) {
      // Past its turnaround and back near its start: the rep ended before the gap. The rest pose
      // is the lower of where it started and where it came back to: after a start taken
      // mid-movement (the first sample of the data, an orientation still settling) the return
      // is the better estimate.
      const double rest_level_deg = std::min(rep_base_deg_, min_deg_);
      CompleteRep(next_index_ - 1, /*at_gap=*/true);
      base_deg_ = rest_level_deg;
    } else if (state_ == State::kFalling && rep_base_index_ >= next_index_ - capacity_) {
      // Past its turnaround but not yet back: whether it came back during the gap is told by
      // the first sample after it (Step), compared with the pose the rep started from.
      held_base_deg_ = rep_base_deg_;
      held_base_gravity_ = At(rep_base_index_).gravity;
      // Back within end_frac of the rep's excursion, or of the set's amplitude when that is
      // larger: the gap may hide the last of a rep whose turnaround came early (a heel raise's
      // few degrees, measured from a gyro angle), and the same tolerance says whether the rest
      // pose carries over a gap.
      held_return_deg_ = params_.end_frac * std::max(peak_deg_ - rep_base_deg_, amplitude_deg_);
      held_base_unseen_ = rep_base_unseen_;
      held_peak_deg_ = peak_deg_;
      held_min_rom_deg_ = std::max(rom_count_ > 0 ? params_.min_rom_set_deg : params_.min_rom_deg,
                                   params_.min_rom_frac * amplitude_deg_);
      CompleteRep(next_index_ - 1, /*at_gap=*/true, /*hold=*/true);
      if (!has_held_rep_) ++dropped_by_gap_;
      state_ = State::kFalling;  // for the rest level below
    } else if (state_ != State::kIdle) {
      ++dropped_by_gap_;
    }
  }
  if (axis_locked_) {
    // The rest pose before the gap: where the last rep started, or where the limb rests now.
    has_rest_level_ = true;
    rest_level_deg_ = state_ == State::kIdle ? base_deg_ : rep_base_deg_;
  }
  state_ = State::kIdle;
  after_gap_ = true;
  floor_index_ = next_index_;
  still_s_ = 0.0;
  has_previous_time_ = false;
}

std::optional<Rep> RepDetector::Finish() {
  if (axis_locked_ && state_ == State::kEnding && next_index_ > OldestIndex()) {
    CompleteRep(next_index_ - 1, /*at_gap=*/true);
  }
  if (pending_count_ == 0) return std::nullopt;
  Rep rep = pending_[0];
  std::copy(pending_.begin() + 1, pending_.begin() + pending_count_, pending_.begin());
  --pending_count_;
  return rep;
}

}  // namespace ambi::fusion
