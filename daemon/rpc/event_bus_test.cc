#include "daemon/rpc/event_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ambi::rpc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::LiveEvent MakeEvent(const std::string& athlete, v1::EventKind kind, std::uint32_t index = 1) {
  v1::LiveEvent live;
  live.set_session_id("session-" + athlete);
  v1::Event* event = live.mutable_event();
  event->set_athlete(athlete);
  switch (kind) {
    case v1::EVENT_KIND_REP:
      event->mutable_rep()->set_index(index);
      break;
    case v1::EVENT_KIND_REP_PAIR:
      event->mutable_rep_pair()->set_pair_index(index);
      break;
    case v1::EVENT_KIND_CUE:
      event->mutable_cue()->set_message("cue " + std::to_string(index));
      break;
    case v1::EVENT_KIND_SET_STARTED:
      event->mutable_set_started()->set_set_index(index);
      break;
    default:
      ADD_FAILURE() << "MakeEvent does not make kind " << kind;
  }
  return live;
}

v1::SubscribeRequest Filter(std::vector<std::string> athletes, std::vector<v1::EventKind> kinds) {
  v1::SubscribeRequest request;
  for (const auto& athlete : athletes) request.add_athletes(athlete);
  for (const auto kind : kinds) request.add_kinds(kind);
  return request;
}

// Pops everything queued now.
std::vector<v1::LiveEvent> Drain(Subscription& subscription) {
  std::vector<v1::LiveEvent> events;
  v1::LiveEvent event;
  while (subscription.Pop(&event) == Subscription::PopResult::kEvent) events.push_back(event);
  return events;
}

std::vector<std::uint64_t> Sequences(const std::vector<v1::LiveEvent>& events) {
  std::vector<std::uint64_t> sequences;
  for (const auto& event : events) sequences.push_back(event.sequence());
  return sequences;
}

TEST(EventBusTest, SerialisesEachEventOnceForEverySubscriber) {
  EventBus bus;
  auto first = bus.Subscribe({}, 8);
  auto second = bus.Subscribe({}, 8);
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP, 3));
  std::shared_ptr<const PublishedEvent> a;
  std::shared_ptr<const PublishedEvent> b;
  ASSERT_EQ(first->Pop(&a), Subscription::PopResult::kEvent);
  ASSERT_EQ(second->Pop(&b), Subscription::PopResult::kEvent);
  EXPECT_EQ(a.get(), b.get()) << "each subscriber got its own copy";
  // The shared bytes are the published event, sequence and all.
  v1::LiveEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(a->wire));
  EXPECT_EQ(parsed.sequence(), 1u);
  EXPECT_EQ(parsed.event().rep().index(), 3u);
  EXPECT_EQ(parsed.SerializeAsString(), a->event.SerializeAsString());
}

v1::LiveEvent SensorStatus(const std::string& athlete, v1::Side side, v1::SensorStatus::Kind kind) {
  v1::LiveEvent live;
  live.mutable_event()->set_athlete(athlete);
  v1::SensorStatus* status = live.mutable_event()->mutable_sensor_status();
  status->set_side(side);
  status->set_limb(v1::LIMB_WRIST);
  status->set_kind(kind);
  return live;
}

TEST(EventBusTest, CatchUpStartsWithEachAthletesLatestSetAndSensorStateThenGoesLive) {
  EventBus bus;
  bus.Publish(SensorStatus("alice", v1::SIDE_LEFT, v1::SensorStatus::KIND_LOST));  // 1
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_SET_STARTED, 1));                  // 2
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP_PAIR, 1));                     // 3
  bus.Publish(MakeEvent("bob", v1::EVENT_KIND_SET_STARTED, 1));                    // 4
  bus.Publish(SensorStatus("alice", v1::SIDE_LEFT, v1::SensorStatus::KIND_BACK));  // 5
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_SET_STARTED, 2));                  // 6
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP_PAIR, 1));                     // 7
  bus.Publish(MakeEvent("bob", v1::EVENT_KIND_REP_PAIR, 1));                       // 8

  v1::SubscribeRequest catch_up = Filter({}, {});
  catch_up.set_catch_up(true);
  auto everyone = bus.Subscribe(catch_up, 16);
  v1::SubscribeRequest alice_pairs = Filter({"alice"}, {v1::EVENT_KIND_REP_PAIR});
  alice_pairs.set_catch_up(true);
  auto alice = bus.Subscribe(alice_pairs, 16);
  auto live_only = bus.Subscribe(Filter({}, {}), 16);
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP_PAIR, 2));  // 9

  // Alice's set 1 and her left sensor's loss are over (set 2 started, the sensor came back).
  const std::vector<v1::LiveEvent> got = Drain(*everyone);
  EXPECT_THAT(Sequences(got), ElementsAre(4, 5, 6, 7, 8, 9));
  for (std::size_t i = 0; i + 1 < got.size(); ++i) EXPECT_TRUE(got[i].catch_up()) << i;
  EXPECT_FALSE(got.back().catch_up());
  EXPECT_EQ(got[2].event().set_started().set_index(), 2u);
  EXPECT_THAT(Sequences(Drain(*alice)), ElementsAre(7, 9));
  EXPECT_THAT(Sequences(Drain(*live_only)), ElementsAre(9));
}

