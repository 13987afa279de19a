#include "sy/policies/retry.hpp"

#include <algorithm>

namespace sy::policies {

using std::chrono::milliseconds;

RetrySchedule::RetrySchedule(const RetryOptions& options, const Clock& clock, uint64_t seed,
                             std::optional<std::chrono::steady_clock::time_point> request_deadline)
    : options_(options), clock_(clock), rng_(seed), deadline_(clock.now() + options.deadline) {
  if (request_deadline) deadline_ = std::min(deadline_, *request_deadline);
}

milliseconds RetrySchedule::remaining() const {
  const auto now = clock_.now();
  if (now >= deadline_) return milliseconds(0);
  return std::chrono::floor<milliseconds>(deadline_ - now);
}

bool RetrySchedule::begin_attempt() {
  if (attempts_ >= std::max(1, options_.max_attempts)) return false;
  if (clock_.now() >= deadline_) return false;
  ++attempts_;
  return true;
}

milliseconds RetrySchedule::jittered_backoff(int retry) {
  const int64_t base = std::max<int64_t>(0, options_.base_backoff.count());
  const int64_t cap = std::max<int64_t>(0, options_.max_backoff.count());
  int64_t ceiling = base;
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (ceiling <= 0) return milliseconds(0);
  // Full jitter: spreads retries of many clients evenly instead of in waves.
  std::uniform_int_distribution<int64_t> dist(0, ceiling);
  return milliseconds(dist(rng_));
}

RetryDecision RetrySchedule::after_failure(Outcome outcome, std::optional<milliseconds> retry_after) {
  RetryDecision d;
  if (!retryable(outcome)) {
    d.reason = "not retryable";
    return d;
  }
  if (attempts_ >= std::max(1, options_.max_attempts)) {
    d.reason = "attempts exhausted";
    return d;
  }
  const milliseconds left = remaining();
  if (left <= milliseconds(0)) {
    d.reason = "deadline exceeded";
    return d;
  }
  d.retry = true;
  d.backoff = jittered_backoff(std::max(1, attempts_));
  if (retry_after) d.backoff = std::max(d.backoff, *retry_after);
  d.same_target_fits = d.backoff < left;
  return d;
}

}  // namespace sy::policies
