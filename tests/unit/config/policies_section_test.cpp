#include <gtest/gtest.h>

#include "sy/config/config.hpp"

namespace sy::config {
namespace {

const std::string kCloud = "cloud: { base_url: https://a.example.org, models: [m] }\n";
const std::string kHash = "230ca85f96310eeb539d627535834c1118c615be0ea811daf258740617064851";

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "p.yaml", "/");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PoliciesSection, FullSectionParses) {
  auto cfg = parse_config(kCloud +
                              "auth:\n  keys:\n    - { id: team-a, key_sha256: " + kHash +
                              ", budget_usd_per_day: 5, requests_per_minute: 60 }\n"
                              "breakers:\n  cloud: { failure_rate: 0.3, window_calls: 10, min_calls: 4 }\n"
                              "retries: { max_attempts: 2 }\n"
                              "admission: { max_queue: 3 }\n",
                          "p.yaml", "/");
  ASSERT_EQ(cfg.policies.auth.keys.size(), 1u);
  EXPECT_TRUE(cfg.policies.auth.required);  // keys configured: auth on by default
  EXPECT_EQ(cfg.policies.auth.keys[0].budget_usd_per_day, 5.0);
  EXPECT_DOUBLE_EQ(cfg.policies.breaker_for("cloud").failure_rate, 0.3);
  EXPECT_EQ(cfg.policies.retries.max_attempts, 2);
  EXPECT_EQ(cfg.policies.admission.max_queue, 3u);
}

TEST(PoliciesSection, MistakesAreLocated) {
  EXPECT_NE(error_of(kCloud + "breakers:\n  clod: { failure_rate: 0.3 }\n").find("did you mean \"cloud\""), std::string::npos);
  EXPECT_NE(error_of(kCloud + "auth:\n  keys:\n    - { id: a, key_sha256: nothex }\n").find("auth.keys[0].key_sha256"),
            std::string::npos);
  EXPECT_NE(error_of(kCloud + "auth:\n  keys:\n    - { id: a, key: sk-raw }\n").find("auth.keys[0].key"), std::string::npos);
  EXPECT_NE(error_of(kCloud + "breakers:\n  cloud: { window_calls: 3, min_calls: 5 }\n").find("min_calls"), std::string::npos);
  EXPECT_NE(error_of(kCloud + "retries: { max_attempts: 0 }\n").find("retries.max_attempts"), std::string::npos);
}

TEST(AuditSection, FsyncForms) {
  auto every = parse_config(kCloud + "audit: { path: a.jsonl }\n", "p.yaml", "/var/log");
  EXPECT_EQ(every.audit.path, "/var/log/a.jsonl");
  auto group = parse_config(kCloud + "audit: { path: a.jsonl, fsync: { interval_ms: 20 } }\n", "p.yaml", "/");
  EXPECT_EQ(group.audit.fsync_interval.count(), 20);
  EXPECT_NE(error_of(kCloud + "audit: { path: a.jsonl, fsync: sometimes }\n").find("audit.fsync"), std::string::npos);
}

}  // namespace
}  // namespace sy::config
