#ifndef AMBI_FUSION_REPS_REP_SCREEN_H_
#define AMBI_FUSION_REPS_REP_SCREEN_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "fusion/core/events.h"
#include "fusion/core/geometry.h"
#include "fusion/core/placement.h"
#include "fusion/reps/rotation_centre.h"

namespace ambi::fusion {

struct RepScreenParams {
  // Handling: a rep whose ROM is under this fraction of the set's reps on both sides of it in
  // time (or on its one side, at the edge of a set) is not a rep of the set: picking the weights
  // up or putting them down moves a segment a third of a curl. A run of similar smaller reps
  // after it is a change of level (a lighter or a low-amplitude execution) and counts. In a
  // bilateral set, a first rep judged by its size alone is a rep when the other side's movement
  // beside it passed as a rep of that side's set: both hands pick the weights up together, in
  // one movement, so beside a rep is a rep (a set of varying range may begin with one side's
  // rep under half its next). Not beside a first rep of a like size (edge_partner_rom_ratio_max)
  // that is itself under edge_centre_rom_frac of its next: two such are both hands' pick-up,
  // one just over half its curls, the other just under.
  double edge_rom_frac = 0.5;
  // ... and the first rep of a run is handling when it turned about an axis more than this from
  // the next rep's, whatever its size: reaching for the weights and lifting them turns the
  // segment about another axis than a raise. The reps of a set keep one axis within a few
  // degrees; the detector learns it afresh at rest before the set's reps, so it is the rep's own.
  double edge_axis_max_deg = 45.0;
  // ... and a rep under edge_centre_rom_frac of the set's reps (the next rep, or the median of
  // those passed) is handling when it turned about another centre: the sensor's offsets from
  // the two centres (RepRotation::offset_m, both known, sensor frame) are further apart than
  // edge_centre_apart_frac of the longer. One joint turning a segment keeps the sensor at one
  // offset from it. Reaching for the weights turns the whole arm about the shoulder, a curl the
  // forearm about the elbow, about the same axis: a wrist sensor is 0.55 m from the one and
  // 0.25 m from the other, along the forearm (0.55 apart). Swinging the leg up from the hip
  // before a knee extension puts the centre 0.45 m behind the knee (0.76 apart). The reps of
  // one set keep their offset within 10-20 % in the simulator and mostly in one direction on
  // the real recordings, whose reps often start already moving (up to 0.37 apart: a lever 1.56
  // times another along it). Size alone cannot tell a 45 deg pick-up from the first of a set of
  // 85 deg curls, nor the centre alone a noisy one from another.
  double edge_centre_apart_frac = 0.375;
  double edge_centre_rom_frac = 0.75;
  // Both hands put the weights down together, by one movement whatever the set's asymmetry: in
  // a bilateral set a rep that overlaps a movement of the other side judged handling because no
  // rep followed it (run_end_rest_s), their ROMs within this ratio of each other, is handling
  // too. A weaker side's curls may be 0.75 of the other's, so its put-down passes the size rule
  // where the other side's does not (50 deg after 95 deg curls, beside 50 deg after 120 deg).
  // Alike: the simulator's two put-downs differ by a few percent; a side's real rep beside the
  // other side's put-down is that side's own size, larger. (Not a movement judged by the rep
  // after it: a set of varying range may begin with reps that small on one side only.) Both
  // hands pick the weights up together too: a run's first rep beside the other side's first,
  // judged handling, and alike, is handling. One arm's lift may read as turning about a centre
  // too near its curls' to tell (0.35 m against 0.25 m), the other's about the shoulder.
  double edge_partner_rom_ratio_max = 1.25;
  // A held rep (the first of a run, or a small one) that no next rep of its side follows within
  // this long is at the edge of a set (putting the weights down, a movement alone). Its own
  // setting, not the pipeline's set-end rest: it must outlast the longest pause between two reps
  // of one set (physiotherapy holds 5-10 s, slow sets rest longer), whatever rest ends a set.
  double run_end_rest_s = 20.0;
  // Gait: in a bilateral set, a rep whose nearest rep of the other side (overlapping in time)
  // turns around more than this fraction of their mean duration away swings in anti-phase
  // (walking arm swing: half a period apart). In-phase bilateral reps turn within a few tenths
  // of that even with a 0.5 s left/right clock offset in a 2.5 s rep.
  double antiphase_frac = 0.3;
  // ... and gait swings on without rest: both reps begin or end within this of another rep of
  // their side (a pendulum never stops; sets of reps rest between them at the rest pose).
  double gait_max_pause_s = 0.25;
  // Following: a rep whose ROM is under this fraction of an overlapping rep of the other side
  // is that limb following the body (a resting leg rocking 5-12 deg while the working leg does
  // 80-90 deg), not a rep of its own. A genuinely weak side does at least half the other's.
  double follower_rom_frac = 0.25;
  // ... and in a unilateral set, where one side works at a time, a rep under this fraction of
  // the other side's overlapping rep: a resting leg that rolls and tilts with the pelvis reaches
  // 0.38 of a 50 deg straight-leg raise in the simulator, while the other shank of a two-leg
  // unilateral exercise (single-leg squat, split squat) does 0.56 or more of the working one.
  // Sides that work in turn (alternating arms) barely overlap.
  double follower_unilateral_rom_frac = 0.4;
  // ... and in a unilateral set of an exercise whose other side rests (Exercise::
  // other_side_rests: open chain, nothing of that limb takes part), under this fraction: a
  // resting leg rocked and rolled by the pelvis reaches 0.47 of a 50 deg straight-leg raise in
  // the simulator; a side that does as much as this alongside is no longer resting.
  double follower_resting_rom_frac = 0.6;
  // A rep that overlaps no rep of the other side is compared (by follower_rom_frac) with the
  // other side's nearest rep that ended at most this long before it began, or began within
  // partner_wait_s after it ended: that side is mid-set (its reps come every 2-5 s), and a rock
  // that fell between two of its reps, or beside one the detector missed, is still the body.
  double follower_near_s = 3.0;
  // Between sets: a rep under this fraction of the median ROM of its side's reps in the last
  // run of the same exercise, before the new run has passed a rep of that side, is no rep. The
  // weights held between sets sway the forearms by up to 10 deg peak to peak (2-9 % of a curl
  // set's reps), while a set of the same exercise at a lower level (low-amplitude executions,
  // partial reps) moves at least 30 % of the full one.
  double between_sets_rom_frac = 0.15;
  // A rep waits this long past its end for the other side's overlapping rep (the comparator's
  // pairing tolerance: the two sensors' data may arrive that far apart).
  double partner_wait_s = 1.5;
  // The other side is silent (lost, or no sensor data) when its data lags this side's by more
  // than this: its reps are then not waited for.
  double partner_silent_s = 5.0;
};

// Why a rep was not passed on.
enum class ScreenVerdict : std::uint8_t {
  kRep,        // a rep of the set
  kHandling,   // much smaller than the set's reps around it, or alone
  kGait,       // anti-phase with the other side in a bilateral set
  kFollowing,  // a small fraction of the other side's overlapping rep
};

struct RepScreenCounts {
  std::int64_t passed = 0;
  std::int64_t handling = 0;
  std::int64_t gait = 0;
  std::int64_t following = 0;
};

// Which of the reps a RepDetector found belong to an exercise set, judged from general
// properties of the set's movement, per limb pair (wrists or ankles):
//
// * Size and centre at the edges of a set: a rep is compared with the median ROM (and centre) of
//   the reps of its side already passed in the run. As large as edge_rom_frac of it and about
//   the same centre: passed at once. Smaller, about another centre (edge_centre_apart_frac), or the
//   first rep of a run: held until the side's next rep. The first rep of a run is handling when
//   under edge_rom_frac of that next rep (unless, in a bilateral set, the other side's movement
//   beside it passed as a rep), turned about an axis more than edge_axis_max_deg from the next
//   rep's, or about another centre (picking the weights up), or, in a bilateral set, beside the
//   other side's first rep judged so and of a like size; a held rep followed by
//   another is a partial rep inside the set and passes; a rep that no next rep follows within
//   run_end_rest_s is handling (putting the weights down; a movement alone).
// * Between sets of one exercise: before a run passes a rep of a side, a rep far smaller than
//   that side's reps in the last run (between_sets_rom_frac) is the weights swaying in hand, and
//   until the run measures a centre of its own, its edges are judged by the last run's.
// * Left and right (both sensors present): a rep waits for the other side's overlapping rep
//   (up to partner_wait_s of that side's data past its end). In a bilateral set, reps turning
//   around half a rep apart are gait; in any set, a rep a small fraction of the other side's is
//   a limb following the body (a larger fraction in a unilateral set, where only one side
//   works at a time; compared with the other side's nearest rep when none overlaps, while that
//   side is mid-set). In a bilateral set, a rep beside the other side's pendulum swing
//   (AddSwing), or going on without rest from the side's last gait rep, is gait too. Gait goes
//   on without rest: from or into another rep of its side, or between two of its movements
//   carried elsewhere (AddCarried: one next to a rep may be a lunge's step). Gait and
//   following need no size judgement: they are decided as soon as the other side's reps are
//   known. Those are not reps; a side whose reps were all following while the other worked is
//   reported as not working in that set. A walk's reps are not the run's: the first rep after
//   them is its first, and the sizes judged so far are forgotten.
//
// Reps come out in each side's order through Pop(). Fixed capacity, no allocation. Not
// thread-safe.
class RepScreen {
 public:
  explicit RepScreen(const RepScreenParams& params);

