#ifndef AMBI_FUSION_REPS_REP_DETECTOR_H_
#define AMBI_FUSION_REPS_REP_DETECTOR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/reps/gap_policy.h"
#include "fusion/reps/movement_axis.h"
#include "fusion/reps/rotation_centre.h"
#include "fusion/reps/segment_angle.h"

namespace ambi::fusion {

// Every threshold of rep segmentation, each with its reason. The three parts have their own
// params (axis, angle, gap); the rest belongs to the state machine.
struct RepDetectorParams {
  Phase first_phase = Phase::kConcentric;  // from the exercise catalog
  double nominal_rate_hz = 100.0;          // fixes buffer capacities

  MovementAxisParams axis;
  SegmentAngleParams angle;
  GapPolicyParams gap;
  RotationCentreParams centre;
  // The centre (RepRotation::offset_m) is measured where the rep screen can decide by it: the
  // first centre_first_reps reps since the set's amplitude was learned afresh, and reps under
  // centre_rom_frac of it (RepScreenParams::edge_centre_rom_frac). Measuring every rep slows the
  // whole pipeline by a quarter (ambi-bench-pipeline); these, by about 4 %.
  int centre_first_reps = 2;
  double centre_rom_frac = 0.75;
  // The axis is recomputed this often (a 3x3 eigen problem) and applied only between reps, so
  // the angle of a rep in progress is measured about one axis.
  double axis_update_period_s = 0.1;

  // A time step longer than this many nominal periods is a gap the clock did not report (or a
  // clock jump): rest timing then counts one nominal period, not the jump.
  double max_step_periods = 5.0;

  // Rest: the whole gyro stays below rest_gyro_rad_s for rest_min_s. At rest the rest pose is
  // re-anchored to the current (gravity-based) angle. Looser thresholds take slow reps for rest.
  double rest_gyro_rad_s = 0.15;  // ~8.6 deg/s
  double rest_min_s = 0.3;
  // A fill says nothing of stillness: its gyro is interpolated from the samples around it, still
  // before a movement began in it. Rest runs on across a bridged gap only where the limb's tilt
  // after it lies within this of its tilt before it (at rest a fill's carried tilt and the check
  // after it differ by 0.0-0.2 deg). A lateral raise at 25 Hz lost 0.24 s as it began to rise,
  // the tilt check later found 9 deg the fill had missed, and the rest pose, taken up its rise,
  // read its way down a swing.
  double fill_moved_deg = 3.0;
  // Once the set has reps, rest is judged against the set's own speed: the gyro below
  // rest_speed_frac of the median peak speed of its last reps (never above rest_gyro_rad_s, never
  // below rest_gyro_min_rad_s). A slow, small exercise (a 10 deg leg raise peaks at 12 deg/s)
  // turns slower than rest_gyro_rad_s through most of each rep, so its hold and its slow descent
  // would read as rest and cut the rep short. The floor stays above a held limb's tremor and the
  // gyro's noise (1-2 deg/s). Sets faster than rest_gyro_rad_s / rest_speed_frac (29 deg/s at
  // their peak) are not affected.
  double rest_speed_frac = 0.3;
  double rest_gyro_min_rad_s = 0.05;  // ~2.9 deg/s

