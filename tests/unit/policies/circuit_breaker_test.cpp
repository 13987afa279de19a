#include "sy/policies/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sy::policies {
namespace {

using namespace std::chrono_literals;

constexpr auto kFast = 10ms;

BreakerOptions small_options() {
  BreakerOptions o;
  o.failure_rate = 0.5;
  o.slow_call_rate = 0.5;
  o.slow_call = 1000ms;
  o.window_calls = 10;
  o.min_calls = 5;
  o.open = 1000ms;
  o.max_open = 3000ms;
  o.half_open_probes = 2;
  o.consecutive_connect_failures_to_open = 3;
  return o;
}

struct Recorder {
  std::vector<BreakerTransition> seen;
  CircuitBreaker::Listener listener() {
    return [this](const BreakerTransition& t) { seen.push_back(t); };
  }
};

void call(CircuitBreaker& b, Outcome o, std::chrono::nanoseconds latency = kFast,
          std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  auto p = b.try_acquire();
  ASSERT_TRUE(p.has_value()) << "breaker refused a permit in state " << to_string(b.state());
  p->record(o, latency, retry_after);
}

// Opens the breaker with server errors (min_calls of them).
void trip(CircuitBreaker& b) {
  for (int i = 0; i < b.options().min_calls && b.state() == BreakerState::kClosed; ++i) call(b, Outcome::kServerError);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, OpensOnFailureRateOnceMinCallsReached) {
  FakeClock clock;
  Recorder rec;
  CircuitBreaker b("cloud", small_options(), clock, rec.listener());
  call(b, Outcome::kSuccess);
  call(b, Outcome::kSuccess);
  call(b, Outcome::kServerError);
  call(b, Outcome::kTimeout);  // 2/4 = 0.5 but only 4 calls < min_calls
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kStreamStall);  // 3/5 = 0.6
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(rec.seen[0].target, "cloud");
  EXPECT_EQ(rec.seen[0].from, BreakerState::kClosed);
  EXPECT_EQ(rec.seen[0].to, BreakerState::kOpen);
  EXPECT_NE(rec.seen[0].reason.find("failure rate 0.60"), std::string::npos) << rec.seen[0].reason;
  EXPECT_EQ(rec.seen[0].open_for, 1000ms);
}

TEST(CircuitBreaker, MinCallsRespectedEvenWhenAllFail) {
  FakeClock clock;
  CircuitBreaker b("local", small_options(), clock);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kTtftTimeout);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_failures, 4);
  call(b, Outcome::kTtftTimeout);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, SlidingWindowEvictsOldOutcomes) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  for (int i = 0; i < 6; ++i) call(b, Outcome::kSuccess);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kServerError);  // 4/10: below the threshold
  EXPECT_EQ(b.snapshot().window_failures, 4);
  for (int i = 0; i < 10; ++i) call(b, Outcome::kSuccess);  // pushes the 4 failures out
  EXPECT_EQ(b.snapshot().window_failures, 0);
  EXPECT_EQ(b.snapshot().window_calls, 10);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kServerError);  // 4/10
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kServerError);  // 5/10 = threshold
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, OpensOnSlowCallRate) {
  FakeClock clock;
  Recorder rec;
  CircuitBreaker b("cloud", small_options(), clock, rec.listener());
  for (int i = 0; i < 3; ++i) call(b, Outcome::kSuccess, 999ms);  // just under slow_call
  for (int i = 0; i < 2; ++i) call(b, Outcome::kSuccess, 1000ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 2/5 slow
  call(b, Outcome::kSuccess, 5s);                // 3/6 slow
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_NE(rec.seen[0].reason.find("slow-call"), std::string::npos) << rec.seen[0].reason;
}

TEST(CircuitBreaker, OpenRejectsUntilCooldownThenHalfOpen) {
  FakeClock clock;
  Recorder rec;
  CircuitBreaker b("cloud", small_options(), clock, rec.listener());
  trip(b);
  auto r = b.try_acquire();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Rejection::kOpen);
  EXPECT_EQ(r.error().retry_after, 1000ms);
  EXPECT_FALSE(b.available());
  clock.advance(999ms);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.try_acquire().error().retry_after, 1ms);
  clock.advance(1ms);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[1].from, BreakerState::kOpen);
  EXPECT_EQ(rec.seen[1].to, BreakerState::kHalfOpen);
  auto p = b.try_acquire();
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->probe());
}