  // A new run (set). 'bilateral': the gait rule applies. 'two_sides': both sensors are there.
  // 'other_side_rests': in a unilateral set the side not working takes no part in the exercise.
  // 'same_exercise': the run before was of this exercise too, so the size of its reps is a
  // reference for the movements before this run's first rep (between_sets_rom_frac), and their
  // centre for this run's until it measures its own.
  void StartRun(bool bilateral, bool two_sides, bool other_side_rests = false,
                bool same_exercise = false);
  // A rep found on 'side' (reps of one side in time order) and what it turned about (axis and
  // centre; zero when not known).
  void Add(Side side, const Rep& rep, const RepRotation& rotation = {});
  // A movement of 'side' the detector judged a pendulum swing (it passed through the rest pose):
  // never passed, but in a bilateral set the other side's reps overlapping it are gait. Walking,
  // one arm may swing through its hang and the other, swinging further forward than back, only
  // forward of it: the detector finds reps there.
  void AddSwing(Side side, const Rep& swing);
  // A movement of 'side' the detector judged carried elsewhere (a step; an arm carried along by a
  // walk can read so): never passed, but the side did not rest there, as a rep's neighbour for
  // the gait rule's "without rest".
  void AddCarried(Side side, const Rep& movement);
  // The data of 'side' has come up to 'time'.
  void AdvanceTime(Side side, Time time);
  // The run ends: everything held is decided.
  void EndRun();