  // Hysteresis, adapting to the set's amplitude A (median ROM of the last accepted reps):
  // a rep starts when the angle rises max(start_min_deg, start_frac * A) above the rest pose,
  // (start_set_min_deg instead of start_min_deg once the set has an amplitude),
  // turns around when it falls max(turn_min_deg, turn_frac * excursion) below its peak, and ends
  // once back within end_frac * excursion of its start and the limb stops descending.
  double start_min_deg = 6.0;
  // Once the limb has done reps the floors follow the set's own amplitude: a heel raise turns
  // the shank only 5-10 deg, consistently. (A set rest forgets that amplitude, not these.) These
  // absolute floors stay well above the gravity angle's noise at rest (< 1 deg).
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
  // A swing through the rest pose is not a rep: an exercise leaves the pose the limb rests in
  // and comes back to it, a pendulum (an arm swinging while walking) passes through it to the
  // other side. A rep past its turnaround that started or goes below the pose the limb last
  // rested still in by max(swing_min_deg, swing_frac * its rise above that pose) is a swing, and
  // is not counted. 0.4: a leg set down lower after a slow rep settles a quarter of its rise
  // below where it started; an arm swings further forward than back when walking (31 deg
  // forward, 14 back: 0.45), so a pendulum's far side can be under half its near one. Lower
  // takes a rep whose return a loss burst misplaced for a swing.
  double swing_min_deg = 6.0;
  double swing_frac = 0.4;
  // ... and a stance, whose return is read against the pose stood in before its step, by this
  // much more where turning was filled since that pose: the fill may have missed part of the
  // step's turn, and the tilt check once the limb is still keeps an error under 8 deg
  // (MadgwickSettings::bridge_keep_tilt_rad, as a limb that looks still may hold 3-4 deg of its
  // own acceleration). Lossy lunges' stances came back 6-8 deg "below" standing and were taken
  // for swings. Only a stance after a filled step has it.
  double swing_filled_allow_deg = 8.0;
  // A step carries the limb elsewhere: a leg stepping out swings and lands with the foot 0.5-1 m
  // ahead, and steps back the same way; a rep about a joint brings the sensor back to where it
  // started. The accelerometer across the vertical (gravity has no part there; the vertical
  // carried from the first sample by the gyro, as the fused one leans towards the acceleration
  // looked for), integrated twice between two moments the limb stopped (velocity zero at both,
  // which also removes a constant error), tells one from the other. A movement that ends more
  // than step_min_m from where it started is a step, never a rep. A rep that starts where a
  // step landed, below the pose the limb stood still in before it (a lunge's front shank lands
  // reaching forward, foot ahead of the knee), is the stance: judged by its return to that pose
  // alone (it did not swing through it) and measured from it (the shank's tilt from standing).
  // In the simulator a lunge's step moves the ankle sensor 0.68 m, its 3 s stance 0.15 m.
  double step_min_m = 0.3;
  // ... beyond what turning the segment moved it: a movement that ends tilted another way than
  // it began (a rep seen from its turnaround on, after a gap) moved the sensor along an arc
  // about the joint, up to 2 step_lever_m sin(tilt / 2) away. A wrist sensor is 0.55 m from the
  // shoulder. A lunge's landing is 15 deg from standing: 0.16 m of the 0.7 m step.
  double step_lever_m = 0.6;
  // ... for an ankle sensor (SessionPipeline sets step_lever_m to it): none. Between two stops
  // the foot stands on the floor, and the shank tilts about the ankle right below the sensor,
  // moving it a few centimetres, within the travel's own error. A shank turned about the knee
  // swings the foot, which comes back (a rep) or lands elsewhere (a step). Taken about the knee
  // (0.45 m), a short lunge's step out judged as it landed (0.36 m read, 11 deg tilted: 0.09 m
  // of arc) came under step_min_m and counted as a rep.
  double ankle_step_lever_m = 0.0;
  // ... from a start where the limb turned slower than this about the axis: a rep whose start
  // was found where the limb reversed (still turning the other way) did not start from a stop.
  // The landing, where a stance starts, is the lowest sample, and at 25 Hz the shank still
  // turns at 20-55 deg/s there (about the planted ankle: the sensor barely moves); it is not
  // judged by its turn.
  double step_start_speed_max_deg_s = 17.0;
  // ... over at most this long: a step takes 0.5-1 s. A tilt error that grows (a gyro bias)
  // moves the integrated position with the cube of the span: 0.7 deg/s of bias, 0.03 m in
  // 1.5 s, 0.26 m in 3 s.
  double step_max_s = 1.5;
  // An exercise that climbs (Exercise::climbs: a step-up, a box jump) carries the body up onto
  // something and back down, and the sensor's height tells its steps: with 'climbing' set, a
  // movement that rose or fell by more than step_rise_min_m over at most step_rise_max_s is a
  // step as well. The vertical is read over longer than the horizontal travel, as an error in
  // the carried vertical leaks gravity into the height by g (1 - cos error) only, not by
  // g sin error. A stair is 0.15-0.2 m high, a step-up box 0.2-0.5 m; a step-up's leading leg
  // takes 1.5-2.6 s from the floor to standing tall on the box. Turning the shank about the knee
  // by its tilt from standing lifts an ankle sensor by up to step_rise_lever_m (1 - cos tilt):
  // the knee is 0.35-0.45 m above it (a leading leg lands on a 0.2 m box with its shank 20-30
  // deg forward, the sensor 0.18-0.19 m up; with the arm's 0.6 m lever it read as the knee's rep).
  // Only for an exercise that climbs: over seconds the height read from the accelerometer is
  // off by as much as a box elsewhere (simulated straight-leg raises at 25-50 Hz read 0.25-0.41 m
  // over 2-4 s, the real tuning recordings' movements 0.2-3.4 m, where they end mid-movement).
  bool climbing = false;
  double step_rise_min_m = 0.15;
  double step_rise_max_s = 4.0;
  double step_rise_lever_m = 0.4;
  // ... read only between two moments the limb was really still, so that its velocity was zero
  // there: the accelerometer within step_still_accel_m_s2 of gravity and the gyro under
  // step_still_gyro_deg_s. A rep's end found mid-movement (a real recording cut one file per
  // rep) had its accelerometer 4-26 m/s^2 off gravity or its gyro at 20-170 deg/s; a simulated
  // step-up's ends are mostly within 1.5 m/s^2 and 10 deg/s, but a step down's end, found where
  // the shank stops turning, may be in the tail of the landing's braking: 2.1-2.4 m/s^2 off at
  // 7-9 deg/s (drawn sessions, 25-200 Hz), with about 0.01 m/s left to stop. The real tuning
  // recordings' movements between two such still moments read at most 0.114 m over up to 4 s.
  double step_still_accel_m_s2 = 2.5;
  double step_still_gyro_deg_s = 15.0;
  // ... the start from the last such moment up to this long before the movement crossed its
  // threshold: a trailing leg's swing onto the box already accelerates the sensor by 2 m/s^2
  // there at 200 Hz.
  double step_still_before_max_s = 0.5;
  // ... and, in an exercise that climbs, failing a step over the whole movement, on each side of
  // its last pause this long (still so throughout): a leading leg pauses on the box after landing
  // and before stepping down. Longer than the single still samples a turning limb gives at 25 Hz
  // (one read as a pause found a 0.47 m step in a knee's turn), shorter than a 0.4 s stand.
  double step_pause_min_s = 0.2;
  // In an exercise that climbs, a movement is judged once the limb has settled after it (still
  // for rest_min_s), its height read up to the first still moment after its end: a step down's
  // end, found where the shank stops turning, may still be braking the landing (3.3 m/s^2 off
  // gravity in RepDetectorTest), and a tilt the gyro missed in a bridged gap is checked against
  // gravity only once the limb is still (SessionPipeline::GiveBackTiltSnap). A movement that
  // did not carry the limb that far by its end is read again where the limb settled: a leading
  // leg lands bent on the box (20-30 deg), and the body then rises over it for 1-1.5 s before it
  // stands still. It is judged at its end when the limb does not settle within
  // step_settle_max_s, or moves on into the next movement first.
  double step_settle_max_s = 2.0;
  // ... and, settled, once no loss in it can still be found: a stream timed by its arrivals finds
  // a short loss up to a few blocks later (SessionPipeline sets this from its clock and the
  // longest loss it puts back). Judged before, a step-up's way down read 0.19 m down for 0.39 m,
  // a loss of 95 ms in its fast turn found 0.38 s after it ended (and 0.1 s after the judgement).
  double late_loss_wait_s = 0.0;
  // Travel is read from the accelerometer, which a loss takes away: a bridge fills it in a
  // straight line, missing a swing's push off and its braking (lunges losing a third of a
  // step's turn read 0.19-0.33 m of 0.5-0.7 m; an eighth of it, 0.30 m). A movement seen whole
  // in which the fill carried at least step_like_filled_frac of the turning is judged by the
  // steps of its set instead: as long and as fast at its peak as a step the limb was measured
  // to take, each within step_like_tempo_ratio, it is a step too, and a rep from where
  // it landed is a stance (JudgeStance). The tempo comes from a step measured with its fill
  // under step_reference_filled_max_frac (a larger fill may also have cut its peak speed: in a
  // movement judged with more filled, a peak slower than the step's is no difference), and
  // not moving as the set's last rep did: a fill can add travel too, and a rep read as a step
  // cannot tell steps from reps. A step lasts 0.5-1 s and peaks at 200-400 deg/s, a lunge's
  // stance 2-4 s at 60-110 deg/s; a step out, swinging through standing, may peak 1.6 times as
  // fast as the step back, so a limb keeps one of each (step_into_stance_). Not in an exercise
  // that climbs: its steps pair into trips by their height, which a step judged so has not.
  double step_like_filled_frac = 0.1;
  double step_reference_filled_max_frac = 0.15;
  double step_like_tempo_ratio = 1.5;
  // ... and a fill can add travel as well as take it away (a 25 Hz curl with 0.15 of its turning
  // filled read 0.51 m). A movement read as a step across such a fill, by a limb that has
  // measured no step to judge it by, is judged by the set's reps when the set has at least this
  // many: as large and as fast at its peak as their medians, and as long and as fast as the
  // last, each within step_like_tempo_ratio, it is one of them. The median of three holds
  // against one misread rep (a lunge's first step out, filled, taken for a rep).
  int step_set_reps_min = 3;
  // The velocity left at the still end is an error, taken out where it arose. Measured samples
  // make it grow with time (a bias) and faster where the limb turns: the vertical is carried by
  // the gyro through each sample's turn, and an error in that turn leaks gravity and the limb's
  // own acceleration into it. So a measured sample's share is its time, times 1 plus this per
  // rad/s it turned (step-ups of seeds 1-100, lossy: 162 of 199 exact with 0, 166-169 with 0.5-8,
  // best at 2).
  double step_turn_weight_per_rad_s = 2.0;
  // A bridged gap makes the error jump where samples were lost: the interpolated accelerometer
  // misses a landing's braking (1.3 m/s in a lossy 25 Hz step down, which then read 0.55 m up
  // instead of 0.3 m down). So a lost sample takes this many times a measured one's time, per
  // rad/s the limb turned there: a loss while the limb barely moved misses little. The height
  // only: the tilt error a bridge leaves makes the horizontal error grow steadily from there on,
  // not jump.
  double step_lost_weight_per_rad_s = 100.0;
  // A step up and a step back down by as much, the second beginning within
  // step_trip_stand_max_s of the first's end, with no rep between them (but see
  // step_trip_stand_rom_frac), are one rep: a trip up and back (a step-up's legs, onto the box
  // and down). As much: the two heights differ by less than step_trip_mismatch_frac of the
  // larger, where both were read from measured samples only (a fill tells a step, not its
  // height nor its direction: a step read across one after a way up is its way down, and one
  // read falling less than step_rise_min_m begins a trip, which then only a step measured falling
  // step_rise_min_m, or one read across a fill, closes). Up first: a trip begins where the set
  // stands, and a measured down step then an up one would pair two trips' halves; a measured
  // down step alone is a trip only where samples lost before it could hide its way up
  // (WayUpLostBefore, within step_trip_stand_max_s). A leading leg stands on the box while the
  // body rises, holds and lowers: up to 7 s in a slow set (3 s up, 1 s at the top, 3 s down);
  // drawn simulated sets stood 4.2 s and lost the trip at 4 s.
  double step_trip_stand_max_s = 8.0;
  double step_trip_mismatch_frac = 0.5;
  // A trip's top: where the shank, on the box, first comes within this of its most upright
  // (above sway and sensor noise, below the 10-30 deg a leading leg lands tilted by). The way up
  // ends there: the leading leg's rise lifts the body after it lands; the trailing leg is at its
  // top as it lands. It leaves the top where it last is that upright, to lower and step down.
  double step_top_band_deg = 3.0;
  // A movement that is no step, under this fraction of a trip's way up (or of the last trip, the
  // larger), made while the way up waits for its way down, is the leg standing on the box: part
  // of the trip, not a rep of its own, and the trip goes on. A leading leg's landing lost in a
  // gap leaves its shank's tilt unchecked, and the body's rise over it then reads as a 15-25 deg
  // turn out and back (trips of 65-75 deg; the way up itself may read 40 deg when its landing is
  // lost). A way down misread as a rep is as large as a trip, and still counts.
  double step_trip_stand_rom_frac = 0.5;
  // Until the set has this many reps, a limb that comes to rest (still for rest_min_s) learns
  // the movement axis and its direction afresh from its next movement: motion before the set
  // (walking, picking the weights up) must not fix the axis or the sign of the set's reps. Two:
  // one rep of handling may come before the set (it passes the rep guards; RepScreen removes it).
  // A climbing set's trips count: a step-up's leading leg rests on the box after landing, and
  // learning afresh there took the rise that lifts the body for a movement of its own. Nor does
  // a limb learn afresh while a trip's way up waits for its way down, nor after a rep measured
  // from a step (a lunge's stance: no handling steps out first), where it rests in the lunge or
  // before stepping back, and learning afresh took the step back for the set's movement.
  int relearn_until_reps = 2;
  // ... and when the axis learned afresh is more than this from the one the reps so far turned
  // about, their size is forgotten: another movement (a pick-up about the shoulder's flexion
  // axis before lateral raises) says nothing of this one's, and a 45 deg pick-up would set the
  // bound of 17 deg raises at 16 deg. The reps of a set keep one axis within a few degrees.
  double amplitude_axis_max_deg = 45.0;
  // A limb at rest this long has ended its set (the pipeline's automatic sets end after as long
  // without reps): the set's amplitude and speed are forgotten and the next set learns them, and
  // its axis, from its own reps. It may be lighter, smaller or another exercise; a low-amplitude
  // set after a full one would otherwise have its first reps judged by the full set's size.
  double set_rest_s = 20.0;
  // The set's axis locks on the first 20 deg of motion (MovementAxisParams::lock_rotation_deg),
  // which a jerk about another axis can dominate (a leg rolling as it leaves the floor): the
  // axis, the rep's size and even its direction are then wrong. The set's first rep confirms
  // it (as the first rep after each relearning does): when the rep turned (its own principal
  // axis) more than this from the axis it was measured about, the axis is learned from that rep
  // and the rep measured again. The reps of a set keep one axis within a few degrees; 25 deg off
  // costs a tenth of the ROM.
  double confirm_axis_max_deg = 25.0;
  // ... and a first rep measured about an axis far from its own may never come back about it
  // (a fast leg raise read as a 20 deg wobble after a loss at its start: the "rep" ran on for
  // 20 s and took the set's next three reps with it). It is judged while it runs: once the
  // limb has turned, about any axis, this many times the rep's excursion about the measured
  // axis, and about an axis more than confirm_axis_max_deg from it, the axis is learned from
  // the rep so far. A rep about its own axis turns twice its excursion (out and back), a hold
  // adds a few degrees of noise.
  double confirm_axis_travel_factor = 4.0;
  // ... and so is any rep still running after this long, the axis confirmed or not: a rep begun
  // about the last axis (a walk's swing) while the limb went on to another movement (lateral
  // raises, about an axis at right angles) never comes back about it, and would hold every rep
  // of that set until max_rep_s. A held rep turns little (its travel stays near twice its
  // excursion); reps of a set end within 2-4 s.
  double confirm_running_rep_after_s = 4.0;