TEST(CircuitBreaker, ProbesSucceedingCloseTheBreaker) {
  FakeClock clock;
  Recorder rec;
  CircuitBreaker b("cloud", small_options(), clock, rec.listener());
  trip(b);
  clock.advance(1000ms);
  auto p1 = b.try_acquire();
  auto p2 = b.try_acquire();
  ASSERT_TRUE(p1 && p2);
  auto p3 = b.try_acquire();  // only 2 probes
  ASSERT_FALSE(p3.has_value());
  EXPECT_EQ(p3.error().reason, Rejection::kHalfOpenBusy);
  p1->record(Outcome::kSuccess, kFast);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.try_acquire().has_value());  // 1 succeeded + 1 in flight = all probes used
  p2->record(Outcome::kSuccess, kFast);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  ASSERT_EQ(rec.seen.size(), 3u);
  EXPECT_EQ(rec.seen[2].to, BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_calls, 0);  // a fresh window after closing
  auto again = b.try_acquire();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->probe());
}

TEST(CircuitBreaker, FailedOrSlowProbeReopensWithGrowingCappedOpenTime) {
  FakeClock clock;
  Recorder rec;
  CircuitBreaker b("cloud", small_options(), clock, rec.listener());
  trip(b);  // open 1000
  const std::chrono::milliseconds expected[] = {2000ms, 3000ms, 3000ms};  // doubling, capped at max_open
  for (auto want : expected) {
    clock.advance(b.snapshot().open_remaining);
    ASSERT_EQ(b.state(), BreakerState::kHalfOpen);
    if (want == 3000ms) {
      call(b, Outcome::kSuccess, 2s);  // a slow probe counts as a failed one
    } else {
      call(b, Outcome::kConnectError);
    }
    ASSERT_EQ(b.state(), BreakerState::kOpen);
    EXPECT_EQ(b.snapshot().open_remaining, want);
    EXPECT_EQ(rec.seen.back().open_for, want);
    clock.advance(want - 1ms);
    EXPECT_EQ(b.state(), BreakerState::kOpen);
    clock.advance(1ms);
  }
  // Closing resets the open period to the base.
  ASSERT_EQ(b.state(), BreakerState::kHalfOpen);
  call(b, Outcome::kSuccess);
  call(b, Outcome::kSuccess);
  ASSERT_EQ(b.state(), BreakerState::kClosed);
  trip(b);
  EXPECT_EQ(b.snapshot().open_remaining, 1000ms);
}

TEST(CircuitBreaker, RateLimitedDoesNotTripButHonoursRetryAfter) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  for (int i = 0; i < 20; ++i) call(b, Outcome::kRateLimited);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_calls, 0);
  call(b, Outcome::kRateLimited, kFast, 2500ms);
  auto r = b.try_acquire();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, Rejection::kRateLimited);
  EXPECT_EQ(r.error().retry_after, 2500ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  clock.advance(2499ms);
  EXPECT_FALSE(b.available());
  clock.advance(1ms);
  EXPECT_TRUE(b.available());
  EXPECT_TRUE(b.try_acquire().has_value());
}

TEST(CircuitBreaker, RetryAfterIsCappedByMaxOpen) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  call(b, Outcome::kRateLimited, kFast, std::chrono::hours(24));
  EXPECT_EQ(b.snapshot().rate_limited_remaining, 3000ms);
}

TEST(CircuitBreaker, ClientErrorsAndAbortsAreNeutral) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  for (int i = 0; i < 20; ++i) {
    call(b, Outcome::kClientError);
    call(b, Outcome::kClientAbort, 60s);  // even a long abandoned call is not slow evidence
  }
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_calls, 0);
  // Neutral outcomes do not dilute the failure rate either.
  for (int i = 0; i < 5; ++i) call(b, Outcome::kServerError);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, ClientAbortOfAProbeFreesTheProbeSlot) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  trip(b);
  clock.advance(1000ms);
  {
    auto p1 = b.try_acquire();
    auto p2 = b.try_acquire();
    ASSERT_TRUE(p1 && p2);
    EXPECT_FALSE(b.try_acquire().has_value());
    p1->record(Outcome::kClientAbort, kFast);
    // p2 is dropped unrecorded at scope end: also neutral.
  }
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(b.snapshot().probes_in_flight, 0);
  call(b, Outcome::kSuccess);
  call(b, Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, ConsecutiveConnectFailuresOpenFast) {
  FakeClock clock;
  Recorder rec;
  BreakerOptions o = small_options();
  o.min_calls = 10;  // the rate path alone would need 10 calls
  CircuitBreaker b("cloud", o, clock, rec.listener());
  call(b, Outcome::kConnectError);
  call(b, Outcome::kTlsError);
  call(b, Outcome::kSuccess);  // the upstream answered: the streak restarts
  call(b, Outcome::kConnectError);
  call(b, Outcome::kConnectError);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kConnectError);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_NE(rec.seen[0].reason.find("3 consecutive connect failures"), std::string::npos) << rec.seen[0].reason;
}

