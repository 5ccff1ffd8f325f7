#include "fusion/pipeline/session_pipeline.h"

#include <algorithm>
#include <array>

#include "fusion/core/rotation.h"
#include "fusion/decode/decoder.h"

namespace ambi::fusion {
namespace {

constexpr Duration kWatermarkInterval = std::chrono::milliseconds(50);

int PlacementSlot(Placement placement) {
  return static_cast<int>(placement.limb) * 2 + static_cast<int>(placement.side);
}

}  // namespace

struct SessionPipeline::SensorState {
  SensorState(int sensor_index, const SensorConfig& sensor_config, const SessionParams& params)
      : index(sensor_index),
        config(sensor_config),
        decoder(DecoderParams{sensor_config.protocol, sensor_config.witmotion_mag_uT_per_count}),
        clock(ClockParams(sensor_config, params.clock)),
        catch_up(params.catch_up),
        catch_up_applies(!HasDeviceTime(sensor_config.protocol) &&
                         !params.clock.nominal_timestamps),
        filter(params.orientation, sensor_config.nominal_rate_hz),
        reps(RepParams(sensor_config, params, params.exercise)),
        plausibility(params.plausibility),
        filter_before(kFilterSnapshots, filter) {}

  static SampleClockParams ClockParams(const SensorConfig& sensor, SampleClockParams clock) {
    clock.nominal_rate_hz = sensor.nominal_rate_hz;
    clock.device_time = HasDeviceTime(sensor.protocol);
    return clock;
  }
  static RepDetectorParams RepParams(const SensorConfig& sensor, const SessionParams& session,
                                     const Exercise& exercise) {
    RepDetectorParams params = session.reps;
    params.nominal_rate_hz = sensor.nominal_rate_hz;
    // A loss this stream finds late is found within this long of the samples after it.
    const double found_within_s = LateLossFoundWithinS(ClockParams(sensor, session.clock));
    if (found_within_s > 0.0) {
      params.late_loss_wait_s = found_within_s + session.late_loss.max_lost_s;
    }
    params.first_phase = exercise.first_phase;
    params.exercise_min_rom_deg = exercise.min_rom_deg;
    params.axis.tilt_only = exercise.tilt_only;
    params.climbing = exercise.climbs;
    if (sensor.placement.limb == Limb::kAnkle) params.step_lever_m = params.ankle_step_lever_m;
    return params;
  }

  // The detector measures angles and learns its axis from the gyro less the bias the filter
  // learned at rest, as the orientation does: a 0.7 deg/s bias turns a slow set's angle by a
  // whole small rep over the seconds its axis takes to lock.
  ImuSample WithoutGyroBias(const ImuSample& sample) const {
    ImuSample corrected = sample;
    corrected.gyro_rad_s = Sub(sample.gyro_rad_s, filter.gyro_bias_rad_s());
    return corrected;
  }

