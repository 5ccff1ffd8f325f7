#include "daemon/app/athlete_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "ambi/v1/service.pb.h"
#include "proto/convert/event_convert.h"

namespace ambi::app {
namespace {

std::int64_t UnixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The wall-clock time of a steady-clock instant in the recent past.
std::int64_t UnixNsOf(transport::SteadyTime time) {
  const auto age = std::chrono::steady_clock::now() - time;
  return UnixNowNs() - std::chrono::duration_cast<std::chrono::nanoseconds>(age).count();
}

// "x.capture" -> "x.2.capture": later parts of a session's capture after a reopen.
std::string PartPath(const std::string& path, int part) {
  if (part <= 1) return path;
  const std::string suffix = ".capture";
  const std::string stem =
      path.ends_with(suffix) ? path.substr(0, path.size() - suffix.size()) : path;
  return stem + "." + std::to_string(part) + suffix;
}

}  // namespace

AthleteSession::AthleteSession(AthleteSessionOptions options, std::vector<EventOutput*> outputs)
    : options_(std::move(options)), outputs_(std::move(outputs)) {}

std::unique_ptr<AthleteSession> AthleteSession::Create(AthleteSessionOptions options,
                                                       std::vector<EventOutput*> outputs,
                                                       std::string* error) {
  std::unique_ptr<AthleteSession> session(
      new AthleteSession(std::move(options), std::move(outputs)));
  v1::CaptureHeader& header = session->header_;
  header.set_format_version(1);
  header.set_created_by("ambid " AMBI_VERSION);
  header.set_created_unix_ns(UnixNowNs());
  header.set_athlete(session->options_.athlete);
  header.set_exercise(session->options_.exercise);
  if (session->options_.params.mode) {
    header.set_mode(proto::ToProto(*session->options_.params.mode));
  }
  for (const v1::SensorInfo& sensor : session->options_.sensors) *header.add_sensors() = sensor;
  if (!session->OpenCapture(session->options_.capture_path, error)) return nullptr;
  session->pipeline_ =
      std::make_unique<fusion::SessionPipeline>(session->options_.params, session.get());
  return session;
}

AthleteSession::~AthleteSession() {
  if (!ended_) capture_.Close();
}

bool AthleteSession::OpenCapture(const std::string& path, std::string* error) {
  const capture::CaptureStatus status = capture_.Open(path, header_);
  if (!status.ok()) {
    *error = status.message();
    return false;
  }
  return true;
}

fusion::Time AthleteSession::SessionTime(transport::SteadyTime time) const {
  return fusion::TimeFromNanoseconds(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time - options_.epoch).count());
}

const fusion::SensorCounters& AthleteSession::counters(int device_index) const {
  return pipeline_->counters(device_index);
}

void AthleteSession::CheckCapture(const capture::CaptureStatus& status) {
  if (status.ok() || capture_failed_) return;
  // Disk full or the file vanished: the athlete's live feedback matters more than the recording,
  // so the session goes on; the operator sees this once, not per sample.
  capture_failed_ = true;
  spdlog::error("athlete {}: capture stops recording: {}", options_.athlete, status.message());
}

void AthleteSession::Record(const v1::CaptureRecord& record) {
  if (capture_failed_ || !capture_.is_open()) return;
  CheckCapture(capture_.Append(record));
}

void AthleteSession::OnBytes(int device_index, transport::SteadyTime arrival,
                             std::span<const std::uint8_t> bytes) {
  if (ended_) return;
  const fusion::Time time = SessionTime(arrival);
  if (!capture_failed_ && capture_.is_open()) {
    CheckCapture(
        capture_.AppendData(options_.sensors[static_cast<std::size_t>(device_index)].sensor_id(),
                            fusion::ToNanoseconds(time), bytes));
  }
  trigger_arrival_unix_ns_ = WallNsOf(arrival);
  last_input_ = std::max(last_input_, time);
  pipeline_->OnBytes(device_index, time, bytes);
}

void AthleteSession::OnDeviceLost(int device_index, transport::SteadyTime time,
                                  const std::string& detail) {
  OnLinkChange(device_index, time, /*connected=*/false, detail);
}

void AthleteSession::OnDeviceBack(int device_index, transport::SteadyTime time,
                                  const std::string& detail) {
  OnLinkChange(device_index, time, /*connected=*/true, detail);
}

void AthleteSession::OnLinkChange(int device_index, transport::SteadyTime time, bool connected,
                                  const std::string& detail) {
  if (ended_) return;
  const fusion::Time at = SessionTime(time);
  v1::CaptureRecord record;
  record.set_sensor_id(options_.sensors[static_cast<std::size_t>(device_index)].sensor_id());
  record.set_arrival_time_ns(fusion::ToNanoseconds(at));
  record.mutable_link()->set_connected(connected);
  record.mutable_link()->set_detail(detail);
  Record(record);
  trigger_arrival_unix_ns_ = WallNsOf(time);
  last_input_ = std::max(last_input_, at);
  if (connected) {
    pipeline_->OnSensorBack(device_index, at, detail);
  } else {
    pipeline_->OnSensorLost(device_index, at, detail);
  }
}

