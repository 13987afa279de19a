#include "sy/policies/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sy::policies {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> as_map(const RateLimitHeaders& h) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : h.to_headers()) m[k] = v;
  return m;
}

TEST(RateLimiter, RequestsPerMinuteBucket) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimits limits{3, std::nullopt};
  for (int i = 0; i < 3; ++i) {
    const RateLimitResult r = rl.check("k", limits, 0);
    ASSERT_TRUE(r.allowed()) << i;
    EXPECT_EQ(r.headers.remaining_requests, 2 - i);
  }
  const RateLimitResult denied = rl.check("k", limits, 0);
  EXPECT_EQ(denied.verdict, RateVerdict::kRequestsExceeded);
  EXPECT_EQ(denied.retry_after, 20s);  // one request per 20 s at 3/min
  EXPECT_EQ(denied.retry_after_seconds(), 20);
  EXPECT_EQ(denied.headers.remaining_requests, 0);
  EXPECT_EQ(denied.headers.reset_requests, 60s);  // empty -> full takes a minute
  EXPECT_NE(denied.message().find("requests per minute"), std::string::npos);
  clock.advance(19999ms);
  EXPECT_FALSE(rl.check("k", limits, 0).allowed());
  clock.advance(1ms);
  EXPECT_TRUE(rl.check("k", limits, 0).allowed());
}

TEST(RateLimiter, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimits limits{1, std::nullopt};
  EXPECT_TRUE(rl.check("a", limits, 0).allowed());
  EXPECT_FALSE(rl.check("a", limits, 0).allowed());
  EXPECT_TRUE(rl.check("b", limits, 0).allowed());
}

TEST(RateLimiter, TokensPerMinuteAndAllOrNothing) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimits limits{100, 1000};
  RateLimitResult r = rl.check("k", limits, 600);
  ASSERT_TRUE(r.allowed());
  EXPECT_EQ(r.headers.remaining_tokens, 400);
  EXPECT_EQ(r.headers.remaining_requests, 99);
  EXPECT_EQ(r.headers.reset_tokens, 36s);  // 600 tokens at 1000/min
  r = rl.check("k", limits, 600);
  EXPECT_EQ(r.verdict, RateVerdict::kTokensExceeded);
  EXPECT_EQ(r.retry_after, 12s);  // 200 missing tokens at 1000/min
  EXPECT_EQ(r.headers.remaining_requests, 99);  // the refused request took nothing
  EXPECT_EQ(r.headers.remaining_tokens, 400);
  clock.advance(12s);
  EXPECT_TRUE(rl.check("k", limits, 600).allowed());
}

TEST(RateLimiter, RequestLargerThanTheAllowanceNeverFits) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimitResult r = rl.check("k", {std::nullopt, 1000}, 1001);
  EXPECT_EQ(r.verdict, RateVerdict::kRequestTooLarge);
  EXPECT_NE(r.message().find("too large"), std::string::npos);
  EXPECT_TRUE(rl.check("k", {std::nullopt, 1000}, 1000).allowed());
}

TEST(RateLimiter, SettlingActualTokensChargesOrRefunds) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimits limits{std::nullopt, 1000};
  ASSERT_TRUE(rl.check("k", limits, 100).allowed());
  rl.settle_tokens("k", limits, 100, 1500);  // 1400 more than estimated: 900 -> -500
  RateLimitResult r = rl.check("k", limits, 100);
  EXPECT_EQ(r.verdict, RateVerdict::kTokensExceeded);
  EXPECT_EQ(r.retry_after, 36s);  // from -500 to 100 at 1000/min
  clock.advance(36s);
  EXPECT_TRUE(rl.check("k", limits, 100).allowed());
  rl.settle_tokens("k", limits, 100, 0);  // refund
  EXPECT_EQ(rl.check("k", limits, 0).headers.remaining_tokens, 100);
}

TEST(RateLimiter, UnlimitedKeysSendNoHeaders) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimitResult r = rl.check("k", {}, 1'000'000);
  EXPECT_TRUE(r.allowed());
  EXPECT_TRUE(r.headers.to_headers().empty());
}

TEST(RateLimiter, HeadersAsOpenAISendsThem) {
  FakeClock clock;
  RateLimiter rl(clock);
  const RateLimits limits{60, 150000};
  const auto h = as_map(rl.check("k", limits, 6000).headers);
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(h.at("x-ratelimit-limit-requests"), "60");
  EXPECT_EQ(h.at("x-ratelimit-remaining-requests"), "59");
  EXPECT_EQ(h.at("x-ratelimit-reset-requests"), "1s");
  EXPECT_EQ(h.at("x-ratelimit-limit-tokens"), "150000");
  EXPECT_EQ(h.at("x-ratelimit-remaining-tokens"), "144000");
  EXPECT_EQ(h.at("x-ratelimit-reset-tokens"), "2.4s");
}

TEST(RateLimiter, ResetDurationFormat) {
  EXPECT_EQ(format_reset(0ms), "0ms");
  EXPECT_EQ(format_reset(20ms), "20ms");
  EXPECT_EQ(format_reset(1000ms), "1s");
  EXPECT_EQ(format_reset(1500ms), "1.5s");
  EXPECT_EQ(format_reset(1005ms), "1.005s");
  EXPECT_EQ(format_reset(6min), "6m0s");
  EXPECT_EQ(format_reset(61500ms), "1m1.5s");
  EXPECT_EQ(format_reset(1h), "1h0m0s");
}

TEST(RateLimiter, LimitChangesApplyWithoutGrantingExtra) {
  FakeClock clock;
  RateLimiter rl(clock);
  ASSERT_TRUE(rl.check("k", {100, std::nullopt}, 0).allowed());
  // Lowered (config reload): the bucket is clamped to the new capacity.
  const RateLimitResult r = rl.check("k", {2, std::nullopt}, 0);
  ASSERT_TRUE(r.allowed());
  EXPECT_EQ(r.headers.remaining_requests, 1);
}

}  // namespace
}  // namespace sy::policies
