#ifndef AMBI_FUSION_CLOCK_DELIVERY_CATCH_UP_H_
#define AMBI_FUSION_CLOCK_DELIVERY_CATCH_UP_H_

#include <array>
#include <cstdint>
#include <optional>

#include "fusion/core/imu_sample.h"
#include "fusion/core/time.h"

namespace ambi::fusion {

struct DeliveryCatchUpParams {
  // A catch-up is over when what the pause owes (its time over the sample period, less the
  // samples come since it began) has not fallen by a whole sample for this long: the stream is
  // back at its steady rate, and what is still owed was lost. Longer than a BLE connection event
  // (BlueZ's default interval is 30-50 ms), whose batched delivery is no catch-up; as long as
  // SampleClockParams::loss_block_s.
  double settle_s = 0.1;
  // ... or at once when it owes less than this: everything the pause held back has come.
  double caught_up_samples = 0.5;
  // What is owed falling by less than this is arrival jitter, not the catch-up: the samples
  // reaching back into the pause end where it last fell by more.
  double jitter_samples = 0.5;
  // The catch-up is making progress while what is owed falls by this much within settle_s.
  double progress_samples = 1.0;
  // Arrivals closer than this many periods came in one delivery (the clock's batched share uses
  // the same quarter): the stream's first samples that come so are an opening burst.
  double bunched_periods = 0.25;
  // Where in a stall its lost samples were: k samples lost in motion show in the held gyro or
  // accelerometer as a step exceeding the mean of the steps either side of it by about k times
  // that mean. An excess this many times the stall's median excess (smooth motion, noise) marks
  // a loss; without one, what is owed goes where the limb turned slowest.
  double gap_jump_ratio = 4.0;
  // ... and at least this large: a noise spike at rest is no loss to place.
  double gap_jump_floor_rad_s = 0.1;
  double gap_jump_floor_m_s2 = 0.5;
  // A link that is still delivering loses samples in short bursts (BLE: a few connection events
  // missed, a retransmission given up), rarely over 0.2 s. The held samples cannot tell one long
  // loss from several such bursts, so no one place takes more than this: what is owed beyond goes
  // to the next jump or the next slowest place, not into one gap the clock would cut
  // (GapPolicyParams::bridge_max_s) and a rep with it.
  double loss_burst_max_s = 0.2;
  // ... as long as the stall owes no more than this many bursts: a link loses about one a second
  // and stalls last under a second. More owed is a block: a dropout, or a device whose buffer
  // overflowed, and it is placed whole.
  int stall_loss_bursts = 2;
  // A step next to a jump that is over this many times both steps either side of the two is a
  // loss too (a sample lost doubles a step): smooth motion does not rise two steps over its
  // neighbours and fall back.
  double gap_pair_ratio = 2.0;
};

// An arrival-time stream (no device time) whose delivery stalls, and then catches up in a burst,
// lost nothing: a BLE link retransmitting through interference, a starved BlueZ or daemon, a USB
// hub hold every sample back and then deliver them at once. Stamped as they arrived, the pause
// reads as lost samples (the clock cuts the rep in progress) and the burst as a turn in no time.
//
// After a pause longer than the clock takes for a loss (SampleClock::loss_pause_s), the samples
// that arrive are held until the catch-up is over (DeliveryCatchUpParams); those up to the one
// where the least was still owed are then given the arrival times of a steady stream ending
// there, reaching back into the pause. What is still owed (samples the link lost during the
// stall) is put where the held samples show it: where the gyro or the accelerometer jumps, or
// else where the limb turned slowest (DeliveryCatchUpParams::gap_jump_ratio), no more than a
// loss burst in one place (DeliveryCatchUpParams::loss_burst_max_s). The clock finds it
// there as a loss, and the gap is bridged where the samples were lost, not where the stall began.
// A pause no burst follows is a loss as before, passed on settle_s later.
//
// The stream's first samples may come the same way, a link (a BLE connection, a USB hub)
// having held them back: counted in no time, they read the rate fast for the clock's whole
// first rate window and the next samples late. So the first sample is held until the next one
// tells: the samples that come bunched with it (DeliveryCatchUpParams::bunched_periods) are
// given a steady stream's times ending at the last of them. After Reset (the device lost) the
// next sample opens the stream afresh. Fixed capacity, no allocation. Not thread-safe; one per
// sensor.
class DeliveryCatchUp {
 public:
  // Samples held at most: 1.28 s of a 200 Hz stream. A longer catch-up is decided when full.
  static constexpr int kCapacity = 256;

  struct Timed {
    ImuSample sample;  // its time is the arrival time below
    Time arrival;
  };

