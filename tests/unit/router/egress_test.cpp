// Fail-closed classification and the egress invariant: no rule
// configuration lets a sensitive request's egress include the cloud.
#include <gtest/gtest.h>

#include "sy/router/latency.hpp"
#include "test_helpers.hpp"

namespace sy::router::testing {
namespace {

const std::string kSensitive = "Please email the refund to jessica_moreno@web.de today.";
const std::string kPlain = "Write a haiku about the first snow of the year.";

TEST(FailClosed, InvalidUtf8IsSensitive) {
  auto c = classify_text(std::string("hello \xC3\x28 world"));
  EXPECT_TRUE(c.fail_closed);
  EXPECT_TRUE(c.sensitive);
  EXPECT_NE(c.fail_reason.find("UTF-8"), std::string::npos);
  auto bad_tool = user_request(kPlain);
  bad_tool.messages[0].tool_calls.push_back({"call_1", "f", std::string("{\"x\":\"\xFF\"}")});
  EXPECT_TRUE(default_router().classify(bad_tool, {}).sensitive);
}

TEST(FailClosed, OverScanLimitIsSensitive) {
  RouterOptions o;
  o.sensitivity.scan_limit_bytes = 1000;
  Router r(o);
  auto c = classify_text(std::string(1001, 'a'), r);
  EXPECT_TRUE(c.fail_closed);
  EXPECT_TRUE(c.sensitive);
  auto ok = classify_text(std::string(1000, 'a'), r);
  EXPECT_FALSE(ok.sensitive);
}

TEST(FailClosed, DecisionIsLocalOnly) {
  Router r{RouterOptions{}};
  auto req = user_request(std::string("x \xC3\x28"));
  auto c = r.classify(req, {});
  auto d = r.decide(req, {}, c, {});
  EXPECT_EQ(d.egress, std::vector<std::string>{"local"});
  EXPECT_EQ(d.targets, std::vector<std::string>{"local"});
}

TEST(Scanning, EveryMessageAndToolFieldIsScanned) {
  ChatRequest req = user_request(kPlain);
  Message sys;
  sys.role = "system";
  sys.content = "Use key sk-proj-Qm7tV2xL9pR4sK8wN3bY6cD1fG5hJ0aZ for the backend.";
  req.messages.insert(req.messages.begin(), sys);
  auto c = default_router().classify(req, {});
  ASSERT_TRUE(c.sensitive);
  EXPECT_EQ(c.findings.at(0).message, 0);

  ChatRequest tools = user_request(kPlain);
  Message a;
  a.role = "assistant";
  a.tool_calls.push_back({"c1", "send_mail", R"({"to":"jan.novak@seznam.cz"})"});
  tools.messages.push_back(a);
  auto t = default_router().classify(tools, {});
  ASSERT_TRUE(t.sensitive);
  EXPECT_EQ(t.findings.at(0).field, "tool_calls[0].arguments");
  EXPECT_EQ(t.findings.at(0).message, 1);

  ChatRequest defs = user_request(kPlain);
  defs.tools.push_back({"lookup", "Internal lookup; admin contact anna.kowalska@firma-budowlana.pl", "{}"});
  EXPECT_TRUE(default_router().classify(defs, {}).sensitive);
}

// Every rule shape the config can express, all pointing at the cloud.
std::vector<RouterOptions> hostile_configs() {
  std::vector<RouterOptions> out;
  auto add = [&](RuleCondition w, std::vector<std::string> targets, std::string policy) {
    RouterOptions o;
    o.pricing["gpt-4o-mini"] = {0.15, 0.6};
    o.on_sensitive_cloud_request = policy;
    o.rules.push_back({"hostile", w, targets});
    out.push_back(o);
  };
  for (std::string policy : {"reroute", "reject"}) {
    add({}, {"cloud"}, policy);
    RuleCondition s;
    s.sensitive = true;
    add(s, {"cloud", "local"}, policy);
    RuleCondition h;
    h.headers = {{"x-switchyard-target", "cloud"}};
    add(h, {"cloud"}, policy);
    RuleCondition cost;
    cost.estimated_cost_usd_over = 0.0;
    add(cost, {"fastest"}, policy);
    RuleCondition types;
    types.entity_types_any = {"EMAIL"};
    add(types, {"cheapest", "cloud"}, policy);
    RuleCondition lat;
    lat.local_available = false;
    add(lat, {"cloud"}, policy);
  }
  // An exemption for a different key or entity type must not open the door.
  RouterOptions ex;
  ex.rules.push_back({"all-cloud", {}, {"cloud"}});
  ex.egress_exemptions.push_back({"other-key", {"EMAIL"}});
  ex.egress_exemptions.push_back({"team-a", {"PHONE"}});
  out.push_back(ex);
  return out;
}

TEST(Egress, NoRuleSendsSensitiveRequestsToCloud) {
  for (const auto& opts : hostile_configs()) {
    Router r(opts);
    for (std::string model : {"auto", "gpt-4o-mini", "gpt-oss-20b", ""}) {
      for (bool local_up : {true, false}) {
        auto req = user_request(kSensitive, model);
        RequestContext ctx;
        ctx.key_id = "team-a";
        ctx.headers = {{"x-switchyard-target", "cloud"}};
        auto c = r.classify(req, ctx);
        ASSERT_TRUE(c.sensitive);
        RouteSignals sig;
        sig.local_available = local_up;
        sig.predicted_latency_ms = {{"cloud", 10.0}, {"local", 9000.0}};
        auto d = r.decide(req, ctx, c, sig);
        EXPECT_FALSE(d.allows("cloud")) << "rule " << d.rule << " model " << model;
        for (const auto& t : d.targets) EXPECT_NE(t, "cloud") << "rule " << d.rule << " model " << model;
      }
    }
  }
}

TEST(Egress, SensitiveCloudModelIsReroutedOrRejected) {
  RouterOptions reroute;
  Router r1(reroute);
  auto req = user_request(kSensitive, "gpt-4o");
  auto c = r1.classify(req, {});
  auto d1 = r1.decide(req, {}, c, {});
  EXPECT_FALSE(d1.rejected);
  EXPECT_EQ(d1.targets, std::vector<std::string>{"local"});
  EXPECT_NE(d1.reason_header().find("rerouted"), std::string::npos);

  RouterOptions reject;
  reject.on_sensitive_cloud_request = "reject";
  Router r2(reject);
  auto d2 = r2.decide(req, {}, r2.classify(req, {}), {});
  EXPECT_TRUE(d2.rejected);
  EXPECT_TRUE(d2.targets.empty());
  EXPECT_NE(d2.reject_message.find("EMAIL"), std::string::npos);
  EXPECT_EQ(d2.reject_message.find("jessica"), std::string::npos);  // never the value
}

TEST(Egress, ExplicitExemptionForKeyAndTypeAllowsCloud) {
  RouterOptions o;
  o.egress_exemptions.push_back({"team-a", {"EMAIL"}});
  o.rules.push_back({"cloud-first", {}, {"cloud", "local"}});
  Router r(o);
  auto req = user_request(kSensitive);
  RequestContext a;
  a.key_id = "team-a";
  auto d = r.decide(req, a, r.classify(req, a), {});
  EXPECT_TRUE(d.allows("cloud"));
  EXPECT_EQ(d.targets.front(), "cloud");
  RequestContext b;
  b.key_id = "team-b";
  EXPECT_FALSE(r.decide(req, b, r.classify(req, b), {}).allows("cloud"));
  // An exempt type plus a non-exempt one: still local only.
  auto mixed = user_request(kSensitive + " SSN 536-22-8726");
  EXPECT_FALSE(r.decide(mixed, a, r.classify(mixed, a), {}).allows("cloud"));
}

TEST(Rules, FirstMatchWinsWithConditions) {
  RouterOptions o;
  o.pricing["gpt-4o-mini"] = {0.15, 0.6};
  RuleCondition hdr;
  hdr.headers = {{"x-switchyard-target", "local"}};
  o.rules.push_back({"pin-local", hdr, {"local"}});
  RuleCondition cost;
  cost.estimated_cost_usd_over = 0.01;
  o.rules.push_back({"expensive", cost, {"local", "cloud"}});
  RuleCondition lat;
  lat.latency_budget_ms_under = 400;
  o.rules.push_back({"tight", lat, {"fastest"}});
  RuleCondition vol;
  vol.key_requests_per_minute_over = 100;
  o.rules.push_back({"busy", vol, {"local", "cloud"}});
  o.rules.push_back({"default", {}, {"cloud", "local"}});
  Router r(o);

  auto req = user_request(kPlain);
  req.max_tokens = 100;
  RequestContext ctx;
  EXPECT_EQ(r.decide(req, ctx, r.classify(req, ctx), {}).rule, "default");
  EXPECT_EQ(r.decide(req, ctx, r.classify(req, ctx), {}).targets, (std::vector<std::string>{"cloud", "local"}));

  ctx.headers = {{"x-switchyard-target", "local"}};
  EXPECT_EQ(r.decide(req, ctx, r.classify(req, ctx), {}).rule, "pin-local");

  RequestContext big;
  auto long_req = user_request(kPlain);
  long_req.max_tokens = 50000;  // 50k * $0.60/M = $0.03
  auto dc = r.decide(long_req, big, r.classify(long_req, big), {});
  EXPECT_EQ(dc.rule, "expensive");

  RequestContext fast;
  fast.headers = {{"x-switchyard-latency-budget-ms", "300"}};
  RouteSignals sig;
  sig.predicted_latency_ms = {{"local", 900.0}, {"cloud", 250.0}};
  auto df = r.decide(req, fast, r.classify(req, fast), sig);
  EXPECT_EQ(df.rule, "tight");
  EXPECT_EQ(df.targets, (std::vector<std::string>{"cloud", "local"}));

  RouteSignals busy;
  busy.volume.requests_per_minute = 150;
  EXPECT_EQ(r.decide(req, {}, r.classify(req, {}), busy).rule, "busy");
}

TEST(Cost, TokensTimesPricePlusOutput) {
  RouterOptions o;
  o.pricing["gpt-4o-mini"] = {1.0, 2.0};
  o.default_max_output_tokens = 500;
  Router r(o, [](std::string_view s) { return static_cast<int>(s.size()); });  // 1 token per byte
  auto req = user_request(std::string(1000, 'a'));
  auto c = r.classify(req, {});
  EXPECT_TRUE(c.prompt_tokens_exact);
  EXPECT_EQ(c.prompt_tokens_estimate, 1000 + 3 + 4);
  EXPECT_EQ(c.max_output_tokens, 500);
  EXPECT_NEAR(c.estimated_cost_usd, (1007 * 1.0 + 500 * 2.0) / 1e6, 1e-12);

  Router est(o);
  auto e = est.classify(req, {});
  EXPECT_FALSE(e.prompt_tokens_exact);
  EXPECT_GT(e.prompt_tokens_estimate, 200);
  EXPECT_LT(e.prompt_tokens_estimate, 300);
}

TEST(VolumeTrackerTest, SlidingWindowWithFakeClock) {
  auto now = std::chrono::steady_clock::time_point{};
  VolumeTracker v(std::chrono::seconds(60), [&] { return now; });
  for (int i = 0; i < 10; ++i) {
    v.record("k", 100);
    now += std::chrono::seconds(5);
  }
  auto s = v.snapshot("k");
  EXPECT_EQ(s.requests_in_window, 10);
  EXPECT_EQ(s.tokens_in_window, 1000);
  EXPECT_DOUBLE_EQ(s.requests_per_minute, 10.0);
  now += std::chrono::seconds(20);  // at t=70 events aged >= 60 s (t=0,5,10) have left the window
  EXPECT_EQ(v.snapshot("k").requests_in_window, 7);
  EXPECT_EQ(v.snapshot("k").tokens_in_window, 700);
  EXPECT_EQ(v.snapshot("other").requests_in_window, 0);
}

TEST(LatencyModelTest, EwmaAndQueue) {
  LatencyModel m(0.5);
  EXPECT_FALSE(m.predict_ms("local", 10).has_value());
  m.observe("local", 100, 10);
  m.observe("local", 200, 20);
  auto e = m.estimate("local");
  ASSERT_TRUE(e);
  EXPECT_DOUBLE_EQ(e->ttft_ms, 150);
  EXPECT_DOUBLE_EQ(e->inter_token_ms, 15);
  EXPECT_DOUBLE_EQ(*m.predict_ms("local", 10), 150 + 150);
  m.set_queue("local", 2, 100.0);  // two waiting, 100 tok/s
  EXPECT_DOUBLE_EQ(*m.predict_ms("local", 10), 300 + 1000.0 * 2 * 10 / 100);
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

TEST(Rules, ExplicitLocalModelIsServedLocally) {
  RouterOptions o;
  o.rules.push_back({"cloud-first", {}, {"cloud", "local"}});
  Router r(o);
  auto req = user_request(kPlain, o.local_model);
  auto d = r.decide(req, {}, r.classify(req, {}), {});
  EXPECT_EQ(d.targets, std::vector<std::string>{"local"});
  auto cloud_req = user_request(kPlain, "gpt-4o");
  auto dc = r.decide(cloud_req, {}, r.classify(cloud_req, {}), {});
  EXPECT_EQ(dc.targets, (std::vector<std::string>{"cloud", "local"}));
  EXPECT_EQ(dc.model_for_cloud, "gpt-4o");
}

}  // namespace
}  // namespace sy::router::testing