  // The exercise's smallest rep (catalog min_rom_deg; 0: not given). The absolute floors above
  // and below (start, turn, ROM, swing) and the axis lock rotation were set for reps of at least
  // min_rom_deg; an exercise whose reps are smaller (a calf raise tilts the shank 3-6 deg) scales
  // them all by exercise_min_rom_deg / min_rom_deg. Never scales them up.
  double exercise_min_rom_deg = 0.0;
  // An exercise whose smallest rep is under this is measured by the gyro: the fused tilt is off
  // by 1-3 deg at startup and after a gap (tens on a snap to gravity), the size of the rep, while
  // the gyro drifts < 0.1 deg over one rep. The return of a rep cut by a gap past its turnaround
  // is judged from that same fused tilt, so such a rep counts (it has shown its turnaround).
  double gyro_angle_below_rom_deg = 6.0;

  // Guards: a rep needs at least max(min_rom_deg, min_rom_frac * A) of ROM (min_rom_set_deg
  // instead of min_rom_deg once the set has an amplitude) and min_duration_s.
  double min_rom_deg = 8.0;
  double min_rom_set_deg = 4.0;
  double min_rom_frac = 0.35;
  double min_duration_s = 0.4;
  // A rep not finished after this is abandoned (the limb found a new rest pose); also sizes the
  // sample buffer (below).
  double max_rep_s = 30.0;
  // Buffer: (max_rep_s + buffer_extra_s) * nominal_rate_hz * buffer_rate_margin samples. The
  // extra seconds hold the rest before a rep (its start is searched back to the previous end);
  // the margin lets a sensor running faster than nominal still fit the longest rep.
  double buffer_extra_s = 2.0;
  double buffer_rate_margin = 1.5;
  // UnreturnedRepFrom reaches at most this far behind the newest sample: a slow rep with a
  // long hold is returned within it (12 deg raises: 6 s; a 10 s hold: 13 s), while a limb that
  // learns its axis buffers up to max_rep_s, too long for the other side's unpaired reps to wait.
  double unreturned_wait_max_s = 15.0;

