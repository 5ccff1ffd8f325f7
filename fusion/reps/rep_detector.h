#ifndef AMBI_FUSION_REPS_REP_DETECTOR_H_
#define AMBI_FUSION_REPS_REP_DETECTOR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/reps/movement_axis.h"

namespace ambi::fusion {

struct RepDetectorParams {
  Phase first_phase = Phase::kConcentric;  // from the exercise catalog
  double nominal_rate_hz = 100.0;          // fixes buffer capacities

  MovementAxisParams axis;
  // The axis is recomputed this often (a 3x3 eigen problem) and applied only between reps, so
  // the angle of a rep in progress is measured about one axis.
  double axis_update_period_s = 0.1;
  // When the movement axis is within this angle of vertical, gravity cannot see rotation about
  // it; the angle is then integrated from the gyro (it drifts, but only within a rep matters).
  double vertical_axis_deg = 20.0;
  // Hysteresis on that choice once made (see SetAxis).
  double vertical_axis_margin_deg = 5.0;

  // Rest: the whole gyro stays below rest_gyro_rad_s for rest_min_s. At rest the rest pose is
  // re-anchored to the current (gravity-based) angle. Looser thresholds take slow reps for rest.
  double rest_gyro_rad_s = 0.15;  // ~8.6 deg/s
  double rest_min_s = 0.3;

  // Hysteresis, adapting to the set's amplitude A (median ROM of the last accepted reps):
  // a rep starts when the angle rises max(start_min_deg, start_frac * A) above the rest pose,
  // (start_set_min_deg instead of start_min_deg once the set has an amplitude),
  // turns around when it falls max(turn_min_deg, turn_frac * excursion) below its peak, and ends
  // once back within end_frac * excursion of its start and the limb stops descending.
  double start_min_deg = 6.0;
  // Once reps of the set were accepted the floors follow the set's own amplitude: a heel raise
  // turns the shank only 5-10 deg, consistently. These absolute floors stay well above the
  // gravity angle's noise at rest (< 1 deg).
  double start_set_min_deg = 2.5;
  double start_frac = 0.25;
  double turn_min_deg = 4.0;
  double turn_set_min_deg = 2.0;  // instead of turn_min_deg once the set has an amplitude
  double turn_frac = 0.25;
  double end_frac = 0.35;
  // A rep past its turnaround that comes to rest (still for settle_s) short of end_frac ends
  // there: the limb was set down in a new rest pose (a leg lying differently after a set). Holds
  // at the turnaround are not affected. Shorter ends reps that merely pause on the way down.
  double settle_s = 1.0;

  // Guards: a rep needs at least max(min_rom_deg, min_rom_frac * A) of ROM (min_rom_set_deg
  // instead of min_rom_deg once the set has an amplitude) and min_duration_s.
  double min_rom_deg = 8.0;
  double min_rom_set_deg = 4.0;
  double min_rom_frac = 0.35;
  double min_duration_s = 0.4;
  // A rep not finished after this is abandoned (the limb found a new rest pose); also sizes the
  // sample buffer (capacity = (max_rep_s + 2 s) * nominal_rate_hz).
  double max_rep_s = 30.0;

