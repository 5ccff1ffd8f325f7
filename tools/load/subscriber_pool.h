#ifndef AMBI_TOOLS_LOAD_SUBSCRIBER_POOL_H_
#define AMBI_TOOLS_LOAD_SUBSCRIBER_POOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "tools/load/latency_histogram.h"

namespace ambi::load {

// What the subscribers saw, summed over all of them. "Window" counts cover the measured part of
// the run (after the warm-up); latencies are measured in the window only.
struct SubscriberTotals {
  int subscribers = 0;
  int streams_started = 0;  // streams that received at least one event
  // Streams the daemon ended before the benchmark cancelled them (e.g. RESOURCE_EXHAUSTED: the
  // subscriber fell behind), with their status codes and messages.
  int streams_ended_by_daemon = 0;
  std::map<std::string, int> daemon_end_statuses;
  std::uint64_t events_received = 0;
  std::uint64_t events_in_window = 0;
  // Sequence numbers are daemon-wide and nothing is filtered: each jump is a lost event.
  std::uint64_t sequence_gaps = 0;
  std::uint64_t events_missing_by_sequence = 0;
  // Events the daemon published during the window, from the sequence numbers seen in it.
  std::uint64_t published_in_window = 0;
  std::uint64_t events_without_arrival_time = 0;
  LatencyHistogram arrival_to_subscriber;    // receive time - trigger_arrival_unix_ns
  LatencyHistogram published_to_subscriber;  // receive time - published_unix_ns
};

// 'count' gRPC subscribers of ambid's Subscribe (every athlete, every kind) on the callback API:
// gRPC's own threads receive, so the client adds no thread per subscriber. Each has its own
// channel and connection unless 'shared_channel', as separate client programs would.
class SubscriberPool {
 public:
  SubscriberPool(const std::string& target, int count, bool shared_channel);
  ~SubscriberPool();
  SubscriberPool(const SubscriberPool&) = delete;
  SubscriberPool& operator=(const SubscriberPool&) = delete;

  void StartAll();
  // Latencies and window counts are kept between these two calls.
  void BeginWindow();
  void EndWindow();

  // Progress, safe while running.
  std::uint64_t EventsReceived() const;
  int StreamsStarted() const;
  int StreamsEnded() const;

  // Cancels every stream still open, waits for all to end and sums them up. Once only.
  SubscriberTotals Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ambi::load

#endif  // AMBI_TOOLS_LOAD_SUBSCRIBER_POOL_H_
