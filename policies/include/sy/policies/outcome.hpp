#pragma once
// How one upstream attempt ended, as breakers and retries judge it.
#include <string_view>

namespace sy::policies {

enum class Outcome {
  kSuccess,
  kConnectError,  // refused, unreachable, DNS, connect timeout: the offline signal
  kTlsError,      // handshake or verification failure (also counts as a connect failure)
  kTimeout,       // response headers / body did not arrive in time
  kServerError,   // 5xx
  kStreamStall,   // no bytes for the idle timeout mid-stream, or reset mid-stream
  kTtftTimeout,   // no first token in time
  kRateLimited,   // 429: not a failure; Retry-After pauses the target
  kClientError,   // 4xx caused by the request itself: not the upstream's fault
  kClientAbort,   // our client hung up: neutral, says nothing about the upstream
};

std::string_view to_string(Outcome o);

// Counts against the breaker's failure rate.
constexpr bool is_failure(Outcome o) {
  switch (o) {
    case Outcome::kConnectError:
    case Outcome::kTlsError:
    case Outcome::kTimeout:
    case Outcome::kServerError:
    case Outcome::kStreamStall:
    case Outcome::kTtftTimeout:
      return true;
    default:
      return false;
  }
}

// Feeds the "offline" fast path (consecutive connect failures open at once).
constexpr bool is_connect_failure(Outcome o) { return o == Outcome::kConnectError || o == Outcome::kTlsError; }

// Recorded in the sliding window at all (neutral outcomes are not).
constexpr bool is_counted(Outcome o) { return o == Outcome::kSuccess || is_failure(o); }

}  // namespace sy::policies
