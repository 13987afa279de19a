#include "sy/policies/retry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sy::policies {
namespace {

using namespace std::chrono_literals;

RetryOptions opts() {
  RetryOptions o;
  o.max_attempts = 3;
  o.base_backoff = 100ms;
  o.max_backoff = 1000ms;
  o.deadline = 10s;
  return o;
}

TEST(Retry, RetryableOutcomes) {
  for (Outcome o : {Outcome::kConnectError, Outcome::kTlsError, Outcome::kTimeout, Outcome::kServerError,
                    Outcome::kStreamStall, Outcome::kTtftTimeout, Outcome::kRateLimited}) {
    EXPECT_TRUE(retryable(o)) << to_string(o);
  }
  for (Outcome o : {Outcome::kSuccess, Outcome::kClientError, Outcome::kClientAbort}) {
    EXPECT_FALSE(retryable(o)) << to_string(o);
  }
}

TEST(Retry, FullJitterStaysWithinExponentialCeiling) {
  FakeClock clock;
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
  for (int retry = 1; retry <= 6; ++retry) {
    int64_t lo = INT64_MAX, hi = 0;
    for (uint64_t seed = 0; seed < 500; ++seed) {
      RetrySchedule s(opts(), clock, seed);
      const int64_t ms = s.jittered_backoff(retry).count();
      lo = std::min(lo, ms);
      hi = std::max(hi, ms);
    }
    const int64_t cap = ceilings[retry - 1];
    EXPECT_GE(lo, 0);
    EXPECT_LE(hi, cap) << "retry " << retry;
    // Full jitter spreads over the whole range, not near a fixed delay.
    EXPECT_LT(lo, cap / 10) << "retry " << retry;
    EXPECT_GT(hi, cap * 9 / 10) << "retry " << retry;
  }
}

TEST(Retry, SameSeedSameDelays) {
  FakeClock clock;
  RetrySchedule a(opts(), clock, 42), b(opts(), clock, 42), c(opts(), clock, 43);
  std::vector<int64_t> da, db, dc;
  for (int i = 1; i <= 20; ++i) {
    da.push_back(a.jittered_backoff(4).count());
    db.push_back(b.jittered_backoff(4).count());
    dc.push_back(c.jittered_backoff(4).count());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(Retry, AttemptsAreBounded) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 1);
  ASSERT_TRUE(s.begin_attempt());
  RetryDecision d = s.after_failure(Outcome::kServerError);
  EXPECT_TRUE(d.retry);
  EXPECT_TRUE(d.same_target_fits);
  EXPECT_LE(d.backoff, 100ms);
  ASSERT_TRUE(s.begin_attempt());
  d = s.after_failure(Outcome::kServerError);
  EXPECT_TRUE(d.retry);
  EXPECT_LE(d.backoff, 200ms);
  ASSERT_TRUE(s.begin_attempt());
  d = s.after_failure(Outcome::kServerError);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "attempts exhausted");
  EXPECT_FALSE(s.begin_attempt());
  EXPECT_EQ(s.attempts(), 3);
}

TEST(Retry, ClientErrorsAreNotRetried) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 1);
  ASSERT_TRUE(s.begin_attempt());
  const RetryDecision d = s.after_failure(Outcome::kClientError);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "not retryable");
}

TEST(Retry, DeadlineSpansAllAttempts) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 1);
  ASSERT_TRUE(s.begin_attempt());
  clock.advance(9999ms);
  EXPECT_EQ(s.remaining(), 1ms);
  EXPECT_TRUE(s.after_failure(Outcome::kTimeout).retry);
  clock.advance(1ms);
  const RetryDecision d = s.after_failure(Outcome::kTimeout);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.reason, "deadline exceeded");
  EXPECT_FALSE(s.begin_attempt());
  EXPECT_EQ(s.remaining(), 0ms);
}

TEST(Retry, RequestDeadlineTightensTheConfiguredOne) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 1, clock.now() + 500ms);
  EXPECT_EQ(s.deadline(), clock.now() + 500ms);
  RetrySchedule loose(opts(), clock, 1, clock.now() + 1h);
  EXPECT_EQ(loose.deadline(), clock.now() + 10s);
}

TEST(Retry, RetryAfterIsAFloorForTheBackoff) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 7);
  ASSERT_TRUE(s.begin_attempt());
  const RetryDecision d = s.after_failure(Outcome::kRateLimited, 3000ms);  // above max_backoff
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.backoff, 3000ms);
  EXPECT_TRUE(d.same_target_fits);
}

TEST(Retry, RetryAfterBeyondTheDeadlineLeavesOnlyFailover) {
  FakeClock clock;
  RetrySchedule s(opts(), clock, 7, clock.now() + 2s);
  ASSERT_TRUE(s.begin_attempt());
  const RetryDecision d = s.after_failure(Outcome::kRateLimited, 5000ms);
  EXPECT_TRUE(d.retry);  // another target may still be tried now
  EXPECT_FALSE(d.same_target_fits);
}

}  // namespace
}  // namespace sy::policies
