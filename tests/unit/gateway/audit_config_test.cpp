#include <gtest/gtest.h>

#include <cstdlib>

#include "sy/config/config.hpp"
#include "sy/gateway/audit/writer.hpp"

namespace sy::gateway::audit {
namespace {

const std::string kCloud = "cloud:\n  base_url: https://api.example.org/v1\n  models: [m1]\n";

config::Config parse(const std::string& audit_yaml) {
  return config::parse_config(kCloud + "audit:\n" + audit_yaml, "test.yaml", "/etc/sy");
}

void expect_error(const std::string& audit_yaml, const std::string& needle) {
  try {
    parse(audit_yaml);
    ADD_FAILURE() << "no error for:\n" << audit_yaml;
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(AuditConfig, EveryRecordAndDefaults) {
  auto c = parse("  path: audit/log.jsonl\n  fsync: every_record\n").audit;
  EXPECT_EQ(c.path, "/etc/sy/audit/log.jsonl");
  EXPECT_EQ(c.fsync, "every_record");
  EXPECT_EQ(c.on_failure, "reject");
  EXPECT_TRUE(c.hmac_key.empty());
  auto w = writer_options(c);
  EXPECT_EQ(w.fsync, FsyncPolicy::kEveryRecord);
  EXPECT_EQ(w.on_failure, OnFailure::kReject);
}

TEST(AuditConfig, GroupCommitAndTheOtherKeys) {
  ::setenv("SY_AUDIT_CONFIG_TEST_KEY", "k3y", 1);
  auto c = parse(
               "  path: /var/log/sy.jsonl\n  fsync: { interval_ms: 25 }\n  hmac_key: { env: SY_AUDIT_CONFIG_TEST_KEY }\n"
               "  rotate_bytes: 1048576\n  rotate_daily: false\n  on_failure: continue\n  queue_capacity: 64\n")
               .audit;
  EXPECT_EQ(c.path, "/var/log/sy.jsonl");
  EXPECT_EQ(c.fsync, "interval");
  EXPECT_EQ(c.fsync_interval, std::chrono::milliseconds(25));
  EXPECT_EQ(c.hmac_key, "k3y");
  EXPECT_EQ(c.rotate_bytes, 1048576u);
  EXPECT_FALSE(c.rotate_daily);
  EXPECT_EQ(c.queue_capacity, 64u);
  auto w = writer_options(c);
  EXPECT_EQ(w.fsync, FsyncPolicy::kInterval);
  EXPECT_EQ(w.fsync_interval, std::chrono::milliseconds(25));
  EXPECT_EQ(w.on_failure, OnFailure::kContinue);
  EXPECT_EQ(w.hmac_key, "k3y");
}

TEST(AuditConfig, NoSectionMeansAuditOff) {
  auto c = config::parse_config(kCloud, "test.yaml", "/etc/sy");
  EXPECT_TRUE(c.audit.path.empty());
}

TEST(AuditConfig, Errors) {
  expect_error("  path: a.jsonl\n  fsync: sometimes\n", "audit.fsync");
  expect_error("  path: a.jsonl\n  fsync: { interval: 5 }\n", "audit.fsync.interval");
  expect_error("  path: a.jsonl\n  fsync: { interval_ms: 0 }\n", "audit.fsync.interval_ms");
  expect_error("  path: a.jsonl\n  hmac_key: inline-secret\n", "never written inline");
  expect_error("  path: a.jsonl\n  hmac_key: { env: SY_AUDIT_CONFIG_TEST_UNSET }\n", "is not set");
  expect_error("  path: a.jsonl\n  on_failure: ignore\n", "audit.on_failure");
  expect_error("  path: a.jsonl\n  rotate_byte: 5\n", "rotate_bytes");
  expect_error("  fsync: every_record\n", "audit.path");
}

}  // namespace
}  // namespace sy::gateway::audit
