#include "daemon/rpc/event_bus.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace ambi::rpc {
namespace {

constexpr char kStoppingMessage[] = "daemon stopping";

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

v1::EventKind KindOf(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kSetStarted:
      return v1::EVENT_KIND_SET_STARTED;
    case v1::Event::kRep:
      return v1::EVENT_KIND_REP;
    case v1::Event::kRepPair:
      return v1::EVENT_KIND_REP_PAIR;
    case v1::Event::kUnpairedRep:
      return v1::EVENT_KIND_UNPAIRED_REP;
    case v1::Event::kFatigue:
      return v1::EVENT_KIND_FATIGUE;
    case v1::Event::kCue:
      return v1::EVENT_KIND_CUE;
    case v1::Event::kSetSummary:
      return v1::EVENT_KIND_SET_SUMMARY;
    case v1::Event::kSensorStatus:
      return v1::EVENT_KIND_SENSOR_STATUS;
    case v1::Event::KIND_NOT_SET:
      break;
  }
  return v1::EVENT_KIND_UNSPECIFIED;
}

// ---- Subscription ----

Subscription::Subscription(std::uint64_t id, const v1::SubscribeRequest& filter,
                           std::size_t capacity,
                           std::shared_ptr<std::atomic<std::uint64_t>> delivered_counter)
    : id_(id),
      capacity_(std::max<std::size_t>(capacity, 1)),
      athletes_(filter.athletes().begin(), filter.athletes().end()),
      kinds_(filter.kinds().begin(), filter.kinds().end()),
      delivered_counter_(std::move(delivered_counter)) {}

void Subscription::SetWaker(std::function<void()> waker) {
  {
    std::lock_guard lock(waker_mutex_);
    waker_ = std::move(waker);
  }
  Wake();
}

Subscription::PopResult Subscription::Pop(std::shared_ptr<const PublishedEvent>* event) {
  std::lock_guard lock(queue_mutex_);
  if (!queue_.empty()) {
    *event = std::move(queue_.front());
    queue_.pop_front();
    if (delivered_counter_) delivered_counter_->fetch_add(1, std::memory_order_relaxed);
    return PopResult::kEvent;
  }
  return ended_ ? PopResult::kEnded : PopResult::kEmpty;
}

Subscription::PopResult Subscription::Pop(v1::LiveEvent* event) {
  std::shared_ptr<const PublishedEvent> published;
  const PopResult result = Pop(&published);
  if (result == PopResult::kEvent) *event = published->event;
  return result;
}

SubscriptionEnd Subscription::end() const {
  std::lock_guard lock(queue_mutex_);
  return end_;
}

bool Subscription::Matches(const v1::LiveEvent& event) const {
  if (!athletes_.empty() && !athletes_.contains(event.event().athlete())) return false;
  if (!kinds_.empty() && !kinds_.contains(KindOf(event.event()))) return false;
  return true;
}

bool Subscription::Offer(const std::shared_ptr<const PublishedEvent>& event) {
  std::lock_guard lock(queue_mutex_);
  if (ended_) return true;  // ending already; nothing more is queued
  if (queue_.size() >= capacity_) {
    ended_ = true;
    end_ = {SubscriptionEnd::Reason::kFellBehind,
            "subscriber fell behind: " + std::to_string(queue_.size()) + " events queued, limit " +
                std::to_string(capacity_)};
    queue_.clear();  // the consumer ends at once; free the memory now
    return false;
  }
  queue_.push_back(event);
  return true;
}

void Subscription::End(SubscriptionEnd end) {
  std::lock_guard lock(queue_mutex_);
  if (ended_) return;
  ended_ = true;
  end_ = std::move(end);
}

void Subscription::Wake() {
  std::lock_guard lock(waker_mutex_);
  if (waker_) waker_();
}

void Subscription::DetachWaker() {
  std::lock_guard lock(waker_mutex_);
  waker_ = nullptr;
}

// ---- EventBus ----

EventBus::~EventBus() { Close(); }

