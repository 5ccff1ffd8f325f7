#include "daemon/app/replay_driver.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <type_traits>
#include <utility>

#include "proto/convert/event_convert.h"

namespace ambi::app {
namespace {

// Records fed per handler when replaying as fast as possible: large enough that the per-handler
// cost vanishes, small enough that an RPC waiting on the io thread is served within a millisecond.
constexpr int kRecordsPerBatch = 2048;

// epoch + arrival_time_ns, saturated: a capture's arrival times may be anything (INT64_MAX).
transport::SteadyTime AtArrival(transport::SteadyTime epoch, std::int64_t arrival_time_ns) {
  static_assert(std::is_same_v<transport::SteadyTime::duration, std::chrono::nanoseconds>);
  std::int64_t ns = 0;
  if (__builtin_add_overflow(epoch.time_since_epoch().count(), arrival_time_ns, &ns)) {
    return arrival_time_ns > 0 ? transport::SteadyTime::max() : transport::SteadyTime::min();
  }
  return transport::SteadyTime(std::chrono::nanoseconds(ns));
}

}  // namespace

ReplayDriver::ReplayDriver(asio::io_context& io, std::unique_ptr<capture::CaptureReader> reader,
                           const v1::CaptureHeader& header, AthleteSession* session,
                           transport::SteadyTime epoch, double pace,
                           ExerciseResolver resolve_exercise,
                           std::function<void(const std::string&)> on_done)
    : io_(io),
      timer_(io),
      reader_(std::move(reader)),
      session_(session),
      epoch_(epoch),
      pace_(pace),
      resolve_exercise_(std::move(resolve_exercise)),
      on_done_(std::move(on_done)) {
  for (int i = 0; i < header.sensors_size(); ++i) {
    device_by_sensor_id_[header.sensors(i).sensor_id()] = i;
  }
  if (auto exercise = resolve_exercise_(header.exercise())) current_exercise_ = *exercise;
}

ReplayDriver::~ReplayDriver() { Stop(); }

void ReplayDriver::Start() {
  started_ = std::chrono::steady_clock::now();
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) Step();
  });
}

void ReplayDriver::Stop() {
  stopped_ = true;
  timer_.cancel();
  alive_.reset();
}

void ReplayDriver::Step() {
  if (stopped_) return;
  for (int fed = 0; pace_ <= 0.0 ? fed < kRecordsPerBatch : true; ++fed) {
    if (!have_next_) {
      if (!reader_->Next(&next_)) {
        Finish();
        return;
      }
      have_next_ = true;
      next_due_ = pacer_.Next(next_.arrival_time_ns());
    }
    if (pace_ > 0.0) {
      const auto due = started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      next_due_ / pace_);
      if (due > std::chrono::steady_clock::now()) {
        timer_.expires_at(due);
        timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const auto& error) {
          if (!error && !alive.expired()) Step();
        });
        return;
      }
    }
    Feed(next_);
    have_next_ = false;
  }
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) Step();
  });
}

void ReplayDriver::Feed(const v1::CaptureRecord& record) {
  const transport::SteadyTime at = AtArrival(epoch_, record.arrival_time_ns());
  if (record.body_case() == v1::CaptureRecord::kSetControl) {
    const v1::SetControl& control = record.set_control();
    if (control.action() == v1::SetControl::ACTION_END) {
      session_->EndSet(at);
    } else if (control.action() == v1::SetControl::ACTION_START) {
      if (auto exercise = resolve_exercise_(control.exercise())) current_exercise_ = *exercise;
      const fusion::SetMode mode =
          proto::FromProto(control.mode()).value_or(current_exercise_.default_mode);
      session_->StartSet(at, current_exercise_, mode, proto::FromProto(control.side()));
    }
    return;
  }
  const auto device = device_by_sensor_id_.find(record.sensor_id());
  if (device == device_by_sensor_id_.end()) {
    ++skipped_records_;
    return;
  }
  if (record.body_case() == v1::CaptureRecord::kData) {
    const std::string& data = record.data();
    session_->OnBytes(device->second, at,
                      std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  } else if (record.body_case() == v1::CaptureRecord::kLink) {
    if (record.link().connected()) {
      session_->OnDeviceBack(device->second, at, record.link().detail());
    } else {
      session_->OnDeviceLost(device->second, at, record.link().detail());
    }
  }
}

void ReplayDriver::Finish() {
  stopped_ = true;
  std::string summary = std::to_string(reader_->records_read()) + " records";
  if (skipped_records_ > 0) {
    summary += ", " + std::to_string(skipped_records_) + " skipped (unknown sensor id)";
  }
  if (pacer_.shortened_steps() > 0) {
    summary += ", " + std::to_string(pacer_.shortened_steps()) +
               " jumps in arrival time paced as " +
               std::to_string(capture::ReplayPacer::kMaxStep.count() / 1'000'000'000) + " s";
  }
  if (reader_->end() != capture::CaptureEnd::kClean) summary += "; " + reader_->end_detail();
  if (on_done_) on_done_(summary);
}

}  // namespace ambi::app
