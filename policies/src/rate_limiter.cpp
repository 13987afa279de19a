#include "sy/policies/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sy::policies {

namespace {
using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Absorbs floating-point dust from continuous refill so that "exactly one
// minute later" refills exactly.
constexpr double kEpsilon = 1e-9;

// Time until `level` reaches `target` at the refill rate, rounded up.
milliseconds time_to(double level, double target, int64_t per_minute) {
  if (level + kEpsilon >= target || per_minute <= 0) return milliseconds(0);
  return milliseconds(static_cast<int64_t>(std::ceil((target - level) * 60000.0 / static_cast<double>(per_minute))));
}
}  // namespace

std::string format_reset(milliseconds d) {
  int64_t ms = std::max<int64_t>(0, d.count());
  if (ms < 1000) return std::to_string(ms) + "ms";
  const int64_t h = ms / 3600000;
  ms %= 3600000;
  const int64_t m = ms / 60000;
  ms %= 60000;
  std::string secs = std::to_string(ms / 1000);
  if (int64_t frac = ms % 1000) {
    std::string f = std::to_string(frac);
    f.insert(0, 3 - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    secs += "." + f;
  }
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + secs + "s";
}

std::vector<std::pair<std::string, std::string>> RateLimitHeaders::to_headers() const {
  std::vector<std::pair<std::string, std::string>> h;
  if (limit_requests) {
    h.emplace_back("x-ratelimit-limit-requests", std::to_string(*limit_requests));
    h.emplace_back("x-ratelimit-remaining-requests", std::to_string(remaining_requests.value_or(0)));
    h.emplace_back("x-ratelimit-reset-requests", format_reset(reset_requests));
  }
  if (limit_tokens) {
    h.emplace_back("x-ratelimit-limit-tokens", std::to_string(*limit_tokens));
    h.emplace_back("x-ratelimit-remaining-tokens", std::to_string(remaining_tokens.value_or(0)));
    h.emplace_back("x-ratelimit-reset-tokens", format_reset(reset_tokens));
  }
  return h;
}

int64_t RateLimitResult::retry_after_seconds() const {
  return std::max<int64_t>(1, (retry_after.count() + 999) / 1000);
}

std::string RateLimitResult::message() const {
  switch (verdict) {
    case RateVerdict::kAllowed: return "";
    case RateVerdict::kRequestsExceeded:
      return "Rate limit reached for requests per minute (limit " + std::to_string(headers.limit_requests.value_or(0)) +
             "). Please try again in " + format_reset(retry_after) + ".";
    case RateVerdict::kTokensExceeded:
      return "Rate limit reached for tokens per minute (limit " + std::to_string(headers.limit_tokens.value_or(0)) +
             "). Please try again in " + format_reset(retry_after) + ".";
    case RateVerdict::kRequestTooLarge:
      return "Request too large: the estimated tokens exceed the tokens per minute limit (" +
             std::to_string(headers.limit_tokens.value_or(0)) + ") of this key.";
  }
  return "";
}

void RateLimiter::refill(Bucket& b, int64_t per_minute, TimePoint now) {
  const double cap = static_cast<double>(std::max<int64_t>(0, per_minute));
  if (b.capacity == 0) {  // first use starts full
    b.level = cap;
  } else if (now > b.updated) {
    const double elapsed_ms = std::chrono::duration<double, std::milli>(now - b.updated).count();
    b.level += elapsed_ms * static_cast<double>(per_minute) / 60000.0;
  }
  b.capacity = cap > 0 ? cap : -1;  // -1 marks "initialised, zero allowance"
  b.level = std::min(b.level, cap);
  b.updated = std::max(b.updated, now);
}

RateLimitResult RateLimiter::check(std::string_view key_id, const RateLimits& limits, int64_t estimated_tokens) {
  RateLimitResult r;
  if (!limits.requests_per_minute && !limits.tokens_per_minute) return r;
  const int64_t need_tokens = std::max<int64_t>(0, estimated_tokens);
  const TimePoint now = clock_.now();
  std::lock_guard lock(mu_);
  KeyState& k = keys_[std::string(key_id)];

  milliseconds wait_requests{0}, wait_tokens{0};
  if (limits.requests_per_minute) {
    refill(k.requests, *limits.requests_per_minute, now);
    wait_requests = *limits.requests_per_minute > 0 ? time_to(k.requests.level, 1.0, *limits.requests_per_minute)
                                                    : milliseconds::max();
  }
  bool too_large = false;
  if (limits.tokens_per_minute) {
    refill(k.tokens, *limits.tokens_per_minute, now);
    too_large = need_tokens > *limits.tokens_per_minute;
    if (!too_large) wait_tokens = time_to(k.tokens.level, static_cast<double>(need_tokens), *limits.tokens_per_minute);
  }

  if (too_large) {
    r.verdict = RateVerdict::kRequestTooLarge;
  } else if (wait_requests > milliseconds(0)) {
    r.verdict = RateVerdict::kRequestsExceeded;
    r.retry_after = wait_requests == milliseconds::max() ? milliseconds(0) : std::max(wait_requests, wait_tokens);
  } else if (wait_tokens > milliseconds(0)) {
    r.verdict = RateVerdict::kTokensExceeded;
    r.retry_after = wait_tokens;
  } else {
    if (limits.requests_per_minute) k.requests.level -= 1.0;
    if (limits.tokens_per_minute) k.tokens.level -= static_cast<double>(need_tokens);
  }

  if (limits.requests_per_minute) {
    const int64_t rpm = *limits.requests_per_minute;
    r.headers.limit_requests = rpm;
    r.headers.remaining_requests = std::max<int64_t>(0, static_cast<int64_t>(std::floor(k.requests.level)));
    r.headers.reset_requests = time_to(k.requests.level, static_cast<double>(rpm), rpm);
  }
  if (limits.tokens_per_minute) {
    const int64_t tpm = *limits.tokens_per_minute;
    r.headers.limit_tokens = tpm;
    r.headers.remaining_tokens = std::max<int64_t>(0, static_cast<int64_t>(std::floor(k.tokens.level)));
    r.headers.reset_tokens = time_to(k.tokens.level, static_cast<double>(tpm), tpm);
  }
  return r;
}

void RateLimiter::settle_tokens(std::string_view key_id, const RateLimits& limits, int64_t estimated_tokens,
                                int64_t actual_tokens) {
  if (!limits.tokens_per_minute) return;
  const TimePoint now = clock_.now();
  std::lock_guard lock(mu_);
  KeyState& k = keys_[std::string(key_id)];
  refill(k.tokens, *limits.tokens_per_minute, now);
  k.tokens.level -= static_cast<double>(actual_tokens - estimated_tokens);
  k.tokens.level = std::min(k.tokens.level, static_cast<double>(*limits.tokens_per_minute));
}

}  // namespace sy::policies
