// The foundation path end to end: a client speaks OpenAI to the real
// switchyard binary, which forwards to a loopback fake cloud over verified TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <thread>

#include "fake_cloud.hpp"
#include "gateway_process.hpp"
#include "http_client.hpp"
#include "test_pki.hpp"

namespace sy::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string cloud_config(const FakeCloud& cloud, const std::string& extra_cloud = "", const std::string& extra = "") {
  return "listen: 127.0.0.1:0\n"
         "server: { body_limit_bytes: 65536 }\n"
         "cloud:\n"
         "  base_url: " + cloud.base_url() + "\n"
         "  api_key: { env: SY_TEST_CLOUD_KEY }\n"
         "  ca_file: " + TestPki::get().ca_cert + "\n"
         "  models: [gpt-fake]\n"
         "  connect_timeout_ms: 2000\n"
         "  first_byte_timeout_ms: 1500\n"
         "  idle_timeout_ms: 1500\n" + extra_cloud + extra;
}

const std::vector<std::pair<std::string, std::string>> kEnv = {{"SY_TEST_CLOUD_KEY", "sk-test-upstream-key-123"}};

std::string chat_body(bool stream, const std::string& text = "What is the capital of France?") {
  return json{{"model", "gpt-fake"}, {"stream", stream}, {"messages", {{{"role", "user"}, {"content", text}}}}}.dump();
}

TEST(Proxy, NonStreamSuccessForwardsOverTlsWithBearer) {
  FakeCloud cloud;
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false), {{"content-type", "application/json"}, {"x-request-id", "abc-123"}});
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "hello from the fake cloud");
  EXPECT_EQ(r.header("x-request-id"), "abc-123");
  EXPECT_EQ(r.header("x-switchyard-route"), "cloud");
  std::string seen = cloud.received();
  EXPECT_NE(seen.find("Bearer sk-test-upstream-key-123"), std::string::npos);
  EXPECT_NE(seen.find("capital of France"), std::string::npos);
  // The access log names the request but never its content or keys.
  std::string log = gw.stderr_text();
  EXPECT_NE(log.find("abc-123"), std::string::npos);
  EXPECT_EQ(log.find("capital of France"), std::string::npos);
  EXPECT_EQ(log.find("sk-test-upstream-key-123"), std::string::npos);
}

TEST(Proxy, StreamChunksReachClientBeforeUpstreamFinishes) {
  FakeCloud cloud;
  cloud.set_default(FakeReply::stream_ok(5, 300ms));
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto start = std::chrono::steady_clock::now();
  std::vector<double> arrivals;
  auto r = http_stream(gw.port(), "/v1/chat/completions", chat_body(true), [&](std::string_view) {
    arrivals.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    return true;
  });
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  auto events = sse_data(r.body);
  ASSERT_GE(events.size(), 7u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_NE(events[0].find("tok0"), std::string::npos);
  // The usage-only chunk the gateway asked for is dropped: this client did not ask.
  for (const auto& e : events) EXPECT_EQ(e.find("\"usage\""), std::string::npos) << e;
  // The upstream spaces its 7 events 300 ms apart (~1.8 s): the first bytes
  // must reach us well before the last one was even sent.
  ASSERT_GE(arrivals.size(), 2u);
  EXPECT_LT(arrivals.front(), arrivals.back() - 900);
}

TEST(Proxy, Upstream500MapsTo502AndUpstream429KeepsRetryAfter) {
  FakeCloud cloud;
  cloud.push(FakeReply::status_reply(500));
  FakeReply limited = FakeReply::status_reply(429, R"({"error":{"message":"slow down","type":"rate_limit_error"}})");
  limited.headers = {{"Retry-After", "7"}};
  cloud.set_default(limited);
  GatewayProcess gw(cloud_config(cloud, "", "retries: { max_attempts: 1 }\n"), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false));
  EXPECT_EQ(r.status, 502) << r.body;
  auto j = json::parse(r.body);
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_EQ(j["error"]["type"], "upstream_error");
  auto r2 = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false));
  EXPECT_EQ(r2.status, 429) << r2.body;
  EXPECT_EQ(r2.header("retry-after"), "7");
  EXPECT_EQ(json::parse(r2.body)["error"]["type"], "rate_limit_error");
}

