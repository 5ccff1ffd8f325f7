#ifndef AMBI_TESTS_E2E_EVENT_COLLECTOR_H_
#define AMBI_TESTS_E2E_EVENT_COLLECTOR_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"

namespace ambi::e2e {

struct ReceivedEvent {
  v1::LiveEvent live;
  std::chrono::steady_clock::time_point received;
};

// A Subscribe stream read on its own thread into a list the test waits on. The destructor
// cancels the call and joins the thread.
class EventCollector {
 public:
  using Events = std::vector<ReceivedEvent>;

  EventCollector(v1::Ambi::Stub& stub, const v1::SubscribeRequest& request);
  ~EventCollector();
  EventCollector(const EventCollector&) = delete;
  EventCollector& operator=(const EventCollector&) = delete;

  // True once 'done' holds for the events received so far (checked after each event), false
  // when 'timeout' passes or the stream ends first.
  bool WaitUntil(const std::function<bool(const Events&)>& done, std::chrono::milliseconds timeout);
  // The stream's final status once it ended within 'timeout'.
  std::optional<grpc::Status> WaitForEnd(std::chrono::milliseconds timeout);

  Events events() const;
  void Cancel();

 private:
  void ReadAll();

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::LiveEvent>> reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Events events_;
  std::optional<grpc::Status> status_;
  std::thread thread_;
};

// Helpers over received events.
int CountReps(const EventCollector::Events& events, v1::Side side);
int CountPairs(const EventCollector::Events& events);
const v1::SetSummary* FindSetSummary(const EventCollector::Events& events);

}  // namespace ambi::e2e

#endif  // AMBI_TESTS_E2E_EVENT_COLLECTOR_H_
