// Fault scenarios with the real binary, the real engine (tiny model) and a
// scripted fake cloud: whatever breaks, sensitive prompts never reach the
// cloud, non-sensitive ones are answered while any allowed target is up, and
// no stream ends looking complete when it is not.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_cloud.hpp"
#include "gateway_process.hpp"
#include "http_client.hpp"
#include "test_pki.hpp"

namespace sy::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kModel = std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss/tiny-gpt-oss.gguf";

struct Case {
  json messages;
  bool sensitive;
  std::vector<std::string> values;  // entity values that must never leave
};

// A deterministic mix from the labeled corpus: short sensitive and non-sensitive prompts.
const std::vector<Case>& corpus_mix() {
  static const std::vector<Case> mix = [] {
    std::vector<Case> out;
    std::ifstream in(std::string(SY_TEST_DATA_DIR) + "/sensitivity_cases.jsonl");
    int s = 0, n = 0;
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line);
      std::size_t size = 0;
      for (const auto& m : j["messages"]) size += m["content"].get<std::string>().size();
      if (size > 700) continue;
      bool sensitive = j["sensitive"];
      if ((sensitive && s >= 6) || (!sensitive && n >= 4)) continue;
      (sensitive ? s : n)++;
      Case c{j["messages"], sensitive, {}};
      for (const auto& e : j["entities"]) c.values.push_back(e["value"]);
      out.push_back(std::move(c));
    }
    return out;
  }();
  return mix;
}

struct Scenario {
  std::string cloud_url;  // empty: no cloud configured
  bool local = true;
  std::string extra;      // more YAML
  std::string retries = "retries: { max_attempts: 3, base_backoff_ms: 10, max_backoff_ms: 50 }\n";
};

std::string config(const Scenario& s) {
  std::string y = "listen: 127.0.0.1:0\n";
  if (s.local) {
    y += "local: { model: " + kModel + ", model_name: gpt-oss-tiny, max_concurrent_sequences: 1, context_tokens: 4096 }\n";
  }
  if (!s.cloud_url.empty()) {
    y += "cloud:\n  base_url: " + s.cloud_url + "\n  ca_file: " + TestPki::get().ca_cert +
         "\n  models: [gpt-fake]\n  connect_timeout_ms: 1000\n  first_byte_timeout_ms: 800\n  idle_timeout_ms: 800\n";
  }
  y += "breakers:\n  cloud: { window_calls: 4, min_calls: 2, failure_rate: 0.5, open_ms: 1500, max_open_ms: 3000, half_open_probes: 1 }\n"
       + s.retries +
       "routing:\n  rules:\n"
       "    - { name: sensitive-local, when: { sensitive: true }, targets: [local] }\n"
       "    - { name: prefer-local, when: { header: { x-test-prefer: local } }, targets: [local, cloud] }\n"
       "    - { name: default, targets: [cloud, local] }\n";
  return y + s.extra;
}

struct Outcome {
  int status = 0;
  bool clean_done = false;   // stream ended with [DONE]
  bool error_event = false;  // stream ended with an explicit error event
  std::string body;
  std::string route;  // X-Switchyard-Route and -Reason, for failure messages
};

Outcome send(uint16_t port, const Case& c, bool stream, HeaderList extra = {}) {
  json req = {{"model", "auto"}, {"stream", stream}, {"max_tokens", 4}, {"messages", c.messages}};
  HeaderList h = {{"content-type", "application/json"}};
  for (auto& e : extra) h.push_back(e);
  Outcome o;
  HttpResult r = stream ? http_stream(port, "/v1/chat/completions", req.dump(), nullptr, h, 30s)
                        : http_call(port, "POST", "/v1/chat/completions", req.dump(), h, 30s);
  o.status = r.status;
  o.body = r.body;
  o.route = r.header("x-switchyard-route") + " / " + r.header("x-switchyard-reason");
  if (stream && r.status == 200) {
    auto events = sse_data(r.body);
    o.clean_done = !events.empty() && events.back() == "[DONE]";
    o.error_event = !events.empty() && events.back().find("\"error\"") != std::string::npos;
  }
  return o;
}