TEST(Proxy, UpstreamTimeoutIs504) {
  FakeCloud cloud;
  FakeReply slow = FakeReply::json_ok();
  slow.first_byte_delay = 4000ms;
  cloud.set_default(slow);
  GatewayProcess gw(cloud_config(cloud, "", "retries: { max_attempts: 1 }\n"), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false));
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "timeout_error");
}

TEST(Proxy, UntrustedCertificateRefusedWithoutSendingTheBody) {
  FakeCloud cloud(FakeCloud::Tls::kUntrusted);
  GatewayProcess gw(cloud_config(cloud, "", "retries: { max_attempts: 1 }\n"), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false, "secret plan zebra"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("certificate"), std::string::npos) << r.body;
  EXPECT_EQ(cloud.received().find("zebra"), std::string::npos);
  EXPECT_EQ(cloud.requests(), 0);
}

TEST(Proxy, WrongHostnameRefused) {
  FakeCloud cloud(FakeCloud::Tls::kWrongHost);
  GatewayProcess gw(cloud_config(cloud, "", "retries: { max_attempts: 1 }\n"), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false, "secret plan zebra"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(cloud.requests(), 0);
  EXPECT_EQ(cloud.received().find("zebra"), std::string::npos);
}

TEST(Proxy, OversizedBodyIs413AndMalformedJsonIs400) {
  FakeCloud cloud;
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto big = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false, std::string(70000, 'a')));
  EXPECT_EQ(big.status, 413) << big.body << big.error;
  EXPECT_EQ(json::parse(big.body)["error"]["type"], "invalid_request_error");
  auto bad = http_call(gw.port(), "POST", "/v1/chat/completions", "{\"model\": \"gpt-fake\", \"messages\": [");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json::parse(bad.body)["error"]["type"], "invalid_request_error");
  auto schema = http_call(gw.port(), "POST", "/v1/chat/completions", R"({"model":"gpt-fake","messages":"hi"})");
  EXPECT_EQ(schema.status, 400) << schema.body;
  auto media = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false), {{"content-type", "text/plain"}});
  EXPECT_EQ(media.status, 415) << media.body;
  auto missing = http_call(gw.port(), "GET", "/v1/nothing-here");
  EXPECT_EQ(missing.status, 404);
  auto method = http_call(gw.port(), "GET", "/v1/chat/completions");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(cloud.requests(), 0);  // none of the bad requests went upstream
  // The process survived all of it.
  EXPECT_EQ(http_call(gw.port(), "GET", "/healthz").status, 200);
}

TEST(Proxy, ClientDisconnectMidStreamClosesUpstream) {
  FakeCloud cloud;
  cloud.set_default(FakeReply::stream_ok(50, 200ms));
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  int chunks = 0;
  auto r = http_stream(gw.port(), "/v1/chat/completions", chat_body(true), [&](std::string_view) { return ++chunks < 2; });
  EXPECT_EQ(r.error, "closed by test");
  EXPECT_TRUE(cloud.wait_for_peer_close(5000ms)) << "the gateway kept the upstream stream open";
}

TEST(Proxy, ModelsHealthAndReadiness) {
  FakeCloud cloud;
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto models = http_call(gw.port(), "GET", "/v1/models");
  ASSERT_EQ(models.status, 200);
  auto j = json::parse(models.body);
  bool found = false;
  for (const auto& m : j["data"]) found = found || m["id"] == "gpt-fake";
  EXPECT_TRUE(found) << models.body;
  EXPECT_EQ(http_call(gw.port(), "GET", "/readyz").status, 200);
  ASSERT_EQ(http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false)).status, 200);
  auto metrics = http_call(gw.port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("switchyard_requests_total{route=\"cloud\",status=\"200\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("switchyard_breaker_state{target=\"cloud\"} 0"), std::string::npos) << metrics.body;
}

