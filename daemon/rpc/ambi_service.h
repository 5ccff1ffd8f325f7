#ifndef AMBI_DAEMON_RPC_AMBI_SERVICE_H_
#define AMBI_DAEMON_RPC_AMBI_SERVICE_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "ambi/v1/service.grpc.pb.h"
#include "daemon/rpc/access_tokens.h"
#include "daemon/rpc/call_access.h"
#include "daemon/rpc/control.h"
#include "daemon/rpc/event_bus.h"
#include "daemon/rpc/rate_limiter.h"

namespace ambi::rpc {

struct AmbiServiceOptions {
  // Events a subscriber may have queued before it is dropped. Larger tolerates longer network
  // stalls of one client at the cost of memory (events are a few hundred bytes).
  std::size_t subscriber_queue_capacity = 1024;
  // Whether an athlete named in a SubscribeRequest exists; unset: every name is accepted (a
  // subscriber may wait for an athlete whose session starts later).
  std::function<bool(const std::string& athlete)> athlete_exists;
  // Subscribe streams open at once; more are refused with RESOURCE_EXHAUSTED.
  std::size_t max_subscribers = 256;
  // Limits the calls that change sessions per client (RESOURCE_EXHAUSTED); null: no limit.
  std::shared_ptr<RateLimiter> control_limiter;
};

// The Ambi gRPC service on the callback API: Subscribe streams from the EventBus with one
// reactor per subscriber (no thread per stream); the unary calls forward to Control.
// Subscribe is a raw method: it writes the bytes the bus serialised once per event, so a
// hundred subscribers cost one serialisation, not a hundred (clients see the usual LiveEvent).
// Thread-safe; 'bus' and 'control' must outlive the server the service is registered with.
class AmbiService final
    : public v1::Ambi::WithRawCallbackMethod_Subscribe<v1::Ambi::CallbackService> {
 public:
  AmbiService(EventBus* bus, Control* control, AmbiServiceOptions options = {});

  // Validates 'request': INVALID_ARGUMENT for an unknown or unspecified kind or an empty athlete
  // name, NOT_FOUND for an athlete that athlete_exists rejects. Public for tests.
  grpc::Status ValidateSubscribe(const v1::SubscribeRequest& request) const;

  // Who may call what (tokens on TCP); until set, every call is allowed. Set before the server
  // starts.
  void SetAccess(std::shared_ptr<const CallAccess> access) { access_ = std::move(access); }

  // OK, or why the call is refused: UNAUTHENTICATED / PERMISSION_DENIED (CallAccess), then
  // RESOURCE_EXHAUSTED for a control call over its client's rate limit. Public for tests.
  grpc::Status Admit(grpc::CallbackServerContext* context, AccessRole needed,
                     std::string_view method);

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request) override;

  grpc::ServerUnaryReactor* StartSet(grpc::CallbackServerContext* context,
                                     const v1::StartSetRequest* request,
                                     v1::StartSetResponse* response) override;
  grpc::ServerUnaryReactor* EndSet(grpc::CallbackServerContext* context,
                                   const v1::EndSetRequest* request,
                                   v1::EndSetResponse* response) override;
  grpc::ServerUnaryReactor* StartSession(grpc::CallbackServerContext* context,
                                         const v1::StartSessionRequest* request,
                                         v1::StartSessionResponse* response) override;
  grpc::ServerUnaryReactor* EndSession(grpc::CallbackServerContext* context,
                                       const v1::EndSessionRequest* request,
                                       v1::EndSessionResponse* response) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* context,
                                        const v1::ListDevicesRequest* request,
                                        v1::ListDevicesResponse* response) override;
  grpc::ServerUnaryReactor* ListExercises(grpc::CallbackServerContext* context,
                                          const v1::ListExercisesRequest* request,
                                          v1::ListExercisesResponse* response) override;
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context,
                                       const v1::GetSessionRequest* request,
                                       v1::GetSessionResponse* response) override;
  grpc::ServerUnaryReactor* GetWeeklyBalance(grpc::CallbackServerContext* context,
                                             const v1::WeeklyBalanceRequest* request,
                                             v1::WeeklyBalanceResponse* response) override;

 private:
  template <class Request, class Response>
  grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* context, AccessRole needed,
                                    std::string_view method,
                                    ControlStatus (Control::*call)(const Request&, Response*),
                                    const Request* request, Response* response);

  EventBus* bus_;
  Control* control_;
  AmbiServiceOptions options_;
  std::shared_ptr<const CallAccess> access_;
  // Shared with the streams, which end after the service may be gone (OnDone).
  std::shared_ptr<std::atomic<std::size_t>> subscribers_ =
      std::make_shared<std::atomic<std::size_t>>(0);
};

// ControlStatus codes map one to one onto gRPC codes.
grpc::Status ToGrpcStatus(const ControlStatus& status);

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_AMBI_SERVICE_H_
