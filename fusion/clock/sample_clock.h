#ifndef AMBI_FUSION_CLOCK_SAMPLE_CLOCK_H_
#define AMBI_FUSION_CLOCK_SAMPLE_CLOCK_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include "fusion/core/time.h"

namespace ambi::fusion {

struct SampleClockParams {
  double nominal_rate_hz = 100.0;
  // True when samples carry a device timestamp (kAmbiSample); false when the only time is the
  // arrival time stamped by the transport (WitMotion sends none).
  bool device_time = false;
  // Ignore the stream's times and stamp sample k at first_time + k / nominal_rate_hz, with no gap
  // detection. For recordings whose timestamps are known to be wrong, and for reproducing
  // reference outputs computed with a fixed dt.
  bool nominal_timestamps = false;
  // A step longer than this many sample periods means samples are missing. 2.5 tolerates one
  // late sample without calling it a gap, and still catches a single dropped sample at 1.5 x
  // jitter.
  double gap_periods = 2.5;
  // Arrival-time streams only: a pause in arrivals shorter than this is treated as transport
  // buffering (the samples come later in a burst), not as lost samples.
  double min_arrival_gap_s = 0.25;
  // Arrival-time streams: a short loss (a few samples a radio dropped) leaves no pause that long,
  // but every later sample arrives late by the lost samples' time. A sample that arrives later
  // than the one before it by more than max(half a period, this) beyond the clock's period,
  // followed by one that arrives at the steady rate (not at once, as the rest of a buffered burst
  // does) and is still that late, means samples were lost: the clock counts them and reports the
  // gap, so it can be bridged. Above the latency jitter of USB serial (< 10 ms); a BLE burst is
  // told apart by its next arrival.
  double arrival_loss_min_s = 0.03;
  // ... and when the sample after a late one is later still, samples were lost again right
  // before it (the step beyond the first counts). A stream that arrives in batches (BLE
  // connection events: BlueZ's default interval is 30-50 ms) shifts an arrival by up to one
  // event, so there the step must be longer than this; with 45-50 ms events at 50-100 Hz a
  // smaller one overcounted the losses by 10-15 %. Serial streams keep arrival_loss_min_s: a
  // single sample lost again at 25 Hz is 40 ms.
  double arrival_loss_again_batched_s = 0.05;
  // A stream is batched when more than this share of its samples arrive within a quarter
  // period of the one before (an exponential average over about 100 samples).
  double batched_share = 0.2;
  // Arrival-time streams, losses under arrival_loss_min_s (one to six samples at 200 Hz, one at
  // 50 Hz): every later sample is still late by the lost time, but one late sample alone is
  // latency jitter. The earliest arrival of each block this long (the one with the least
  // latency) is compared with that of the block before: a lasting step up is lost samples, a
  // steady rise a rate error. 0.1 s holds an on-time arrival even when samples come in batches
  // (BLE connection events up to 50 ms apart, the USB latency timer's 16 ms). Lost samples the
  // clock never counted made the period estimate read the rate low (1-3 % with BLE-like
  // losses at 200 Hz), so the filter integrated every gyro sample over a too long step.
  double loss_block_s = 0.1;
  // ... and at least this many samples per block (low rates), for the earliest one to be on time.
  int loss_block_min_samples = 4;
  // A block's earliest arrival this many periods later than the block before's, beyond the
  // steady rise, and the next block level with it (not a stall, not a ramp), is round(step /
  // period) lost samples. Half a period: the step of one lost sample is a whole period; the
  // least latency of a block varies far less.
  double loss_step_periods = 0.5;
  // A loss may show over two blocks (the late path counted part of it); rising over more
  // blocks than this in a row is a rate error, not a loss.
  int loss_ramp_blocks = 2;
  // How fast the steady rise of the least lag per block is followed (a rate error before the
  // period estimate has learned it): a quarter per block averages the least lag's jitter over
  // about four blocks and still follows a rate error within a second.
  double loss_rise_gain = 0.25;
  // How fast the device-to-session offset may rise (s per s). The offset is the lower envelope of
  // (arrival - device time): latency only ever adds to it, so the envelope follows a device clock
  // that runs fast at once and one that runs slow at this rate. 2000 ppm covers crystal and RC
  // oscillators; larger rate errors are absorbed by the period estimate.
  double offset_rise_s_per_s = 2e-3;
  // Arrival-time streams: the sample period is re-estimated from arrival times over this window,
  // within +/- max_rate_error of nominal.
  double rate_window_s = 5.0;
  double max_rate_error = 0.1;
  // Once the period estimate has a rate window behind it, what is left of a rate error is the
  // clock's drift (2000 ppm, as offset_rise_s_per_s): the least lag rising faster than this per
  // block is losses in blocks in a row (a heavily lossy link), not a rate error. Taken for one,
  // three lossy blocks in a row set a rise of 4-5 periods per block at 200 Hz, which hid every
  // loss for seconds while the period estimate stretched by 1 %.
  double learned_rate_drift = 0.002;
  // Device-time streams: a session step shorter than this share of the device's step is a
  // burst's (the offset's envelope fell by most of a period: samples a link held back, stamped
  // as they came), and the sample is integrated over its device step (ClockUpdate::
  // shortened_step). Steps a little shorter are the envelope following a device clock that runs
  // fast (up to max_rate_error), where session time is the truer one.
  double burst_step_frac = 0.5;
};

// Arrival-time streams: how long after its last sample a loss may still be found late, beyond
// the lost time itself: the block it fell in, and loss_ramp_blocks more for it to show whole and
// level off (each block loss_block_s, or loss_block_min_samples at low rates). 0 where a loss
// shows at the first sample after it (device time, nominal timestamps).
double LateLossFoundWithinS(const SampleClockParams& params);

// What the clock says about one sample.
struct ClockUpdate {
  Time time;                 // the sample's session time
  bool accepted = true;      // false: duplicate or backwards device time; drop the sample
  bool gap = false;          // samples are missing before this one
  Duration gap_duration{0};  // the longest time without samples in the loss
  std::int64_t missing_samples = 0;
  // Arrival-time streams find a short loss one sample late: the first sample after the loss
  // could be one late delivery, so it was passed on at the next period; the second, as late,
  // shows the loss. This many of the missing samples lay before the previous sample; the rest
  // (when a radio dropped a second burst a sample after the first) right before this one.
  std::int64_t missing_before_previous = 0;
  // Arrival-time streams: samples lost a block or two ago (loss_block_s), found now. The loss lay
  // just before the sample 'late_loss_samples_ago' samples before this one (0: this one), where
  // the arrivals' lag behind the clock stepped up; the samples since have gone on. 0 samples:
  // none found, or found but not located within the last kLagHistory samples.
  std::int64_t late_loss_samples = 0;
  std::int64_t late_loss_samples_ago = 0;
  // ... and the time of those samples (located or not), which this sample's session time steps
  // over beyond its period: integrate its gyro over the step less this (the lost samples' own
  // rotation, if located, is put back where they were lost).
  Duration late_loss_step{0};
  // Device-time streams: how much shorter this sample's session step is than its device step,
  // where a burst shortened it (SampleClockParams::burst_step_frac). A link that held samples
  // back as it began delivers them at once, and the offset's envelope, learned from the late
  // first one, falls by a period at each: session time can only step a microsecond. The sample
  // still spans its device step: the filter and the detector integrate over that (over the
  // microsecond, a burst's turning was lost).
  Duration shortened_step{0};
};

// Turns device or arrival times into session times for one sensor, and finds gaps.
//
// Device-time streams: session time = device time + offset, where the offset is the lower
// envelope of (arrival - device time), so left and right sensors whose clocks are offset or
// drift end up on the one session clock. Arrival-time streams: a device clock is synthesised by
// counting samples at the estimated period, then mapped the same way, which removes the
// jitter and bursts of USB/BLE delivery. Gaps are detected from the sample times, never hidden.
// Not thread-safe; one per sensor.
class SampleClock {
 public:
  explicit SampleClock(const SampleClockParams& params);