  // The start of the oldest rep of 'side' still held, if any: the side's reps are final before it.
  std::optional<Time> HeldFrom(Side side) const;
  // The next rep passed, if any.
  std::optional<Rep> Pop();

  // In the current run: 'side' passed no rep of its own (its movement, if any, only followed
  // the body) while the other side passed at least two.
  bool NotWorking(Side side) const;
  const RepScreenCounts& counts() const { return counts_; }
  // Reps of 'side' found gait since construction (not reset by a run).
  std::int64_t GaitCount(Side side) const { return gait_[side == Side::kLeft ? 0 : 1]; }

 private:
  static constexpr int kHeld = 8;     // reps held per side (one waits for size, a few for a
                                      // partner: the other side is at most seconds behind)
  static constexpr int kHistory = 8;  // recent reps of each side, for the other side's checks
  static constexpr int kRoms = 5;     // passed ROMs for the median (as the detector's amplitude)
  static constexpr int kOut = 16;

  struct Held {
    Rep rep;
    RepRotation rotation;
    bool size_known = false;  // the size judgment is made
    bool handling = false;    // its verdict
    // First of a run and under edge_rom_frac of the next rep, of the set's axis and centre: a
    // rep if the other side's movement beside it passed (a bilateral set), else handling.
    bool small_first = false;
    bool alone = false;         // ... because no next rep of its side followed it (a put-down)
    bool first_of_run = false;  // before it the side passed no rep and judged none handling
  };
  // The last kHistory reps (or movements) of one kind, in a ring: no allocation.
  class RecentReps {
   public:
    void Push(const Rep& rep) {
      reps_[static_cast<std::size_t>(count_ % kHistory)] = rep;
      ++count_;
    }
    // Those kept, in no particular order.
    std::span<const Rep> kept() const {
      return {reps_.data(), static_cast<std::size_t>(std::min(count_, kHistory))};
    }

