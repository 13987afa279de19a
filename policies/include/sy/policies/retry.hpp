#pragma once
// Retry schedule of one request: exponential backoff with full jitter,
// Retry-After respected, one deadline over all attempts and waits.
//
// Retries (and failover) are allowed ONLY before the streaming commit point,
// i.e. before the first byte of the response went to the client. The caller
// enforces that: once it has committed, it must not consult this schedule
// again and must end the stream with an explicit error event instead.
//
// Attempts count across failover: max_attempts = 3 allows e.g. cloud, cloud,
// local. Switching to another target needs no backoff; `backoff` applies to
// a retry of the same target.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "sy/policies/clock.hpp"
#include "sy/policies/options.hpp"
#include "sy/policies/outcome.hpp"

namespace sy::policies {

// Worth another attempt: transient upstream failures and 429. Client errors,
// client aborts and successes are not.
constexpr bool retryable(Outcome o) { return is_failure(o) || o == Outcome::kRateLimited; }

struct RetryDecision {
  bool retry = false;  // another attempt (any target) is allowed
  // Wait before retrying the SAME target: full jitter, at least Retry-After.
  std::chrono::milliseconds backoff{0};
  // Whether `backoff` still fits in the deadline (else only failover remains).
  bool same_target_fits = false;
  std::string_view reason;  // why not, when !retry: "not retryable", "attempts exhausted", "deadline exceeded"
};

class RetrySchedule {
 public:
  // `request_deadline` (e.g. from the client's latency budget) tightens the
  // configured deadline; `seed` makes the jitter reproducible in tests.
  RetrySchedule(const RetryOptions& options, const Clock& clock, uint64_t seed,
                std::optional<std::chrono::steady_clock::time_point> request_deadline = std::nullopt);

  // Call before each attempt; false when attempts are used up or the deadline passed.
  bool begin_attempt();
  // After a failed attempt that happened before the commit point.
  RetryDecision after_failure(Outcome outcome, std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

  int attempts() const { return attempts_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  std::chrono::milliseconds remaining() const;  // 0 once past the deadline

  // The jittered backoff for retry number `retry` (1-based): uniform in
  // [0, min(max_backoff, base_backoff * 2^(retry-1))].
  std::chrono::milliseconds jittered_backoff(int retry);

 private:
  RetryOptions options_;
  const Clock& clock_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point deadline_;
  int attempts_ = 0;
};

}  // namespace sy::policies