  // 'device_or_arrival' is the device timestamp for device-time streams, else equal to
  // 'arrival'.
  ClockUpdate Update(Time device_or_arrival, Time arrival);

  // Forget the stream (the device was lost): the next sample starts a new mapping.
  void Reset();

  double period_s() const { return period_s_; }
  // Arrival-time streams: a pause in arrivals longer than this is lost samples.
  double loss_pause_s() const {
    return std::max(params_.gap_periods * period_s_, params_.min_arrival_gap_s);
  }
  std::int64_t gaps() const { return gaps_; }
  std::int64_t missing_samples() const { return missing_samples_total_; }
  std::int64_t rejected_samples() const { return rejected_; }
  // Arrival-time streams: samples found lost blocks later (loss_block_s), counted for the rate
  // estimate only (not in missing_samples(), no gap reported).
  std::int64_t found_late_samples() const { return found_late_samples_; }

  // How many samples back a loss found late can be located (the lag of each is kept): at 200 Hz
  // 0.64 s, twice the three 0.1 s blocks a loss is found within.
  static constexpr int kLagHistory = 128;

 private:
  ClockUpdate Start(Time device, Time arrival);
  void UpdatePeriodEstimate(Time arrival);
  // Losses under arrival_loss_min_s, from the least lag of each block: the number of samples
  // lost (0 if none), found at the end of the block after the one the loss stepped into.
  std::int64_t SamplesLostInBlocks(double lag_s);
  // Where 'lost' samples, found at the end of a block of 'block_samples', were lost: how many
  // samples back the first one after the loss is, or -1 if not within kLagHistory.
  std::int64_t LocateLateLoss(std::int64_t lost, std::int64_t block_samples) const;

