#ifndef AMBI_FUSION_PIPELINE_SESSION_PIPELINE_H_
#define AMBI_FUSION_PIPELINE_SESSION_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fusion/asymmetry/limb_pair_comparator.h"
#include "fusion/clock/delivery_catch_up.h"
#include "fusion/clock/sample_clock.h"
#include "fusion/core/events.h"
#include "fusion/core/exercise.h"
#include "fusion/core/geometry.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/placement.h"
#include "fusion/decode/protocol.h"
#include "fusion/orientation/orientation_filter.h"
#include "fusion/pipeline/input_plausibility.h"
#include "fusion/reps/late_loss.h"
#include "fusion/reps/rep_detector.h"
#include "fusion/reps/rep_screen.h"

namespace ambi::fusion {

// One sensor of an athlete.
struct SensorConfig {
  Placement placement;
  Protocol protocol = Protocol::kWitMotionSerial;
  double nominal_rate_hz = 100.0;
  double witmotion_mag_uT_per_count = 0.0;  // 0: ignore WitMotion magnetometer frames
};

struct SessionParams {
  std::vector<SensorConfig> sensors;
  Exercise exercise = GenericExercise(Limb::kWrist);
  std::optional<SetMode> mode;      // empty: the exercise's default mode
  OrientationSettings orientation;  // the sample rate is each sensor's nominal_rate_hz
  SampleClockParams clock;          // nominal_rate_hz and device_time are set per sensor
  DeliveryCatchUpParams catch_up;   // arrival-time streams whose delivery stalls and catches up
  RepDetectorParams reps;           // first_phase and nominal_rate_hz are set per sensor/exercise
  LateLossParams late_loss;         // short losses an arrival-time stream finds blocks later
  RepScreenParams rep_screen;       // its own settings, apart from set_end_rest_s
  AsymmetryParams asymmetry;
  // Automatic sets: a set starts with the first rep after rest and ends when no rep has ended
  // for this long on any sensor. Longer than the longest within-set pause (physiotherapy holds
  // last ~5-10 s), shorter than a normal rest between sets (1-3 min).
  bool automatic_sets = true;
  double set_end_rest_s = 20.0;
  // ... and sooner for a set whose reps follow each other closely: after this many times the
  // longest pause between two of its reps, but never under set_end_min_rest_s. A set of reps a
  // second apart rests 15 s between sets with the weights in hand; a physiotherapy set that
  // pauses 5 s between reps keeps the whole set_end_rest_s. (Real sets pause at most 4.6 s
  // between reps, within 1.5 s in the simulator's.)
  double set_end_pause_ratio = 4.0;
  double set_end_min_rest_s = 12.0;
  // Nor does a set end while a rep screen still judges a rep (the first after a pause waits for
  // the next: the other arm's set begun, a slow set going on): that rep may be the set's. A
  // sensor without a sample for this long (lost, stalled) holds nothing back.
  double set_end_silent_sensor_s = 1.0;
  // Bad-data reports per sensor at most this often (session seconds).
  double bad_data_report_interval_s = 5.0;
  // Automatic unilateral sets: the other side's rep starts the other side's set only after the
  // working side has rested this long, and longer than any pause between the set's own reps.
  // Alternating arms (under a second between sides) and bilateral movement (overlapping reps)
  // stay one set, never a set per rep; so does a slow set of step-ups (7 s a rep, pausing 4-6 s
  // between reps), whatever the side of the rep after a pause.
  double min_side_switch_rest_s = 3.0;
  // Unit mistakes (deg/s for rad/s, g for m/s²) and reps beyond anatomy: reported as bad_data.
  PlausibilityParams plausibility;
};

// Receives the fused orientation of every sample (for --orientation-csv and diagnostics).
class OrientationObserver {
 public:
  virtual ~OrientationObserver() = default;
  virtual void OnOrientation(int sensor_index, std::int64_t sample_index, Time time,
                             const Quaternion& sensor_to_earth) = 0;
};

struct SensorCounters {
  std::int64_t samples = 0;
  std::int64_t gaps = 0;
  std::int64_t missing_samples = 0;
  std::int64_t bridged_samples = 0;  // missing samples interpolated across short gaps
  // Samples found lost blocks later (arrival-time streams) whose rotation was added afterwards.
  std::int64_t late_loss_samples = 0;
  std::int64_t rejected_samples = 0;  // duplicate or backwards device time
  // Samples that came in a burst after delivery stalled, timed back into the pause they were
  // held in (arrival-time streams, DeliveryCatchUp).
  std::int64_t caught_up_samples = 0;
  std::int64_t bytes_discarded = 0;
  std::int64_t checksum_errors = 0;
  std::int64_t reps = 0;
  bool connected = true;
};

// The single entry point of the core for one athlete, live and replay alike: transport bytes
// (or decoded samples) in, events out to the sink, in order and on the caller's thread.
// transport bytes -> decoder -> clock -> Madgwick -> rep detector -> left/right comparator.
// Nothing here reads a clock, so the same input always gives the same events. No allocation
// per sample. Not thread-safe.
class SessionPipeline {
 public:
  SessionPipeline(const SessionParams& params, EventSink* sink);
  ~SessionPipeline();
  SessionPipeline(const SessionPipeline&) = delete;
  SessionPipeline& operator=(const SessionPipeline&) = delete;

