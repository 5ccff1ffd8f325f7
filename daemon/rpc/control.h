#ifndef AMBI_DAEMON_RPC_CONTROL_H_
#define AMBI_DAEMON_RPC_CONTROL_H_

#include <string>

#include "ambi/v1/service.pb.h"

namespace ambi::rpc {

// The outcome of a control call, mapped one to one onto gRPC status codes by the service; kept
// free of gRPC so the daemon's wiring does not include gRPC headers.
struct ControlStatus {
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kFailedPrecondition,
    kUnavailable,
    kInternal
  };
  Code code = Code::kOk;
  std::string message;

  static ControlStatus Ok() { return {}; }
  static ControlStatus Error(Code code, std::string message) { return {code, std::move(message)}; }
  bool ok() const { return code == Code::kOk; }
};

// What the gRPC service asks of the daemon. Called on gRPC threads, concurrently; an
// implementation validates the request (naming what is wrong) and does the work on its own
// thread. Must answer promptly (it may return kUnavailable when the daemon is stopping).
class Control {
 public:
  virtual ~Control() = default;
  virtual ControlStatus StartSet(const v1::StartSetRequest& request,
                                 v1::StartSetResponse* response) = 0;
  virtual ControlStatus EndSet(const v1::EndSetRequest& request, v1::EndSetResponse* response) = 0;
  virtual ControlStatus StartSession(const v1::StartSessionRequest& request,
                                     v1::StartSessionResponse* response) = 0;
  virtual ControlStatus EndSession(const v1::EndSessionRequest& request,
                                   v1::EndSessionResponse* response) = 0;
  virtual ControlStatus ListDevices(const v1::ListDevicesRequest& request,
                                    v1::ListDevicesResponse* response) = 0;
  // Not pure: a daemon without a catalog (tests) answers that it has none.
  virtual ControlStatus ListExercises(const v1::ListExercisesRequest& /*request*/,
                                      v1::ListExercisesResponse* /*response*/) {
    return ControlStatus::Error(ControlStatus::Code::kUnavailable, "no exercise catalog loaded");
  }
  virtual ControlStatus ListSessions(const v1::ListSessionsRequest& request,
                                     v1::ListSessionsResponse* response) = 0;
  virtual ControlStatus GetSession(const v1::GetSessionRequest& request,
                                   v1::GetSessionResponse* response) = 0;
  virtual ControlStatus GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                         v1::WeeklyBalanceResponse* response) = 0;
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_CONTROL_H_
