#include "daemon/rpc/ambi_service.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

#include "daemon/rpc/request_id.h"

namespace ambi::rpc {
namespace {

std::string KnownKinds() {
  std::string names;
  for (int kind = v1::EventKind_MIN + 1; kind <= v1::EventKind_MAX; ++kind) {
    if (!v1::EventKind_IsValid(kind)) continue;
    if (!names.empty()) names += ", ";
    names += v1::EventKind_Name(static_cast<v1::EventKind>(kind));
  }
  return names;
}

grpc::Status ToGrpcStatus(const SubscriptionEnd& end) {
  switch (end.reason) {
    case SubscriptionEnd::Reason::kClosed:
      return grpc::Status(grpc::StatusCode::OK, end.message);
    case SubscriptionEnd::Reason::kFellBehind:
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, end.message);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown subscription end");
}

// A buffer over the event's shared wire bytes, without copying them: the slice keeps a
// reference to the event until gRPC has sent it.
grpc::ByteBuffer SharedBytes(std::shared_ptr<const PublishedEvent> event) {
  using Holder = std::shared_ptr<const PublishedEvent>;
  auto* holder = new Holder(std::move(event));
  grpc::Slice slice(
      const_cast<char*>((*holder)->wire.data()), (*holder)->wire.size(),
      [](void* held) { delete static_cast<Holder*>(held); }, holder);
  return grpc::ByteBuffer(&slice, 1);
}

// gRPC hands a reactor to its other threads through its own queues, inside its uninstrumented
// library, which ThreadSanitizer cannot see. These tell TSan about that order (construction
// released, every reaction acquires); in any other build they are nothing, so the fan-out path
// takes no extra lock.
void HandOverRelease([[maybe_unused]] void* reactor) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(reactor);
#endif
}
void HandOverAcquire([[maybe_unused]] void* reactor) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(reactor);
#endif
}

// One Subscribe stream: writes one event at a time from its bus subscription. The bus wakes it
// (on the publishing thread) when an event is queued; OnWriteDone (on a gRPC thread) takes the
// next. Every decision and every StartWrite/Finish happens under 'mutex_', so a write is never
// started after Finish and Finish never races a write in flight. gRPC does not run reactions
// inline in StartWrite/Finish, so holding the mutex across them cannot deadlock.
class SubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  SubscribeReactor(EventBus* bus, const v1::SubscribeRequest& request, std::size_t capacity,
                   std::shared_ptr<std::atomic<std::size_t>> open_streams)
      : bus_(bus),
        subscription_(bus->Subscribe(request, capacity)),
        open_streams_(std::move(open_streams)) {
    HandOverRelease(this);  // see HandOverRelease
    subscription_->SetWaker([this] {
      std::lock_guard lock(mutex_);
      WriteNextLocked();
    });
  }

  void OnWriteDone(bool ok) override {
    HandOverAcquire(this);
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok) {
      // The client went away or the call was cancelled; OnCancel may not have run yet.
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed: the client is gone"));
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    HandOverAcquire(this);
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    // With a write in flight, its OnWriteDone(false) finishes the call.
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    HandOverAcquire(this);
    // Every reaction has run. Taking the mutex once more orders this end after the last of them
    // in the program's own terms (gRPC orders them through its queues, which TSan cannot see).
    { std::lock_guard lock(mutex_); }
    // After Unsubscribe the bus's waker has returned and will not be called again, so nothing
    // touches this reactor any more.
    bus_->Unsubscribe(subscription_);
    open_streams_->fetch_sub(1);
    delete this;
  }

 private:
  void WriteNextLocked() {
    if (writing_ || finished_) return;
    if (cancelled_) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    std::shared_ptr<const PublishedEvent> event;
    switch (subscription_->Pop(&event)) {
      case Subscription::PopResult::kEvent:
        writing_ = true;
        current_ = SharedBytes(std::move(event));
        StartWrite(&current_);  // 'current_' stays untouched until OnWriteDone
        return;
      case Subscription::PopResult::kEmpty:
        return;  // the waker calls again
      case Subscription::PopResult::kEnded:
        FinishLocked(ToGrpcStatus(subscription_->end()));
        return;
    }
  }

  void FinishLocked(grpc::Status status) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  EventBus* const bus_;
  const std::shared_ptr<Subscription> subscription_;
  const std::shared_ptr<std::atomic<std::size_t>> open_streams_;
  std::mutex mutex_;
  grpc::ByteBuffer current_;  // the event being written
  bool writing_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

