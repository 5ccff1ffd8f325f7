#ifndef AMBI_DAEMON_APP_CONTROL_SERVICE_H_
#define AMBI_DAEMON_APP_CONTROL_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string_view>

#include "daemon/app/athlete_registry.h"
#include "daemon/app/session_opener.h"
#include "daemon/rpc/control.h"
#include "daemon/store/session_store.h"
#include "daemon/transport/asio.h"

namespace ambi::app {

struct ControlServiceOptions {
  // A replayed capture fixes its one session: StartSession is refused.
  bool sessions_fixed = false;
  // StartSession without automatic_sets uses this.
  bool automatic_sets = true;
  // A call waits this long for the io thread before answering UNAVAILABLE: a stalled loop must
  // not hold gRPC threads forever, and 3 s is far above any handler's work. A call not yet
  // started by then is withdrawn (it never runs), so a retry cannot do the work twice.
  std::chrono::milliseconds io_timeout{3000};
  // Fills ListDevices' central status; empty when the box ships to no central database. Any
  // thread.
  std::function<void(v1::CentralStatus*)> central_status;
};

// The control RPCs and their validation. Called on gRPC threads; the athletes' sessions belong
// to the io thread, so every call that touches them runs there (the caller waits). History
// queries read the store's own connection directly. Errors name the request field and value.
class ControlService final : public rpc::Control {
 public:
  ControlService(asio::io_context& io, AthleteRegistry* athletes, SessionOpener* sessions,
                 store::SessionStore* store, ControlServiceOptions options);

  // From now on every call answers UNAVAILABLE (the daemon is stopping). Any thread.
  void Stop() { stopping_ = true; }

  rpc::ControlStatus StartSet(const v1::StartSetRequest& request,
                              v1::StartSetResponse* response) override;
  rpc::ControlStatus EndSet(const v1::EndSetRequest& request,
                            v1::EndSetResponse* response) override;
  rpc::ControlStatus StartSession(const v1::StartSessionRequest& request,
                                  v1::StartSessionResponse* response) override;
  rpc::ControlStatus EndSession(const v1::EndSessionRequest& request,
                                v1::EndSessionResponse* response) override;
  rpc::ControlStatus ListDevices(const v1::ListDevicesRequest& request,
                                 v1::ListDevicesResponse* response) override;
  rpc::ControlStatus ListExercises(const v1::ListExercisesRequest& request,
                                   v1::ListExercisesResponse* response) override;
  rpc::ControlStatus ListSessions(const v1::ListSessionsRequest& request,
                                  v1::ListSessionsResponse* response) override;
  rpc::ControlStatus GetSession(const v1::GetSessionRequest& request,
                                v1::GetSessionResponse* response) override;
  rpc::ControlStatus GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                      v1::WeeklyBalanceResponse* response) override;

 private:
  // The athlete 'name' (NOT_FOUND otherwise) with a live session when 'need_session'
  // (FAILED_PRECONDITION otherwise).
  rpc::ControlStatus LookUpAthlete(const std::string& name, bool need_session, Athlete** athlete);
  // Runs 'work' on the io thread and waits for it; the response is copied out only once the
  // work is done. An exception from 'work' is logged with 'name' (a literal) and is INTERNAL.
  template <typename Response, typename Work>
  rpc::ControlStatus OnIoThread(std::string_view name, Response* response, Work work);

  asio::io_context& io_;
  AthleteRegistry* athletes_;
  SessionOpener* sessions_;
  store::SessionStore* store_;
  ControlServiceOptions options_;
  std::atomic<bool> stopping_{false};
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_CONTROL_SERVICE_H_