void EventBus::Publish(v1::LiveEvent event) {
  // Wakers run after the bus mutex is released: a consumer's wake-up (a gRPC write) never
  // delays other publishers or subscribers more than it must.
  std::vector<std::shared_ptr<Subscription>> to_wake;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    event.set_sequence(next_sequence_++);
    if (event.published_unix_ns() == 0) event.set_published_unix_ns(NowUnixNs());
    ++published_;
    to_wake.reserve(subscriptions_.size());
    // Serialised once here, shared by every queue: subscribers only take a reference.
    auto published = std::make_shared<PublishedEvent>();
    published->wire = event.SerializeAsString();
    published->event = std::move(event);
    const std::shared_ptr<const PublishedEvent> shared = std::move(published);
    Remember(shared);
    std::erase_if(subscriptions_, [&](const std::shared_ptr<Subscription>& subscription) {
      if (!subscription->Matches(shared->event)) return false;
      to_wake.push_back(subscription);
      if (subscription->Offer(shared)) return false;
      ++dropped_subscribers_;
      return true;  // fell behind: no longer subscribed
    });
  }
  for (const auto& subscription : to_wake) subscription->Wake();
}

std::shared_ptr<Subscription> EventBus::Subscribe(const v1::SubscribeRequest& filter,
                                                  std::size_t capacity) {
  std::lock_guard lock(mutex_);
  auto subscription =
      std::make_shared<Subscription>(next_subscription_id_++, filter, capacity, delivered_);
  if (closed_) {
    subscription->End({SubscriptionEnd::Reason::kClosed, kStoppingMessage});
  } else {
    // Under the same lock as the registration: no live event can come before the catch-up.
    if (!filter.catch_up() || CatchUp(*subscription)) subscriptions_.push_back(subscription);
  }
  return subscription;
}

void EventBus::Remember(const std::shared_ptr<const PublishedEvent>& event) {
  const v1::Event& e = event->event.event();
  std::deque<std::shared_ptr<const PublishedEvent>>& set = set_so_far_[e.athlete()];
  if (e.has_set_started()) set.clear();
  set.push_back(event);
  if (set.size() > kMaxCatchUpEventsPerAthlete) set.pop_front();
  if (e.has_sensor_status() && (e.sensor_status().kind() == v1::SensorStatus::KIND_LOST ||
                                e.sensor_status().kind() == v1::SensorStatus::KIND_BACK)) {
    const v1::SensorStatus& status = e.sensor_status();
    sensor_latest_[{e.athlete(), status.sensor_index(), static_cast<int>(status.side()),
                    static_cast<int>(status.limb())}] = event;
  }
}

bool EventBus::CatchUp(Subscription& subscription) {
  std::vector<const PublishedEvent*> events;
  for (const auto& [athlete, set] : set_so_far_) {
    for (const auto& event : set) events.push_back(event.get());
  }
  for (const auto& [sensor, event] : sensor_latest_) events.push_back(event.get());
  std::sort(events.begin(), events.end(), [](const PublishedEvent* a, const PublishedEvent* b) {
    return a->event.sequence() < b->event.sequence();
  });
  // A lost/back status of the set so far is in both lists: send it once.
  events.erase(std::unique(events.begin(), events.end()), events.end());
  for (const PublishedEvent* event : events) {
    if (!subscription.Matches(event->event)) continue;
    auto copy = std::make_shared<PublishedEvent>();
    copy->event = event->event;
    copy->event.set_catch_up(true);
    copy->wire = copy->event.SerializeAsString();
    if (!subscription.Offer(copy)) {
      ++dropped_subscribers_;
      return false;
    }
  }
  return true;
}

void EventBus::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  if (!subscription) return;
  {
    std::lock_guard lock(mutex_);
    std::erase(subscriptions_, subscription);
  }
  // Outside the bus mutex: a publisher may be inside this subscription's waker right now.
  subscription->DetachWaker();
}

void EventBus::Close() {
  std::vector<std::shared_ptr<Subscription>> ending;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ending.swap(subscriptions_);
  }
  for (const auto& subscription : ending) {
    subscription->End({SubscriptionEnd::Reason::kClosed, kStoppingMessage});
    subscription->Wake();
  }
}

EventBus::Counters EventBus::counters() const {
  std::lock_guard lock(mutex_);
  Counters counters;
  counters.subscribers = subscriptions_.size();
  counters.published = published_;
  counters.delivered = delivered_->load(std::memory_order_relaxed);
  counters.dropped_subscribers = dropped_subscribers_;
  return counters;
}

}  // namespace ambi::rpc