// Runs the corpus mix (each prompt non-stream and stream) and checks the invariants.
void run_mix(const GatewayProcess& gw, const FakeCloud* cloud, bool non_sensitive_must_succeed,
             bool sensitive_must_succeed, HeaderList extra = {}) {
  for (const auto& c : corpus_mix()) {
    for (bool stream : {false, true}) {
      Outcome o = send(gw.port(), c, stream, extra);
      if (stream && o.status == 200) {
        EXPECT_TRUE(o.clean_done || o.error_event) << "stream ended silently: " << o.body;
      }
      if (!c.sensitive && non_sensitive_must_succeed) {
        EXPECT_EQ(o.status, 200) << o.body;
        if (stream) EXPECT_TRUE(o.clean_done) << o.body;
      }
      if (c.sensitive && sensitive_must_succeed) EXPECT_EQ(o.status, 200) << o.body;
      if (c.sensitive && o.status != 200) {
        EXPECT_TRUE(o.status == 503 || o.status == 429) << o.status << o.body;
        EXPECT_TRUE(json::parse(o.body)["error"]["message"].is_string());
      }
    }
  }
  if (!cloud) return;
  std::string seen = cloud->received();
  for (const auto& c : corpus_mix()) {
    if (!c.sensitive) continue;
    for (const auto& v : c.values) EXPECT_EQ(seen.find(v), std::string::npos) << "sensitive value reached the cloud: " << v;
    for (const auto& m : c.messages) {
      // JSON-escaped as it would travel; any 24-byte window of the text would do too.
      std::string text = json(m["content"]).dump();
      EXPECT_EQ(seen.find(text.substr(1, std::min<std::size_t>(40, text.size() - 2))), std::string::npos);
    }
  }
}

std::string breaker_state(const GatewayProcess& gw, const std::string& target) {
  auto r = http_call(gw.port(), "GET", "/readyz");
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j["targets"].contains(target)) return "";
  return j["targets"][target]["breaker"];
}

TEST(FaultSuite, CloudHealthy) {
  FakeCloud cloud;
  cloud.set_script([](const std::string& body) {
    return body.find("\"stream\":true") != std::string::npos ? FakeReply::stream_ok(3) : FakeReply::json_ok();
  });
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);
  EXPECT_GT(cloud.requests(), 0);
}

TEST(FaultSuite, Cloud500StormFailsOverAndOpensTheBreaker) {
  FakeCloud cloud;
  cloud.set_default(FakeReply::status_reply(500));
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);
  EXPECT_EQ(breaker_state(gw, "cloud"), "open");
}

TEST(FaultSuite, Cloud429WithRetryAfterFailsOver) {
  FakeCloud cloud;
  FakeReply r = FakeReply::status_reply(429);
  r.headers = {{"Retry-After", "2"}};
  cloud.set_default(r);
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);
}

TEST(FaultSuite, CloudOfflineOpensFast) {
  uint16_t dead;
  {
    FakeCloud probe;
    dead = probe.port();
  }
  GatewayProcess gw(config({"https://127.0.0.1:" + std::to_string(dead) + "/v1"}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, nullptr, true, true);
  EXPECT_EQ(breaker_state(gw, "cloud"), "open");
}

TEST(FaultSuite, TlsFailureFailsOver) {
  FakeCloud cloud(FakeCloud::Tls::kUntrusted);
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);
  EXPECT_EQ(cloud.requests(), 0);
}

TEST(FaultSuite, SlowFirstByteFailsOver) {
  FakeCloud cloud;
  FakeReply slow = FakeReply::json_ok();
  slow.first_byte_delay = 2000ms;
  cloud.set_default(slow);
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);
}

TEST(FaultSuite, StallAndResetMidStreamEndWithAnExplicitError) {
  for (bool reset : {false, true}) {
    FakeCloud cloud;
    cloud.set_script([reset](const std::string& body) {
      if (body.find("\"stream\":true") == std::string::npos) return FakeReply::json_ok();
      FakeReply r = FakeReply::stream_ok(6);
      (reset ? r.reset_after_chunks : r.stall_after_chunks) = 2;
      return r;
    });
    GatewayProcess gw(config({cloud.base_url()}));
    ASSERT_TRUE(gw.started()) << gw.stderr_text();
    const Case* plain = nullptr;
    for (const auto& c : corpus_mix()) {
      if (!c.sensitive) plain = &c;
    }
    ASSERT_NE(plain, nullptr);
    Outcome o = send(gw.port(), *plain, true);
    ASSERT_EQ(o.status, 200) << o.body;
    EXPECT_FALSE(o.clean_done) << o.route << "\n" << o.body;
    EXPECT_TRUE(o.error_event) << o.body;
    EXPECT_NE(o.body.find("tok0"), std::string::npos);  // what arrived before the fault was relayed
    run_mix(gw, &cloud, false, true);  // sensitive ones still stay local and succeed
  }
}

