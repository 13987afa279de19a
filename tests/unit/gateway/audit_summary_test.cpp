#include <gtest/gtest.h>

#include "audit_test_util.hpp"
#include "sy/gateway/audit/summary.hpp"

namespace sy::gateway::audit {
namespace {
using namespace testing;

TEST(AuditSummary, CountsTargetsRulesEntitiesStatusesAndCost) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  struct Spec {
    std::string target;
    int status;
    bool sensitive;
    double cost;
  };
  const std::vector<Spec> specs = {{"local", 200, true, 0.0},  {"cloud", 200, false, 0.25},
                                   {"cloud", 502, false, 0.5}, {"local", 200, true, 0.0},
                                   {"", 429, false, 0.0}};
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value());
    for (size_t i = 0; i < specs.size(); ++i) {
      RequestRecord r;
      r.request_id = "r" + std::to_string(i);
      r.status = specs[i].status;
      r.cost_actual_usd = specs[i].cost;
      r.cost_estimated_usd = specs[i].cost * 2;
      if (!specs[i].target.empty()) {
        r.served_by = specs[i].target;
        r.route = RouteSummary{specs[i].sensitive ? "sensitive" : "default", {specs[i].target}, {}, {"why-" + specs[i].target}};
        ClassificationSummary c;
        c.sensitive = specs[i].sensitive;
        if (specs[i].sensitive) c.entities = {{"email", 2, {}}, {"iban", 1, {}}};
        r.classification = c;
      }
      ASSERT_TRUE((*log)->append(to_json(r)).get().durable);
    }
  }
  auto s = summarize({path});
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->records, 5u);
  EXPECT_EQ(s->sensitive, 2u);
  EXPECT_EQ(s->by_target, (std::map<std::string, uint64_t>{{"cloud", 2}, {"local", 2}, {"none", 1}}));
  EXPECT_EQ(s->by_rule, (std::map<std::string, uint64_t>{{"(not routed)", 1}, {"default", 2}, {"sensitive", 2}}));
  EXPECT_EQ(s->by_reason, (std::map<std::string, uint64_t>{{"why-cloud", 2}, {"why-local", 2}}));
  EXPECT_EQ(s->by_entity, (std::map<std::string, uint64_t>{{"email", 2}, {"iban", 2}}));
  EXPECT_EQ(s->by_status, (std::map<std::string, uint64_t>{{"200", 3}, {"429", 1}, {"502", 1}}));
  EXPECT_DOUBLE_EQ(s->cost_actual_usd, 0.75);
  EXPECT_DOUBLE_EQ(s->cost_estimated_usd, 1.5);
  auto j = to_json(*s);
  EXPECT_EQ(j["by_target"]["cloud"], 2);
  EXPECT_NE(format_text(*s).find("by entity type:"), std::string::npos);
}

TEST(AuditSummary, ReadsThePipelineSpellings) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  nlohmann::json rec = {
      {"time", 1'795'000'000'000},
      {"route", "local"},
      {"decision", {{"rule", "rule-0"}, {"reasons", {"sensitive: phone"}}}},
      {"classification", {{"sensitive", false}, {"fail_closed", true}, {"entity_counts", {{"phone", 3}}}}},
      {"cost_usd_estimated", 0.125},
      {"status", 500},
      {"error", {{"type", "server_error"}}},
  };
  write_lines(path, {rec.dump(), "{torn"});
  auto s = summarize({path});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->records, 1u);
  EXPECT_EQ(s->unreadable_lines, 1u);
  EXPECT_EQ(s->by_target.at("local"), 1u);
  EXPECT_EQ(s->by_rule.at("rule-0"), 1u);
  EXPECT_EQ(s->by_reason.at("sensitive: phone"), 1u);
  EXPECT_EQ(s->by_entity.at("phone"), 1u);
  EXPECT_EQ(s->by_error_type.at("server_error"), 1u);
  EXPECT_EQ(s->sensitive, 1u);  // fail-closed counts as sensitive
  EXPECT_DOUBLE_EQ(s->cost_estimated_usd, 0.125);
  EXPECT_EQ(s->first_time, "2026-11-18T11:06:40.000Z");
}

TEST(AuditRecord, SchemaCarriesPositionsNotValues) {
  RequestRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123));
  r.classification = ClassificationSummary{true, false, {{"email", 1, {{2, 10, 27}}}}};
  r.attempts = {{"cloud", "error", 503, 80.0, "half_open"}, {"local", "ok", 200, 30.0, "closed"}};
  auto j = to_json(r);
  EXPECT_EQ(j["time"], "2026-11-18T11:06:40.123Z");
  const auto& e = j["classification"]["entities"][0];
  EXPECT_EQ(e["type"], "email");
  EXPECT_EQ(e["spans"][0], (nlohmann::json{{"message", 2}, {"start", 10}, {"end", 27}}));
  EXPECT_EQ(j["attempts"][0]["breaker_state"], "half_open");
  EXPECT_TRUE(j["route"].is_null());
  EXPECT_TRUE(j["cost_actual_usd"].is_null());
}

}  // namespace
}  // namespace sy::gateway::audit
