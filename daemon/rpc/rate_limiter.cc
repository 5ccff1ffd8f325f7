#include "daemon/rpc/rate_limiter.h"

#include <algorithm>

namespace ambi::rpc {

RateLimiter::Bucket& RateLimiter::BucketOf(const std::string& client, Clock::time_point now) {
  auto found = buckets_.find(client);
  if (found == buckets_.end()) {
    if (buckets_.size() >= limit_.max_clients) {
      // Forget the client that has been quiet longest: its bucket is the fullest, so forgetting
      // it gives it nothing it would not have had.
      auto idlest = std::min_element(
          buckets_.begin(), buckets_.end(),
          [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
      buckets_.erase(idlest);
    }
    found = buckets_.emplace(client, Bucket{limit_.burst, now}).first;
  }
  Bucket& bucket = found->second;
  if (now > bucket.updated) {
    const double elapsed_s = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed_s * limit_.per_second);
    bucket.updated = now;
  }
  return bucket;
}

bool RateLimiter::Allow(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Bucket& bucket = BucketOf(client, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

double RateLimiter::SecondsUntilNext(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const Bucket& bucket = BucketOf(client, now);
  if (bucket.tokens >= 1.0 || limit_.per_second <= 0.0) return 0.0;
  return (1.0 - bucket.tokens) / limit_.per_second;
}

}  // namespace ambi::rpc
