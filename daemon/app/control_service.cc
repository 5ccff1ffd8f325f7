#include "daemon/app/control_service.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "daemon/app/io_guard.h"
#include "daemon/config/safe_name.h"
#include "proto/convert/event_convert.h"

namespace ambi::app {
namespace {

using Code = rpc::ControlStatus::Code;
using std::chrono::steady_clock;

v1::DeviceInfo::State ToProto(transport::ByteSourceState state) {
  switch (state) {
    case transport::ByteSourceState::kConnecting:
      return v1::DeviceInfo::STATE_CONNECTING;
    case transport::ByteSourceState::kConnected:
      return v1::DeviceInfo::STATE_CONNECTED;
    case transport::ByteSourceState::kStopped:
      return v1::DeviceInfo::STATE_DISCONNECTED;
  }
  return v1::DeviceInfo::STATE_UNSPECIFIED;
}

rpc::ControlStatus FromQueryError(store::QueryError kind, std::string message) {
  switch (kind) {
    case store::QueryError::kNone:
      return rpc::ControlStatus::Ok();
    case store::QueryError::kInvalidArgument:
      return {Code::kInvalidArgument, std::move(message)};
    case store::QueryError::kNotFound:
      return {Code::kNotFound, std::move(message)};
    case store::QueryError::kInternal:
      return {Code::kInternal, std::move(message)};
  }
  return {Code::kInternal, std::move(message)};
}

// History queries read the store's own connection: no need to visit the io thread.
template <typename Request, typename Response, typename Query>
rpc::ControlStatus QueryStore(const Request& request, Response* response, Query query) {
  std::string error;
  store::QueryError kind = store::QueryError::kNone;
  if (!query(request, response, &error, &kind)) return FromQueryError(kind, error);
  return rpc::ControlStatus::Ok();
}

v1::SessionInfo InfoOf(const Athlete& athlete) {
  v1::SessionInfo info;
  if (!athlete.session) return info;
  info.set_session_id(athlete.session->session_id());
  info.set_athlete(athlete.name());
  info.set_start_unix_ns(athlete.session->start_unix_ns());
  info.set_capture_path(athlete.session->capture_path());
  info.set_set_count(static_cast<std::uint32_t>(athlete.session->set_count()));
  info.set_rep_count(static_cast<std::uint32_t>(athlete.session->rep_count()));
  return info;
}

}  // namespace

ControlService::ControlService(asio::io_context& io, AthleteRegistry* athletes,
                               SessionOpener* sessions, store::SessionStore* store,
                               ControlServiceOptions options)
    : io_(io), athletes_(athletes), sessions_(sessions), store_(store), options_(options) {}

template <typename Response, typename Work>
rpc::ControlStatus ControlService::OnIoThread(std::string_view name, Response* response,
                                              Work work) {
  if (stopping_) return {Code::kUnavailable, "the daemon is stopping"};
  struct Result {
    rpc::ControlStatus status;
    Response response;
  };
  // Who decides the call's fate: the io thread claims it (kRunning) before doing the work, or
  // the caller, timing out, withdraws it (kWithdrawn) so that it never runs. So UNAVAILABLE
  // after a timeout means nothing was done, and a retry cannot do the work twice.
  enum State : int { kQueued, kRunning, kWithdrawn };
  auto state = std::make_shared<std::atomic<int>>(kQueued);
  auto promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  asio::post(io_, [this, name, state, promise, work = std::move(work)]() mutable {
    int queued = kQueued;
    if (!state->compare_exchange_strong(queued, kRunning)) return;  // the caller gave up
    Result result;
    try {
      result.status = stopping_ ? rpc::ControlStatus{Code::kUnavailable, "the daemon is stopping"}
                                : work(&result.response);
    } catch (const std::exception& e) {
      // The io thread's guard for this call: logged with its name, answered, and the daemon
      // goes on (the caller would otherwise wait for a promise never kept).
      LogEscapedException(name, e.what());
      result.status = {Code::kInternal, std::string(name) + " failed inside ambid (" +
                                            config::EscapeForMessage(e.what(), 200) +
                                            "); see its log"};
    }
    promise->set_value(std::move(result));
  });
  if (future.wait_for(options_.io_timeout) != std::future_status::ready) {
    int queued = kQueued;
    if (state->compare_exchange_strong(queued, kWithdrawn)) {
      return {Code::kUnavailable,
              "the daemon did not take the call in time; nothing was done, try again"};
    }
    future.wait();  // the io thread is doing it now: its answer is the true one
  }
  try {
    Result result = future.get();
    if (result.status.ok()) *response = std::move(result.response);
    return result.status;
  } catch (const std::future_error&) {
    return {Code::kUnavailable, "the daemon is stopping"};
  }
}

rpc::ControlStatus ControlService::LookUpAthlete(const std::string& name, bool need_session,
                                                 Athlete** athlete) {
  *athlete = athletes_->Find(name);
  if (*athlete == nullptr) return {Code::kNotFound, "athlete \"" + name + "\" is not configured"};
  if (need_session && !(*athlete)->session) {
    return {Code::kFailedPrecondition,
            "athlete \"" + name + "\" has no live session; StartSession first"};
  }
  return rpc::ControlStatus::Ok();
}

rpc::ControlStatus ControlService::StartSet(const v1::StartSetRequest& request,
                                            v1::StartSetResponse* response) {
  return OnIoThread(
      "StartSet", response, [this, request](v1::StartSetResponse* out) -> rpc::ControlStatus {
        Athlete* athlete = nullptr;
        if (rpc::ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete);
            !status.ok()) {
          return status;
        }
        const std::string name =
            request.exercise().empty() ? athlete->exercise : request.exercise();
        std::optional<fusion::Exercise> exercise = sessions_->ResolveExercise(name);
        if (!exercise) {
          if (!request.exercise().empty()) {
            return {Code::kInvalidArgument, sessions_->UnknownExerciseError(request.exercise())};
          }
          exercise = fusion::GenericExercise(athlete->devices.front().spec.device.placement.limb);
        }
        const bool has_limb = std::any_of(
            athlete->devices.begin(), athlete->devices.end(), [&](const Device& device) {
              return device.spec.device.placement.limb == exercise->limb;
            });
        if (!has_limb) {
          return {Code::kFailedPrecondition,
                  "exercise \"" + exercise->name + "\" is measured at the " +
                      std::string(fusion::ToString(exercise->limb)) + "s, and athlete \"" +
                      request.athlete() + "\" has no " +
                      std::string(fusion::ToString(exercise->limb)) + " sensors"};
        }
        if (!v1::SetMode_IsValid(request.mode())) {
          return {Code::kInvalidArgument, "mode " + std::to_string(request.mode()) + " is unknown"};
        }
        if (!v1::Side_IsValid(request.side())) {
          return {Code::kInvalidArgument, "side " + std::to_string(request.side()) + " is unknown"};
        }
        const fusion::SetMode mode =
            proto::FromProto(request.mode()).value_or(exercise->default_mode);
        if (mode == fusion::SetMode::kBilateral && request.side() != v1::SIDE_UNSPECIFIED) {
          return {Code::kInvalidArgument, "a working side applies to unilateral sets only"};
        }
        const int set_index = athlete->session->StartSet(steady_clock::now(), *exercise, mode,
                                                         proto::FromProto(request.side()));
        out->set_set_index(static_cast<std::uint32_t>(set_index));
        return rpc::ControlStatus::Ok();
      });
}