  // Phase boundaries (start, hold at the turnaround, end) are where the angular speed about the
  // axis crosses max(timing_speed_min_deg_s, timing_speed_frac * the rep's peak speed),
  // interpolated between samples. Lower is closer to the true instant; higher resists noise.
  double timing_speed_min_deg_s = 3.0;
  double timing_speed_frac = 0.02;
  // A descent slows to its stop through the speeds between. A minimum-jerk descent of this long
  // or longer turns, at its last sample before the timing threshold, at most a fraction of its
  // peak speed that shrinks with the sample period: 40 % at 25 Hz, 17 % at 50 Hz, 8 % at 100 Hz
  // (SuddenStop). A descent that ends in one sample from faster than that is what a loss found
  // one sample late looks like: the first sample after it is passed on at the next period, the
  // limb already still there (or turning back, past a walk swing's far end). The rep ends at that
  // sample unless the next one, bridged into the loss, goes on descending.
  double sudden_stop_descent_min_s = 0.25;
  // A boundary is extrapolated from the threshold crossing to where the speed reaches zero, at
  // most max(one sample period, this) away, so noise cannot throw it far.
  double timing_extrapolate_max_s = 0.06;
  // The hold at the turnaround: with noise the highest sample of a hold can sit at its very
  // edge, so the hold is seeded from the peak or up to this many samples either side.
  int hold_seed_samples = 1;
  // Inside a hold a noise spike of up to this multiple of the timing threshold does not end it
  // while the limb stays within the hold band of the peak: max(hold_band_min_deg,
  // hold_band_frac * the rep's range). Gyro noise at rest is a few deg/s; a hold drifts < 1 deg,
  // but a raised leg may settle back 1-2 deg (6 % of a 26 deg raise, at 5-6 deg/s) before it is
  // held: with a band of 3 % that settling began a 5 s "descent". The hold still ends at its
  // last sample below the threshold, so a descent that starts slowly is not taken into it.
  double hold_spike_factor = 3.0;
  double hold_band_min_deg = 1.0;
  double hold_band_frac = 0.1;
  // A held limb may sag further (a leg held out to the side for 5 s settles 2-3 deg of 18,
  // slowly, and is then held there): the hold lasts until the last run of descent before the
  // rep's end while the limb stays within max(hold_band_min_deg, this * the rep's range) of its
  // peak. Before, the sag began the "descent", which then read 4-5 s instead of 1.
  double hold_sag_frac = 0.25;

  bool operator==(const RepDetectorParams&) const = default;
};

// What the detector says after each sample.
struct RepDetectorOutput {
  std::optional<Rep> rep;  // a rep that ended with this sample (placement/set/index unset)
  // A movement judged a pendulum swing with this sample (not a rep; its rise as rom_deg): the
  // other side's rep screen pairs it against its reps to tell gait from a set.
  std::optional<Rep> swing;
  // A movement judged carried elsewhere (a step) with this sample: no rep, but the limb did not
  // rest, which the rep screen's gait rule asks of a walk.
  std::optional<Rep> carried;
  RepRotation rep_rotation;      // what 'rep' turned about: its axis and the sensor's lever
  bool moving = false;           // the limb is not at rest
  double segment_angle_deg = 0;  // angle about the movement axis, from the rest pose
  double segment_speed_deg_s = 0;
};

// The named states of the rep state machine (part 2). Every decision depends on the state and
// the values it names, nothing else.
enum class RepState : std::uint8_t {
  kLearningAxis,  // the movement axis is not known yet: samples are buffered, then replayed
  kResuming,      // the next sample is the first after a cut gap (see MarkGap)
  kSeekingRest,   // no trusted rest pose (a cut gap found the limb moving): wait until it is slow
  kAtRest,        // at or near the rest pose; a rep starts when the angle rises past 'start'
  kRising,        // first phase, towards the turnaround
  kFalling,       // past the turnaround, not yet back near the start
  kReturning,     // back near the start; the rep ends when the limb stops descending
  kStoppedSuddenly,  // ... its descent ended in one sample from a brisk one: the next sample tells
};
const char* RepStateName(RepState state);

// Where a rest pose (the zero a rep is measured from) came from.
enum class RestOrigin : std::uint8_t {
  kSeen,            // the limb was seen at rest there, or it is the lowest point seen
  kDataStart,       // the first sample of the data, taken while moving: the true start is
                    // earlier, and the orientation was still settling there
  kCarriedOverGap,  // the pose seen before a cut gap, while the limb is already moving after
                    // it: a rep starting from it began in the gap
};

// Diagnostics, as values.
struct RepDetectorDiagnostics {
  RepState state = RepState::kLearningAxis;
  Vec3 axis;                        // sensor frame, sign such that the first phase is positive
  bool gravity_angle = true;        // false: axis near vertical, angle integrated from the gyro
  double amplitude_deg = 0.0;       // the set's amplitude A (0 until a rep was accepted)
  std::int64_t rejected_reps = 0;   // excursions that failed the ROM or duration guards
  std::int64_t dropped_by_gap = 0;  // reps in progress discarded at a cut gap
  std::int64_t abandoned = 0;       // excursions that never came back (max_rep_s)
  std::int64_t swings = 0;          // excursions that swung through the rest pose
  std::int64_t steps = 0;           // movements that carried the limb elsewhere (step_min_m)
  std::int64_t relearned = 0;       // times the axis was learned afresh at rest before the set
  std::int64_t bridged_samples = 0;
  bool axis_locked() const { return state != RepState::kLearningAxis; }
};

// The params with the exercise's smallest rep applied (exercise_min_rom_deg, above): what a
// RepDetector runs with.
RepDetectorParams ResolveForExercise(RepDetectorParams params);

// Rep segmentation of one limb segment, in three parts:
//
// 1. The segment angle (SegmentAngle) about the set's movement axis (MovementAxisEstimator: the
//    principal direction of the angular velocity), independent of how the sensor is strapped
//    on. Measured from gravity (absolute, drift-free) unless the axis is near vertical, then
//    integrated from the gyro. Until the axis is known the samples are buffered and replayed, so
//    the first rep is not lost; the axis sign makes the first phase positive.
// 2. A state machine (RepState) with hysteresis that adapts to the set's amplitude A (median ROM
//    of its last accepted reps): kAtRest -> kRising when the angle rises past max(floor,
//    start_frac A) above the rest pose; -> kFalling when it falls max(floor, turn_frac
//    excursion) below its peak; -> kReturning back within end_frac of the excursion; the rep
//    ends when the limb stops descending, and counts if it passes the ROM and duration guards.
//    At rest the rest pose follows the limb. A rep that settles short of its start ends there
//    (a new rest pose); one not finished after max_rep_s is abandoned. A rep that started or
//    returns well below the pose the limb last rested still in swung through it (gait), and is
//    not counted (swing_frac); in an exercise that climbs, not while the angle since a bridged
//    gap is unchecked against gravity (its height judges it). A movement that carried the sensor
//    elsewhere (a leg stepping out or back, step_min_m) is no rep either; a rep that starts where a
//    step landed is the stance, judged by its return to the pose stood in before the step and
//    measured from it (after a filled step, to its own return when lower). Where a fill carried
//    part of a movement's turning, its travel is judged by the limb's measured steps or, with
//    none, by the set's reps (step_like_filled_frac, step_set_reps_min). A movement run straight
//    on from a stance's return, whose travel has no still start, is judged by the measured steps
//    alone. The step into a stance is measured too (it may have ended as a swing), and
//    kept beside the last step measured as a movement: a step out and a step back differ. In an
//    exercise that climbs (climbing), a step up and one back down to where it began are one rep, a
//    trip (step_trip_stand_max_s), read from the sensor's height once the limb has settled after
//    each step (step_settle_max_s); a movement that goes on from the last one without a stop
//    between is that one going on, judged with it as one rep (a trailing leg's stand on the box
//    lost in a gap). Until the set has relearn_until_reps reps, the limb coming to rest learns the
//    axis and its direction afresh (kLearningAxis) from its next movement, so walking or picking
//    the weights up before the set fixes neither.
// 3. A gap policy (gap_policy.h). The caller bridges short gaps (DecideGap: kBridge): the
//    missing samples are interpolated (BridgeSample) and fed with 'bridged' set; the rep goes
//    on and is marked bridged. A cut gap (MarkGap) ends what the data can no longer follow:
//    a rep back near its start (kReturning) completes at the last sample before the gap; one
//    past its turnaround but not yet back waits for the first sample after the gap (kResuming)
//    and counts when that finds the limb back (CameBackDuringGap; where the limb is still
//    there, read from its accelerometer, as the fused tilt is still the one carried over the
//    gap); found still coming back too fast for that, it is judged where the limb slows
//    (FollowHeldRep); else it is dropped and counted in dropped_by_gap. One still rising goes on if
//    the first sample after the gap finds the limb still up and the gap was too short to come down
//    and rise again (RiseWentOnThroughGap; gravity angles only): its turnaround lay in the gap,
//    and it is marked bridged. Otherwise it is dropped.
//    After the gap the rest pose seen before it carries over when the limb is still near it
//    (RestPoseCarriesOver) and not coming back down; a rep that starts from it while the limb
//    was already moving began in the gap (kCarriedOverGap) and takes its ROM from the gyro,
//    because the orientation carried over the gap may be stale.
//    An exercise with reps smaller than the fused tilt's error (exercise_min_rom_deg) is
//    measured by the gyro throughout, and its rep cut past the turnaround counts.
//    Otherwise (kSeekingRest) no rep starts until the limb was seen slow, so the part of a rep
//    hidden in a gap is never invented.
//
// The first sample of the data is taken as the rest pose; if the limb is moving there
// (kDataStart) the rep's start was not seen, and a cut gap on its way back judges it by its
// descent from the peak instead.
//
// Which reps belong to an exercise set (handling, gait, a limb that only follows the body) is
// decided per set from all sides' reps (RepScreen), not here.
//
// Fixed capacity (from nominal_rate_hz and max_rep_s), no allocation per sample. Not thread-safe.
class RepDetector {
 public:
  explicit RepDetector(const RepDetectorParams& params);

