#ifndef AMBI_CLIENTS_WEB_SSE_HUB_H_
#define AMBI_CLIENTS_WEB_SSE_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ambi::web {

// One Server-Sent Events frame, shared by every browser it goes to (formatted once).
using Frame = std::shared_ptr<const std::string>;

// One daemon event as the hub keeps it.
struct HubEvent {
  enum class Kind { kSetStarted, kSensorStatus, kOther };
  std::uint64_t sequence = 0;  // the daemon's LiveEvent.sequence (per box)
  std::string athlete;
  Kind kind = Kind::kOther;
  std::string sensor_key;  // kSensorStatus: which sensor (its latest status is kept)
  // "id: N\ndata: {...}\n\n"; null: the hub makes it from 'data' and the id it gives.
  Frame frame;
  bool catch_up = false;  // sent by ambid at subscription start from the stream so far
  std::string box;        // the box it came from ("" with one box)
  std::string data;       // the frame's JSON, when 'frame' is null
  std::uint64_t id = 0;   // the frame's "id:", given by the hub
};

// "id: <sequence>\ndata: <json>\n\n" (the JSON has no newline: proto JSON on one line).
Frame FormatEventFrame(std::uint64_t sequence, const std::string& json);
// "event: <name>\ndata: <json>\n\n": frames without an id (the browser's Last-Event-ID stays).
Frame FormatNamedFrame(const std::string& name, const std::string& json);

// One browser's bounded queue of frames, filled by the hub, drained by its HTTP stream.
class SseClient {
 public:
  explicit SseClient(std::size_t max_frames) : max_frames_(max_frames) {}

  // The stream calls Pop until it returns nullptr, then waits for the waker (called by the hub
  // whenever it queues a frame or drops the client).
  Frame Pop();
  // True when the hub dropped this browser (queue full): the stream closes the connection; the
  // page reconnects and resumes from its Last-Event-ID.
  bool dropped() const { return dropped_; }
  void SetWaker(std::function<void()> waker) { waker_ = std::move(waker); }
  std::size_t queued() const { return queue_.size(); }

 private:
  friend class SseHub;
  // False when the queue is full.
  bool Push(Frame frame);
  void Wake() {
    if (waker_) waker_();
  }

  const std::size_t max_frames_;
  std::deque<Frame> queue_;
  bool dropped_ = false;
  std::function<void()> waker_;
};

struct SseHubOptions {
  // false (one box): an event's id is the daemon's sequence. true (several boxes): the hub
  // numbers the events it publishes from first_id on, so one id orders every box's events.
  bool own_ids = false;
  // Chosen at start from the clock (seconds x 10^6): ids of an earlier ambi-web run are below
  // this run's, so a browser resuming across a restart is brought up to date, never misled.
  std::uint64_t first_id = 1;
  std::size_t max_browsers = 16;
  std::size_t browser_queue_frames = 1024;
  std::size_t replay_events = 8192;
  // Events kept per athlete since its set started (for a page opened mid-set). A set is ~100
  // events; the cap only bounds memory when sets are never ended.
  std::size_t max_set_events = 4096;
};

// Fans the daemon's events out to the browsers, and remembers enough to bring a browser up to
// date: a replay buffer of the last events for Last-Event-ID resume (no event twice, none
// missing), and per athlete the events since its current set started plus each sensor's latest
// status (for a page opened mid-set). Single-threaded: the HTTP io thread owns it.
class SseHub {
 public:
  explicit SseHub(SseHubOptions options);

  // Queues 'event' for every browser. A sequence not above the last one of its box means that
  // daemon restarted: what is remembered of that box is forgotten and browsers get a "reset"
  // frame first, then what the hub still holds of the other boxes; except for a catch-up event
  // (ambi-web reconnected to the same daemon), which the hub already has: it is skipped.
  void Publish(HubEvent event);

  // A frame without an id for every browser. 'remember_as' non-empty: the latest frame with
  // that name is also sent to browsers that attach later (device list, upstream state).
  void Broadcast(Frame frame, const std::string& remember_as = {});

  // A new browser stream, its queue already holding what it needs: with a 'last_event_id' the
  // replay buffer still covers, the events after it; otherwise (first load, or resumed too
  // late) a "reset" frame when it had an id, then the athletes' sets so far. nullptr when
  // max_browsers streams are open.
  std::shared_ptr<SseClient> Attach(std::optional<std::uint64_t> last_event_id);
  void Detach(const std::shared_ptr<SseClient>& client);

  std::size_t browsers() const { return clients_.size(); }
  std::uint64_t dropped_browsers() const { return dropped_browsers_; }
  // The id of the last event published (0 before any).
  std::uint64_t last_sequence() const { return last_id_; }

 private:
  void ForgetBox(const std::string& box);
  std::vector<const HubEvent*> SnapshotEvents() const;
  void Send(const std::shared_ptr<SseClient>& client, const Frame& frame);

  SseHubOptions options_;
  std::vector<std::shared_ptr<SseClient>> clients_;
  std::deque<HubEvent> replay_;  // the last replay_events events, by id
  // By box and athlete: one name at two boxes is two people (or one person at two places).
  std::map<std::pair<std::string, std::string>, std::deque<HubEvent>> set_so_far_;
  std::map<std::pair<std::string, std::string>, HubEvent> sensor_latest_;  // by box, sensor_key
  std::map<std::string, Frame> remembered_;                                // by name
  std::map<std::string, std::uint64_t> box_sequence_;  // the last daemon sequence of each box
  std::uint64_t last_id_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t resume_floor_ = 0;  // the first id after the last reset
  std::uint64_t dropped_browsers_ = 0;
};

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_SSE_HUB_H_
