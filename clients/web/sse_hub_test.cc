#include "clients/web/sse_hub.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ambi::web {
namespace {

HubEvent Event(std::uint64_t sequence, const std::string& athlete,
               HubEvent::Kind kind = HubEvent::Kind::kOther, const std::string& sensor = {}) {
  HubEvent event;
  event.sequence = sequence;
  event.athlete = athlete;
  event.kind = kind;
  event.sensor_key = sensor;
  event.frame = FormatEventFrame(sequence, "{\"n\":" + std::to_string(sequence) + "}");
  return event;
}

// The ids of the event frames queued for 'client' (named frames as "event:NAME").
std::vector<std::string> Drain(SseClient& client) {
  std::vector<std::string> out;
  while (Frame frame = client.Pop()) {
    if (frame->starts_with("id: ")) {
      out.push_back(frame->substr(4, frame->find('\n') - 4));
    } else {
      out.push_back(frame->substr(0, frame->find('\n')));
    }
  }
  return out;
}

using Ids = std::vector<std::string>;

TEST(SseFrames, AreWellFormed) {
  EXPECT_EQ(*FormatEventFrame(7, "{}"), "id: 7\ndata: {}\n\n");
  EXPECT_EQ(*FormatNamedFrame("devices", "[]"), "event: devices\ndata: []\n\n");
}

TEST(SseHub, LiveEventsReachEveryBrowserOnce) {
  SseHub hub({});
  auto a = hub.Attach(std::nullopt);
  auto b = hub.Attach(std::nullopt);
  int wakes = 0;
  a->SetWaker([&] { ++wakes; });
  hub.Publish(Event(1, "alice"));
  hub.Publish(Event(2, "bob"));
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(Drain(*a), (Ids{"1", "2"}));
  EXPECT_EQ(Drain(*b), (Ids{"1", "2"}));
  hub.Detach(b);
  hub.Publish(Event(3, "bob"));
  EXPECT_EQ(Drain(*a), (Ids{"3"}));
  EXPECT_EQ(Drain(*b), (Ids{}));
}

TEST(SseHub, ResumeSendsExactlyWhatWasMissed) {
  SseHub hub({});
  auto first = hub.Attach(std::nullopt);
  for (std::uint64_t s = 1; s <= 10; ++s) hub.Publish(Event(s, "alice"));
  EXPECT_EQ(Drain(*first).size(), 10u);
  hub.Detach(first);  // the connection was cut after the browser saw event 6
  for (std::uint64_t s = 11; s <= 12; ++s) hub.Publish(Event(s, "alice"));
  auto resumed = hub.Attach(6);
  EXPECT_EQ(Drain(*resumed), (Ids{"7", "8", "9", "10", "11", "12"}));
  hub.Publish(Event(13, "alice"));
  EXPECT_EQ(Drain(*resumed), (Ids{"13"}));
  // Up to date already: nothing again.
  EXPECT_EQ(Drain(*hub.Attach(13)), (Ids{}));
}

TEST(SseHub, ResumeTooLateStartsOverFromTheSetSoFar) {
  SseHubOptions options;
  options.replay_events = 4;
  SseHub hub(options);
  hub.Publish(Event(1, "alice", HubEvent::Kind::kSetStarted));
  for (std::uint64_t s = 2; s <= 8; ++s) hub.Publish(Event(s, "alice"));
  // Event 2 fell out of the replay buffer: the page is told to reset, then gets the set.
  EXPECT_EQ(Drain(*hub.Attach(2)), (Ids{"event: reset", "1", "2", "3", "4", "5", "6", "7", "8"}));
  // The boundary: after 4 the buffer (5..8) covers everything.
  EXPECT_EQ(Drain(*hub.Attach(4)), (Ids{"5", "6", "7", "8"}));
  // An id from the future (ambi-web restarted, or a daemon restart) also starts over.
  EXPECT_EQ(Drain(*hub.Attach(99)).front(), "event: reset");
}

TEST(SseHub, ANewBrowserSeesEachAthletesSetSoFarAndSensorState) {
  SseHub hub({});
  hub.Publish(Event(1, "alice", HubEvent::Kind::kSetStarted));
  hub.Publish(Event(2, "alice"));
  hub.Publish(Event(3, "bob", HubEvent::Kind::kSensorStatus, "bob/0"));
  hub.Publish(Event(4, "alice", HubEvent::Kind::kSetStarted));           // alice's next set
  hub.Publish(Event(5, "bob", HubEvent::Kind::kSensorStatus, "bob/0"));  // replaces 3
  hub.Publish(Event(6, "bob"));
  hub.Publish(Event(7, "alice"));
  hub.Broadcast(FormatNamedFrame("devices", "{}"), "devices");
  hub.Broadcast(FormatNamedFrame("devices", "{\"new\":1}"), "devices");
  hub.Broadcast(FormatNamedFrame("hello", "{}"));  // not remembered
  auto client = hub.Attach(std::nullopt);
  EXPECT_EQ(Drain(*client), (Ids{"event: devices", "4", "5", "6", "7"}));
}

TEST(SseHub, DaemonRestartResetsBrowsersAndMemory) {
  SseHub hub({});
  auto client = hub.Attach(std::nullopt);
  hub.Publish(Event(5, "alice", HubEvent::Kind::kSetStarted));
  hub.Publish(Event(6, "alice"));
  hub.Publish(Event(1, "alice"));  // sequences start again
  EXPECT_EQ(Drain(*client), (Ids{"5", "6", "event: reset", "1"}));
  EXPECT_EQ(Drain(*hub.Attach(std::nullopt)), (Ids{"1"}));
}

TEST(SseHub, CatchUpAfterAReconnectAddsOnlyWhatTheHubMissed) {
  SseHub hub({});
  hub.Publish(Event(1, "alice", HubEvent::Kind::kSetStarted));
  hub.Publish(Event(2, "alice"));
  auto browser = hub.Attach(std::nullopt);
  EXPECT_EQ(Drain(*browser), (Ids{"1", "2"}));
  // The stream to ambid dropped and came back: the catch-up repeats 1 and 2, and brings 3,
  // published while ambi-web was away. Browsers get 3 once, and no reset.
  for (std::uint64_t sequence : {1, 2, 3}) {
    HubEvent event = Event(sequence, "alice",
                           sequence == 1 ? HubEvent::Kind::kSetStarted : HubEvent::Kind::kOther);
    event.catch_up = true;
    hub.Publish(event);
  }
  hub.Publish(Event(4, "alice"));
  EXPECT_EQ(Drain(*browser), (Ids{"3", "4"}));
  auto late = hub.Attach(std::nullopt);
  EXPECT_EQ(Drain(*late), (Ids{"1", "2", "3", "4"}));
}

TEST(SseHub, CapsBrowsers) {
  SseHubOptions options;
  options.max_browsers = 2;
  SseHub hub(options);
  auto a = hub.Attach(std::nullopt);
  auto b = hub.Attach(std::nullopt);
  EXPECT_EQ(hub.Attach(std::nullopt), nullptr);
  hub.Detach(a);
  EXPECT_NE(hub.Attach(std::nullopt), nullptr);
}

TEST(SseHub, ASlowBrowserIsDroppedWithoutTouchingTheOthers) {
  SseHubOptions options;
  options.browser_queue_frames = 3;
  SseHub hub(options);
  auto slow = hub.Attach(std::nullopt);
  auto fast = hub.Attach(std::nullopt);
  bool slow_woken_after_drop = false;
  slow->SetWaker([&] { slow_woken_after_drop = slow->dropped(); });
  for (std::uint64_t s = 1; s <= 10; ++s) {
    hub.Publish(Event(s, "alice"));
    EXPECT_EQ(Drain(*fast), (Ids{std::to_string(s)}));  // the fast one reads as it comes
  }
  EXPECT_TRUE(slow->dropped());
  EXPECT_TRUE(slow_woken_after_drop) << "the stream must learn it was dropped to close";
  EXPECT_EQ(slow->queued(), 0u) << "a dropped browser's frames are freed";
  EXPECT_EQ(hub.dropped_browsers(), 1u);
  EXPECT_EQ(hub.browsers(), 1u);
  // It comes back with its last id and gets what it missed, from the replay buffer.
  EXPECT_EQ(Drain(*hub.Attach(3)), (Ids{"4", "5", "6", "7", "8", "9", "10"}));
}

TEST(SseHub, BacklogIsNotCutByTheLiveQueueLimit) {
  SseHubOptions options;
  options.browser_queue_frames = 2;
  SseHub hub(options);
  for (std::uint64_t s = 1; s <= 6; ++s) hub.Publish(Event(s, "alice"));
  auto client = hub.Attach(std::nullopt);
  EXPECT_EQ(Drain(*client).size(), 6u);
  EXPECT_FALSE(client->dropped());
}

// An event of 'box' whose frame the hub makes (several boxes: the hub numbers them).
HubEvent BoxEvent(const std::string& box, std::uint64_t sequence, const std::string& athlete,
                  HubEvent::Kind kind = HubEvent::Kind::kOther, bool catch_up = false) {
  HubEvent event;
  event.box = box;
  event.sequence = sequence;
  event.athlete = athlete;
  event.kind = kind;
  event.catch_up = catch_up;
  event.data = "{\"box\":\"" + box + "\",\"n\":" + std::to_string(sequence) + "}";
  return event;
}

// The data of the event frames queued for 'client', "reset" for a reset frame.
std::vector<std::string> DrainData(SseClient& client) {
  std::vector<std::string> out;
  while (Frame frame = client.Pop()) {
    const auto data = frame->find("data: ");
    if (frame->starts_with("event: reset")) {
      out.push_back("reset");
    } else if (frame->starts_with("id: ")) {
      out.push_back(frame->substr(data + 6, frame->find('\n', data) - data - 6));
    }
  }
  return out;
}

SseHubOptions SeveralBoxes() {
  SseHubOptions options;
  options.own_ids = true;
  options.first_id = 1000;
  return options;
}

TEST(SseHubSeveralBoxes, NumbersEveryBoxsEventsInOneOrder) {
  SseHub hub(SeveralBoxes());
  auto browser = hub.Attach(std::nullopt);
  // Both daemons count from 1: their sequences collide, the hub's ids do not.
  hub.Publish(BoxEvent("a", 1, "sam"));
  hub.Publish(BoxEvent("b", 1, "sam"));
  hub.Publish(BoxEvent("a", 2, "sam"));
  EXPECT_EQ(Drain(*browser), (Ids{"1000", "1001", "1002"}));
  EXPECT_EQ(hub.last_sequence(), 1002u);
  // A browser that saw 1000 gets exactly the two it missed, of both boxes.
  EXPECT_EQ(DrainData(*hub.Attach(1000)), (Ids{R"({"box":"b","n":1})", R"({"box":"a","n":2})"}));
  // An id of an earlier ambi-web run (below first_id) is not resumed: reset, then what is held.
  EXPECT_EQ(DrainData(*hub.Attach(17)).front(), "reset");
}

TEST(SseHubSeveralBoxes, OneNameAtTwoBoxesIsTwoAthletes) {
  SseHub hub(SeveralBoxes());
  hub.Publish(BoxEvent("a", 1, "sam", HubEvent::Kind::kSetStarted));
  hub.Publish(BoxEvent("a", 2, "sam"));
  hub.Publish(BoxEvent("b", 7, "sam", HubEvent::Kind::kSetStarted));  // does not end a's set
  hub.Publish(BoxEvent("b", 8, "sam"));
  EXPECT_EQ(DrainData(*hub.Attach(std::nullopt)),
            (Ids{R"({"box":"a","n":1})", R"({"box":"a","n":2})", R"({"box":"b","n":7})",
                 R"({"box":"b","n":8})"}));
}

TEST(SseHubSeveralBoxes, ACatchUpOfOneBoxSkipsOnlyWhatThatBoxSent) {
  SseHub hub(SeveralBoxes());
  auto browser = hub.Attach(std::nullopt);
  hub.Publish(BoxEvent("a", 5, "sam"));
  hub.Publish(BoxEvent("b", 2, "kim"));
  // b's stream is re-opened: its catch-up repeats 2 (skipped) and brings 3 (missed meanwhile).
  hub.Publish(BoxEvent("b", 2, "kim", HubEvent::Kind::kOther, true));
  hub.Publish(BoxEvent("b", 3, "kim", HubEvent::Kind::kOther, true));
  EXPECT_EQ(DrainData(*browser),
            (Ids{R"({"box":"a","n":5})", R"({"box":"b","n":2})", R"({"box":"b","n":3})"}));
}

TEST(SseHubSeveralBoxes, ARestartedBoxResetsBrowsersWhoGetTheOtherBoxesAgain) {
  SseHub hub(SeveralBoxes());
  hub.Publish(BoxEvent("a", 1, "sam", HubEvent::Kind::kSetStarted));
  hub.Publish(BoxEvent("b", 40, "kim", HubEvent::Kind::kSetStarted));
  auto browser = hub.Attach(std::nullopt);
  EXPECT_EQ(DrainData(*browser).size(), 2u);
  hub.Publish(BoxEvent("b", 1, "kim", HubEvent::Kind::kSetStarted));  // b restarted
  EXPECT_EQ(DrainData(*browser), (Ids{"reset", R"({"box":"a","n":1})", R"({"box":"b","n":1})"}));
  // A browser resuming from before the restart cannot resume: reset, then both boxes now.
  EXPECT_EQ(DrainData(*hub.Attach(1001)),
            (Ids{"reset", R"({"box":"a","n":1})", R"({"box":"b","n":1})"}));
}

}  // namespace
}  // namespace ambi::web