   private:
    std::array<Rep, kHistory> reps_{};
    int count_ = 0;
  };
  struct SideState {
    std::array<Held, kHeld> held{};
    int held_count = 0;
    RecentReps history;      // every rep found, passed or not
    RecentReps swings;       // movements the detector judged pendulum swings
    RecentReps carried;      // movements it judged carried elsewhere
    RecentReps put_downs;    // reps judged handling as alone
    RecentReps pick_ups;     // first reps of the run judged handling
    RecentReps passed_reps;  // reps passed as the set's
    std::array<double, kRoms> roms{};
    int rom_count = 0;
    // Of the reps passed whose centre is known: the sensor's offset from it, by component.
    std::array<std::array<double, kRoms>, 3> offsets{};
    int offset_count = 0;
    int passed = 0;
    int handling = 0;
    int following = 0;
    std::optional<Time> watermark;
    std::optional<Time> last_gait_end;  // end of the side's last rep judged gait in the run
    // Start of the run's first rep when under edge_centre_rom_frac of the next: beside the other
    // side's first rep of a like size, neither vouches for the other (both hands' pick-up).
    std::optional<Time> well_under_first;
  };

  // No next rep of its side followed it: the edge of a run (a put-down, or a movement alone).
  static void MarkAlone(Held& held);
  SideState& state(Side side) { return sides_[side == Side::kLeft ? 0 : 1]; }
  const SideState& state(Side side) const { return sides_[side == Side::kLeft ? 0 : 1]; }
  double MedianRom(const SideState& s) const;
  // Remembers a rep passed in the run: its size and, when known, its centre.
  void RecordPassed(SideState& s, const Rep& rep, const Vec3& offset_m);
  // The offset from their centre of the reps of a side passed in the run, the median of each
  // component (zero: none known).
  Vec3 MedianOffset(const SideState& s) const;
  // A rep of 'rom_deg' about a centre 'offset_m' from the sensor is not of the set whose reps
  // are 'set_rom_deg' about a centre 'set_offset_m' from it (edge_centre_apart_frac,
  // edge_centre_rom_frac).
  bool AboutAnotherCentre(double rom_deg, const Vec3& offset_m, double set_rom_deg,
                          const Vec3& set_offset_m) const;
  // The other side's rep nearest in time (by turnaround) among those overlapping 'rep'.
  std::optional<Rep> Overlapping(Side other, const Rep& rep) const;
  // 'rep' begins where a swing of its own side ended (within 2 gait_max_pause_s after it).
  bool AfterSwing(Side side, const Rep& rep) const;
  // The other side's swing overlapping 'rep' with the largest rise, if any.
  std::optional<Rep> OverlappingSwing(Side other, const Rep& rep) const;
  // The other side's rep nearest in time among those that do not overlap 'rep' but ended up to
  // follower_near_s before it or began up to partner_wait_s after it.
  std::optional<Rep> Near(Side other, const Rep& rep) const;
  // Whether the other side's data says all of its reps overlapping 'rep' are known.
  bool PartnerKnown(Side other, const Rep& rep) const;
  // The other side's movement overlapping 'rep' and of a like size (edge_partner_rom_ratio_max):
  // none, one whose size is still to be judged, or one judged handling as alone (a put-down)
  // or, when 'rep' is the first of its run, as the first of that side's (a pick-up).
  enum class PartnerEdge : std::uint8_t { kNone, kUndecided, kHandling };
  PartnerEdge PartnerHandling(Side other, const Rep& rep, bool first_of_run) const;
  // Whether the other side's movement overlapping 'rep' passed as a rep of its set, by its size
  // (and axis and centre) or its verdict: yes, no (none, or not passed), or still to be judged.
  enum class PartnerRep : std::uint8_t { kNo, kUndecided, kYes };
  PartnerRep PartnerPassed(Side other, const Rep& rep) const;
  // Whether a rep of 'side' follows or is followed by another of that side without rest, or
  // lies between two movements of that side carried elsewhere, without rest.
  bool Continuous(Side side, const Rep& rep) const;
  ScreenVerdict CrossSideVerdict(Side side, const Rep& rep) const;
  void Release(Side side, bool ending);
  void Emit(Side side, const Rep& rep, ScreenVerdict verdict);

  RepScreenParams params_;
  bool bilateral_ = true;
  bool two_sides_ = false;
  bool other_side_rests_ = false;
  std::array<SideState, 2> sides_{};
  // Per side, of the last run of this exercise that passed reps: their median ROM (0: none), the
  // reference of between_sets_rom_frac; and the median offset of their centre (zero: none
  // known), the reference of a run that has measured no centre of its own yet (a detector that
  // goes on from set to set measures the centre of its first reps only).
  struct LastRun {
    double rom_deg = 0.0;
    Vec3 offset_m;
  };
  std::array<LastRun, 2> last_run_{};
  std::array<Rep, kOut> out_{};
  int out_count_ = 0;
  RepScreenCounts counts_;
  std::array<std::int64_t, 2> gait_{};  // by side
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_REPS_REP_SCREEN_H_
