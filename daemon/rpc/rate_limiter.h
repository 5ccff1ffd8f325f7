#ifndef AMBI_DAEMON_RPC_RATE_LIMITER_H_
#define AMBI_DAEMON_RPC_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace ambi::rpc {

struct RateLimit {
  double burst = 20.0;             // calls a client may make at once
  double per_second = 5.0;         // calls a client may make per second, sustained
  std::size_t max_clients = 1024;  // clients remembered; a full table forgets the idlest
};

// A token bucket per client key (ClientKeyOf): control calls that change sessions cost one
// token each; a client out of tokens is refused until its bucket refills. Thread-safe. The time
// comes from the caller so tests drive it.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}

  // True and one token spent, or false when 'client' has none left at 'now'.
  bool Allow(const std::string& client, Clock::time_point now);
  // Seconds until 'client' has a token again at 'now' (0 if it has one).
  double SecondsUntilNext(const std::string& client, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0.0;
    Clock::time_point updated;
  };
  Bucket& BucketOf(const std::string& client, Clock::time_point now);

  RateLimit limit_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace ambi::rpc

#endif  // AMBI_DAEMON_RPC_RATE_LIMITER_H_
