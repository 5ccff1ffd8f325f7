#ifndef AMBI_DAEMON_APP_REPLAY_DRIVER_H_
#define AMBI_DAEMON_APP_REPLAY_DRIVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ambi/v1/capture.pb.h"
#include "daemon/app/athlete_session.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/capture/replay_pacer.h"
#include "daemon/transport/asio.h"

namespace ambi::app {

// `ambid --replay`: feeds a capture's records into a live AthleteSession from the io thread, as
// the transports would: bytes, link changes and set control. Every record is stamped with its
// recorded arrival time (epoch + arrival_time_ns), so the session sees the recorded timeline
// whatever the pace and a replay reproduces the recorded events. 'pace' 1 delivers at recorded
// speed, 2 twice as fast, 0 as fast as possible (in batches, so RPCs are still served).
class ReplayDriver {
 public:
  using ExerciseResolver = std::function<std::optional<fusion::Exercise>(const std::string&)>;

  ReplayDriver(asio::io_context& io, std::unique_ptr<capture::CaptureReader> reader,
               const v1::CaptureHeader& header, AthleteSession* session,
               transport::SteadyTime epoch, double pace, ExerciseResolver resolve_exercise,
               std::function<void(const std::string& summary)> on_done);
  ~ReplayDriver();
  ReplayDriver(const ReplayDriver&) = delete;
  ReplayDriver& operator=(const ReplayDriver&) = delete;

  void Start();
  void Stop();  // no record is fed afterwards; on_done is not called

 private:
  void Step();
  void Feed(const v1::CaptureRecord& record);
  void Finish();

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::unique_ptr<capture::CaptureReader> reader_;
  AthleteSession* session_;
  transport::SteadyTime epoch_;
  transport::SteadyTime started_;
  double pace_;
  ExerciseResolver resolve_exercise_;
  std::function<void(const std::string&)> on_done_;
  std::map<std::uint32_t, int> device_by_sensor_id_;
  fusion::Exercise current_exercise_;
  v1::CaptureRecord next_;
  capture::ReplayPacer pacer_;
  std::chrono::nanoseconds next_due_{0};  // next_'s capture time as paced (pace 1)
  bool have_next_ = false;
  bool stopped_ = false;
  std::uint64_t skipped_records_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_REPLAY_DRIVER_H_
