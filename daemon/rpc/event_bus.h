#ifndef AMBI_DAEMON_RPC_EVENT_BUS_H_
#define AMBI_DAEMON_RPC_EVENT_BUS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ambi/v1/service.pb.h"

namespace ambi::rpc {

// Why a subscription ended.
struct SubscriptionEnd {
  enum class Reason {
    kClosed,      // the bus was closed (daemon stopping): a normal end
    kFellBehind,  // the subscriber's queue was full when an event arrived
  };
  Reason reason = Reason::kClosed;
  std::string message;
};

// The kind of an event as subscribers filter it (EVENT_KIND_UNSPECIFIED for an empty event).
v1::EventKind KindOf(const v1::Event& event);

// One published event as every subscriber's queue shares it: the message and its wire bytes,
// serialised once at publication however many subscribers there are (with 100 subscribers,
// serialising per stream was 100 serialisations and 100 message copies per event).
struct PublishedEvent {
  v1::LiveEvent event;
  std::string wire;  // event.SerializeAsString()
};

// One subscriber's bounded queue of events, filled by EventBus::Publish and drained by one
// consumer (a gRPC stream). The consumer pops until the queue is empty and then waits for its
// waker, which the bus calls after every event it queues here and once when the subscription
// ends. Thread-safe: one publisher thread and one consumer thread at a time.
class Subscription {
 public:
  enum class PopResult { kEvent, kEmpty, kEnded };

  // 'delivered_counter' (may be null) counts the events popped, for the bus's counters.
  Subscription(std::uint64_t id, const v1::SubscribeRequest& filter, std::size_t capacity,
               std::shared_ptr<std::atomic<std::uint64_t>> delivered_counter);

  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Sets the function the bus calls when there is something to pop (an event or the end). It is
  // called on the publishing thread (or the one that closes the bus) with no bus lock held; it
  // must not block and must not call EventBus::Unsubscribe. 'waker' is also called once right
  // away, on this thread, so that whatever was queued before is not missed.
  void SetWaker(std::function<void()> waker);

  // Takes the oldest queued event into 'event' (kEvent). kEmpty: wait for the waker. kEnded:
  // nothing will come any more, end() says why. A subscription closed normally hands out its
  // queued events before kEnded; one that fell behind ends at once.
  PopResult Pop(std::shared_ptr<const PublishedEvent>* event);
  // The same, copying the message out (tests, and consumers that want the message itself).
  PopResult Pop(v1::LiveEvent* event);

  // Valid once Pop returned kEnded.
  SubscriptionEnd end() const;

  std::uint64_t id() const { return id_; }
  std::size_t capacity() const { return capacity_; }

 private:
  friend class EventBus;

  bool Matches(const v1::LiveEvent& event) const;
  // Queues 'event'; false when the queue is full (the subscription is then ended as fallen
  // behind and its queue cleared).
  bool Offer(const std::shared_ptr<const PublishedEvent>& event);
  void End(SubscriptionEnd end);
  void Wake();
  // Clears the waker; returns after a waker call in progress on another thread has returned.
  void DetachWaker();

  const std::uint64_t id_;
  const std::size_t capacity_;
  const std::set<std::string> athletes_;  // empty: every athlete
  const std::set<int> kinds_;             // empty: every kind
  const std::shared_ptr<std::atomic<std::uint64_t>> delivered_counter_;

  mutable std::mutex queue_mutex_;
  std::deque<std::shared_ptr<const PublishedEvent>> queue_;
  bool ended_ = false;
  SubscriptionEnd end_;

  // Held while the waker runs, so that DetachWaker can wait for it.
  std::mutex waker_mutex_;
  std::function<void()> waker_;
};

// Fans the daemon's live events out to many subscribers (gRPC streams). Publish runs on the
// sensor thread for every event and never waits for a subscriber: it takes the bus mutex and
// each matching subscriber's queue mutex briefly, and a subscriber whose bounded queue is full
// is dropped instead of slowing the sensor path. Events reach each subscriber in publication
// order. Thread-safe: every method may be called from any thread.
class EventBus {
 public:
  struct Counters {
    std::size_t subscribers = 0;            // currently subscribed
    std::uint64_t published = 0;            // events published
    std::uint64_t delivered = 0;            // events taken by subscribers (one per subscriber)
    std::uint64_t dropped_subscribers = 0;  // ended because they fell behind
  };

  EventBus() = default;
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;
  ~EventBus();

  // Assigns the next sequence number (and the wall-clock publication time when
  // 'published_unix_ns' is 0) and queues the event for every subscriber whose filter matches.
  void Publish(v1::LiveEvent event);

  // A new subscriber with a queue of at most 'capacity' (>= 1) events, matching 'filter'. The
  // filter is taken as given (the service validates requests). After Close() the subscription
  // starts ended. With filter.catch_up() its queue starts with the stream so far (copies marked
  // catch_up, serialised here): per athlete the events since its latest SetStarted and each
  // sensor's latest lost/back status, in sequence order.
  std::shared_ptr<Subscription> Subscribe(const v1::SubscribeRequest& filter, std::size_t capacity);

  // Removes 'subscription' (no-op if already gone). When this returns, its waker is not running
  // and will not be called again.
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

  // Ends every subscription normally ("daemon stopping"); later subscriptions start ended and
  // later events are discarded.
  void Close();

  Counters counters() const;

 private:
  // Under mutex_: keeps 'event' for later catch-up subscribers.
  void Remember(const std::shared_ptr<const PublishedEvent>& event);
  // Under mutex_: queues the remembered events 'subscription' matches, as catch-up copies.
  // False when they did not fit its queue (it has then ended as fallen behind).
  bool CatchUp(Subscription& subscription);

  mutable std::mutex mutex_;
  bool closed_ = false;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t next_subscription_id_ = 1;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_subscribers_ = 0;
  // For catch-up: per athlete the events since its latest SetStarted (at most
  // kMaxCatchUpEventsPerAthlete, a set is ~100), and per sensor its latest lost/back status.
  static constexpr std::size_t kMaxCatchUpEventsPerAthlete = 4096;
  std::map<std::string, std::deque<std::shared_ptr<const PublishedEvent>>> set_so_far_;
  std::map<std::tuple<std::string, std::uint32_t, int, int>, std::shared_ptr<const PublishedEvent>>
      sensor_latest_;
  // Shared with subscriptions, which count what their consumer pops.
  std::shared_ptr<std::atomic<std::uint64_t>> delivered_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_EVENT_BUS_H_
