#pragma once
// Per-key requests/minute and tokens/minute token buckets. A bucket holds up
// to one minute's allowance and refills continuously. A request takes one
// request token and its estimated tokens from both buckets, or from neither.
// The result carries what OpenAI sends: Retry-After and x-ratelimit-* headers.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sy/policies/clock.hpp"
#include "sy/policies/virtual_keys.hpp"

namespace sy::policies {

struct RateLimits {
  std::optional<int64_t> requests_per_minute;  // absent: unlimited
  std::optional<int64_t> tokens_per_minute;    // absent: unlimited
  static RateLimits of(const Tenant& t) { return {t.requests_per_minute, t.tokens_per_minute}; }
};

enum class RateVerdict {
  kAllowed,
  kRequestsExceeded,
  kTokensExceeded,
  kRequestTooLarge,  // estimate exceeds the whole tokens/minute allowance: never fits
};

struct RateLimitHeaders {
  std::optional<int64_t> limit_requests, remaining_requests;
  std::chrono::milliseconds reset_requests{0};  // until the bucket is full again
  std::optional<int64_t> limit_tokens, remaining_tokens;
  std::chrono::milliseconds reset_tokens{0};
  // x-ratelimit-{limit,remaining,reset}-{requests,tokens}, only for configured limits.
  std::vector<std::pair<std::string, std::string>> to_headers() const;
};

struct RateLimitResult {
  RateVerdict verdict = RateVerdict::kAllowed;
  std::chrono::milliseconds retry_after{0};  // when it would fit (0 when allowed or never)
  RateLimitHeaders headers;
  bool allowed() const { return verdict == RateVerdict::kAllowed; }
  // Whole seconds for the Retry-After header (rounded up, at least 1).
  int64_t retry_after_seconds() const;
  std::string message() const;  // for the 429 body
};

// OpenAI's duration style: "20ms", "1s", "1.5s", "6m0s", "1h0m0s".
std::string format_reset(std::chrono::milliseconds d);

class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock) : clock_(clock) {}

  // Takes the request (and `estimated_tokens`) when allowed; takes nothing otherwise.
  RateLimitResult check(std::string_view key_id, const RateLimits& limits, int64_t estimated_tokens);
  // After the response: charges (or refunds) actual - estimated. The bucket
  // may go into debt, which delays the key's next requests.
  void settle_tokens(std::string_view key_id, const RateLimits& limits, int64_t estimated_tokens,
                     int64_t actual_tokens);

 private:
  struct Bucket {
    double level = 0;
    double capacity = 0;  // 0: not yet initialised
    std::chrono::steady_clock::time_point updated;
  };
  struct KeyState {
    Bucket requests, tokens;
  };
  static void refill(Bucket& b, int64_t per_minute, std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, KeyState> keys_;
};

}  // namespace sy::policies