  // 'sample' with the fused 'sensor_to_earth' orientation after that sample. 'bridged': the
  // sample was interpolated across a short gap (BridgeSample), not measured. 'lost_in_step_s':
  // its time step includes samples lost earlier (ClockUpdate::late_loss_step), whose rotation
  // comes through AddLostRotation: the gyro is integrated over the step less it. Negative where
  // the clock shortened the step (ClockUpdate::shortened_step): the sample spans more. The output
  // is the detector's own, valid until the next call.
  const RepDetectorOutput& Update(const ImuSample& sample, const Quaternion& sensor_to_earth,
                                  bool bridged = false, double lost_in_step_s = 0.0);

  // A cut gap: samples are missing up to 'time' (see the class comment).
  void MarkGap(Time time);
  // Samples lost just before sample 'first_index' were found only now (an arrival-time stream's
  // short loss, SampleClock::late_loss_samples), after that sample and the later ones had gone
  // on. 'lost_rad' is the rotation they carried (sensor frame, integrated gyro), 'lost_s' their
  // time; 'corrected_up' the earth-up in the sensor frame of samples first_index..the newest,
  // from the orientation with that rotation added. The angles from first_index on are measured
  // again, and the poses kept (rest, still, and the rep in progress's peak, start pose, lowest
  // point and whether it is a stance) follow them; a rep in progress they show already back and
  // still ends there (EndRepReturnedInCorrectedSpan). Nothing when first_index has left the
  // buffer or the span does not reach the newest sample. Also the tilt found wrong after a bridged
  // gap (SessionPipeline::GiveBackTiltSnap): 'lost_rad' and 'lost_s' zero, the up corrected from
  // the gap on.
  void AddLostRotation(std::int64_t first_index, const Vec3& lost_rad, double lost_s,
                       std::span<const Vec3> corrected_up);
  // The index the next sample will have (samples so far, bridged ones included).
  std::int64_t next_index() const { return next_index_; }
  // End of the data: completes a rep that is back near its start (as at a gap; with the gyro
  // angle of a small exercise, one past its turnaround too) and returns the oldest rep not yet
  // returned (and, if 'rotation', what it turned about).
  std::optional<Rep> Finish(RepRotation* rotation = nullptr);
  // A new set begins: forget the movement axis and amplitude learned so far.
  void Reset();
  // The reps counted lately were not a set's (the rep screen found them gait): the set's size
  // is forgotten, and until the set has reps its axis is learned afresh at the limb's next rest.
  void DisownSet() { ForgetSetShape(); }

  RepDetectorDiagnostics diagnostics() const;
  RepState state() const { return state_; }
  // Where a rep not yet returned may still begin: while in a rep, after the previous rep's end;
  // across a cut gap, the held rep's start; while the axis is learned, where the limb first
  // moved since (the replay can find reps there). Empty between reps and for a limb still since
  // the learning began; never further back than unreturned_wait_max_s. The pairing waits for it.
  std::optional<Time> UnreturnedRepFrom() const;
  const RepDetectorParams& params() const { return params_; }

 private:
  struct Entry {
    std::int64_t time_ns = 0;
    double dt_s = 0.0;  // since the previous sample (one nominal period across a jump)
    Vec3 gravity;       // unit, sensor frame
    Vec3 gyro_rad_s;
    Vec3 accel_m_s2;
    double angle_deg = 0.0;
    double speed_deg_s = 0.0;
    double still_s = 0.0;  // time the limb has been at rest, up to this sample
    bool bridged = false;
    // Samples lost earlier and found late (RepDetector::Update's lost_in_step_s): the step from
    // the previous sample spans their time, although they were lost where the clock located
    // them (lost_before_s there), or not located.
    double lost_in_step_s = 0.0;
    // Rotation lost just before this sample and found later (AddLostRotation), rad, sensor
    // frame: the gyro angle and the gyro integrals add it. 'lost_before_s' is those samples'
    // time, which the step from the previous sample does not span.
    Vec3 lost_rad;
    double lost_before_s = 0.0;
  };
  struct RestPose {
    double angle_deg = 0.0;
    std::int64_t index = 0;
    RestOrigin origin = RestOrigin::kSeen;
  };
  // The rep in progress (kRising, kFalling, kReturning).
  struct RepInProgress {
    RestPose base;
    std::int64_t cross_index = 0;  // where the angle crossed the start threshold
    double peak_deg = 0.0;
    std::int64_t peak_index = 0;
    double min_deg = 0.0;  // lowest angle while kReturning
    double peak_speed_deg_s = 0.0;
    // kFalling: the limb's current still run began where it turned (a hold, not a set-down);
    // judged once per still run.
    bool held_still = false;
    // It started where a step landed, below the pose the limb stood still in before the step:
    // a stance (step_min_m), judged by its return to that pose and measured from it.
    std::optional<double> stance_from_deg;
    // The step into the stance had a fill: the tilt since may be off by what the fill missed.
    bool stance_step_filled = false;
    std::int64_t stop_index = 0;  // kStoppedSuddenly: the sample it stopped at
    // Its turnaround lay in a cut gap: it rose before the gap and went on after it
    // (RiseWentOnThroughGap). Its samples before the gap are part of it.
    bool turnaround_in_gap = false;
  };
  // A rep cut by a gap on its way back, judged by the first sample after the gap.
  struct HeldRep {
    Rep rep;
    CutRepReturn cut;  // from_start_deg and descent_from_peak_deg are filled in after the gap
    double base_deg = 0.0;
    Vec3 base_gravity;
    double peak_deg = 0.0;
    RepRotation rotation;  // the rep's own rotation (RepRotationAxis, RepCentreOffset)
  };