// A Subscribe call rejected before it subscribed.
class RejectedSubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RejectedSubscribeReactor(grpc::Status status) {
    Finish(std::move(status));
    HandOverRelease(this);  // OnDone may run on another gRPC thread
  }
  void OnDone() override {
    HandOverAcquire(this);
    delete this;
  }
};

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "error";
  }
}

std::string OneDecimal(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

}  // namespace

// Forwards a unary call to Control, once admitted, and finishes it with the mapped status.
// Control calls post to the daemon thread and wait for the answer, so this blocks a gRPC
// callback thread briefly; acceptable for these rare, small calls (live events never wait on
// it).
template <class Request, class Response>
grpc::ServerUnaryReactor* AmbiService::Forward(grpc::CallbackServerContext* context,
                                               AccessRole needed, std::string_view method,
                                               ControlStatus (Control::*call)(const Request&,
                                                                              Response*),
                                               const Request* request, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<std::string_view> sent_id;
  const auto& metadata = context->client_metadata();
  if (auto found = metadata.find(grpc::string_ref(kRequestIdKey.data(), kRequestIdKey.size()));
      found != metadata.end()) {
    sent_id = std::string_view(found->second.data(), found->second.size());
  }
  const std::string request_id = RequestIdFor(sent_id);
  context->AddTrailingMetadata(std::string(kRequestIdKey), request_id);
  grpc::Status admitted = Admit(context, needed, method);
  grpc::Status status =
      admitted.ok() ? ToGrpcStatus((control_->*call)(*request, response)) : std::move(admitted);
  // Session changes are logged (they are rare and change what is recorded), reads only when
  // the daemon itself failed. Calls refused before any work (no token, over the rate limit) are
  // not: a flood of them must not fill the log.
  const grpc::StatusCode code = status.error_code();
  const bool daemon_failed =
      code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNAVAILABLE;
  if ((needed == AccessRole::kControl && code != grpc::StatusCode::RESOURCE_EXHAUSTED &&
       code != grpc::StatusCode::UNAUTHENTICATED) ||
      daemon_failed) {
    if (status.ok()) {
      spdlog::info("{} request {} from {}: OK", method, request_id, context->peer());
    } else {
      spdlog::warn("{} request {} from {}: {} ({})", method, request_id, context->peer(),
                   StatusCodeName(code), status.error_message());
    }
  }
  reactor->Finish(std::move(status));
  return reactor;
}

grpc::Status AmbiService::Admit(grpc::CallbackServerContext* context, AccessRole needed,
                                std::string_view method) {
  const std::string peer = context->peer();
  if (access_) {
    std::optional<std::string_view> authorization;
    const auto& metadata = context->client_metadata();
    if (auto found = metadata.find("authorization"); found != metadata.end()) {
      authorization = std::string_view(found->second.data(), found->second.size());
    }
    const AccessDecision decision = access_->Check(peer, authorization, needed, method);
    switch (decision.code) {
      case AccessDecision::Code::kAllowed:
        break;
      case AccessDecision::Code::kUnauthenticated:
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, decision.message);
      case AccessDecision::Code::kPermissionDenied:
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, decision.message);
    }
  }
  if (needed == AccessRole::kControl && options_.control_limiter) {
    const std::string client = ClientKeyOf(peer);
    const auto now = RateLimiter::Clock::now();
    if (!options_.control_limiter->Allow(client, now)) {
      return grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          std::string(method) + ": too many session changes from " + client + "; try again in " +
              OneDecimal(options_.control_limiter->SecondsUntilNext(client, now)) + " s");
    }
  }
  return grpc::Status::OK;
}

grpc::Status ToGrpcStatus(const ControlStatus& status) {
  using Code = ControlStatus::Code;
  switch (status.code) {
    case Code::kOk:
      return grpc::Status::OK;
    case Code::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, status.message);
    case Code::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, status.message);
    case Code::kFailedPrecondition:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, status.message);
    case Code::kUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, status.message);
    case Code::kInternal:
      return grpc::Status(grpc::StatusCode::INTERNAL, status.message);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      "unknown control status " + std::to_string(static_cast<int>(status.code)) +
                          ": " + status.message);
}

AmbiService::AmbiService(EventBus* bus, Control* control, AmbiServiceOptions options)
    : bus_(bus), control_(control), options_(std::move(options)) {}