TEST(CircuitBreaker, FastOpenCanBeDisabled) {
  FakeClock clock;
  BreakerOptions o = small_options();
  o.min_calls = 10;
  o.consecutive_connect_failures_to_open = 0;
  CircuitBreaker b("cloud", o, clock);
  for (int i = 0; i < 9; ++i) call(b, Outcome::kConnectError);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kConnectError);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, LateResultsFromBeforeATransitionAreIgnored) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  auto late = b.try_acquire();
  ASSERT_TRUE(late.has_value());
  trip(b);
  clock.advance(1000ms);
  ASSERT_EQ(b.state(), BreakerState::kHalfOpen);
  late->record(Outcome::kSuccess, kFast);  // from the closed era: no probe credit
  EXPECT_EQ(b.snapshot().probes_succeeded, 0);
  auto late2 = b.try_acquire();  // a probe...
  ASSERT_TRUE(late2.has_value());
  late2->record(Outcome::kServerError, kFast);  // ...that fails: reopens
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, ARecordedPermitRecordsOnlyOnce) {
  FakeClock clock;
  CircuitBreaker b("cloud", small_options(), clock);
  auto p = b.try_acquire();
  ASSERT_TRUE(p.has_value());
  p->record(Outcome::kServerError, kFast);
  for (int i = 0; i < 10; ++i) p->record(Outcome::kServerError, kFast);
  EXPECT_EQ(b.snapshot().window_calls, 1);
}

TEST(CircuitBreaker, ConcurrentUseKeepsCountsConsistent) {
  FakeClock clock;
  std::atomic<int> transitions{0};
  BreakerOptions o = small_options();
  o.window_calls = 50;
  o.min_calls = 50;
  o.failure_rate = 1.0;  // never opens: only all-failure windows would
  CircuitBreaker b("cloud", o, clock, [&](const BreakerTransition&) { ++transitions; });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        auto p = b.try_acquire();
        if (p) p->record((i + t) % 3 == 0 ? Outcome::kServerError : Outcome::kSuccess, kFast);
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = b.snapshot();
  EXPECT_EQ(s.state, BreakerState::kClosed);
  EXPECT_EQ(transitions.load(), 0);
  EXPECT_EQ(s.permits_granted, 8000u);
  EXPECT_EQ(s.window_calls, 50);
  EXPECT_GT(s.window_failures, 0);
  EXPECT_LT(s.window_failures, 50);
}

TEST(CircuitBreaker, ConcurrentFailuresOpenExactlyOnce) {
  FakeClock clock;
  std::atomic<int> opened{0};
  CircuitBreaker b("cloud", small_options(), clock, [&](const BreakerTransition& t) {
    if (t.to == BreakerState::kOpen) ++opened;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (auto p = b.try_acquire()) p->record(Outcome::kServerError, kFast);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(opened.load(), 1);  // the clock never moved, so no half-open and no reopen
}

TEST(BreakerRegistry, UsesPerTargetOptionsAndDefaults) {
  FakeClock clock;
  BreakerOptions cloud = small_options();
  BreakerRegistry reg({{"cloud", cloud}}, clock);
  EXPECT_EQ(reg.at("cloud").options().window_calls, 10);
  EXPECT_EQ(reg.at("local").options().window_calls, BreakerOptions{}.window_calls);
  EXPECT_EQ(&reg.at("cloud"), &reg.at("cloud"));
  const auto snaps = reg.snapshot();
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(snaps[0].target, "cloud");
  EXPECT_EQ(snaps[1].target, "local");
}

}  // namespace
}  // namespace sy::policies