TEST(EventBusTest, CatchUpLargerThanTheQueueDropsTheSubscriber) {
  EventBus bus;
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_SET_STARTED, 1));
  for (std::uint32_t i = 1; i <= 4; ++i) bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP, i));
  v1::SubscribeRequest catch_up = Filter({}, {});
  catch_up.set_catch_up(true);
  auto subscription = bus.Subscribe(catch_up, 3);
  v1::LiveEvent event;
  EXPECT_EQ(subscription->Pop(&event), Subscription::PopResult::kEnded);
  EXPECT_EQ(subscription->end().reason, SubscriptionEnd::Reason::kFellBehind);
}

TEST(EventBusTest, KindOfNamesTheEventsOneofField) {
  EXPECT_EQ(KindOf(MakeEvent("a", v1::EVENT_KIND_REP_PAIR).event()), v1::EVENT_KIND_REP_PAIR);
  EXPECT_EQ(KindOf(MakeEvent("a", v1::EVENT_KIND_CUE).event()), v1::EVENT_KIND_CUE);
  v1::Event sensor;
  sensor.mutable_sensor_status();
  EXPECT_EQ(KindOf(sensor), v1::EVENT_KIND_SENSOR_STATUS);
  EXPECT_EQ(KindOf(v1::Event()), v1::EVENT_KIND_UNSPECIFIED);
}

TEST(EventBusTest, FiltersByAthleteAndKindWithDaemonWideSequenceNumbers) {
  EventBus bus;
  auto everything = bus.Subscribe({}, 100);
  auto alice = bus.Subscribe(Filter({"alice"}, {}), 100);
  auto pairs_and_cues =
      bus.Subscribe(Filter({}, {v1::EVENT_KIND_REP_PAIR, v1::EVENT_KIND_CUE}), 100);
  auto bob_pairs = bus.Subscribe(Filter({"bob", "carol"}, {v1::EVENT_KIND_REP_PAIR}), 100);

  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP));       // 1
  bus.Publish(MakeEvent("bob", v1::EVENT_KIND_REP_PAIR));    // 2
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_CUE));       // 3
  bus.Publish(MakeEvent("bob", v1::EVENT_KIND_REP));         // 4
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP_PAIR));  // 5

  EXPECT_THAT(Sequences(Drain(*everything)), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(Sequences(Drain(*alice)), ElementsAre(1, 3, 5));
  EXPECT_THAT(Sequences(Drain(*pairs_and_cues)), ElementsAre(2, 3, 5));
  const auto bob = Drain(*bob_pairs);
  ASSERT_THAT(Sequences(bob), ElementsAre(2));
  EXPECT_EQ(bob[0].event().athlete(), "bob");
  EXPECT_EQ(bob[0].session_id(), "session-bob");
  EXPECT_TRUE(bob[0].event().has_rep_pair());

  const EventBus::Counters counters = bus.counters();
  EXPECT_EQ(counters.subscribers, 4u);
  EXPECT_EQ(counters.published, 5u);
  EXPECT_EQ(counters.delivered, 5u + 3u + 3u + 1u);
  EXPECT_EQ(counters.dropped_subscribers, 0u);
}

TEST(EventBusTest, StampsPublicationTimeOnlyWhenUnset) {
  EventBus bus;
  auto subscription = bus.Subscribe({}, 10);
  bus.Publish(MakeEvent("a", v1::EVENT_KIND_REP));
  v1::LiveEvent stamped = MakeEvent("a", v1::EVENT_KIND_REP);
  stamped.set_published_unix_ns(1234);
  bus.Publish(stamped);
  const auto events = Drain(*subscription);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_GT(events[0].published_unix_ns(), 1'600'000'000'000'000'000);  // after 2020
  EXPECT_EQ(events[1].published_unix_ns(), 1234);
}

TEST(EventBusTest, SlowSubscriberIsDroppedWhileFastOneGetsEverything) {
  EventBus bus;
  auto slow = bus.Subscribe({}, 3);
  auto fast = bus.Subscribe({}, 3);
  std::vector<v1::LiveEvent> fast_events;
  for (std::uint32_t i = 1; i <= 10; ++i) {
    bus.Publish(MakeEvent("a", v1::EVENT_KIND_REP, i));
    for (auto& event : Drain(*fast)) fast_events.push_back(event);
  }
  EXPECT_EQ(fast_events.size(), 10u);
  EXPECT_EQ(fast_events.back().event().rep().index(), 10u);

  v1::LiveEvent event;
  // Dropped at the 4th event; the queued ones are discarded so the stream ends at once.
  EXPECT_EQ(slow->Pop(&event), Subscription::PopResult::kEnded);
  EXPECT_EQ(slow->end().reason, SubscriptionEnd::Reason::kFellBehind);
  EXPECT_EQ(slow->end().message, "subscriber fell behind: 3 events queued, limit 3");
  EXPECT_EQ(fast->Pop(&event), Subscription::PopResult::kEmpty);

  const EventBus::Counters counters = bus.counters();
  EXPECT_EQ(counters.subscribers, 1u);
  EXPECT_EQ(counters.dropped_subscribers, 1u);
  EXPECT_EQ(counters.published, 10u);
}