  // Phase boundaries (start, hold at the turnaround, end) are where the angular speed about the
  // axis crosses max(timing_speed_min_deg_s, timing_speed_frac * the rep's peak speed),
  // interpolated between samples. Lower is closer to the true instant; higher resists noise.
  double timing_speed_min_deg_s = 3.0;
  double timing_speed_frac = 0.02;
};

// What the detector says after each sample.
struct RepDetectorOutput {
  std::optional<Rep> rep;        // a rep that ended with this sample (placement/set/index unset)
  bool moving = false;           // the limb is not at rest
  double segment_angle_deg = 0;  // angle about the movement axis, from the rest pose
  double segment_speed_deg_s = 0;
};

// Diagnostics, as values.
struct RepDetectorDiagnostics {
  bool axis_locked = false;
  Vec3 axis;                    // sensor frame, sign such that the first phase is positive
  bool gravity_angle = true;    // false: axis near vertical, angle integrated from the gyro
  double amplitude_deg = 0.0;   // the set's amplitude A (0 until a rep was accepted)
  std::int64_t rejected_reps = 0;   // excursions that failed the ROM or duration guards
  std::int64_t dropped_by_gap = 0;  // reps in progress discarded at a gap
  std::int64_t abandoned = 0;       // excursions that never came back (max_rep_s)
};

// One limb segment: its angle about the set's dominant movement axis (independent of how the
// sensor is strapped on), rest/motion, and rep start, turnaround and end with hysteresis that
// adapts to the set's amplitude.
//
// The angle is measured from gravity: the fused orientation gives gravity in the sensor frame,
// and its rotation about the movement axis is the segment's rotation (exact for a hinge whose
// axis is not vertical). It does not drift, so the rest pose between reps, holds at the top and
// the direction of a rep all come from gravity. The axis is the principal direction of the
// angular velocity (MovementAxisEstimator); until it is known the samples are buffered and then
// replayed, so the first rep is not lost. Its sign makes the first phase positive.
//
// Gaps: a rep in progress at MarkGap is discarded, except one already past its turnaround and
// back within end_frac of its start: that rep ended before the gap and is completed at the last
// sample before it; it is returned by the next Update (or by Finish). One past its turnaround but
// not yet back is kept until the first sample after the gap: if that finds the limb back within
// end_frac of its excursion (or of the set's amplitude, when larger) from the pose the rep
// started from (the angle, or for gyro angles the tilt of gravity), the rep ended in the gap and
// counts, ending at the last sample before it. When that rep started at the first sample of the
// data while the limb was moving, its start pose is unknown (and the orientation was still
// settling there): it counts when the limb is found at least a rep's minimum ROM below its peak.
// Symmetrically, when the first sample after a gap is within end_frac of the set's amplitude from
// the rest pose seen before the gap, the limb had only just left (or not left) that rest pose:
// the rest pose carries over and a rep may start at that sample. If the limb is already moving
// there, that rep began in the gap, where the orientation may have drifted from the pose it
// carries over: its ROM is the range of the gyro-integrated angle over the rep (its guards still
// use the gravity angle). Otherwise the limb is mid-movement: no rep starts until it has been
// seen slow, so the part of a rep hidden in the gap is never invented. (The CMU recordings are
// cut one file per rep, tight around the movement: these rules are needed there.) At the very
// start of the data there is no rest pose to compare with: the first sample is taken as the rest
// pose, so data starting mid-rise may yield one partial rep if it passes the guards.
//
// Fixed capacity (from nominal_rate_hz and max_rep_s), no allocation per sample. Not thread-safe.
class RepDetector {
 public:
  explicit RepDetector(const RepDetectorParams& params);

  // 'sample' with the fused 'sensor_to_earth' orientation after that sample.
  RepDetectorOutput Update(const ImuSample& sample, const Quaternion& sensor_to_earth);

  // Samples are missing up to 'time': a rep in progress is discarded, never invented (see the
  // class comment for the one that had already come back).
  void MarkGap(Time time);
  // End of the data: completes a rep that is back near its start (as at a gap) and returns the
  // oldest rep not yet returned.
  std::optional<Rep> Finish();
  // A new set begins: forget the movement axis and amplitude learned so far.
  void Reset();

  RepDetectorDiagnostics diagnostics() const;
  const RepDetectorParams& params() const { return params_; }

 private:
  enum class State : std::uint8_t { kIdle, kRising, kFalling, kEnding };
  struct Entry {
    std::int64_t time_ns = 0;
    Vec3 gravity;  // unit, sensor frame
    Vec3 gyro_rad_s;
    double angle_deg = 0.0;
    double speed_deg_s = 0.0;
    double still_s = 0.0;  // time the limb has been at rest, up to this sample
  };