  Entry& At(std::int64_t index) { return buffer_[static_cast<std::size_t>(index % capacity_)]; }
  const Entry& At(std::int64_t index) const {
    return buffer_[static_cast<std::size_t>(index % capacity_)];
  }
  bool BetweenReps() const;
  // The rep in progress, up to 'index', was a pendulum swing: counted, returned as
  // RepDetectorOutput::swing, and the limb is at rest from 'index' (swinging_ until still).
  void EndAsSwing(std::int64_t index);
  void LockAxis();
  // Locks 'axis' (sensor frame, unit), takes the direction from the buffer and replays it.
  void LockAxisTo(const Vec3& axis);
  // Extremes of the angle integrated from the gyro about the axis over samples first..last,
  // relative to the angle at 'first' (so high_deg >= 0 >= low_deg).
  struct GyroRange {
    double low_deg = 0.0;
    double high_deg = 0.0;
  };
  GyroRange IntegrateGyro(std::int64_t first, std::int64_t last) const;
  // Still at 'angle_deg' after a gap, away from the rest pose left before it on the side the
  // reps go (a gravity angle, comparable across the gap): a rep's hold the gap cut into, not a
  // rest pose, so the axis and the direction are not learned afresh from there (at the top of a
  // raise the next movement is the way back down). Forgets that pose once the limb is back
  // near it.
  bool HeldAwayFromRestBeforeGap(double angle_deg);
  void ComputeAngle(std::int64_t index);
  void Step(std::int64_t index);
  void Resume(std::int64_t index);
  // Whether the rep held over a cut gap (held_) came back to its start, read at 'entry': the
  // pose its accelerometer reads where the limb is still (resume_up_), else the fused tilt.
  bool HeldRepCameBack(const Entry& entry);
  // The held rep's limb is still descending fast at 'entry', and not still enough for its
  // accelerometer to read the pose (no resume_up_): it is followed until it slows.
  bool HeldLimbStillComingBack(const Entry& entry) const;
  // The held rep was still coming back at the first sample after the gap, too fast for the
  // accelerometer to read its pose: it is judged at the first sample 'index' where it slows (a
  // 25 Hz squat whose link stalled 0.32 s on its way down was found 14 deg up of 35, still
  // descending at 36 deg/s, and came to rest 4 samples later), and dropped if it turns up again
  // first.
  void FollowHeldRep(std::int64_t index);
  // A held rep still followed when a new gap begins or the data ends: the data cannot say.
  void DropHeldRepFollowed();
  void StepBetweenReps(std::int64_t index);
  void StepInRep(std::int64_t index);
  double Threshold() const;
  // The descent (kReturning) ended at 'index' in one sample, faster than a minimum-jerk descent
  // of sudden_stop_descent_min_s can (RepDetectorParams::sudden_stop_descent_min_s).
  bool SuddenStop(std::int64_t index) const;
  // Measures the rep that ends at 'end_index' and, if it passes the guards, returns it.
  std::optional<Rep> MeasureRep(std::int64_t end_index, bool at_gap);
  void CompleteRep(std::int64_t end_index, bool at_gap);
  // After AddLostRotation: the rep in progress, its angles corrected from 'first_index' on, may
  // have returned there already; it ends where it did, and the samples since are stepped again.
  void EndRepReturnedInCorrectedSpan(std::int64_t first_index);
  // The principal axis of the rotation over samples first..last (sign as the set's axis): what
  // the rep itself turned about. The set's axis, by which its angle was measured, was learned
  // before it and may have locked on a first jerk about another axis.
  Vec3 RepRotationAxis(std::int64_t first, std::int64_t last) const;
  // The sensor's offset from the centre turned about across 'axis' (the rep's own,
  // RepRotationAxis) over samples first..last (RotationCentreFit; bridged ones carry earth-up
  // but add no equation), zero when they do not tell.
  Vec3 RepCentreOffset(std::int64_t first, std::int64_t last, const Vec3& axis) const;
  // The set's first rep turned about another axis than the one it was measured about: learn the
  // axis from that rep and measure the buffer again (confirm_axis_max_deg).
  void RelockOnFirstRep();
  // The rep still running at 'index' (the unconfirmed axis's first, or one running longer than
  // confirm_running_rep_after_s) turned mostly about another axis (confirm_axis_travel_factor):
  // relock on it now rather than when it ends.
  void CheckRunningRep(std::int64_t index);
  // How long the rep in progress has run at 'index' (since it crossed the start threshold).
  double RunningS(std::int64_t index) const;
  // Updates the set's amplitude and queues the rep.
  void AcceptRep(const Rep& rep, const RepRotation& rotation);
  // Queues the rep and takes its end as the limb's rest, without sizing the set by it (a trip).
  void QueueRep(const Rep& rep, const RepRotation& rotation);
  void PushRep(const Rep& rep, const RepRotation& rotation);
  void ClearSet();
  // The set's shape is forgotten (set_rest_s, a walk's last swing, gait): its reps' size and
  // speed, its trips, and the steps its limb was measured to take. A step remembered from a walk
  // judged a set's filled reps by its tempo (a wrist carried 1.3 s at 140 deg/s, then lateral
  // raises of 1.8 s at 100 deg/s with a tenth of their turning filled, all taken for steps).
  void ForgetSetShape();
  // How far the sensor moved from sample 'first' to 'last', both taken as moments the limb
  // stopped (step_min_m): across the earth's vertical (0 over more than step_max_s) and up
  // (negative: down; only when 'climbing', 0 over more than step_rise_max_s or where the limb
  // was not still at both: step_still_accel_m_s2). Both 0 where nothing can be told.
  struct Travel {
    double across_m = 0.0;
    double rise_m = 0.0;
  };
  Travel SensorTravel(std::int64_t first, std::int64_t last) const;
  // The limb was still enough at 'index' to take its velocity as zero (step_still_accel_m_s2).
  bool StillForTravel(std::int64_t index) const;
  // The last sample before 'index', up to step_still_before_max_s before it and after the
  // floor, where the limb was still so (StillForTravel); none.
  std::optional<std::int64_t> LastStillBefore(std::int64_t index) const;
  // The last sample of the limb's last pause (still for step_pause_min_s) after 'first' and
  // before the movement that ends at 'end'; none.
  std::optional<std::int64_t> LastPauseWithin(std::int64_t first, std::int64_t end) const;
  // The sensor moved further from 'first' to 'last' than turning the segment can have moved it
  // (step_min_m, step_rise_min_m): the limb was carried elsewhere, 'rise_m' up. Read between
  // still moments (StillForTravel): the end's is looked for up to 'settled' (the limb had
  // settled there, step_settle_max_s), then before it, as the start's is before it; in an
  // exercise that climbs, failing that, at 'settled' itself when the limb is still there, and
  // then on each side of its last pause (LastPauseWithin).
  bool CarriedElsewhere(std::int64_t first, std::int64_t last, std::int64_t settled,
                        double* rise_m) const;
  // Time from sample 'first' to sample 'last'.
  double SecondsBetween(std::int64_t first, std::int64_t last) const;
  // The fastest the limb turned about the axis from sample 'first' to 'last'.
  double PeakSpeedDegS(std::int64_t first, std::int64_t last) const;
  // The share of the turning from sample 'first' to 'last' that a bridge filled.
  double FilledTurnFrac(std::int64_t first, std::int64_t last) const;
  // How long a movement lasted and how fast it turned at its peak.
  struct Tempo {
    double duration_s = 0.0;
    double peak_speed_deg_s = 0.0;
  };
  // A movement whose travel a loss hid (a fill carried 'filled_frac' of its turning, at least
  // step_like_filled_frac) that is as long and as fast at its peak as a step measured (the
  // last one measured as a movement or the last one into a stance).
  bool LikeTheMeasuredStep(double filled_frac, double duration_s, double peak_speed_deg_s) const;
  // ... as long and as fast at its peak as a step measured, whatever read its travel; with
  // 'peak_cut' (a fill may have cut its peak), at most as fast.
  bool MovesLikeTheMeasuredStep(double duration_s, double peak_speed_deg_s,
                                bool peak_cut = false) const;
  // A step whose travel was read as one, 'filled_frac' of its turning filled: its tempo becomes
  // 'reference' (measured_step_ or step_into_stance_), which judges the steps after it whose
  // travel a loss hid (step_reference_filled_max_frac).
  void RememberStep(std::optional<Tempo>& reference, double filled_frac, double duration_s,
                    double peak_speed_deg_s);
  // A movement read as a step across a fill of at least step_like_filled_frac of its turning, by
  // a limb that has measured no step, that moves as the set's reps do: one of them
  // (step_set_reps_min).
  bool LikeTheSetsReps(const Rep& rep, double filled_frac, double duration_s) const;
  // CarriedElsewhere read from sample 'first' to sample 'end'.
  bool CarriedTo(std::int64_t first, std::int64_t end, double* rise_m) const;
  // The step 'step' (samples 'first' to 'last', carried 'rise_m' up, 'filled_frac' of its
  // turning filled) went back down to where the step up before it began: returns the trip they
  // make (step_trip_stand_max_s), its way up ending at its top (step_top_band_deg). Otherwise
  // keeps it as the next trip's way up if it rose by more than step_rise_min_m or, read across a
  // fill, fell by less.
  // A movement judged (JudgeMovement): what lay between it and the next one may hide a way up
  // (WayUpLostBefore).
  struct JudgedMovement {
    std::int64_t last = -1;      // its last sample; -1: none in this set
    bool counted_alone = false;  // counted as a rep of its own (not a trip's half)
  };
  // 'judged_before': the movement judged before it (WayUpLostBefore).
  std::optional<Rep> CloseTrip(const Rep& step, double rise_m, std::int64_t first,
                               std::int64_t last, double filled_frac,
                               const JudgedMovement& judged_before);
  // A way down measured falling a step of its own with no way up waiting: a foot comes down
  // only from where it went up, so its way up was lost, unless the movement judged before it
  // counted as a rep of its own (a way up whose fill hid its height: the trip is counted). Where
  // samples were lost (bridged) after the movement judged before and before sample 'first',
  // within step_trip_stand_max_s of it (a stand on the box): the way up took no longer than its
  // way down ('way_down_s') by step_like_tempo_ratio, and was under way in the latest such loss.
  // Returns the last sample seen before the first loss in that time before it (where the hidden
  // way up began at the earliest). Otherwise (nothing lost there, or the limb moved later than
  // that time after the loss, before the way down) the way down stays alone.
  std::optional<std::int64_t> WayUpLostBefore(const JudgedMovement& judged_before,
                                              std::int64_t first, double way_down_s) const;
  // How much of a movement the data showed, which says what can judge it a step.
  enum class MovementSeen : std::uint8_t {
    kWhole,  // from a still start (not cut by a gap) to a stop: its travel and its tempo
    // Begun as a stance's return ended, the limb still turning (a lunge's step back run straight
    // on from its rise): its tempo, not its travel, which needs a still start.
    kFromStance,
    kInPart,  // begun or ended in a gap or before the data, or turning from something else
  };
  // The movement measured as 'rep' (samples 'first' to 'last', about 'rotation') was a step, a
  // trip's half or a rep: queues what it was. A movement seen whole is a step by its height up
  // to 'settled', a moment the limb was still at or after 'last'.
  void JudgeMovement(const Rep& rep, const RepRotation& rotation, std::int64_t first,
                     std::int64_t last, std::int64_t settled, MovementSeen seen, bool at_gap);
  // The unsettled movement, if any, is judged with its height read up to 'settled'.
  void SettleMovement(std::int64_t settled);
  // ... where it settled, or at its end if it did not, where what comes next (a gap, a new axis,
  // the next movement, the end of the data) leaves nothing later to wait for.
  void SettleAtItsEnd();
  // The limb was still at some measured sample from 'first' to 'last' (StillForTravel).
  bool StoppedBetween(std::int64_t first, std::int64_t last) const;
  // Whether the rep in progress starts where a step landed (a stance, step_min_m): sets or
  // clears rep_.stance_from_deg. A step read so by its travel is the limb's step into a stance
  // (RememberStepIntoStance).
  void JudgeStance();
  // The step from the still pose at sample 'still' that landed at sample 'landed': its tempo,
  // from the last moment the limb was still (rest_min_s) to where it came to rest, is
  // remembered as step_into_stance_. It may have ended as a swing, never measured as a movement.
  void RememberStepIntoStance(std::int64_t still, std::int64_t landed);
  // Forgets the axis learned from motion before the set; learning starts again at 'index'.
  void RelearnAxis(std::int64_t index);
  // The axis, the rest pose and the axis checks start afresh from 'index' (kLearningAxis).
  void StartLearningAxis(std::int64_t index);
  // Whether the limb is still at 'entry', sample 'index' (rest_gyro_rad_s_), and for how long,
  // after 'previous_still_s' up to the sample before, which was bridged where 'after_fill'.
  void UpdateStill(Entry& entry, std::int64_t index, double previous_still_s, bool after_fill);
  // The tilt at sample 'index' lies more than fill_moved_deg from the last measured sample's
  // before the fill just before it.
  bool MovedAcrossFill(std::int64_t index) const;
  // The rotation found lost before 'entry' about the movement axis (deg).
  double LostDeg(const Entry& entry) const;
  // Whether a speed about the axis is as slow as rest (rest_gyro_rad_s_).
  bool AtRestSpeed(double speed_deg_s) const;
  double StartDeg() const;
  // How far below its peak a rep of 'excursion_deg' must fall to have turned around.
  double TurnDeg(double excursion_deg) const;
  double MinRomDeg() const;
  // The oldest sample still in the buffer and after the last gap.
  std::int64_t OldestIndex() const;
  // ... the rep in progress may reach back to: before the last gap when its turnaround lay in it.
  std::int64_t RepOldestIndex() const;