  int sensor_count() const;
  const SensorConfig& sensor(int sensor_index) const;

  // Bytes of sensor 'sensor_index' as the transport received them at 'arrival_time'.
  void OnBytes(int sensor_index, Time arrival_time, std::span<const std::uint8_t> bytes);
  // An already decoded sample; its time is device time for device-time protocols, else arrival.
  void OnSample(int sensor_index, const ImuSample& sample, Time arrival_time);

  // The transport lost the device / has it back. A rep in progress is dropped, not invented.
  // 'detail' (why, how) is passed on in the SensorStatus event.
  void OnSensorLost(int sensor_index, Time time, std::string_view detail = {});
  void OnSensorBack(int sensor_index, Time time, std::string_view detail = {});

  // Explicit set control (a client pressed start/stop). Ends any set in progress first. The
  // exercise, mode and side belong to this set only: when it ends, automatic sets go back to the
  // session's configured exercise and mode (docs/daemon.md, "Set control").
  void StartSet(Time time, const Exercise& exercise, SetMode mode, std::optional<Side> side);
  // Ends the set in progress (manual or detected); false when no set is running.
  bool EndSet(Time time);
  bool set_open() const;

  // End of input: ends the set in progress and reports everything pending.
  void Flush(Time time);

  void set_orientation_observer(OrientationObserver* observer);
  const SensorCounters& counters(int sensor_index) const;
  // Latest session time seen on any sensor.
  Time latest_time() const;