  explicit DeliveryCatchUp(const DeliveryCatchUpParams& params) : params_(params) {}

  // A sample that arrived at 'arrival' ('period_s': the stream's sample period; 'loss_pause_s':
  // the pause the clock takes for lost samples). False: nothing is held, pass it on as it is.
  // True: it is held; Pop() gives what can be passed on now, all of which is to be taken
  // before the next Push() (the room it frees is what the next catch-up may need).
  bool Push(const ImuSample& sample, Time arrival, double period_s, double loss_pause_s);
  // The next sample to pass on, in arrival order.
  std::optional<Timed> Pop();
  // Decides a catch-up in progress now (the data ends, a set starts or ends, the device is
  // lost): Pop() then gives every sample held.
  void End();
  // After the device was lost: its next sample starts the stream afresh (no pause before it).
  void Reset();

  std::int64_t caught_up_samples() const { return caught_up_; }

 private:
  // A pause ended: the samples from here on are held, the last arrival before it 'pause_from'.
  void StartHolding(Time pause_from);
  // The opening burst ended with the last sample held: those before it take a steady stream's
  // times ending at its arrival; all held become ready.
  void ReleaseOpening();
  // Keeps 'sample' as the newest of recent_.
  void Remember(const ImuSample& sample);
  // Appends a sample to held_ (the caller has checked the room).
  void Hold(const ImuSample& sample, Time arrival);
  // 'steps' steps of 'step_s' (negative: back) from 'from'.
  static Time SpacedFrom(Time from, double step_s, int steps);
  // The catch-up ended at held sample 'last': it and those held before it take a steady
  // stream's arrival times from the pause to its own, with room left where samples were lost;
  // all held become ready.
  void Release(int last);
  // Where in a stall its 'owed' lost samples were: up to kMaxLosses places where the held samples
  // jump (judged when there are four steps or more to compare), each with its share, in order,
  // and what they do not take where the limb turned slowest, each place at most a loss burst
  // unless more is owed than stall_loss_bursts. Returns how many; none when no step is held
  // (then they lie before its first sample). 'last' as for Release.
  struct Loss {
    int before = 0;   // index in held_ of the sample right after the lost ones
    int samples = 0;  // how many were lost there
  };
  // A stall (at most kCapacity samples, 1.28 s at 200 Hz) holds a few loss bursts at BLE's rate
  // of them (about one a second); more places than this are shared with the largest jump.
  static constexpr int kMaxLosses = 4;
  int PlaceLosses(int last, int owed, std::array<Loss, kMaxLosses>& losses) const;
  // What PlaceLosses reads of a sample.
  struct Motion {
    Vec3 gyro_rad_s;
    Vec3 accel_m_s2;
  };
  // Two losses a sample apart: the jump at step p and the neighbour step 'partner' (-1 or +1;
  // 0: none) each stand out of the steps either side of the pair (gap_pair_ratio), and each
  // lost about this many samples. Each step reads the other as half a jump, so judged against
  // their own neighbours they read as one loss, its size wrong.
  struct Pair {
    int partner = 0;
    double jump_lost = 0.0;
    double partner_lost = 0.0;
  };
  Pair PairAt(int p, Vec3 Motion::*signal, double stands_out) const;
  // Step 'step' of 'signal': from position step to step + 1 (see MotionAt).
  Vec3 StepAt(int step, Vec3 Motion::*signal) const;
  // The 'position'-th sample of the catch-up: -2 and -1 are the two passed on before the pause,
  // 0 the first held.
  Motion MotionAt(int position) const;

  DeliveryCatchUpParams params_;
  std::array<Timed, kCapacity> held_{};
  // held_[next_, ready_) may be popped; held_[hold_from_, size_) are held while holding_.
  int size_ = 0;
  int ready_ = 0;
  int next_ = 0;
  int hold_from_ = 0;
  bool holding_ = false;
  bool opening_ = false;  // holding the stream's first samples while they come bunched
  bool has_last_ = false;
  Time last_arrival_{};
  // The last two samples pushed (a ring: recent_[newest_] is the last), and the two before the
  // pause began (older first).
  std::array<Motion, 2> recent_{};
  int newest_ = 0;
  int recent_count_ = 0;
  std::array<Motion, 2> before_pause_{};
  int pause_count_ = 0;
  double period_s_ = 0.0;
  Time pause_from_{};        // the last arrival before the pause
  double least_owed_ = 0.0;  // samples, at held sample least_at_
  int least_at_ = 0;
  double progress_owed_ = 0.0;  // owed when it last fell by a whole sample, at progress_arrival_
  Time progress_arrival_{};
  std::int64_t caught_up_ = 0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CLOCK_DELIVERY_CATCH_UP_H_