TEST(EventBusTest, WakerRunsForEveryQueuedEventAndAtTheEndButNotAfterUnsubscribe) {
  EventBus bus;
  auto subscription = bus.Subscribe(Filter({"alice"}, {}), 10);
  int wakes = 0;
  subscription->SetWaker([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);  // once on setting, for anything queued before
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP));
  bus.Publish(MakeEvent("bob", v1::EVENT_KIND_REP));  // filtered: no wake
  EXPECT_EQ(wakes, 2);

  auto other = bus.Subscribe({}, 10);
  int other_wakes = 0;
  other->SetWaker([&] { ++other_wakes; });
  bus.Unsubscribe(other);
  bus.Unsubscribe(other);  // twice is harmless
  bus.Publish(MakeEvent("alice", v1::EVENT_KIND_REP));
  bus.Close();
  EXPECT_EQ(other_wakes, 1);
  EXPECT_EQ(wakes, 4);  // the second alice event and the close
}

TEST(EventBusTest, CloseHandsOutQueuedEventsThenEndsNormally) {
  EventBus bus;
  auto subscription = bus.Subscribe({}, 10);
  bus.Publish(MakeEvent("a", v1::EVENT_KIND_REP, 1));
  bus.Publish(MakeEvent("a", v1::EVENT_KIND_REP, 2));
  bus.Close();
  bus.Publish(MakeEvent("a", v1::EVENT_KIND_REP, 3));  // discarded

  EXPECT_THAT(Sequences(Drain(*subscription)), ElementsAre(1, 2));
  v1::LiveEvent event;
  EXPECT_EQ(subscription->Pop(&event), Subscription::PopResult::kEnded);
  EXPECT_EQ(subscription->end().reason, SubscriptionEnd::Reason::kClosed);
  EXPECT_EQ(subscription->end().message, "daemon stopping");

  auto late = bus.Subscribe({}, 10);
  EXPECT_EQ(late->Pop(&event), Subscription::PopResult::kEnded);
  EXPECT_THAT(late->end().message, HasSubstr("stopping"));
  EXPECT_EQ(bus.counters().subscribers, 0u);
  EXPECT_EQ(bus.counters().published, 2u);
}

// Publishers, subscribers that come and go, and consumers woken by the bus, all at once. Each
// consumer must see increasing sequence numbers with no event twice; run under the sanitizers.
TEST(EventBusTest, ConcurrentPublishSubscribeAndUnsubscribe) {
  EventBus bus;
  constexpr int kChurnRounds = 30;
  std::atomic<bool> publishing{true};
  std::atomic<std::uint64_t> published{0};
  std::atomic<int> order_violations{0};
  std::atomic<std::uint64_t> consumed{0};

  auto consume = [&](std::shared_ptr<Subscription> subscription) {
    std::uint64_t last = 0;
    v1::LiveEvent event;
    auto pop_all = [&] {
      while (subscription->Pop(&event) == Subscription::PopResult::kEvent) {
        if (event.sequence() <= last) ++order_violations;
        last = event.sequence();
        ++consumed;
      }
    };
    std::mutex mutex;
    // The waker pops on the publishing thread and the consumer thread pops too: both race. The
    // waker uses this frame's locals, so it must not run after Unsubscribe returns.
    subscription->SetWaker([&] {
      std::lock_guard lock(mutex);
      pop_all();
    });
    for (int i = 0; i < 200; ++i) {
      std::lock_guard lock(mutex);
      pop_all();
    }
    bus.Unsubscribe(subscription);
  };

  std::vector<std::thread> publishers;
  for (const char* athlete : {"alice", "bob"}) {
    publishers.emplace_back([&, athlete] {
      while (publishing) {
        bus.Publish(MakeEvent(athlete, v1::EVENT_KIND_REP));
        ++published;
      }
    });
  }
  for (int round = 0; round < kChurnRounds; ++round) {
    std::vector<std::thread> consumers;
    consumers.emplace_back(consume, bus.Subscribe({}, 1 << 20));
    consumers.emplace_back(consume, bus.Subscribe(Filter({"bob"}, {}), 1 << 20));
    consumers.emplace_back(consume, bus.Subscribe({}, 2));  // often dropped
    for (auto& consumer : consumers) consumer.join();
  }
  publishing = false;
  for (auto& publisher : publishers) publisher.join();
  bus.Close();

  EXPECT_EQ(order_violations.load(), 0);
  EXPECT_GT(consumed.load(), 0u);
  const EventBus::Counters counters = bus.counters();
  EXPECT_EQ(counters.published, published.load());
  EXPECT_EQ(counters.delivered, consumed.load());
  EXPECT_EQ(counters.subscribers, 0u);
}

}  // namespace
}  // namespace ambi::rpc