  Entry& At(std::int64_t index) { return buffer_[static_cast<std::size_t>(index % capacity_)]; }
  const Entry& At(std::int64_t index) const {
    return buffer_[static_cast<std::size_t>(index % capacity_)];
  }
  // 'first': the axis of a new lock, measured without hysteresis.
  void SetAxis(const Vec3& axis, bool first);
  void LockAxis();
  // Extremes of the angle integrated from the gyro about the axis over samples first..last,
  // relative to the angle at 'first' (so high_deg >= 0 >= low_deg).
  struct GyroRange {
    double low_deg = 0.0;
    double high_deg = 0.0;
  };
  GyroRange IntegrateGyro(std::int64_t first, std::int64_t last) const;
  void ComputeAngle(std::int64_t index);
  void Step(std::int64_t index);
  // Measures the rep that ends at 'end_index' and, if it passes the guards, accepts it (or,
  // with 'hold', keeps it in held_rep_ for a decision after a gap).
  void CompleteRep(std::int64_t end_index, bool at_gap, bool hold = false);
  // Updates the set's amplitude and queues the rep.
  void AcceptRep(const Rep& rep);
  void PushRep(const Rep& rep);
  void ClearSet();
  // The oldest sample still in the buffer and after the last gap.
  std::int64_t OldestIndex() const;

  RepDetectorParams params_;
  std::int64_t capacity_;
  std::vector<Entry> buffer_;  // ring, sized once
  std::int64_t next_index_ = 0;   // index of the next sample
  std::int64_t floor_index_ = 0;  // first sample after the last gap/reset

  MovementAxisEstimator axis_estimator_;
  int axis_update_every_;
  int samples_since_axis_update_ = 0;
  bool axis_locked_ = false;
  Vec3 axis_;       // unit, sensor frame, sign fixed
  Vec3 reference_;  // unit, perpendicular to axis_: the zero of the angle
  Vec3 binormal_;   // axis_ x reference_
  Vec3 reference_gravity_;
  bool gravity_angle_ = true;

  // Rest detection.
  double still_s_ = 0.0;
  bool has_previous_time_ = false;
  std::int64_t previous_time_ns_ = 0;

  // Rep state machine, indices into the buffer.
  State state_ = State::kIdle;
  // False after a gap (or lock) until the limb was seen slow: a rep may only start from a rest
  // pose we saw, never from the middle of a movement that began during the gap.
  bool base_valid_ = false;
  // After a gap: the rest pose seen before it, and whether it still applies (see MarkGap).
  bool has_rest_level_ = false;
  double rest_level_deg_ = 0.0;
  bool after_gap_ = false;
  std::int64_t last_end_index_ = -1;  // end of the previous rep, for the start search
  double base_deg_ = 0.0;
  std::int64_t base_index_ = 0;
  // The rest pose is the first sample of the data, taken while moving: the rep's true start
  // was before the data (and the orientation was still settling there).
  bool base_unseen_ = false;
  double rep_base_deg_ = 0.0;
  std::int64_t rep_base_index_ = 0;
  bool rep_base_unseen_ = false;
  // The rest pose carried over a gap while the limb was already moving away from it: the rep
  // began in the gap, and its range is measured from the gyro (see CompleteRep).
  bool base_in_gap_ = false;
  bool rep_started_in_gap_ = false;
  std::int64_t cross_index_ = 0;
  double peak_deg_ = 0.0;
  std::int64_t peak_index_ = 0;
  double min_deg_ = 0.0;
  double rep_peak_speed_deg_s_ = 0.0;

  // A rep cut by a gap on its way back: counted if the first sample after the gap is within
  // held_return_deg_ of the pose it started from (held_base_deg_, or held_base_gravity_ when the
  // angle is integrated from the gyro).
  bool has_held_rep_ = false;
  Rep held_rep_;
  double held_base_deg_ = 0.0;
  Vec3 held_base_gravity_;
  double held_return_deg_ = 0.0;
  // For a rep whose start was not seen: counted if the limb came down from held_peak_deg_ by at
  // least held_min_rom_deg_.
  bool held_base_unseen_ = false;
  double held_peak_deg_ = 0.0;
  double held_min_rom_deg_ = 0.0;

  // Amplitude of the set: last accepted ROMs (ring).
  static constexpr int kRomHistory = 5;
  std::array<double, kRomHistory> roms_deg_{};
  int rom_count_ = 0;
  double amplitude_deg_ = 0.0;
  bool has_previous_end_ = false;
  Time previous_end_;

  // Reps completed but not yet returned (a replay or a gap can complete more than one).
  static constexpr int kPendingCapacity = 4;
  std::array<Rep, kPendingCapacity> pending_{};
  int pending_count_ = 0;

  std::int64_t rejected_reps_ = 0;
  std::int64_t dropped_by_gap_ = 0;
  std::int64_t abandoned_ = 0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_REP_DETECTOR_H_