TEST(Proxy, UnreachableCloudGivesClearErrorNotAHang) {
  uint16_t dead_port;
  {
    FakeCloud probe;  // take a free port, then release it
    dead_port = probe.port();
  }
  std::string yaml = "listen: 127.0.0.1:0\ncloud:\n  base_url: https://127.0.0.1:" + std::to_string(dead_port) +
                     "/v1\n  ca_file: " + TestPki::get().ca_cert + "\n  models: [gpt-fake]\nretries: { max_attempts: 1 }\n";
  GatewayProcess gw(yaml);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat_body(false), {{"content-type", "application/json"}}, 20s);
  EXPECT_TRUE(r.status == 502 || r.status == 503) << r.status << r.body << r.error;
  EXPECT_TRUE(json::parse(r.body)["error"]["message"].is_string());
}

TEST(Proxy, SigtermDrainsInFlightStream) {
  FakeCloud cloud;
  cloud.set_default(FakeReply::stream_ok(6, 200ms));
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  bool signalled = false;
  auto r = http_stream(gw.port(), "/v1/chat/completions", chat_body(true), [&](std::string_view) {
    if (!signalled) {
      gw.signal(SIGTERM);
      signalled = true;
    }
    return true;
  });
  EXPECT_EQ(r.status, 200);
  auto events = sse_data(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]") << "the in-flight stream was cut by shutdown";
  EXPECT_EQ(gw.wait(10s), 0);
}

}  // namespace
}  // namespace sy::test

namespace sy::test {
namespace {

TEST(Cli, ShippedConfigIsValidAndBadConfigExits2) {
  auto ok = run_switchyard({"check-config", std::string(SY_SOURCE_DIR) + "/config/switchyard.yaml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  std::string dir = make_temp_dir("sy-cli-config");
  std::ofstream(dir + "/bad.yaml") << "listen: 127.0.0.1:1\ncloud:\n  base_url: https://a.example.org\n  models: [m]\n  timeout_ms: 5\n";
  auto bad = run_switchyard({"check-config", dir + "/bad.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.yaml:5:3: cloud.timeout_ms: unknown key"), std::string::npos) << bad.err;
  auto usage = run_switchyard({"serve", "--no-such-flag"});
  EXPECT_EQ(usage.exit_code, 2);
  auto version = run_switchyard({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("switchyard"), std::string::npos);
}

}  // namespace
}  // namespace sy::test

namespace sy::test {
namespace {

TEST(Classify, EndpointAndCliExplainWithoutRevealingValues) {
  FakeCloud cloud;
  GatewayProcess gw(cloud_config(cloud), kEnv);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  const std::string card = "4539 1488 0343 6467";
  json req = {{"model", "auto"},
              {"messages", {{{"role", "system"}, {"content", "Be terse."}},
                            {{"role", "user"}, {"content", "😀 Charge card " + card + " for the order."}}}}};
  auto r = http_call(gw.port(), "POST", "/v1/switchyard/classify", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_TRUE(j["sensitive"].get<bool>());
  ASSERT_FALSE(j["findings"].empty());
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["type"], "CREDIT_CARD");
  EXPECT_EQ(f["message"], 1);
  EXPECT_EQ(f["start"], 14);  // code points: the emoji counts once
  EXPECT_EQ(f["end"], 14 + static_cast<int>(card.size()));
  for (const auto& t : j["targets"]) EXPECT_NE(t, "cloud");
  EXPECT_EQ(r.body.find(card), std::string::npos);
  EXPECT_EQ(cloud.requests(), 0);  // a dry run dispatches nothing

  setenv("SY_TEST_CLOUD_KEY", "sk-test-upstream-key-123", 1);  // the config references it; the child inherits it
  auto cli = run_switchyard({"classify", "--config", gw.config_path()}, req.dump());
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto cj = json::parse(cli.out);
  EXPECT_EQ(cj["sensitive"], j["sensitive"]);
  EXPECT_EQ(cj["findings"][0]["start"], f["start"]);
  EXPECT_EQ(cli.out.find(card), std::string::npos);
}

}  // namespace
}  // namespace sy::test