rpc::ControlStatus ControlService::EndSet(const v1::EndSetRequest& request,
                                          v1::EndSetResponse* response) {
  return OnIoThread("EndSet", response, [this, request](v1::EndSetResponse*) -> rpc::ControlStatus {
    Athlete* athlete = nullptr;
    if (rpc::ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete);
        !status.ok()) {
      return status;
    }
    if (!athlete->session->EndSet(steady_clock::now())) {
      return {Code::kFailedPrecondition,
              "athlete \"" + request.athlete() + "\" has no set running"};
    }
    return rpc::ControlStatus::Ok();
  });
}

rpc::ControlStatus ControlService::StartSession(const v1::StartSessionRequest& request,
                                                v1::StartSessionResponse* response) {
  if (options_.sessions_fixed) {
    return {Code::kFailedPrecondition, "sessions are fixed while replaying a capture"};
  }
  return OnIoThread(
      "StartSession", response,
      [this, request](v1::StartSessionResponse* out) -> rpc::ControlStatus {
        Athlete* athlete = nullptr;
        if (rpc::ControlStatus status = LookUpAthlete(request.athlete(), false, &athlete);
            !status.ok()) {
          return status;
        }
        if (!request.exercise().empty() && !sessions_->ResolveExercise(request.exercise())) {
          return {Code::kInvalidArgument, sessions_->UnknownExerciseError(request.exercise())};
        }
        // The new session opens before the old one ends: if it cannot, the old one keeps recording.
        const std::string previous_exercise = athlete->exercise;
        const bool previous_automatic_sets = athlete->automatic_sets;
        athlete->exercise =
            request.exercise().empty() ? athlete->spec.exercise : request.exercise();
        athlete->automatic_sets =
            request.has_automatic_sets() ? request.automatic_sets() : options_.automatic_sets;
        std::string error;
        if (!sessions_->Replace(*athlete, &error)) {
          athlete->exercise = previous_exercise;
          athlete->automatic_sets = previous_automatic_sets;
          return {Code::kInternal,
                  error + (athlete->session ? "; the running session goes on" : "")};
        }
        *out->mutable_session() = InfoOf(*athlete);
        return rpc::ControlStatus::Ok();
      });
}