  RepDetectorParams params_;
  std::int64_t capacity_;
  std::vector<Entry> buffer_;     // ring, sized once
  std::int64_t next_index_ = 0;   // index of the next sample
  std::int64_t floor_index_ = 0;  // first sample after the last gap/reset
  // Trips (CloseTrip) since the set began: a climbing set's reps, which do not size it.
  int trips_in_set_ = 0;
  // A rep measured from a step (a lunge's stance) since the set began: the set's movement.
  bool stepped_rep_in_set_ = false;
  double last_trip_rom_deg_ = 0.0;  // the latest trip's range, since the set's size was learned

  MovementAxisEstimator axis_estimator_;
  SegmentAngle angle_;
  int axis_update_every_;
  double rest_gyro_rad_s_;  // what "still" means now: RepDetectorParams::rest_speed_frac
  int samples_since_axis_update_ = 0;

  // Rest detection.
  double still_s_ = 0.0;
  std::optional<std::int64_t> previous_time_ns_;

  RepState state_ = RepState::kLearningAxis;
  RestPose rest_;                     // between reps: the pose a rep would start from
  RepInProgress rep_;                 // in a rep
  std::int64_t last_end_index_ = -1;  // end of the previous rep, for the start search
  // The pose the limb was last seen resting still in (still for rest_min_s, at a measured
  // sample), since the axis was learned and not before a cut gap: the reference of the swing
  // rule, and where a step starts.
  std::optional<RestPose> still_pose_;
  // The last movement was a swing (through the rest pose, or a pendulum coming to rest), and the
  // limb has not stood still since: a rep in progress began where that swing ended (nothing
  // clears it during a rep).
  bool swinging_ = false;
  // A bridged sample was fed and the limb has not been still (rest_min_s) since: the tilt the
  // filter carried over the bridge is not yet checked against gravity, and the angles since may
  // miss part of a fast turn (SessionPipeline::GiveBackTiltSnap corrects them later).
  bool tilt_unchecked_after_bridge_ = false;
  // The last sample fed was bridged (UpdateStill).
  bool last_fed_bridged_ = false;
  // Set by a cut gap: the rest pose seen before it (where the rep in progress started, or where
  // the limb rested) and the rep held for the first sample after it.
  std::optional<double> rest_before_gap_deg_;
  // The limb came out of the last gap away from the rest pose it left before it (Resume, or
  // LockAxisTo when the gap cut the learning; a gravity angle): that pose, until the limb is
  // back near it or a rep ends.
  std::optional<double> away_from_rest_deg_;
  // A rep cut on its way back by a gap, until the limb is found back or not (Resume, then
  // FollowHeldRep while it is still coming back).
  std::optional<HeldRep> held_;
  // A rep cut by a gap on its way up, judged by the first sample after the gap (Resume).
  std::optional<RepInProgress> rising_at_gap_;
  // Set from each sample after a cut gap while a rep is held, when the limb is still there:
  // earth-up as its accelerometer reads it (QuietUp); taken to judge the held rep's return
  // (HeldRepCameBack).
  std::optional<Vec3> resume_up_;

