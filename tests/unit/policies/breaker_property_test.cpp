// Randomised runs of the breaker against its invariants: whatever the mix of
// outcomes, latencies, held permits and elapsed time, the state machine only
// takes legal steps and never admits what its state forbids.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "sy/policies/circuit_breaker.hpp"

namespace sy::policies {
namespace {

using namespace std::chrono_literals;

bool legal(BreakerState from, BreakerState to) {
  switch (from) {
    case BreakerState::kClosed: return to == BreakerState::kOpen;
    case BreakerState::kOpen: return to == BreakerState::kHalfOpen;
    case BreakerState::kHalfOpen: return to == BreakerState::kOpen || to == BreakerState::kClosed;
  }
  return false;
}

TEST(BreakerProperty, RandomRunsKeepTheInvariants) {
  const Outcome outcomes[] = {Outcome::kSuccess,     Outcome::kSuccess,      Outcome::kSuccess,
                              Outcome::kConnectError, Outcome::kTlsError,    Outcome::kTimeout,
                              Outcome::kServerError, Outcome::kStreamStall,  Outcome::kTtftTimeout,
                              Outcome::kRateLimited, Outcome::kClientError,  Outcome::kClientAbort};
  std::mt19937 rng(6);
  int opened = 0, closed_again = 0;
  for (int run = 0; run < 200; ++run) {
    FakeClock clock;
    BreakerOptions o;
    o.window_calls = 1 + static_cast<int>(rng() % 20);
    o.min_calls = 1 + static_cast<int>(rng() % o.window_calls);
    o.failure_rate = 0.1 + 0.1 * (rng() % 10);
    o.slow_call_rate = 0.1 + 0.1 * (rng() % 10);
    o.slow_call = 100ms;
    o.open = std::chrono::milliseconds(1 + rng() % 1000);
    o.max_open = o.open * (1 + rng() % 8);
    o.half_open_probes = 1 + static_cast<int>(rng() % 4);
    o.consecutive_connect_failures_to_open = static_cast<int>(rng() % 5);

    std::vector<BreakerTransition> seen;
    CircuitBreaker b("t", o, clock, [&](const BreakerTransition& t) { seen.push_back(t); });
    std::deque<BreakerPermit> held;

    for (int step = 0; step < 400; ++step) {
      const BreakerState before = b.state();
      const auto action = rng() % 10;
      if (action < 5) {
        auto p = b.try_acquire();
        if (before == BreakerState::kOpen) {
          ASSERT_FALSE(p.has_value()) << "an open breaker admitted a call";
        }
        if (p) held.push_back(std::move(*p));
      } else if (action < 9 && !held.empty()) {
        const std::size_t i = rng() % held.size();
        const Outcome out = outcomes[rng() % std::size(outcomes)];
        const auto latency = std::chrono::milliseconds(rng() % 200);
        std::optional<std::chrono::milliseconds> retry_after;
        if (out == Outcome::kRateLimited && rng() % 2) retry_after = std::chrono::milliseconds(rng() % 2000);
        held[i].record(out, latency, retry_after);
        held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        clock.advance(std::chrono::milliseconds(rng() % 1500));
      }

      const BreakerSnapshot s = b.snapshot();
      ASSERT_LE(s.window_calls, o.window_calls);
      ASSERT_LE(s.window_failures, s.window_calls);
      ASSERT_LE(s.window_slow, s.window_calls);
      if (s.state == BreakerState::kClosed) {
        if (o.consecutive_connect_failures_to_open > 0) {
          ASSERT_LT(s.consecutive_connect_failures, o.consecutive_connect_failures_to_open);
        }
        if (s.window_calls >= o.min_calls) {  // otherwise it would have opened
          ASSERT_LT(static_cast<double>(s.window_failures) / s.window_calls, o.failure_rate);
          ASSERT_LT(static_cast<double>(s.window_slow) / s.window_calls, o.slow_call_rate);
        }
      } else {
        ASSERT_EQ(s.window_calls, 0);  // judged afresh after every closing
      }
      if (s.state == BreakerState::kHalfOpen) {
        ASSERT_LE(s.probes_in_flight + s.probes_succeeded, o.half_open_probes);
        ASSERT_LT(s.probes_succeeded, o.half_open_probes);
      }
      if (s.state == BreakerState::kOpen) {
        ASSERT_GT(s.open_remaining.count(), 0);
        ASSERT_LE(s.open_remaining, o.max_open);
      }
      ASSERT_LE(s.rate_limited_remaining, std::max(o.max_open, o.open));
    }
    held.clear();

    // The reported transitions form one legal chain starting closed.
    BreakerState at = BreakerState::kClosed;
    for (const auto& t : seen) {
      ASSERT_EQ(t.from, at);
      ASSERT_TRUE(legal(t.from, t.to)) << to_string(t.from) << " -> " << to_string(t.to);
      ASSERT_FALSE(t.reason.empty());
      if (t.to == BreakerState::kOpen) {
        ++opened;
        ASSERT_GE(t.open_for, o.open);
        ASSERT_LE(t.open_for, o.max_open);
      }
      if (t.from == BreakerState::kHalfOpen && t.to == BreakerState::kClosed) ++closed_again;
      at = t.to;
    }
    ASSERT_EQ(at, b.state());
    ASSERT_EQ(seen.size(), b.snapshot().transitions);
  }
  // The generator reached every part of the state machine.
  EXPECT_GT(opened, 100);
  EXPECT_GT(closed_again, 20);
}

}  // namespace
}  // namespace sy::policies