 private:
  struct SensorState;
  struct SetState;
  // A sample as it arrived: through the sensor's DeliveryCatchUp to ProcessSample.
  void TakeSample(SensorState& sensor, const ImuSample& sample, Time arrival_time);
  // Passes on what the sensor's DeliveryCatchUp has ready.
  void DrainCatchUp(SensorState& sensor);
  // Decides every catch-up in progress and passes its samples on: before a set starts or ends,
  // or the data ends, every sample that has arrived belongs to the time before.
  void EndCatchUps();
  void ProcessSample(int sensor_index, const ImuSample& sample, Time arrival_time);
  // A detector's swing and carried movement (for the gait rule) and rep go to its limb pair's
  // RepScreen.
  void ScreenOutput(SensorState& sensor, const RepDetectorOutput& output);
  // Passes a rep found by a detector through its limb pair's RepScreen; what the screen passes
  // goes on to HandleRep.
  void ScreenRep(SensorState& sensor, Rep rep, const RepRotation& rotation);
  void DrainScreen(int limb);
  // The screens' runs end with the set: everything held is decided and passed on, and the sides
  // found not working are told to the comparators. Then new runs start in the current mode.
  void ResolveScreens();
  void RestartScreens();
  // Feeds 'missing' samples interpolated between the last sample and 'after' (a short gap). Of
  // a loss found one sample late, the first 'missing_before_previous' carry the values between
  // the sample before the last and the last; all go at times between the last sample and 'after'.
  void BridgeGap(SensorState& sensor, const ImuSample& after, std::int64_t missing,
                 std::int64_t missing_before_previous);
  // Feeds one sample, measured or bridged, to the sensor's filter and follows a pending tilt
  // check (FollowTiltCheck): it may complete on either.
  void FeedFilterFollowingTiltCheck(SensorState& sensor, const ImuSample& sample,
                                    double lost_in_step_s);
  // A tilt check after a bridged gap is pending (SensorState::tilt_check_from): what the sample
  // just fed did with it ('fused': the filter's diagnostics of that update).
  void FollowTiltCheck(SensorState& sensor, const MadgwickDiagnostics& fused);
  // ... it snapped the orientation by 'snap' (earth side): the samples since the gap take the
  // same correction.
  void GiveBackTiltSnap(SensorState& sensor, const Quaternion& snap);
  // Samples lost before the one 'samples_ago' real samples back, found only now: the filter runs
  // again from before them with them put back (their gyro from the samples around them,
  // late_loss.h), and the rep detector's angles since take the orientations it gives.
  void AddLateLoss(SensorState& sensor, std::int64_t missing, std::int64_t samples_ago);
  // Every sample fed to the filter and the detector (measured and bridged), newest last.
  void RememberFed(SensorState& sensor, const ImuSample& sample, bool measured,
                   double lost_in_step_s = 0.0);
  // Every sensor gets a fresh rep detector for 'exercise' (and forgets the samples fed so far).
  void NewDetectors(const Exercise& exercise);
  void HandleRep(SensorState& sensor, Rep rep);
  void OpenSet(Time time, bool automatic, std::optional<Side> side);
  std::optional<Side> UnilateralSide(const Rep& rep) const;
  // The rest without a rep that ends the open automatic set (set_end_rest_s, or sooner by the
  // set's own rhythm: set_end_pause_ratio).
  double SetEndRestS() const;
  // A rep screen holds a rep of a sensor with data up to 'now' (set_end_silent_sensor_s).
  bool ScreenStillJudgesARep(Time now) const;
  // The working side rested before 'rep' long enough for the other side's set to begin
  // (min_side_switch_rest_s, and longer than the set's longest pause between reps).
  bool RestedForTheOtherSide(const Rep& rep) const;
  // After that rest, whether 'rep' begins the other side's automatic unilateral set: its side
  // is not the set's, or, where both sides move in every rep, the sides swapped roles
  // (LimbPairComparator::SwappedRoles).
  bool StartsTheOtherSidesSet(const Rep& rep) const;
  void CloseSet(Time time);
  // A gap in a sensor's data, whatever its cause (see RestartAfterGap in the .cc).
  void RestartAfterGap(SensorState& sensor, Time time);
  void RestoreConfiguredExercise();
  void ReportImplausible(SensorState& sensor, ImplausibleInput kind, double value, Time time);
  void ReportBadData(SensorState& sensor, Time time, bool force);
  static SensorStatus StatusOf(const SensorState& sensor, SensorEventKind kind, Time time);

  SessionParams params_;
  EventSink* sink_;
  std::vector<std::unique_ptr<SensorState>> sensors_;
  std::vector<std::unique_ptr<LimbPairComparator>> comparators_;  // indexed by Limb
  std::vector<std::unique_ptr<RepScreen>> screens_;               // indexed by Limb
  // The exercise of the screens' current run: whether the next run continues it.
  std::optional<std::string> screened_exercise_;
  std::array<int, 4> sensor_by_slot_{-1, -1, -1, -1};  // by limb * 2 + side
  // By limb * 2 + side: the screen's gait count for that side, as last told its detector.
  std::array<std::int64_t, 4> gait_told_{};
  std::unique_ptr<SetState> set_;
  OrientationObserver* orientation_observer_ = nullptr;
  Time latest_time_{};
};

}  // namespace ambi::fusion

#endif  // AMBI_FUSION_PIPELINE_SESSION_PIPELINE_H_