  SampleClockParams params_;
  double nominal_period_s_;
  double period_s_;
  bool started_ = false;
  // Device clock (real or synthesised), seconds since the first sample of the current mapping.
  double device_s_ = 0.0;
  Time device_origin_;
  Time last_device_;
  Time last_arrival_;
  // session time = device_origin_ + device_s_ + offset_s_ + late_catch_up_s_
  double offset_s_ = 0.0;
  // Arrival-time streams: the time of losses found late (late_loss_step) that the offset's
  // envelope, rising at offset_rise_s_per_s, has not yet taken up.
  double late_catch_up_s_ = 0.0;
  Time last_time_;
  Time mapping_start_;  // session time of the first sample of the current mapping
  // Period estimate (arrival-time streams): arrivals counted since an anchor.
  Time rate_anchor_arrival_;
  std::int64_t rate_anchor_count_ = 0;
  bool period_learned_ = false;  // a rate window is behind the period estimate
  std::int64_t count_ = 0;
  // Arrival-time streams, short losses: the previous arrival came later than the one before it
  // by late_jump_s_ (samples may be lost before it; the next arrival tells), and the lag behind
  // the clock of the last sample that came on time.
  bool late_arrival_ = false;
  double batched_share_ = 0.0;  // share of samples arriving with the one before (average)
  double late_jump_s_ = 0.0;
  double on_time_lag_s_ = 0.0;
  double previous_lag_s_ = 0.0;
  // Losses under arrival_loss_min_s (loss_block_s): the least lag of the current block, of the
  // last block (the reference), and the steady rise per block (a rate error not learned yet).
  std::int64_t block_samples_ = 0;
  double block_min_lag_s_ = 0.0;
  bool has_reference_ = false;
  double reference_min_lag_s_ = 0.0;
  double rise_per_block_s_ = 0.0;
  // Blocks in a row that stepped up, waiting for the next to tell a loss from a stall or a
  // ramp (0: none), and the least lag of the last of them.
  int pending_blocks_ = 0;
  double pending_min_lag_s_ = 0.0;
  std::int64_t gaps_ = 0;
  std::int64_t missing_samples_total_ = 0;
  std::int64_t rejected_ = 0;
  std::int64_t found_late_samples_ = 0;
  // Arrival-time streams: each sample's arrival minus the synthesised device time (the lag
  // without the offset, which moves), newest at raw_lags_[(samples_seen_ - 1) % kLagHistory].
  std::array<double, kLagHistory> raw_lags_{};
  std::int64_t samples_seen_ = 0;  // since the mapping started
  std::int64_t last_block_samples_ = 0;
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_CLOCK_SAMPLE_CLOCK_H_
