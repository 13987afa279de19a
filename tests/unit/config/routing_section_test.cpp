// `routing:` section: detectors, custom rules, rules, egress exemptions,
// volume/latency settings and prices; unknown keys and bad values are located.
#include <gtest/gtest.h>

#include "sy/config/config.hpp"

namespace sy::config {
namespace {

const std::string kTargets =
    "cloud:\n  base_url: https://api.example.org/v1\n  models: [gpt-4o-mini]\n"
    "  pricing:\n    gpt-4o-mini: { input_per_mtok: 0.15, output_per_mtok: 0.6 }\n";

void expect_routing_error(const std::string& routing, std::initializer_list<std::string> fragments) {
  try {
    parse_config(kTargets + routing, "r.yaml", "/base");
    FAIL() << "accepted:\n" << routing;
  } catch (const ConfigError& e) {
    std::string what = e.what();
    for (const auto& f : fragments) EXPECT_NE(what.find(f), std::string::npos) << "missing '" << f << "' in: " << what;
  }
}

TEST(RoutingSection, FullSectionParses) {
  auto cfg = parse_config(kTargets + R"(routing:
  sensitivity:
    detectors: [email, phone]
    custom:
      - { name: CODENAME, keywords: ["Project Falcon"], level: sensitive }
      - { name: TICKET, regexes: ['JIRA-\d{4,}'], level: flag }
    scan_limit_bytes: 65536
  rules:
    - { name: keep-local, when: { sensitive: true }, targets: [local] }
    - name: pin
      when: { header: { X-Switchyard-Target: local }, model: [gpt-4o], key: team-a }
      targets: [local]
    - { name: cheap, when: { estimated_cost_usd_over: 0.05, latency_budget_ms_under: 400 }, targets: [fastest, cloud] }
    - { name: codename, when: { entity_types: [CODENAME, EMAIL] }, targets: [local] }
    - { targets: [cloud, local] }
  on_sensitive_cloud_request: reject
  egress_exemptions: [ { key: research, entity_types: [EMAIL] } ]
  volume: { window_ms: 30000, high_requests_per_minute: 120 }
  latency: { default_budget_ms: 2000, per_key_budget_ms: { team-a: 800 } }
  default_max_output_tokens: 256
)",
                          "r.yaml", "/base");
  const auto& r = cfg.routing;
  EXPECT_EQ(r.sensitivity.detectors, (std::vector<std::string>{"email", "phone"}));
  ASSERT_EQ(r.sensitivity.custom.size(), 2u);
  EXPECT_EQ(r.sensitivity.custom[1].level, "flag");
  EXPECT_EQ(r.sensitivity.scan_limit_bytes, 65536);
  ASSERT_EQ(r.rules.size(), 5u);
  EXPECT_EQ(r.rules[1].when.headers.at(0).first, "x-switchyard-target");
  EXPECT_EQ(r.rules[1].when.models, std::vector<std::string>{"gpt-4o"});
  EXPECT_EQ(r.rules[1].when.keys, std::vector<std::string>{"team-a"});
  EXPECT_DOUBLE_EQ(*r.rules[2].when.estimated_cost_usd_over, 0.05);
  EXPECT_EQ(*r.rules[2].when.latency_budget_ms_under, 400);
  EXPECT_EQ(r.rules[4].targets, (std::vector<std::string>{"cloud", "local"}));
  EXPECT_EQ(r.on_sensitive_cloud_request, "reject");
  EXPECT_EQ(r.egress_exemptions.at(0).key_id, "research");
  EXPECT_EQ(r.volume.window_ms, 30000);
  EXPECT_DOUBLE_EQ(r.volume.high_requests_per_minute, 120);
  EXPECT_EQ(*r.default_latency_budget_ms, 2000);
  EXPECT_EQ(r.key_latency_budget_ms.at("team-a"), 800);
  EXPECT_EQ(r.default_max_output_tokens, 256);
  EXPECT_DOUBLE_EQ(r.pricing.at("gpt-4o-mini").output_per_mtok, 0.6);
}

TEST(RoutingSection, ErrorsNameKeyAndValue) {
  expect_routing_error("routing:\n  rulez: []\n", {"routing.rulez", "unknown key", "rules"});
  expect_routing_error("routing:\n  sensitivity:\n    detectors: [emial]\n", {"detectors", "emial", "email"});
  expect_routing_error("routing:\n  rules:\n    - { targets: [clod] }\n", {"targets", "clod", "cloud"});
  expect_routing_error("routing:\n  on_sensitive_cloud_request: allow\n", {"on_sensitive_cloud_request", "reroute"});
  expect_routing_error("routing:\n  rules:\n    - { when: { sensitiv: true }, targets: [local] }\n", {"sensitiv", "sensitive"});
  expect_routing_error("routing:\n  sensitivity:\n    custom:\n      - { name: X, regexes: ['(unclosed'] }\n",
                       {"regexes", "does not compile"});
  expect_routing_error("routing:\n  egress_exemptions: [ { key: a, entity_types: [EMIAL] } ]\n", {"EMIAL", "EMAIL"});
}

}  // namespace
}  // namespace sy::config
