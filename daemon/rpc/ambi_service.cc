#include "daemon/rpc/ambi_service.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace ambi::daemon {
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

// One Subscribe stream: writes one event at a time from its bus subscription. The bus wakes it
// (on the publishing thread) when an event is queued; OnWriteDone (on a gRPC thread) takes the
// next. Every decision and every StartWrite/Finish happens under 'mutex_', so a write is never
// started after Finish and Finish never races a write in flight. gRPC does not run reactions
// inline in StartWrite/Finish, so holding the mutex across them cannot deadlock.
class SubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  SubscribeReactor(EventBus* bus, const v1::SubscribeRequest& request, std::size_t capacity)
      : bus_(bus), subscription_(bus->Subscribe(request, capacity)) {
    subscription_->SetWaker([this] {
      std::lock_guard lock(mutex_);
      WriteNextLocked();
    });
  }

  void OnWriteDone(bool ok) override {
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
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    // With a write in flight, its OnWriteDone(false) finishes the call.
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // Every reaction has run; after Unsubscribe the bus's waker has returned and will not be
    // called again, so nothing touches this reactor any more.
    bus_->Unsubscribe(subscription_);
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
  std::mutex mutex_;
  grpc::ByteBuffer current_;  // the event being written
  bool writing_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

// A Subscribe call rejected before it subscribed.
class RejectedSubscribeReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RejectedSubscribeReactor(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// Forwards a unary call to Control and finishes it with the mapped status. Control calls post
// to the daemon thread and wait for the answer, so this blocks a gRPC callback thread briefly;
// acceptable for these rare, small calls (live events never wait on it).
template <class Request, class Response>
grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* context, Control* control,
                                  ControlStatus (Control::*method)(const Request&, Response*),
                                  const Request* request, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus((control->*method)(*request, response)));
  return reactor;
}

}  // namespace

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
    grpc::CallbackServerContext* /*context*/, const grpc::ByteBuffer* raw_request) {
  v1::SubscribeRequest request;
  grpc::ByteBuffer bytes(*raw_request);  // Deserialize consumes its buffer
  if (!grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(&bytes, &request).ok()) {
    return new RejectedSubscribeReactor(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "SubscribeRequest does not parse"));
  }
  grpc::Status status = ValidateSubscribe(request);
  if (!status.ok()) return new RejectedSubscribeReactor(std::move(status));
  return new SubscribeReactor(bus_, request, options_.subscriber_queue_capacity);
}

grpc::ServerUnaryReactor* AmbiService::StartSet(grpc::CallbackServerContext* context,
                                                const v1::StartSetRequest* request,
                                                v1::StartSetResponse* response) {
  return Forward(context, control_, &Control::StartSet, request, response);
}

grpc::ServerUnaryReactor* AmbiService::EndSet(grpc::CallbackServerContext* context,
                                              const v1::EndSetRequest* request,
                                              v1::EndSetResponse* response) {
  return Forward(context, control_, &Control::EndSet, request, response);
}

grpc::ServerUnaryReactor* AmbiService::StartSession(grpc::CallbackServerContext* context,
                                                    const v1::StartSessionRequest* request,
                                                    v1::StartSessionResponse* response) {
  return Forward(context, control_, &Control::StartSession, request, response);
}

grpc::ServerUnaryReactor* AmbiService::EndSession(grpc::CallbackServerContext* context,
                                                  const v1::EndSessionRequest* request,
                                                  v1::EndSessionResponse* response) {
  return Forward(context, control_, &Control::EndSession, request, response);
}

grpc::ServerUnaryReactor* AmbiService::ListDevices(grpc::CallbackServerContext* context,
                                                   const v1::ListDevicesRequest* request,
                                                   v1::ListDevicesResponse* response) {
  return Forward(context, control_, &Control::ListDevices, request, response);
}

grpc::ServerUnaryReactor* AmbiService::ListExercises(grpc::CallbackServerContext* context,
                                                     const v1::ListExercisesRequest* request,
                                                     v1::ListExercisesResponse* response) {
  return Forward(context, control_, &Control::ListExercises, request, response);
}

grpc::ServerUnaryReactor* AmbiService::ListSessions(grpc::CallbackServerContext* context,
                                                    const v1::ListSessionsRequest* request,
                                                    v1::ListSessionsResponse* response) {
  return Forward(context, control_, &Control::ListSessions, request, response);
}

grpc::ServerUnaryReactor* AmbiService::GetSession(grpc::CallbackServerContext* context,
                                                  const v1::GetSessionRequest* request,
                                                  v1::GetSessionResponse* response) {
  return Forward(context, control_, &Control::GetSession, request, response);
}

grpc::ServerUnaryReactor* AmbiService::GetWeeklyBalance(grpc::CallbackServerContext* context,
                                                        const v1::WeeklyBalanceRequest* request,
                                                        v1::WeeklyBalanceResponse* response) {
  return Forward(context, control_, &Control::GetWeeklyBalance, request, response);
}

}  // namespace ambi::daemon