TEST(FaultSuite, FlappingAndRecoveryCloseTheBreakerAgain) {
  FakeCloud cloud;
  std::atomic<int> n{0};
  std::atomic<bool> healthy{false};
  cloud.set_script([&](const std::string& body) {
    bool ok = healthy || (n++ % 2 == 0);
    if (!ok) return FakeReply::status_reply(503);
    return body.find("\"stream\":true") != std::string::npos ? FakeReply::stream_ok(2) : FakeReply::json_ok();
  });
  GatewayProcess gw(config({cloud.base_url()}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, true);  // flapping
  healthy = true;
  std::this_thread::sleep_for(3500ms);  // past the longest open period
  const Case* plain = nullptr;
  for (const auto& c : corpus_mix()) {
    if (!c.sensitive) plain = &c;
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(send(gw.port(), *plain, false).status, 200);
  EXPECT_EQ(breaker_state(gw, "cloud"), "closed");
}

TEST(FaultSuite, LocalSaturatedSpillsNonSensitiveToCloud) {
  FakeCloud cloud;
  GatewayProcess gw(config({cloud.base_url(), true, "admission: { max_queue: 1 }\n"}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  // Occupy the single engine worker and its one queue slot with long
  // generations (~4000 tokens each: over a second even at the tiny model's
  // fastest decode), and probe once both are surely in.
  std::vector<std::thread> hogs;
  for (int i = 0; i < 2; ++i) {
    hogs.emplace_back([&] {
      json req = {{"model", "gpt-oss-tiny"}, {"max_tokens", 4000}, {"messages", {{{"role", "user"}, {"content", "go on"}}}}};
      http_call(gw.port(), "POST", "/v1/chat/completions", req.dump(), {{"content-type", "application/json"}}, 120s);
    });
  }
  std::this_thread::sleep_for(150ms);
  const Case* plain = nullptr;
  for (const auto& c : corpus_mix()) {
    if (!c.sensitive) plain = &c;
  }
  Outcome o = send(gw.port(), *plain, false, {{"x-test-prefer", "local"}});
  EXPECT_EQ(o.status, 200) << o.body;
  EXPECT_GE(cloud.requests(), 1);
  for (auto& t : hogs) t.join();
}

TEST(FaultSuite, LocalQueueTimeoutAndNoSpillAreHonoured) {
  FakeCloud cloud;
  // One attempt: retries honour the queue's Retry-After (1 s) and, with a fast
  // engine, a later attempt can outlast the hog; this test is about the queue.
  GatewayProcess gw(config({cloud.base_url(), true,
                            "admission: { max_queue: 4, queue_timeout_ms: 300, spill_to_cloud: false }\n",
                            "retries: { max_attempts: 1 }\n"}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  // Holds the single engine worker: ~4000 tokens at the tiny model's full
  // context, over a second even at its fastest decode (~2,300 tok/s at 4096
  // positions). The probe goes in once the hog is surely admitted, so it waits
  // in the queue for far longer than the 300 ms timeout.
  std::thread hog([&] {
    json req = {{"model", "gpt-oss-tiny"}, {"max_tokens", 4000}, {"messages", {{{"role", "user"}, {"content", "go on"}}}}};
    http_call(gw.port(), "POST", "/v1/chat/completions", req.dump(), {{"content-type", "application/json"}}, 120s);
  });
  std::this_thread::sleep_for(150ms);
  const Case* plain = nullptr;
  for (const auto& c : corpus_mix()) {
    if (!c.sensitive) plain = &c;
  }
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = send(gw.port(), *plain, false, {{"x-test-prefer", "local"}});
  double waited = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(o.status, 503) << o.body;  // timed out in the queue, and not spilled to the cloud
  EXPECT_EQ(cloud.requests(), 0);
  EXPECT_LT(waited, 5000) << "waited for the hog instead of the queue timeout";
  hog.join();
}

TEST(FaultSuite, LocalDownKeepsSensitivePromptsHome) {
  FakeCloud cloud;
  cloud.set_script([](const std::string& body) {
    return body.find("\"stream\":true") != std::string::npos ? FakeReply::stream_ok(3) : FakeReply::json_ok();
  });
  GatewayProcess gw(config({cloud.base_url(), false}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  run_mix(gw, &cloud, true, false);
  const Case* secret = nullptr;
  for (const auto& c : corpus_mix()) {
    if (c.sensitive) secret = &c;
  }
  Outcome o = send(gw.port(), *secret, false);
  EXPECT_EQ(o.status, 503) << o.body;
  EXPECT_NE(o.body.find("sensitive"), std::string::npos) << o.body;
}

TEST(FaultSuite, BothDownAnswersClearly) {
  uint16_t dead;
  {
    FakeCloud probe;
    dead = probe.port();
  }
  GatewayProcess gw(config({"https://127.0.0.1:" + std::to_string(dead) + "/v1", false}));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  for (const auto& c : corpus_mix()) {
    Outcome o = send(gw.port(), c, false);
    EXPECT_TRUE(o.status == 502 || o.status == 503) << o.status << o.body;
    EXPECT_TRUE(json::parse(o.body)["error"]["message"].is_string());
  }
}

}  // namespace
}  // namespace sy::test

namespace sy::test {
namespace {

// An explicit per-key, per-entity-type exemption opens the cloud for exactly
// that key and those types; anything else stays home.
TEST(Egress, ExemptionCoversOnlyTheListedKeyAndTypes) {
  FakeCloud cloud;
  // sha256 of "sk-exempt-key" and "sk-other-key"
  const std::string exempt = "b8c122b21fb39ba3aa50dc7dde525b9f033aef7f132050c03312b7ed176a7edf";
  const std::string other = "cac422eee4bd6113bfaae9f21c4f0e7c733aa46e9d4e135b6f8e590164d5baee";
  std::string yaml = "listen: 127.0.0.1:0\n"
                     "local: { model: " + kModel + ", model_name: gpt-oss-tiny, context_tokens: 2048 }\n"
                     "cloud: { base_url: " + cloud.base_url() + ", ca_file: " + TestPki::get().ca_cert +
                     ", models: [gpt-fake] }\n"
                     "auth:\n  keys:\n    - { id: research, key_sha256: " + exempt + " }\n"
                     "    - { id: other, key_sha256: " + other + " }\n"
                     "routing:\n  egress_exemptions: [ { key: research, entity_types: [EMAIL] } ]\n"
                     "  rules:\n    - { name: cloud-first, targets: [cloud, local] }\n";
  GatewayProcess gw(yaml);
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto ask = [&](const std::string& key, const std::string& text) {
    json req = {{"model", "gpt-fake"}, {"max_tokens", 2}, {"messages", {{{"role", "user"}, {"content", text}}}}};
    return http_call(gw.port(), "POST", "/v1/chat/completions", req.dump(),
                     {{"content-type", "application/json"}, {"authorization", "Bearer " + key}});
  };
  auto only_email = ask("sk-exempt-key", "Please reply to dana.whitfield@kestrel-analytics.io today.");
  EXPECT_EQ(only_email.status, 200) << only_email.body;
  EXPECT_EQ(only_email.header("x-switchyard-route"), "cloud") << only_email.header("x-switchyard-reason");
  EXPECT_NE(cloud.received().find("dana.whitfield@kestrel-analytics.io"), std::string::npos);

  auto email_and_card = ask("sk-exempt-key", "Mail omar.haddad@brightwave-labs.com, card 4539 1488 0343 6467.");
  EXPECT_EQ(email_and_card.status, 200) << email_and_card.body;
  EXPECT_EQ(email_and_card.header("x-switchyard-route"), "local");
  EXPECT_EQ(cloud.received().find("4539 1488 0343 6467"), std::string::npos);
  EXPECT_EQ(cloud.received().find("omar.haddad"), std::string::npos);

  auto other_key = ask("sk-other-key", "Forward this to lena.vogt@nordlicht-energie.de please.");
  EXPECT_EQ(other_key.status, 200) << other_key.body;
  EXPECT_EQ(other_key.header("x-switchyard-route"), "local");
  EXPECT_EQ(cloud.received().find("lena.vogt"), std::string::npos);
}

}  // namespace
}  // namespace sy::test
