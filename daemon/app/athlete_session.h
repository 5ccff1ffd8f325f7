#ifndef AMBI_DAEMON_APP_ATHLETE_SESSION_H_
#define AMBI_DAEMON_APP_ATHLETE_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/app/event_output.h"
#include "daemon/capture/capture_writer.h"
#include "daemon/transport/byte_source.h"
#include "fusion/core/events.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::app {

struct AthleteSessionOptions {
  std::string athlete;
  std::string session_id;
  std::string capture_path;             // the session's raw capture; created, never overwritten
  std::string exercise;                 // catalog key of the session's exercise, may be empty
  fusion::SessionParams params;         // one SensorConfig per device, in device order
  std::vector<v1::SensorInfo> sensors;  // the capture header's view of the same devices
  transport::SteadyTime epoch;          // session time zero
  // Replay with dates: the wall time (Unix ns) of session time zero. When set, events and the
  // store carry this plus their session time instead of the current wall clock, so a replayed
  // session keeps its recorded (or chosen) dates. 0: live, the wall clock.
  std::int64_t recorded_start_unix_ns = 0;
  std::int64_t start_unix_ns = 0;  // the session's start as the store has it
};

// One live session of one athlete: transport bytes in, recorded to the capture file, through the
// core's SessionPipeline, events out to the outputs. The daemon's io thread owns it; nothing here
// is an algorithm, it only stamps times, records and forwards.
class AthleteSession final : public fusion::EventSink {
 public:
  // Opens the capture; nullptr and 'error' (naming the file) if it cannot.
  static std::unique_ptr<AthleteSession> Create(AthleteSessionOptions options,
                                                std::vector<EventOutput*> outputs,
                                                std::string* error);
  ~AthleteSession() override;

  // What a transport delivered for device 'device_index' (its index in options.sensors).
  void OnBytes(int device_index, transport::SteadyTime arrival,
               std::span<const std::uint8_t> bytes);
  // 'detail': the transport's reason or how it reconnected, shown to subscribers and recorded.
  void OnDeviceLost(int device_index, transport::SteadyTime time, const std::string& detail = {});
  void OnDeviceBack(int device_index, transport::SteadyTime time, const std::string& detail = {});

  // Set control (docs/daemon.md, "Set control"); returns the index of the set started. The
  // exercise, mode and side hold for this set only; afterwards automatic sets are the
  // session's configured exercise again.
  int StartSet(transport::SteadyTime time, const fusion::Exercise& exercise, fusion::SetMode mode,
               std::optional<fusion::Side> side);
  // Ends the set in progress (started by a client or detected); false, and nothing recorded,
  // when no set is running.
  bool EndSet(transport::SteadyTime time);
  bool set_running() const { return pipeline_->set_open(); }

  // Ends the session: flushes the pipeline (pending reps and the set in progress are reported)
  // and syncs and closes the capture. Idempotent.
  void End(transport::SteadyTime time);

  // Hands buffered capture bytes to the OS (a crash then loses nothing written so far).
  void FlushCapture();
  // Syncs the capture and continues in a new file "<name>.<part>.capture" (SIGHUP: lets an
  // operator move files away). After a failed write (disk full, folder gone) it is also how
  // recording resumes: the next part is opened and recording goes on from there (the bytes in
  // between are lost and the log says so); if it cannot open, recording stays off until the
  // next SIGHUP or session.
  void ReopenCapture();
  // The capture is open and its last write succeeded.
  bool recording() const { return !capture_failed_ && capture_.is_open(); }

  const std::string& athlete() const { return options_.athlete; }
  const std::string& session_id() const { return options_.session_id; }
  const std::string& capture_path() const { return capture_.path(); }
  const std::string& exercise() const { return options_.exercise; }
  transport::SteadyTime epoch() const { return options_.epoch; }
  std::int64_t start_unix_ns() const { return options_.start_unix_ns; }
  bool ended() const { return ended_; }
  int set_count() const { return set_count_; }
  int rep_count() const { return rep_count_; }
  const fusion::SensorCounters& counters(int device_index) const;
  fusion::Time SessionTime(transport::SteadyTime time) const;
  // The wall time (Unix ns) at which the session ends if ended at 'now': the wall clock, or with
  // recorded_start_unix_ns (a replay) the recorded start plus its last input, however fast or
  // slowly it was replayed.
  std::int64_t EndUnixNs(transport::SteadyTime now) const;

  // fusion::EventSink
  void OnEvent(const fusion::Event& event) override;

 private:
  AthleteSession(AthleteSessionOptions options, std::vector<EventOutput*> outputs);
  bool OpenCapture(const std::string& path, std::string* error);
  void OnLinkChange(int device_index, transport::SteadyTime time, bool connected,
                    const std::string& detail);
  void Record(const v1::CaptureRecord& record);
  void CheckCapture(const capture::CaptureStatus& status);
  // Session time of the end if ended at 'now': live, the later of now and the data; a replay,
  // its last input.
  fusion::Time EndTime(transport::SteadyTime now) const;
  // The wall time of a steady instant: recent past on the wall clock, or the recorded timeline.
  std::int64_t WallNsOf(transport::SteadyTime time) const;

  AthleteSessionOptions options_;
  std::vector<EventOutput*> outputs_;
  std::unique_ptr<fusion::SessionPipeline> pipeline_;
  capture::CaptureWriter capture_;
  v1::CaptureHeader header_;
  int capture_part_ = 1;
  bool capture_failed_ = false;  // logged once; the live session goes on without recording
  bool ended_ = false;
  int set_count_ = 0;
  int rep_count_ = 0;
  int last_set_started_ = 0;
  std::int64_t trigger_arrival_unix_ns_ = 0;  // of the bytes being processed, for latency
  fusion::Time last_input_{};  // session time of the latest input (bytes, link, set control)
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_ATHLETE_SESSION_H_