rpc::ControlStatus ControlService::EndSession(const v1::EndSessionRequest& request,
                                              v1::EndSessionResponse* response) {
  return OnIoThread(
      "EndSession", response, [this, request](v1::EndSessionResponse* out) -> rpc::ControlStatus {
        Athlete* athlete = nullptr;
        if (rpc::ControlStatus status = LookUpAthlete(request.athlete(), true, &athlete);
            !status.ok()) {
          return status;
        }
        *out->mutable_session() = InfoOf(*athlete);
        // The end the store records and the counts with the reps the end reported, so the answer
        // and the history agree.
        int sets = 0;
        int reps = 0;
        out->mutable_session()->set_end_unix_ns(sessions_->End(*athlete, &sets, &reps));
        out->mutable_session()->set_set_count(static_cast<std::uint32_t>(sets));
        out->mutable_session()->set_rep_count(static_cast<std::uint32_t>(reps));
        return rpc::ControlStatus::Ok();
      });
}

// The catalog is loaded before the server starts and never changes: no trip to the io thread.
rpc::ControlStatus ControlService::ListExercises(const v1::ListExercisesRequest& /*request*/,
                                                 v1::ListExercisesResponse* response) {
  const config::ExerciseCatalog* catalog = sessions_->catalog();
  if (catalog == nullptr) return {Code::kUnavailable, "the daemon has no exercise catalog"};
  for (const fusion::Exercise& exercise : catalog->exercises()) {
    v1::ExerciseInfo* info = response->add_exercises();
    info->set_name(exercise.name);
    info->set_display_name(exercise.display_name);
    info->set_mode(proto::ToProto(exercise.default_mode));
    info->set_limb(proto::ToProto(exercise.limb));
  }
  return rpc::ControlStatus::Ok();
}

rpc::ControlStatus ControlService::ListDevices(const v1::ListDevicesRequest& request,
                                               v1::ListDevicesResponse* response) {
  if (!request.athlete().empty() && !athletes_->Contains(request.athlete())) {
    return {Code::kNotFound, "athlete \"" + request.athlete() + "\" is not configured"};
  }
  const rpc::ControlStatus status = OnIoThread(
      "ListDevices", response, [this, request](v1::ListDevicesResponse* out) -> rpc::ControlStatus {
        for (const auto& athlete : athletes_->athletes()) {
          if (!request.athlete().empty() && athlete->name() != request.athlete()) continue;
          for (std::size_t d = 0; d < athlete->devices.size(); ++d) {
            const Device& device = athlete->devices[d];
            v1::DeviceInfo* info = out->add_devices();
            device.spec.DescribeDevice(athlete->name(), info);
            info->set_measured_rate_hz(device.measured_rate_hz);
            if (device.source) {
              const transport::ByteSourceStats stats = device.source->stats();
              info->set_transport(device.source->transport());
              info->set_address(device.source->address());
              info->set_state(ToProto(stats.state));
              info->set_reconnects(stats.reconnects);
              info->set_last_error(stats.last_error);
            } else {
              // No transport: the device's bytes come from the capture being replayed.
              info->set_transport("replay");
              info->set_address(device.spec.device.path);
              info->set_state(v1::DeviceInfo::STATE_CONNECTED);
            }
            if (athlete->session) {
              const fusion::SensorCounters& counters =
                  athlete->session->counters(static_cast<int>(d));
              info->set_samples(counters.samples);
              info->set_gaps(counters.gaps);
              info->set_missing_samples(counters.missing_samples);
              info->set_rejected_samples(counters.rejected_samples);
              info->set_bytes_discarded(counters.bytes_discarded);
              info->set_checksum_errors(counters.checksum_errors);
              info->set_caught_up_samples(counters.caught_up_samples);
            }
          }
        }
        return rpc::ControlStatus::Ok();
      });
  if (status.ok() && options_.central_status) options_.central_status(response->mutable_central());
  return status;
}

rpc::ControlStatus ControlService::ListSessions(const v1::ListSessionsRequest& request,
                                                v1::ListSessionsResponse* response) {
  return QueryStore(request, response,
                    [this](const auto&... args) { return store_->ListSessions(args...); });
}

rpc::ControlStatus ControlService::GetSession(const v1::GetSessionRequest& request,
                                              v1::GetSessionResponse* response) {
  return QueryStore(request, response,
                    [this](const auto&... args) { return store_->GetSession(args...); });
}

rpc::ControlStatus ControlService::GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                                    v1::WeeklyBalanceResponse* response) {
  return QueryStore(request, response, [this](const auto& r, auto* out, auto* error, auto* kind) {
    return store_->WeeklyBalance(r, UnixNowNs(), out, error, kind);
  });
}

}  // namespace ambi::app