  // Amplitude of the set: last accepted ROMs (ring). Five: the median of a few reps moves
  // little for one partial rep and still follows a change of load within the set.
  static constexpr int kRomHistory = 5;
  std::array<double, kRomHistory> roms_deg_{};
  std::array<double, kRomHistory> peak_speeds_deg_s_{};
  int rom_count_ = 0;
  // The limb has done reps of this exercise (a set rest forgets their size, not that): the
  // lower floors of a set with an amplitude apply.
  bool did_reps_ = false;
  double amplitude_deg_ = 0.0;
  Vec3 amplitude_axis_;  // the axis the last accepted rep turned about (sensor frame)
  std::optional<Time> previous_end_;
  std::optional<Rep> swing_;    // the latest swing, until Update returns it
  std::optional<Rep> carried_;  // the latest movement carried elsewhere, until Update returns it
  // The last step measured as a movement whose travel was read (step_reference_filled_max_frac),
  // and the last step into a stance read so, in this set. A limb keeps both, and a movement whose
  // travel a loss hid is judged like either: a lunge's step out swings through standing at 250-270
  // deg/s, its step back lifts the foot at 160-170, too far apart for one to judge the other.
  std::optional<Tempo> measured_step_;
  std::optional<Tempo> step_into_stance_;
  // Either is known: the limb has stepped, so its steps can judge a movement.
  bool StepMeasured() const { return measured_step_ || step_into_stance_; }
  std::optional<Tempo> last_rep_tempo_;  // the last rep accepted in this set
  // The last sample of the last stance accepted, until a swing ends. The next movement goes on
  // from it when nothing was measured since (last_end_index_ is still that sample).
  std::optional<std::int64_t> stance_end_index_;
  // As long and as fast at its peak as 'tempo', each within step_like_tempo_ratio.
  bool TempoAlike(const Tempo& tempo, double duration_s, double peak_speed_deg_s) const;
  // 'a' and 'b' both positive and within step_like_tempo_ratio of each other.
  bool Alike(double a, double b) const;
  RepDetectorOutput output_;  // what Update returns, filled in place
  // A step up with no rep after it yet: a trip's way up (CloseTrip).
  struct TripOut {
    Rep step;
    double rise_m = 0.0;
    std::int64_t first = 0;  // the step's first and last samples
    std::int64_t last = 0;
    bool height_measured = false;  // no turning of it was filled
  };
  std::optional<TripOut> trip_out_;
  JudgedMovement last_judged_;  // the last movement judged
  // A movement of an exercise that climbs, measured and not yet judged: the limb has not settled
  // since it ended (step_settle_max_s).
  struct UnsettledMovement {
    Rep rep;
    RepRotation rotation;
    std::int64_t first = 0;
    std::int64_t last = 0;
    bool joined = false;  // two movements without a stop between (JoinMovements)
    // Where the limb settled after it (still for rest_min_s), while a loss may still be found.
    std::optional<std::int64_t> settled = std::nullopt;
  };
  std::optional<UnsettledMovement> unsettled_;
  // 'before' and the movement 'after' (ending at sample 'last') that went on from it without a
  // stop, as one: up to where 'before' ended, and back.
  UnsettledMovement JoinMovements(const UnsettledMovement& before, const Rep& after,
                                  std::int64_t last) const;
  // While the axis is learned: the first sample that moved since the learning began.
  std::optional<std::int64_t> learning_motion_from_;
  // ... earth-up (sensor frame) where the limb rested before it, when seen still there.
  std::optional<Vec3> learning_rest_up_;
  // ... and a gap cut the learning after the limb began to move: where it began is gone, and
  // the limb may be anywhere in its rep after the gap (LockAxisTo).
  bool learning_cut_after_motion_ = false;

  // Reps completed but not yet returned (a replay or a gap can complete more than one).
  static constexpr int kPendingCapacity = 4;
  std::array<Rep, kPendingCapacity> pending_{};
  std::array<RepRotation, kPendingCapacity> pending_rotations_{};
  int pending_count_ = 0;
  // RepRotationAxis (and RepCentreOffset) of the rep MeasureRep measured last
  RepRotation measured_;
  std::int64_t measured_start_index_ = 0;  // ... and its first sample
  // The axis learned last was confirmed by the first rep measured about it (or relocked on it).
  bool axis_confirmed_ = false;
  // The axis swung far before the first rep and was locked afresh (once per learning).
  bool relocked_on_swing_ = false;
  // A first rep asked for the axis to be learned from it (handled once its Step returns).
  std::optional<Vec3> relock_axis_;
  std::int64_t relock_from_index_ = 0;

  std::int64_t rejected_reps_ = 0;
  std::int64_t dropped_by_gap_ = 0;
  std::int64_t abandoned_ = 0;
  std::int64_t swings_ = 0;
  std::int64_t steps_ = 0;
  std::int64_t relearned_ = 0;
  std::int64_t bridged_samples_ = 0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_REP_DETECTOR_H_