  int index;
  SensorConfig config;
  Decoder decoder;
  SampleClock clock;
  DeliveryCatchUp catch_up;
  bool catch_up_applies;  // arrival-time streams: device time says where each sample belongs
  OrientationFilter filter;
  RepDetector reps;
  InputPlausibility plausibility;
  SensorCounters counters;
  std::int64_t sample_index = 0;
  std::uint64_t bytes_discarded_reported = 0;
  std::optional<Time> last_bad_data_report;
  std::optional<ImuSample> last_sample;  // session time; the near side of a gap to bridge
  // The sample before last_sample: the near side of a loss found one sample late.
  std::optional<ImuSample> sample_before_last;
  Time next_watermark{};  // when to tell the comparator how far this side's data has come
  // The samples fed last, measured and bridged (AddLateLoss reaches back to a loss the clock
  // finds blocks later): each as the filter took it, the orientation after it, its detector index
  // and the samples of a late loss put back before it.
  struct Fed {
    ImuSample sample;
    Quaternion after;
    std::int64_t detector_index = 0;
    std::int64_t lost_before = 0;
    double lost_in_step_s = 0.0;  // ClockUpdate::late_loss_step less shortened_step
    bool measured = false;
    // The last sample of a bridge whose tilt check was armed after it (CheckTiltAfterBridge).
    bool tilt_check_armed_after = false;
  };
  // Room for the clock's located history plus the bridged samples between.
  static constexpr int kFedHistory = 2 * SampleClock::kLagHistory;
  std::array<Fed, kFedHistory> fed{};
  std::int64_t fed_count = 0;  // since the last cut gap or new detector
  // A bridged gap whose tilt the filter checks (CheckTiltAfterBridge): the fed number of its
  // first bridged sample, from which a snap is given back (GiveBackTiltSnap).
  std::optional<std::int64_t> tilt_check_from;
  std::array<Vec3, kFedHistory> corrected_up{};
  Fed& FedBack(std::int64_t back) {
    return fed[static_cast<std::size_t>((fed_count - 1 - back) % kFedHistory)];
  }
  Fed& FedNumber(std::int64_t number) {
    return fed[static_cast<std::size_t>(number % kFedHistory)];
  }
  // The filter as it was before every kFilterSnapshotEvery-th fed sample (and the late loss put
  // back before it), so that a loss found late is put back by running the filter again from
  // there: a copy every 16 samples costs less than keeping one per sample.
  static constexpr int kFilterSnapshotEvery = 16;
  static constexpr int kFilterSnapshots = kFedHistory / kFilterSnapshotEvery + 1;
  std::vector<OrientationFilter> filter_before;  // by (fed number / every) % snapshots
  OrientationFilter& FilterBefore(std::int64_t number) {
    return filter_before[static_cast<std::size_t>((number / kFilterSnapshotEvery) %
                                                  kFilterSnapshots)];
  }
  // Keeps a copy of the filter before fed sample 'number' when that sample is due one.
  void KeepFilterBefore(std::int64_t number) {
    if (number % kFilterSnapshotEvery == 0) FilterBefore(number) = filter;
  }
  // Feeds the filter the next sample to remember (RememberFed follows).
  void FeedFilter(const ImuSample& sample, double lost_in_step_s) {
    KeepFilterBefore(fed_count);
    filter.Update(sample, lost_in_step_s);
  }
};

struct SessionPipeline::SetState {
  bool open = false;
  bool automatic = false;
  int index = 0;
  Exercise exercise;
  SetMode mode = SetMode::kBilateral;
  std::optional<Side> side;
  Time start;
  Time last_rep_end;
  double longest_pause_s = 0.0;             // between the end of a rep and the start of the next
  std::array<int, 4> reps_per_placement{};  // by PlacementSlot
};

SessionPipeline::SessionPipeline(const SessionParams& params, EventSink* sink)
    : params_(params), sink_(sink), set_(std::make_unique<SetState>()) {
  set_->exercise = params_.exercise;
  set_->mode = params_.mode.value_or(params_.exercise.default_mode);
  for (int i = 0; i < static_cast<int>(params_.sensors.size()); ++i) {
    sensors_.push_back(std::make_unique<SensorState>(i, params_.sensors[i], params_));
  }
  comparators_.resize(2);
  screens_.resize(2);
  // The screen keeps its own settings: a short set-end rest must not make every rep that waits
  // for the next one (the first of each set) handling.
  const RepScreenParams& screen = params_.rep_screen;
  for (int i = 0; i < static_cast<int>(params_.sensors.size()); ++i) {
    const Placement placement = params_.sensors[i].placement;
    sensor_by_slot_[static_cast<std::size_t>(PlacementSlot(placement))] = i;
    auto& rep_screen = screens_[static_cast<int>(placement.limb)];
    if (!rep_screen) rep_screen = std::make_unique<RepScreen>(screen);
  }
  RestartScreens();
  for (const SensorConfig& sensor : params_.sensors) {
    auto& comparator = comparators_[static_cast<int>(sensor.placement.limb)];
    if (!comparator) {
      comparator =
          std::make_unique<LimbPairComparator>(sensor.placement.limb, params_.asymmetry, sink_);
    }
  }
}

SessionPipeline::~SessionPipeline() = default;

int SessionPipeline::sensor_count() const { return static_cast<int>(sensors_.size()); }

const SensorConfig& SessionPipeline::sensor(int sensor_index) const {
  return sensors_[sensor_index]->config;
}

const SensorCounters& SessionPipeline::counters(int sensor_index) const {
  return sensors_[sensor_index]->counters;
}

Time SessionPipeline::latest_time() const { return latest_time_; }

void SessionPipeline::set_orientation_observer(OrientationObserver* observer) {
  orientation_observer_ = observer;
}

void SessionPipeline::OnBytes(int sensor_index, Time arrival_time,
                              std::span<const std::uint8_t> bytes) {
  SensorState& sensor = *sensors_[sensor_index];
  sensor.decoder.Feed(bytes, arrival_time,
                      [&](const ImuSample& sample) { TakeSample(sensor, sample, arrival_time); });
  const DecoderStats& stats = sensor.decoder.stats();
  sensor.counters.checksum_errors = static_cast<std::int64_t>(stats.checksum_errors);
  if (stats.bytes_discarded != sensor.bytes_discarded_reported) {
    ReportBadData(sensor, arrival_time, /*force=*/false);
  }
}

void SessionPipeline::OnSample(int sensor_index, const ImuSample& sample, Time arrival_time) {
  TakeSample(*sensors_[sensor_index], sample, arrival_time);
}

void SessionPipeline::TakeSample(SensorState& sensor, const ImuSample& sample, Time arrival_time) {
  if (!sensor.catch_up_applies ||
      !sensor.catch_up.Push(sample, arrival_time, sensor.clock.period_s(),
                            sensor.clock.loss_pause_s())) {
    ProcessSample(sensor.index, sample, arrival_time);
    return;
  }
  DrainCatchUp(sensor);
}

void SessionPipeline::DrainCatchUp(SensorState& sensor) {
  while (const std::optional<DeliveryCatchUp::Timed> timed = sensor.catch_up.Pop()) {
    ProcessSample(sensor.index, timed->sample, timed->arrival);
  }
  sensor.counters.caught_up_samples = sensor.catch_up.caught_up_samples();
}

void SessionPipeline::EndCatchUps() {
  for (auto& sensor : sensors_) {
    sensor->catch_up.End();
    DrainCatchUp(*sensor);
  }
}

void SessionPipeline::ProcessSample(int sensor_index, const ImuSample& sample, Time arrival_time) {
  SensorState& sensor = *sensors_[sensor_index];
  const ClockUpdate clock = sensor.clock.Update(sample.time, arrival_time);
  if (!clock.accepted) {
    ++sensor.counters.rejected_samples;
    return;
  }
  ImuSample timed = sample;
  timed.time = clock.time;
  std::optional<SensorStatus> gap_status;
  std::int64_t dropped_before = 0;
  if (clock.gap) {
    ++sensor.counters.gaps;
    sensor.counters.missing_samples += clock.missing_samples;
    gap_status = StatusOf(sensor, SensorEventKind::kGap, clock.time);
    gap_status->gap = clock.gap_duration;
    gap_status->missing_samples = clock.missing_samples;
    if (sensor.last_sample && clock.missing_samples > 0 &&
        DecideGap(params_.reps.gap, ToSeconds(clock.gap_duration)) == GapAction::kBridge) {
      // A short gap: the missing samples are interpolated and the rep in progress goes on.
      gap_status->bridged = true;
      sink_->OnEvent(*gap_status);
      gap_status.reset();
      // A loss found blocks later at this same sample is stepped over by this sample alone
      // (late_loss_step below), not spread over the bridge: its samples would each span more
      // than a period (a 10-sample bridge beside 7 samples found late: 1.6 periods each).
      ImuSample bridge_to = timed;
      bridge_to.time = SaturatingAdd(timed.time, -clock.late_loss_step);
      BridgeGap(sensor, bridge_to, clock.missing_samples, clock.missing_before_previous);
    } else {
      // The limb may have moved anywhere during the gap: the orientation checks its tilt against
      // gravity once the limb is still (or sooner if clearly wrong), keeping heading and gyro
      // bias; the rep in progress is judged from the first sample after the gap, or dropped.
      dropped_before = sensor.reps.diagnostics().dropped_by_gap;
      RestartAfterGap(sensor, clock.time);
    }
  }
  // Across a cut gap the sample before is no near side of anything. (Assigned in place: a
  // conditional expression built a temporary optional and copied it, per sample.)
  if (gap_status) {
    sensor.sample_before_last.reset();
  } else {
    sensor.sample_before_last = sensor.last_sample;
  }
  // Copied from the sample as it came, then retimed: 'timed' was written a moment ago, and
  // reading it back whole stalled on that write at every sample.
  sensor.last_sample = sample;
  sensor.last_sample->time = timed.time;

  if (const std::optional<ImplausibleInput> problem = sensor.plausibility.CheckSample(timed)) {
    ReportImplausible(sensor, *problem, sensor.plausibility.last_value(), clock.time);
  }
  // Session time this step spans beyond the sample's own: samples found late (put back where
  // they were lost), less a step the clock shortened (the sample spans its device step).
  const double lost_in_step_s = ToSeconds(clock.late_loss_step) - ToSeconds(clock.shortened_step);
  FeedFilterFollowingTiltCheck(sensor, timed, lost_in_step_s);
  // (The reference filter leaves the production one unused: never still_but_turning.)
  const MadgwickDiagnostics& fused = sensor.filter.madgwick().diagnostics();
  if (const std::optional<ImplausibleInput> problem = sensor.plausibility.CheckStillness(
          fused.still_but_turning, fused.at_rest, timed.gyro_rad_s, fused.dt_s)) {
    ReportImplausible(sensor, *problem, sensor.plausibility.last_value(), clock.time);
  }
  const Quaternion& sensor_to_earth = sensor.filter.sensor_to_earth();
  if (orientation_observer_ != nullptr) {
    orientation_observer_->OnOrientation(sensor.index, sensor.sample_index, clock.time,
                                         sensor_to_earth);
  }
  ++sensor.sample_index;
  ++sensor.counters.samples;
  if (clock.time > latest_time_) latest_time_ = clock.time;

  const RepDetectorOutput& output =
      sensor.reps.Update(sensor.WithoutGyroBias(timed), sensor_to_earth,
                         /*bridged=*/false, lost_in_step_s);
  RememberFed(sensor, timed, /*measured=*/true, lost_in_step_s);
  if (clock.late_loss_samples > 0) {
    AddLateLoss(sensor, clock.late_loss_samples, clock.late_loss_samples_ago);
  }
  if (gap_status) {
    // A cut gap's rep in progress is judged at the first sample after it (this one).
    gap_status->rep_dropped = sensor.reps.diagnostics().dropped_by_gap > dropped_before;
    sink_->OnEvent(*gap_status);
  }
  const int limb = static_cast<int>(sensor.config.placement.limb);
  ScreenOutput(sensor, output);
  screens_[limb]->AdvanceTime(sensor.config.placement.side, clock.time);
  DrainScreen(limb);

  if (!set_->open) return;
  // The comparator only needs to know how far each side's data has come to report unpaired reps
  // after the pairing tolerance (seconds); telling it every 50 ms instead of every sample keeps it
  // off the per-sample path.
  if (clock.time >= sensor.next_watermark) {
    // Not past a rep the screen still holds, nor one the detector has not returned yet (a slow
    // rep is returned seconds after it began): its partner must not be reported unpaired first.
    Time mark = clock.time;
    if (const std::optional<Time> held = screens_[limb]->HeldFrom(sensor.config.placement.side)) {
      mark = std::min(mark, *held);
    }
    if (const std::optional<Time> unreturned = sensor.reps.UnreturnedRepFrom()) {
      mark = std::min(mark, *unreturned);
    }
    comparators_[limb]->AdvanceTime(sensor.config.placement.side, mark);
    sensor.next_watermark = clock.time + kWatermarkInterval;
  }
  if (set_->automatic && !output.moving &&
      ToSeconds(clock.time - set_->last_rep_end) > SetEndRestS() &&
      !ScreenStillJudgesARep(clock.time)) {
    const int resting_set = set_->index;
    ResolveScreens();
    // The reps the screens held (the first reps after a rest) may have begun the next set, which
    // has not rested.
    if (set_->index == resting_set) CloseSet(set_->last_rep_end);
    RestartScreens();
  }
}

void SessionPipeline::BridgeGap(SensorState& sensor, const ImuSample& after, std::int64_t missing,
                                std::int64_t missing_before_previous) {
  const ImuSample before = *sensor.last_sample;
  // The sample before 'before' (none across a cut gap): the near side of a loss found late, or
  // the third point of the gyro's curve.
  const std::optional<ImuSample>& earlier = sensor.sample_before_last;
  // Found late: the first 'missing_before_previous' were lost between 'earlier' and 'before'.
  const std::int64_t found_late = earlier ? missing_before_previous : 0;
  const std::int64_t first_bridged = sensor.fed_count;
  for (std::int64_t k = 1; k <= missing; ++k) {
    ImuSample bridged;
    if (found_late == missing) {
      bridged = BridgeSampleFoundLate(*earlier, before, after, k, missing);
    } else if (found_late > 0) {
      bridged = BridgeSampleTwoLosses(*earlier, before, after, k, found_late, missing);
    } else if (earlier) {
      bridged = BridgeSampleCurved(*earlier, before, after, k, missing);
    } else {
      bridged = BridgeSample(before, after, k, missing);
    }
    // A check pending from an earlier bridge may complete here, the limb still across this one:
    // its snap is given back as at a measured sample, or the angle would jump here by what
    // that bridge missed (a lunge's step, 20 deg) and the rep in progress keep the miss.
    FeedFilterFollowingTiltCheck(sensor, bridged, /*lost_in_step_s=*/0.0);
    ++sensor.counters.bridged_samples;
    const RepDetectorOutput& output =
        sensor.reps.Update(sensor.WithoutGyroBias(bridged), sensor.filter.sensor_to_earth(),
                           /*bridged=*/true);
    RememberFed(sensor, bridged, /*measured=*/false);
    // A swing or rep may end on a bridged sample as on a measured one.
    ScreenOutput(sensor, output);
  }
  // The interpolated gyro may have missed part of a fast turn (a shank landing from a step turns
  // 20 deg more than the bridge across 0.18 s of it): the tilt is checked against gravity once
  // the limb is still. A check already pending keeps its earlier gap, whose error is still in
  // the samples since.
  if (!sensor.tilt_check_from) {
    sensor.filter.CheckTiltAfterBridge();
    sensor.tilt_check_from = first_bridged;
    sensor.FedBack(0).tilt_check_armed_after = true;
  }
}

void SessionPipeline::FeedFilterFollowingTiltCheck(SensorState& sensor, const ImuSample& sample,
                                                   double lost_in_step_s) {
  sensor.FeedFilter(sample, lost_in_step_s);
  if (sensor.tilt_check_from) FollowTiltCheck(sensor, sensor.filter.madgwick().diagnostics());
}

void SessionPipeline::FollowTiltCheck(SensorState& sensor, const MadgwickDiagnostics& fused) {
  if (fused.tilt_snapped) {
    GiveBackTiltSnap(sensor, fused.last_tilt_snap);
  } else if (!sensor.filter.tilt_check_pending()) {
    sensor.tilt_check_from.reset();  // the limb was still and the carried tilt right
  } else if (sensor.fed_count - *sensor.tilt_check_from >= SensorState::kFedHistory - 1) {
    // The samples since the gap no longer fit the history: a snap now could not be given back.
    sensor.filter.CancelTiltCheck();
    sensor.tilt_check_from.reset();
  }
}

void SessionPipeline::GiveBackTiltSnap(SensorState& sensor, const Quaternion& snap) {
  // The sample just fed snapped the tilt: the error it corrected was made in the gap and carried
  // since, so the samples from the gap on (fed and measured by the detector before this one)
  // take the rotation, and the detector measures their angles again. The error grew where the
  // gyro was filled, by what the fill missed of the turn there, so each bridged sample adds its
  // share of the rotation as the turning rate it was filled with: a sample takes the share of the
  // fills up to it. With several bridges pending, one at rest and one in a step's swing, the pose
  // stood in between them took the whole correction for the swing, the step not yet begun, and
  // read standing 40 deg off. Without any turning filled, every sample takes the whole rotation.
  const std::int64_t from = *sensor.tilt_check_from;
  sensor.tilt_check_from.reset();
  if (from >= sensor.fed_count) return;
  double filled_turn = 0.0;
  for (std::int64_t number = from; number < sensor.fed_count; ++number) {
    const SensorState::Fed& fed = sensor.FedNumber(number);
    if (!fed.measured) filled_turn += Norm(fed.sample.gyro_rad_s);
  }
  const Vec3 snap_rad = ToRotationVector(snap);
  double filled_so_far = 0.0;
  // The share changes only at a fill: measured samples between fills keep the last one's.
  Quaternion share = filled_turn > 0.0 ? Quaternion{} : snap;
  for (std::int64_t number = from; number < sensor.fed_count; ++number) {
    SensorState::Fed& fed = sensor.FedNumber(number);
    if (filled_turn > 0.0 && !fed.measured) {
      filled_so_far += Norm(fed.sample.gyro_rad_s);
      share = FromRotationVector(Scale(snap_rad, filled_so_far / filled_turn));
    }
    fed.after = Compose(share, fed.after);
    sensor.corrected_up[static_cast<std::size_t>(number - from)] = UpInSensorFrame(fed.after);
  }
  // The gyro missed that turn in the gap: in the sensor's frame as it was before the gap, the
  // rotation it lost, which the detector carries its vertical through there (SensorTravel).
  Vec3 lost_rad;
  if (from >= 1 && from - 1 >= sensor.fed_count - SensorState::kFedHistory) {
    const Quaternion& before = sensor.FedNumber(from - 1).after;
    lost_rad = ToRotationVector(Compose(Compose(Inverse(before), snap), before));
  }
  sensor.reps.AddLostRotation(
      sensor.FedNumber(from).detector_index, lost_rad, 0.0,
      std::span<const Vec3>(sensor.corrected_up.data(),
                            static_cast<std::size_t>(sensor.fed_count - from)));
}

void SessionPipeline::RememberFed(SensorState& sensor, const ImuSample& sample, bool measured,
                                  double lost_in_step_s) {
  ++sensor.fed_count;
  SensorState::Fed& fed = sensor.FedBack(0);
  fed.sample = sample;
  fed.after = sensor.filter.sensor_to_earth();
  fed.detector_index = sensor.reps.next_index() - 1;
  fed.lost_before = 0;
  fed.lost_in_step_s = lost_in_step_s;
  fed.measured = measured;
  fed.tilt_check_armed_after = false;
}

void SessionPipeline::AddLateLoss(SensorState& sensor, std::int64_t missing,
                                  std::int64_t samples_ago) {
  const double period_s = sensor.clock.period_s();
  if (static_cast<double>(missing) * period_s > params_.late_loss.max_lost_s) return;
  // The first measured sample after the loss, and the two fed before it.
  const std::int64_t available = std::min<std::int64_t>(sensor.fed_count, SensorState::kFedHistory);
  std::int64_t back = 0;
  for (std::int64_t measured = -1; back < available; ++back) {
    if (sensor.FedBack(back).measured && ++measured == samples_ago) break;
  }
  // The filter runs again from its copy before the loss: that copy, and the two samples before
  // each loss to put back on the way, must still be remembered.
  const std::int64_t oldest = sensor.fed_count - available;
  const std::int64_t first_after = sensor.fed_count - 1 - back;
  const std::int64_t from =
      first_after / SensorState::kFilterSnapshotEvery * SensorState::kFilterSnapshotEvery;
  if (back + 2 >= available || from - 2 < oldest) return;  // counted for the rate only
  auto fed_sample = [&](std::int64_t number) { return sensor.FedNumber(number).sample; };
  const Vec3 lost_rad = RotationOfLostSamples(fed_sample(first_after - 2),
                                              fed_sample(first_after - 1), fed_sample(first_after),
                                              missing, period_s, sensor.filter.gyro_bias_rad_s());
  sensor.FedNumber(first_after).lost_before += missing;

  // As if the samples had come: the lost ones one period each, the rest as they were fed. The
  // orientation since the loss is what a stream that found it at once would have; turning it
  // by the lost rotation afterwards overstated reps, because the filter's gravity correction had
  // already made up part of it meanwhile.
  sensor.filter = sensor.FilterBefore(from);
  for (std::int64_t number = from; number < sensor.fed_count; ++number) {
    if (number > from) sensor.KeepFilterBefore(number);
    SensorState::Fed& fed = sensor.FedNumber(number);
    for (std::int64_t k = 1; k <= fed.lost_before; ++k) {
      sensor.filter.UpdateWithDt(LostSample(fed_sample(number - 2), fed_sample(number - 1),
                                            fed.sample, k, fed.lost_before, period_s),
                                 period_s);
    }
    sensor.filter.Update(fed.sample, fed.lost_in_step_s);
    fed.after = sensor.filter.sensor_to_earth();
    // Armed by the pipeline, not by the samples: without it here the run would drop a bridge's
    // check, pending or done, and the turn that fill missed stay in the tilt (a shank's way down
    // 16 deg off as it stood still, until the gain wore it away over seconds).
    if (fed.tilt_check_armed_after) sensor.filter.CheckTiltAfterBridge();
    if (number >= first_after) {
      sensor.corrected_up[static_cast<std::size_t>(number - first_after)] =
          UpInSensorFrame(fed.after);
    }
  }
  sensor.reps.AddLostRotation(
      sensor.FedBack(back).detector_index, lost_rad, static_cast<double>(missing) * period_s,
      std::span<const Vec3>(sensor.corrected_up.data(), static_cast<std::size_t>(back + 1)));
  sensor.counters.late_loss_samples += missing;
}

void SessionPipeline::ScreenOutput(SensorState& sensor, const RepDetectorOutput& output) {
  RepScreen& screen = *screens_[static_cast<int>(sensor.config.placement.limb)];
  if (output.swing) screen.AddSwing(sensor.config.placement.side, *output.swing);
  if (output.carried) screen.AddCarried(sensor.config.placement.side, *output.carried);
  if (output.rep) ScreenRep(sensor, *output.rep, output.rep_rotation);
}

void SessionPipeline::ScreenRep(SensorState& sensor, Rep rep, const RepRotation& rotation) {
  rep.placement = sensor.config.placement;
  const int limb = static_cast<int>(rep.placement.limb);
  screens_[limb]->Add(rep.placement.side, rep, rotation);
  DrainScreen(limb);
}

void SessionPipeline::DrainScreen(int limb) {
  while (std::optional<Rep> rep = screens_[limb]->Pop()) {
    const int index = sensor_by_slot_[static_cast<std::size_t>(PlacementSlot(rep->placement))];
    HandleRep(*sensors_[index], *rep);
  }
  // Reps the detector counted that the screen found gait were no set: the detector learns the
  // set's axis and size afresh at the limb's next rest, not from the walk.
  for (Side side : {Side::kLeft, Side::kRight}) {
    const auto slot = static_cast<std::size_t>(PlacementSlot({side, static_cast<Limb>(limb)}));
    const std::int64_t gait = screens_[limb]->GaitCount(side);
    if (gait == gait_told_[slot]) continue;
    gait_told_[slot] = gait;
    if (sensor_by_slot_[slot] >= 0) sensors_[sensor_by_slot_[slot]]->reps.DisownSet();
  }
}

void SessionPipeline::ResolveScreens() {
  for (int limb = 0; limb < static_cast<int>(screens_.size()); ++limb) {
    if (!screens_[limb]) continue;
    screens_[limb]->EndRun();
    DrainScreen(limb);
    if (!comparators_[limb]) continue;
    for (Side side : {Side::kLeft, Side::kRight}) {
      if (screens_[limb]->NotWorking(side)) comparators_[limb]->MarkNotWorking(side);
    }
  }
}

void SessionPipeline::RestartScreens() {
  const bool same_exercise = screened_exercise_ && *screened_exercise_ == set_->exercise.name;
  screened_exercise_ = set_->exercise.name;
  for (int limb = 0; limb < static_cast<int>(screens_.size()); ++limb) {
    if (!screens_[limb]) continue;
    const Limb l = static_cast<Limb>(limb);
    const bool two_sides =
        sensor_by_slot_[static_cast<std::size_t>(PlacementSlot({Side::kLeft, l}))] >= 0 &&
        sensor_by_slot_[static_cast<std::size_t>(PlacementSlot({Side::kRight, l}))] >= 0;
    screens_[limb]->StartRun(set_->mode == SetMode::kBilateral, two_sides,
                             set_->exercise.other_side_rests, same_exercise);
  }
}

void SessionPipeline::HandleRep(SensorState& sensor, Rep rep) {
  rep.placement = sensor.config.placement;
  if (sensor.plausibility.RomBeyondAnatomy(rep.rom_deg)) {
    // Never averaged into a set: "mean ROM 1453°" helps nobody. The status names the likely cause.
    ++sensor.counters.rejected_samples;
    ReportImplausible(sensor, ImplausibleInput::kRomBeyondAnatomy, rep.rom_deg, rep.end);
    return;
  }
  if (!set_->open) {
    if (!params_.automatic_sets) {
      // Outside an explicit set a rep is still reported, but belongs to no set.
      rep.placement = sensor.config.placement;
      rep.set_index = 0;
      rep.index = 0;
      ++sensor.counters.reps;
      sink_->OnEvent(rep);
      return;
    }
    OpenSet(rep.start, /*automatic=*/true, UnilateralSide(rep));
  } else if (set_->automatic && ToSeconds(rep.start - set_->last_rep_end) > SetEndRestS()) {
    // A rep handed on late (the screen held it: the first reps after a rest may be handling)
    // that began after the set had rested long enough to end is the next set's.
    CloseSet(set_->last_rep_end);
    OpenSet(rep.start, /*automatic=*/true, UnilateralSide(rep));
  } else if (set_->automatic && set_->mode == SetMode::kUnilateral && set_->side &&
             RestedForTheOtherSide(rep) && StartsTheOtherSidesSet(rep)) {
    // Unilateral work: the other side starting its reps after the working side has rested is
    // the other side's set. Sooner (alternating arms, or both sides moving together) it is the
    // same set: detection never cuts a movement into one-rep sets.
    CloseSet(set_->last_rep_end);
    OpenSet(rep.start, /*automatic=*/true, UnilateralSide(rep));
  }
  rep.placement = sensor.config.placement;
  rep.set_index = set_->index;
  rep.index = ++set_->reps_per_placement[PlacementSlot(rep.placement)];
  if (rep.index == 1) rep.pause_before_s = 0.0;
  ++sensor.counters.reps;
  if (rep.start > set_->last_rep_end && set_->last_rep_end > set_->start) {
    set_->longest_pause_s =
        std::max(set_->longest_pause_s, ToSeconds(rep.start - set_->last_rep_end));
  }
  set_->last_rep_end = std::max(set_->last_rep_end, rep.end);
  sink_->OnEvent(rep);
  comparators_[static_cast<int>(rep.placement.limb)]->AddRep(rep);
}

double SessionPipeline::SetEndRestS() const {
  const double own_rhythm_s =
      std::max(params_.set_end_min_rest_s, params_.set_end_pause_ratio * set_->longest_pause_s);
  return std::min(params_.set_end_rest_s, own_rhythm_s);
}

bool SessionPipeline::ScreenStillJudgesARep(Time now) const {
  for (const auto& sensor : sensors_) {
    if (!sensor->last_sample ||
        ToSeconds(now - sensor->last_sample->time) > params_.set_end_silent_sensor_s) {
      continue;
    }
    // A rep the screen still judges (the first after a pause waits for the next one) may be
    // the set's: a slow set's first rep after a long pause is, and the other arm's first rep
    // of its own set. (Not a rep the detector is in: a sensor whose gyro drifts may never leave
    // one.)
    const Placement& placement = sensor->config.placement;
    if (screens_[static_cast<int>(placement.limb)]->HeldFrom(placement.side)) return true;
  }
  return false;
}

bool SessionPipeline::RestedForTheOtherSide(const Rep& rep) const {
  const double pause_s = ToSeconds(rep.start - set_->last_rep_end);
  return pause_s >= params_.min_side_switch_rest_s && pause_s > set_->longest_pause_s;
}

bool SessionPipeline::StartsTheOtherSidesSet(const Rep& rep) const {
  // Where both sides move in every rep (a step-up, a split stance), which side's rep comes
  // first after a rest tells nothing (a missed trip, a slower swing): the roles they play do.
  const LimbPairComparator& comparator = *comparators_[static_cast<int>(rep.placement.limb)];
  if (const std::optional<bool> swapped = comparator.SwappedRoles(rep)) return *swapped;
  return rep.placement.side != *set_->side;
}

std::optional<Side> SessionPipeline::UnilateralSide(const Rep& rep) const {
  if (set_->mode != SetMode::kUnilateral) return std::nullopt;
  return rep.placement.side;
}

void SessionPipeline::OpenSet(Time time, bool automatic, std::optional<Side> side) {
  set_->open = true;
  if (automatic) set_->side = side;
  set_->automatic = automatic;
  ++set_->index;
  set_->start = time;
  set_->last_rep_end = time;
  set_->longest_pause_s = 0.0;
  set_->reps_per_placement = {};

  SetStarted started;
  started.set_index = set_->index;
  started.exercise = set_->exercise.name;
  started.mode = set_->mode;
  started.limb = set_->exercise.limb;
  // A split stance's first rep is often the back leg's, a step-up's the trailing leg's: the
  // working side of such an exercise is found from the reps (LimbPairComparator::WorkingSide)
  // and named by the summary, not guessed here. (The
  // first rep's side stays in set_->side, which tells the other side's set apart.)
  const std::optional<Side> side_up_front =
      automatic && set_->exercise.working_side != WorkingSideRule::kFirstToMove ? std::nullopt
                                                                                : set_->side;
  started.side = side_up_front;
  started.time = time;
  started.automatic = automatic;
  sink_->OnEvent(started);

  SetContext context;
  context.set_index = set_->index;
  context.exercise = set_->exercise;
  context.mode = set_->mode;
  context.side = side_up_front;
  context.start = time;
  for (auto& comparator : comparators_) {
    if (comparator) comparator->StartSet(context);
  }
}

void SessionPipeline::CloseSet(Time time) {
  if (!set_->open) return;
  for (auto& comparator : comparators_) {
    if (comparator) comparator->EndSet(time);
  }
  set_->open = false;
  if (!set_->automatic) RestoreConfiguredExercise();
}

void SessionPipeline::RestoreConfiguredExercise() {
  const SetMode configured_mode = params_.mode.value_or(params_.exercise.default_mode);
  // The detectors go on unless the configured exercise asks for other detector settings.
  bool same_detector = true;
  for (const auto& sensor : sensors_) {
    same_detector =
        same_detector && SensorState::RepParams(sensor->config, params_, set_->exercise) ==
                             SensorState::RepParams(sensor->config, params_, params_.exercise);
  }
  set_->exercise = params_.exercise;
  set_->mode = configured_mode;
  set_->side.reset();
  if (!same_detector) NewDetectors(params_.exercise);
}

void SessionPipeline::NewDetectors(const Exercise& exercise) {
  for (auto& sensor : sensors_) {
    sensor->reps = RepDetector(SensorState::RepParams(sensor->config, params_, exercise));
    sensor->fed_count = 0;  // the detector's sample indices start again
  }
}

void SessionPipeline::StartSet(Time time, const Exercise& exercise, SetMode mode,
                               std::optional<Side> side) {
  EndCatchUps();
  ResolveScreens();
  CloseSet(time);
  set_->exercise = exercise;
  set_->mode = mode;
  set_->side = side;
  // A new exercise may start with the other phase and move about another axis.
  NewDetectors(exercise);
  RestartScreens();
  OpenSet(time, /*automatic=*/false, side);
}

bool SessionPipeline::EndSet(Time time) {
  if (!set_->open) return false;
  EndCatchUps();
  ResolveScreens();
  CloseSet(time);
  RestartScreens();
  set_->side.reset();
  return true;
}

bool SessionPipeline::set_open() const { return set_->open; }

void SessionPipeline::ReportImplausible(SensorState& sensor, ImplausibleInput kind, double value,
                                        Time time) {
  SensorStatus status = StatusOf(sensor, SensorEventKind::kBadData, time);
  status.values_wrong = true;
  status.detail = DescribeImplausible(kind, value, params_.plausibility);
  sink_->OnEvent(status);
}

void SessionPipeline::Flush(Time time) {
  EndCatchUps();
  for (auto& sensor : sensors_) {
    if (sensor->decoder.stats().bytes_discarded != sensor->bytes_discarded_reported) {
      ReportBadData(*sensor, time, /*force=*/true);
    }
    // A rep back near its start when the data ends, and reps still queued, are reported.
    RepRotation rotation;
    while (std::optional<Rep> rep = sensor->reps.Finish(&rotation)) {
      ScreenRep(*sensor, *rep, rotation);
    }
  }
  ResolveScreens();
  CloseSet(set_->automatic ? set_->last_rep_end : time);
}

SensorStatus SessionPipeline::StatusOf(const SensorState& sensor, SensorEventKind kind, Time time) {
  SensorStatus status;
  status.sensor_index = sensor.index;
  status.placement = sensor.config.placement;
  status.kind = kind;
  status.time = time;
  return status;
}

void SessionPipeline::OnSensorLost(int sensor_index, Time time, std::string_view detail) {
  SensorState& sensor = *sensors_[sensor_index];
  sensor.catch_up.End();
  DrainCatchUp(sensor);
  sensor.catch_up.Reset();
  sensor.decoder.Reset();
  sensor.clock.Reset();
  sensor.last_sample.reset();
  sensor.sample_before_last.reset();
  RestartAfterGap(sensor, time);
  sensor.counters.connected = false;
  SensorStatus status = StatusOf(sensor, SensorEventKind::kLost, time);
  status.detail = detail;
  sink_->OnEvent(status);
}

void SessionPipeline::RestartAfterGap(SensorState& sensor, Time time) {
  // The one path for every gap too long to bridge, a clock gap and a lost sensor alike: the limb
  // may have moved anywhere, so the orientation checks its tilt against gravity once the limb is
  // still (or sooner if clearly wrong), keeping heading and gyro bias; the rep in progress is
  // judged from the first sample after the gap, or dropped.
  sensor.filter.RestartAfterGap();
  sensor.tilt_check_from.reset();  // the cut gap's own check replaces it
  sensor.reps.MarkGap(time);
  sensor.fed_count = 0;  // a loss found later cannot reach back across the gap
}

void SessionPipeline::OnSensorBack(int sensor_index, Time time, std::string_view detail) {
  SensorState& sensor = *sensors_[sensor_index];
  sensor.counters.connected = true;
  SensorStatus status = StatusOf(sensor, SensorEventKind::kBack, time);
  status.detail = detail;
  sink_->OnEvent(status);
}

void SessionPipeline::ReportBadData(SensorState& sensor, Time time, bool force) {
  if (!force && sensor.last_bad_data_report &&
      ToSeconds(time - *sensor.last_bad_data_report) < params_.bad_data_report_interval_s) {
    return;
  }
  const std::uint64_t discarded = sensor.decoder.stats().bytes_discarded;
  SensorStatus status = StatusOf(sensor, SensorEventKind::kBadData, time);
  status.bytes_discarded = static_cast<std::int64_t>(discarded - sensor.bytes_discarded_reported);
  status.detail = "bytes skipped while resynchronising";
  sensor.bytes_discarded_reported = discarded;
  sensor.counters.bytes_discarded = static_cast<std::int64_t>(discarded);
  sensor.last_bad_data_report = time;
  sink_->OnEvent(status);
}

}  // namespace ambi::fusion
