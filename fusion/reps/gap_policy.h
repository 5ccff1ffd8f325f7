#ifndef AMBI_FUSION_REPS_GAP_POLICY_H_
#define AMBI_FUSION_REPS_GAP_POLICY_H_

#include <cstdint>
#include <optional>

#include "fusion/core/imu_sample.h"

namespace ambi::fusion {

struct GapPolicyParams {
  // Gaps up to this long are bridged: the missing samples are interpolated from the samples on
  // either side and the rep in progress goes on. A Bluetooth link drops bursts of 1-10 samples
  // (40-400 ms at 25 Hz); over a few hundred ms the angular velocity of a rep is close to linear,
  // so the interpolated gyro carries the orientation and the angle through. Longer gaps can hide
  // a whole turnaround or rep: they are cut (the rep in progress is judged by the cut-gap rules).
  double bridge_max_s = 0.3;
  // The tolerance of "back at the pose it started from" and "still at the rest pose seen before
  // the gap" after a cut gap, as a fraction of the rep's excursion (or the set's amplitude when
  // larger): the same fraction that ends a rep (RepDetectorParams::end_frac).
  double return_frac = 0.35;
  // Whether the limb came back during a cut gap is judged at the first sample after it (or,
  // found still coming back fast, where it slows), where the fused tilt is still the one carried
  // over the gap: the filter re-anchors it on gravity only once the limb has been still for a
  // while (MadgwickSettings::restart_rest_s). At a still sample the accelerometer is gravity,
  // so there it tells the pose instead: turning slower than this (the filter's own stillness
  // after a gap) ...
  double quiet_gyro_rad_s = 0.1;
  // ... with |accel| within this of g. Not looser: a limb starting to move at 20 deg/s may read
  // |accel| within 0.5 of g yet 15 deg off gravity (the tangential acceleration of a lateral
  // raise's 0.6 m lever is across the arm and barely changes the norm).
  double quiet_accel_m_s2 = 0.3;
  // A rep cut on its way up goes on after the gap when the first sample after it finds the limb
  // still up from the rep's start, and the gap was no longer than this fraction of the rise seen
  // before it: to come back down and rise again to where it was found, the limb would have
  // turned twice as far as it had risen, in less time than it took to rise that far. Its
  // turnaround lay in the gap (a delivery stall at the top of a squat): it rose and it comes
  // back, so it counts, marked bridged, its range read from the highest sample seen.
  double rise_resume_max_gap_frac = 1.0;

