#include "clients/web/sse_hub.h"

#include <algorithm>
#include <utility>

namespace ambi::web {
namespace {

const Frame& ResetFrame() {
  static const Frame frame = FormatNamedFrame("reset", "{}");
  return frame;
}

}  // namespace

Frame FormatEventFrame(std::uint64_t sequence, const std::string& json) {
  return std::make_shared<const std::string>("id: " + std::to_string(sequence) + "\ndata: " + json +
                                             "\n\n");
}

Frame FormatNamedFrame(const std::string& name, const std::string& json) {
  return std::make_shared<const std::string>("event: " + name + "\ndata: " + json + "\n\n");
}

Frame SseClient::Pop() {
  if (queue_.empty()) return nullptr;
  Frame frame = std::move(queue_.front());
  queue_.pop_front();
  return frame;
}

bool SseClient::Push(Frame frame) {
  if (queue_.size() >= max_frames_) return false;
  queue_.push_back(std::move(frame));
  return true;
}

SseHub::SseHub(SseHubOptions options) : options_(options), next_id_(options.first_id) {}

void SseHub::Send(const std::shared_ptr<SseClient>& client, const Frame& frame) {
  if (client->dropped_) return;
  if (!client->Push(frame)) {
    // Slow browser: drop it rather than hold memory or slow the others; it resumes later.
    client->dropped_ = true;
    client->queue_.clear();
    ++dropped_browsers_;
  }
}

void SseHub::ForgetBox(const std::string& box) {
  // A browser cannot resume across a reset: the replay buffer goes whole.
  replay_.clear();
  std::erase_if(set_so_far_, [&](const auto& entry) { return entry.first.first == box; });
  std::erase_if(sensor_latest_, [&](const auto& entry) { return entry.first.first == box; });
}

void SseHub::Publish(HubEvent event) {
  std::uint64_t& box_last = box_sequence_[event.box];
  if (event.catch_up && box_last != 0 && event.sequence <= box_last) return;
  const bool restarted = box_last != 0 && event.sequence <= box_last;
  if (restarted) ForgetBox(event.box);
  box_last = event.sequence;
  event.id = options_.own_ids ? next_id_++ : event.sequence;
  last_id_ = event.id;
  // A browser must have seen the event after a reset to resume; with an earlier id it missed
  // the reset and gets one now.
  if (restarted) resume_floor_ = event.id;
  if (!event.frame) event.frame = FormatEventFrame(event.id, event.data);
  event.data.clear();  // kept in the frame

  // After a reset a browser has forgotten everything: what the hub holds of the other boxes
  // comes again (nothing with one box).
  const std::vector<const HubEvent*> others =
      restarted ? SnapshotEvents() : std::vector<const HubEvent*>();
  for (const auto& client : clients_) {
    if (!restarted) continue;
    Send(client, ResetFrame());
    for (const HubEvent* other : others) Send(client, other->frame);
  }

  replay_.push_back(event);
  while (replay_.size() > options_.replay_events) replay_.pop_front();
  if (event.kind == HubEvent::Kind::kSensorStatus) {
    sensor_latest_[{event.box, event.sensor_key}] = event;
  } else {
    std::deque<HubEvent>& set = set_so_far_[{event.box, event.athlete}];
    if (event.kind == HubEvent::Kind::kSetStarted) set.clear();
    set.push_back(event);
    while (set.size() > options_.max_set_events) set.pop_front();
  }

  for (const auto& client : clients_) Send(client, event.frame);
  std::erase_if(clients_, [](const std::shared_ptr<SseClient>& client) {
    client->Wake();
    return client->dropped();
  });
}

void SseHub::Broadcast(Frame frame, const std::string& remember_as) {
  if (!remember_as.empty()) remembered_[remember_as] = frame;
  for (const auto& client : clients_) Send(client, frame);
  std::erase_if(clients_, [](const std::shared_ptr<SseClient>& client) {
    client->Wake();
    return client->dropped();
  });
}

std::vector<const HubEvent*> SseHub::SnapshotEvents() const {
  std::vector<const HubEvent*> events;
  for (const auto& [athlete, set] : set_so_far_) {
    for (const HubEvent& event : set) events.push_back(&event);
  }
  for (const auto& [key, event] : sensor_latest_) events.push_back(&event);
  std::sort(events.begin(), events.end(),
            [](const HubEvent* a, const HubEvent* b) { return a->id < b->id; });
  return events;
}

std::shared_ptr<SseClient> SseHub::Attach(std::optional<std::uint64_t> last_event_id) {
  if (clients_.size() >= options_.max_browsers) return nullptr;
  auto client = std::make_shared<SseClient>(options_.browser_queue_frames);
  // The backlog goes in whole, whatever the queue limit: it is bounded by the replay buffer
  // and the set so far, and the limit is for a browser that stops reading live events.
  auto push = [&](const Frame& frame) { client->queue_.push_back(frame); };
  for (const auto& [name, frame] : remembered_) push(frame);

  const bool can_resume = last_event_id && !replay_.empty() &&
                          *last_event_id + 1 >= replay_.front().id && *last_event_id <= last_id_ &&
                          *last_event_id >= resume_floor_;
  if (can_resume) {
    for (const HubEvent& event : replay_) {
      if (event.id > *last_event_id) push(event.frame);
    }
  } else {
    if (last_event_id) push(ResetFrame());
    for (const HubEvent* event : SnapshotEvents()) push(event->frame);
  }
  clients_.push_back(client);
  return client;
}

void SseHub::Detach(const std::shared_ptr<SseClient>& client) { std::erase(clients_, client); }

}  // namespace ambi::web
