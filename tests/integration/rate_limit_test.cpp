// Per-key token rate limits end to end: the bucket is charged the worst case
// (prompt + max_tokens) up front and settled to the tokens the upstream
// reported, so a key is not throttled by answers it never received.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_cloud.hpp"
#include "gateway_process.hpp"
#include "http_client.hpp"
#include "test_pki.hpp"

namespace sy::test {
namespace {

using nlohmann::json;

TEST(RateLimit, TokenBucketIsSettledToReportedUsage) {
  FakeCloud cloud;  // answers with usage: 11 prompt + 7 completion tokens
  // sha256 of "sk-exempt-key"
  const std::string hash = "b8c122b21fb39ba3aa50dc7dde525b9f033aef7f132050c03312b7ed176a7edf";
  GatewayProcess gw("listen: 127.0.0.1:0\n"
                    "cloud: { base_url: " + cloud.base_url() + ", ca_file: " + TestPki::get().ca_cert +
                    ", models: [gpt-fake] }\n"
                    "auth:\n  keys:\n    - { id: team, key_sha256: " + hash + ", tokens_per_minute: 3000 }\n");
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto ask = [&](int max_tokens) {
    json req = {{"model", "gpt-fake"}, {"max_tokens", max_tokens}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
    return http_call(gw.port(), "POST", "/v1/chat/completions", req.dump(),
                     {{"content-type", "application/json"}, {"authorization", "Bearer sk-exempt-key"}});
  };
  // The limiter is live: a worst case above the bucket is refused outright.
  auto too_big = ask(3500);
  EXPECT_EQ(too_big.status, 429) << too_big.body;
  // Each request reserves ~2000 tokens of a 3000 bucket; without settlement
  // the second would be refused. With it, each costs the 18 tokens it used.
  for (int i = 0; i < 4; ++i) {
    auto r = ask(2000);
    EXPECT_EQ(r.status, 200) << "request " << i << ": " << r.body;
  }
  EXPECT_EQ(cloud.requests(), 4);
}

}  // namespace
}  // namespace sy::test