grpc::Status AmbiService::ValidateSubscribe(const v1::SubscribeRequest& request) const {
  for (int kind : request.kinds()) {
    if (kind == v1::EVENT_KIND_UNSPECIFIED || !v1::EventKind_IsValid(kind)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "unknown event kind " + std::to_string(kind) +
                              " in SubscribeRequest.kinds; known kinds: " + KnownKinds());
    }
  }
  for (const std::string& athlete : request.athletes()) {
    if (athlete.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "empty athlete name in SubscribeRequest.athletes");
    }
    if (options_.athlete_exists && !options_.athlete_exists(athlete)) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown athlete '" + athlete + "'");
    }
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* AmbiService::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  if (grpc::Status admitted = Admit(context, AccessRole::kRead, "Subscribe"); !admitted.ok()) {
    return new RejectedSubscribeReactor(std::move(admitted));
  }
  v1::SubscribeRequest request;
  grpc::ByteBuffer bytes(*raw_request);  // Deserialize consumes its buffer
  if (!grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(&bytes, &request).ok()) {
    return new RejectedSubscribeReactor(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "SubscribeRequest does not parse"));
  }
  grpc::Status status = ValidateSubscribe(request);
  if (!status.ok()) return new RejectedSubscribeReactor(std::move(status));
  if (subscribers_->fetch_add(1) >= options_.max_subscribers) {
    subscribers_->fetch_sub(1);
    return new RejectedSubscribeReactor(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED, "ambid serves at most " +
                                                  std::to_string(options_.max_subscribers) +
                                                  " subscriptions at once; try again later"));
  }
  return new SubscribeReactor(bus_, request, options_.subscriber_queue_capacity, subscribers_);
}

grpc::ServerUnaryReactor* AmbiService::StartSet(grpc::CallbackServerContext* context,
                                                const v1::StartSetRequest* request,
                                                v1::StartSetResponse* response) {
  return Forward(context, AccessRole::kControl, "StartSet", &Control::StartSet, request, response);
}

grpc::ServerUnaryReactor* AmbiService::EndSet(grpc::CallbackServerContext* context,
                                              const v1::EndSetRequest* request,
                                              v1::EndSetResponse* response) {
  return Forward(context, AccessRole::kControl, "EndSet", &Control::EndSet, request, response);
}

grpc::ServerUnaryReactor* AmbiService::StartSession(grpc::CallbackServerContext* context,
                                                    const v1::StartSessionRequest* request,
                                                    v1::StartSessionResponse* response) {
  return Forward(context, AccessRole::kControl, "StartSession", &Control::StartSession, request,
                 response);
}

grpc::ServerUnaryReactor* AmbiService::EndSession(grpc::CallbackServerContext* context,
                                                  const v1::EndSessionRequest* request,
                                                  v1::EndSessionResponse* response) {
  return Forward(context, AccessRole::kControl, "EndSession", &Control::EndSession, request,
                 response);
}

grpc::ServerUnaryReactor* AmbiService::ListDevices(grpc::CallbackServerContext* context,
                                                   const v1::ListDevicesRequest* request,
                                                   v1::ListDevicesResponse* response) {
  return Forward(context, AccessRole::kRead, "ListDevices", &Control::ListDevices, request,
                 response);
}

grpc::ServerUnaryReactor* AmbiService::ListExercises(grpc::CallbackServerContext* context,
                                                     const v1::ListExercisesRequest* request,
                                                     v1::ListExercisesResponse* response) {
  return Forward(context, AccessRole::kRead, "ListExercises", &Control::ListExercises, request,
                 response);
}

grpc::ServerUnaryReactor* AmbiService::ListSessions(grpc::CallbackServerContext* context,
                                                    const v1::ListSessionsRequest* request,
                                                    v1::ListSessionsResponse* response) {
  return Forward(context, AccessRole::kRead, "ListSessions", &Control::ListSessions, request,
                 response);
}

grpc::ServerUnaryReactor* AmbiService::GetSession(grpc::CallbackServerContext* context,
                                                  const v1::GetSessionRequest* request,
                                                  v1::GetSessionResponse* response) {
  return Forward(context, AccessRole::kRead, "GetSession", &Control::GetSession, request, response);
}

grpc::ServerUnaryReactor* AmbiService::GetWeeklyBalance(grpc::CallbackServerContext* context,
                                                        const v1::WeeklyBalanceRequest* request,
                                                        v1::WeeklyBalanceResponse* response) {
  return Forward(context, AccessRole::kRead, "GetWeeklyBalance", &Control::GetWeeklyBalance,
                 request, response);
}

}  // namespace ambi::rpc