  bool operator==(const GapPolicyParams&) const = default;
};

enum class GapAction : std::uint8_t {
  kBridge,  // fill the gap from the samples on either side; the rep goes on, marked bridged
  kCut,     // the data cannot say what happened: the rep in progress is judged or dropped
};

// Part 3 of rep segmentation: what a gap of 'gap_s' seconds (time without samples, from the
// last sample before it to the first after) does.
GapAction DecideGap(const GapPolicyParams& params, double gap_s);

// The k-th (1-based) of 'missing' samples in a bridged gap between 'before' and 'after': time,
// accelerometer, gyro and magnetometer linearly interpolated. The angular velocity of a rep is
// smooth, so over a short gap this is close to what the sensor measured; the orientation filter
// then integrates it as it would the real samples.
ImuSample BridgeSample(const ImuSample& before, const ImuSample& after, std::int64_t k,
                       std::int64_t missing);

// The same with the gyro on the parabola through 'earlier' (the sample just before 'before'),
// 'before' and 'after'. A rep's angular velocity is curved wherever the limb speeds up or slows
// down: slowing into the turnaround (a minimum-jerk curl) it falls fast and then flattens, and
// the straight line from 'before' to 'after' lies above it. Over 200 ms lost at a curl's
// turnaround that line turned the limb 2-4 deg too far; the parabola follows the slowing. Where
// the three samples run one way, the fill stays between 'earlier' and 'after', axis by axis:
// 'earlier' and 'before' lie a period apart and 'after' up to ten periods on, so the parabola
// carries the slope at 'before' across the gap. A shank slowing hard as its foot lands (say
// -223, then -58 deg/s, seven samples lost at 50 Hz, then -5) is filled turning back up at up to
// 250 deg/s, a rise that a simulated step-up's detector took for a rep's start. Where 'before'
// is a peak, the parabola's peak beyond it is kept: clamped there, a curl that lost its fastest
// 200 ms at 25 Hz read its range 5 deg off. Where 'earlier' lies less than half the fill's spacing
// before 'before' (a burst stamped all at once), the two say nothing of a curve: the line is kept.
ImuSample BridgeSampleCurved(const ImuSample& earlier, const ImuSample& before,
                             const ImuSample& after, std::int64_t k, std::int64_t missing);

// The same, for a loss found one sample late (ClockUpdate::missing_before_previous): the samples
// were lost between 'before' and 'late', but 'late' was already passed on right after 'before'.
// The bridged samples carry the values interpolated between 'before' and 'late' (what was lost)
// at times between 'late' and 'after' (session time only goes forward). Over a rep the rotation
// about its axis then adds up to what the sensor turned; interpolating from 'late' to 'after'
// instead repeats the late part of the loss and overstates a fast rep by up to 15 deg at 25 Hz.
ImuSample BridgeSampleFoundLate(const ImuSample& before, const ImuSample& late,
                                const ImuSample& after, std::int64_t k, std::int64_t missing);

// Two losses a sample apart, found at once: 'lost_before_late' samples between 'before' and
// 'late' (already passed on right after 'before'), the rest of 'missing' between 'late' and
// 'after'. The k-th of all of them, in order: values interpolated within its own loss, times
// evenly between 'late' and 'after' (session time only goes forward). Each loss is short enough
// to bridge, so the sample between them is not a reason to cut both.
ImuSample BridgeSampleTwoLosses(const ImuSample& before, const ImuSample& late,
                                const ImuSample& after, std::int64_t k,
                                std::int64_t lost_before_late, std::int64_t missing);

// After a cut gap, a rep that was past its turnaround but not yet back when the gap began is
// judged by the first sample after the gap.
struct CutRepReturn {
  // From the pose the rep started from to the first sample after the gap (deg): the angle
  // difference for gravity angles (absolute across a gap), the tilt of gravity for gyro angles
  // (those restart at a gap).
  double from_start_deg = 0.0;
  // The rep's excursion before the gap and the set's amplitude (deg; 0 before the first rep).
  double excursion_deg = 0.0;
  double amplitude_deg = 0.0;
  // The start pose was not seen (the data began mid-rise, the orientation still settling) and
  // the angle is gravity-based: then the descent from the peak is what can be trusted.
  bool start_unseen = false;
  double descent_from_peak_deg = 0.0;
  double min_rom_deg = 0.0;  // the rep's minimum ROM (the set's floor)
};
// Earth-up (unit, sensor frame) as the accelerometer reads it at a still sample (see
// quiet_gyro_rad_s); none while the limb moves, when only the fused tilt can tell.
std::optional<Vec3> QuietUp(const GapPolicyParams& params, const Vec3& accel_m_s2,
                            const Vec3& gyro_rad_s);

// True: the limb was found back, the rep ended in the gap and counts. False: the data cannot say
// whether the rep came back; it is dropped (and the gap event says so).
bool CameBackDuringGap(const GapPolicyParams& params, const CutRepReturn& cut);

// After a cut gap, a rep that was still rising when the gap began.
struct CutRise {
  double rose_s = 0.0;  // from the rest pose the rise left to the gap
  double gap_s = 0.0;   // from the last sample before the gap to the first after it
  // From the pose the rep started from to the first sample after the gap (a gravity angle,
  // absolute across the gap), and the least a rep rises before it counts as started.
  double from_start_deg = 0.0;
  double start_deg = 0.0;
};

// True: the rise went on through the gap, and the rep goes on from the first sample after it.
// False: the data cannot say what the limb did in the gap; the rep is dropped.
bool RiseWentOnThroughGap(const GapPolicyParams& params, const CutRise& cut);

// After a cut gap, whether the rest pose seen before the gap still applies: the first sample
// after the gap is within return_frac of the set's amplitude (at least 'near_min_deg') of it.
// Otherwise the limb is mid-movement and no rep may start until it has been seen slow, so the
// part of a rep hidden in the gap is never invented.
bool RestPoseCarriesOver(const GapPolicyParams& params, double angle_deg,
                         double rest_before_gap_deg, double amplitude_deg, double near_min_deg);

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_GAP_POLICY_H_