int AthleteSession::StartSet(transport::SteadyTime time, const fusion::Exercise& exercise,
                             fusion::SetMode mode, std::optional<fusion::Side> side) {
  if (ended_) return 0;
  v1::CaptureRecord record;
  record.set_arrival_time_ns(fusion::ToNanoseconds(SessionTime(time)));
  v1::SetControl* control = record.mutable_set_control();
  control->set_action(v1::SetControl::ACTION_START);
  control->set_exercise(exercise.name);
  control->set_mode(proto::ToProto(mode));
  control->set_side(proto::ToProto(side));
  Record(record);
  trigger_arrival_unix_ns_ = WallNsOf(time);
  last_input_ = std::max(last_input_, SessionTime(time));
  pipeline_->StartSet(SessionTime(time), exercise, mode, side);
  return last_set_started_;
}

bool AthleteSession::EndSet(transport::SteadyTime time) {
  if (ended_ || !pipeline_->set_open()) return false;
  v1::CaptureRecord record;
  record.set_arrival_time_ns(fusion::ToNanoseconds(SessionTime(time)));
  record.mutable_set_control()->set_action(v1::SetControl::ACTION_END);
  Record(record);
  trigger_arrival_unix_ns_ = WallNsOf(time);
  last_input_ = std::max(last_input_, SessionTime(time));
  return pipeline_->EndSet(SessionTime(time));
}

void AthleteSession::End(transport::SteadyTime time) {
  if (ended_) return;
  // Flush at the later of 'time' and the data already seen, so nothing pending is cut short. A
  // replay ends on its own timeline, at its last input: the wall time it took does not count.
  const fusion::Time at = EndTime(time);
  trigger_arrival_unix_ns_ = options_.recorded_start_unix_ns != 0
                                 ? options_.recorded_start_unix_ns + fusion::ToNanoseconds(at)
                                 : UnixNsOf(time);
  pipeline_->Flush(at);
  ended_ = true;
  if (capture_.is_open()) CheckCapture(capture_.Close());
}

std::int64_t AthleteSession::WallNsOf(transport::SteadyTime time) const {
  if (options_.recorded_start_unix_ns == 0) return UnixNsOf(time);
  return options_.recorded_start_unix_ns + fusion::ToNanoseconds(SessionTime(time));
}

fusion::Time AthleteSession::EndTime(transport::SteadyTime now) const {
  const fusion::Time data = std::max(pipeline_->latest_time(), last_input_);
  if (options_.recorded_start_unix_ns != 0) return data;
  return std::max(SessionTime(now), data);
}

std::int64_t AthleteSession::EndUnixNs(transport::SteadyTime now) const {
  if (options_.recorded_start_unix_ns == 0) return UnixNowNs();
  return options_.recorded_start_unix_ns + fusion::ToNanoseconds(EndTime(now));
}

void AthleteSession::FlushCapture() {
  if (!capture_failed_ && capture_.is_open()) CheckCapture(capture_.Flush());
}

void AthleteSession::ReopenCapture() {
  if (ended_) return;
  const bool resuming = capture_failed_;
  if (capture_.is_open()) {
    const capture::CaptureStatus closed = capture_.Close();
    if (!resuming) CheckCapture(closed);  // a failed capture's close fails again: said already
  }
  ++capture_part_;
  std::string error;
  if (!OpenCapture(PartPath(options_.capture_path, capture_part_), &error)) {
    capture_failed_ = true;
    spdlog::error(
        "athlete {}: cannot reopen the capture: {}; recording stays off until the "
        "next SIGHUP or session",
        options_.athlete, error);
    return;
  }
  capture_failed_ = false;
  if (resuming) {
    spdlog::warn("athlete {}: recording resumes in {} (the bytes since the failure are lost)",
                 options_.athlete, capture_.path());
  } else {
    spdlog::info("athlete {}: capture continues in {}", options_.athlete, capture_.path());
  }
}

void AthleteSession::OnEvent(const fusion::Event& event) {
  if (const auto* started = std::get_if<fusion::SetStarted>(&event)) {
    last_set_started_ = started->set_index;
    ++set_count_;
  } else if (std::holds_alternative<fusion::Rep>(event)) {
    ++rep_count_;
  }
  v1::LiveEvent live;
  live.set_session_id(options_.session_id);
  // Replaying with dates, an event is published at the recorded time of its trigger.
  live.set_published_unix_ns(options_.recorded_start_unix_ns != 0 ? trigger_arrival_unix_ns_
                                                                  : UnixNowNs());
  live.set_trigger_arrival_unix_ns(trigger_arrival_unix_ns_);
  *live.mutable_event() = proto::ToProto(event);
  live.mutable_event()->set_athlete(options_.athlete);
  for (EventOutput* output : outputs_) output->OnLiveEvent(live);
}

}  // namespace ambi::app
