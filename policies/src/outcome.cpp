#include "sy/policies/outcome.hpp"

namespace sy::policies {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kSuccess: return "success";
    case Outcome::kConnectError: return "connect_error";
    case Outcome::kTlsError: return "tls_error";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kServerError: return "server_error";
    case Outcome::kStreamStall: return "stream_stall";
    case Outcome::kTtftTimeout: return "ttft_timeout";
    case Outcome::kRateLimited: return "rate_limited";
    case Outcome::kClientError: return "client_error";
    case Outcome::kClientAbort: return "client_abort";
  }
  return "unknown";
}

}  // namespace sy::policies
