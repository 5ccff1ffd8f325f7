#include "tests/e2e/event_collector.h"

#include <utility>

namespace ambi::e2e {

EventCollector::EventCollector(v1::Ambi::Stub& stub, const v1::SubscribeRequest& request)
    : reader_(stub.Subscribe(&context_, request)) {
  thread_ = std::thread([this] { ReadAll(); });
}

EventCollector::~EventCollector() {
  Cancel();
  thread_.join();
}

void EventCollector::ReadAll() {
  v1::LiveEvent event;
  while (reader_->Read(&event)) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    events_.push_back({event, now});
    changed_.notify_all();
  }
  grpc::Status status = reader_->Finish();
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
  changed_.notify_all();
}

bool EventCollector::WaitUntil(const std::function<bool(const Events&)>& done,
                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(events_) || status_.has_value(); }) &&
         done(events_);
}

std::optional<grpc::Status> EventCollector::WaitForEnd(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return status_.has_value(); });
  return status_;
}

EventCollector::Events EventCollector::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void EventCollector::Cancel() { context_.TryCancel(); }

int CountReps(const EventCollector::Events& events, v1::Side side) {
  int count = 0;
  for (const ReceivedEvent& received : events) {
    const v1::Event& event = received.live.event();
    if (event.has_rep() && event.rep().side() == side) ++count;
  }
  return count;
}

int CountPairs(const EventCollector::Events& events) {
  int count = 0;
  for (const ReceivedEvent& received : events) count += received.live.event().has_rep_pair();
  return count;
}

const v1::SetSummary* FindSetSummary(const EventCollector::Events& events) {
  for (const ReceivedEvent& received : events) {
    if (received.live.event().has_set_summary()) return &received.live.event().set_summary();
  }
  return nullptr;
}

}  // namespace ambi::e2e
