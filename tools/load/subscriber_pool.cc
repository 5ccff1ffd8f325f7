#include "tools/load/subscriber_pool.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"

namespace ambi::load {
namespace {

enum class Phase : int { kWarmUp, kWindow, kAfter };

std::int64_t UnixNowNs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::string StatusText(const grpc::Status& status) {
  std::string text = "code ";
  text += std::to_string(static_cast<int>(status.error_code()));
  if (!status.error_message().empty()) {
    text += ' ';
    text += status.error_message();
  }
  return text;
}

// One Subscribe stream. Reads are serialised by gRPC (one outstanding read), so the counters
// below have one writer; the atomics are what other threads read while it runs.
class Stream : public grpc::ClientReadReactor<v1::LiveEvent> {
 public:
  Stream(v1::Ambi::Stub* stub, const std::atomic<int>* phase) : stub_(stub), phase_(phase) {}

  void Start() {
    stub_->async()->Subscribe(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    const std::int64_t received_ns = UnixNowNs();
    const std::uint64_t sequence = event_.sequence();
    if (last_sequence_ != 0 && sequence != last_sequence_ + 1) {
      ++sequence_gaps_;
      if (sequence > last_sequence_) missing_by_sequence_ += sequence - last_sequence_ - 1;
    }
    last_sequence_ = sequence;
    received_.fetch_add(1, std::memory_order_relaxed);
    if (static_cast<Phase>(phase_->load(std::memory_order_acquire)) == Phase::kWindow) {
      ++in_window_;
      first_window_sequence_ = std::min(first_window_sequence_, sequence);
      last_window_sequence_ = std::max(last_window_sequence_, sequence);
      if (event_.trigger_arrival_unix_ns() > 0) {
        arrival_.Record(received_ns - event_.trigger_arrival_unix_ns());
      } else {
        ++without_arrival_;
      }
      published_.Record(received_ns - event_.published_unix_ns());
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mutex_);
    status_ = status;
    ended_by_daemon_ = !cancel_requested_;
    done_ = true;
    done_flag_.store(true, std::memory_order_release);
    done_cv_.notify_all();
  }

  void CancelAndWait() {
    {
      std::lock_guard lock(mutex_);
      cancel_requested_ = true;
    }
    context_.TryCancel();
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [this] { return done_; });
  }

  // After CancelAndWait: no callback runs any more.
  void AddTo(SubscriberTotals* totals) const {
    if (received_.load() > 0) ++totals->streams_started;
    if (ended_by_daemon_) {
      ++totals->streams_ended_by_daemon;
      ++totals->daemon_end_statuses[StatusText(status_)];
    }
    totals->events_received += received_.load();
    totals->events_in_window += in_window_;
    totals->sequence_gaps += sequence_gaps_;
    totals->events_missing_by_sequence += missing_by_sequence_;
    totals->events_without_arrival_time += without_arrival_;
    totals->arrival_to_subscriber.Merge(arrival_);
    totals->published_to_subscriber.Merge(published_);
  }

  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  bool done() const { return done_flag_.load(std::memory_order_acquire); }
  std::uint64_t first_window_sequence() const { return first_window_sequence_; }
  std::uint64_t last_window_sequence() const { return last_window_sequence_; }

 private:
  v1::Ambi::Stub* stub_;
  const std::atomic<int>* phase_;
  grpc::ClientContext context_;
  v1::SubscribeRequest request_;  // empty: every athlete, every kind
  v1::LiveEvent event_;

  std::atomic<std::uint64_t> received_{0};
  std::uint64_t in_window_ = 0;
  std::uint64_t last_sequence_ = 0;
  std::uint64_t sequence_gaps_ = 0;
  std::uint64_t missing_by_sequence_ = 0;
  std::uint64_t without_arrival_ = 0;
  std::uint64_t first_window_sequence_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t last_window_sequence_ = 0;
  LatencyHistogram arrival_;
  LatencyHistogram published_;

  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool cancel_requested_ = false;
  bool ended_by_daemon_ = false;
  std::atomic<bool> done_flag_{false};
  grpc::Status status_;
};

}  // namespace

class SubscriberPool::Impl {
 public:
  Impl(const std::string& target, int count, bool shared_channel) {
    std::shared_ptr<grpc::Channel> shared;
    for (int i = 0; i < count; ++i) {
      std::shared_ptr<grpc::Channel> channel = shared;
      if (!channel) {
        grpc::ChannelArguments arguments;
        // Channels with equal arguments would share one connection; each subscriber gets its
        // own, as separate client programs have.
        if (!shared_channel) arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
        if (shared_channel) shared = channel;
      }
      stubs_.push_back(v1::Ambi::NewStub(channel));
      streams_.push_back(std::make_unique<Stream>(stubs_.back().get(), &phase_));
    }
  }

  std::atomic<int> phase_{static_cast<int>(Phase::kWarmUp)};
  std::vector<std::unique_ptr<v1::Ambi::Stub>> stubs_;
  std::vector<std::unique_ptr<Stream>> streams_;
  bool finished_ = false;
};

SubscriberPool::SubscriberPool(const std::string& target, int count, bool shared_channel)
    : impl_(std::make_unique<Impl>(target, count, shared_channel)) {}

SubscriberPool::~SubscriberPool() {
  if (!impl_->finished_) Finish();
}

void SubscriberPool::StartAll() {
  for (auto& stream : impl_->streams_) stream->Start();
}

void SubscriberPool::BeginWindow() {
  impl_->phase_.store(static_cast<int>(Phase::kWindow), std::memory_order_release);
}

void SubscriberPool::EndWindow() {
  impl_->phase_.store(static_cast<int>(Phase::kAfter), std::memory_order_release);
}

std::uint64_t SubscriberPool::EventsReceived() const {
  std::uint64_t total = 0;
  for (const auto& stream : impl_->streams_) total += stream->received();
  return total;
}

int SubscriberPool::StreamsStarted() const {
  return static_cast<int>(std::count_if(impl_->streams_.begin(), impl_->streams_.end(),
                                        [](const auto& stream) { return stream->received() > 0; }));
}

int SubscriberPool::StreamsEnded() const {
  return static_cast<int>(std::count_if(impl_->streams_.begin(), impl_->streams_.end(),
                                        [](const auto& stream) { return stream->done(); }));
}

SubscriberTotals SubscriberPool::Finish() {
  SubscriberTotals totals;
  if (impl_->finished_) return totals;
  impl_->finished_ = true;
  EndWindow();
  for (auto& stream : impl_->streams_) stream->CancelAndWait();
  totals.subscribers = static_cast<int>(impl_->streams_.size());
  std::uint64_t first = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t last = 0;
  for (const auto& stream : impl_->streams_) {
    stream->AddTo(&totals);
    first = std::min(first, stream->first_window_sequence());
    last = std::max(last, stream->last_window_sequence());
  }
  if (last >= first) totals.published_in_window = last - first + 1;
  return totals;
}

}  // namespace ambi::load
