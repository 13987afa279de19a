#include <gtest/gtest.h>
#include <stdlib.h>

#include "sy/config/config.hpp"

namespace sy::config {
namespace {

// Expects a ConfigError whose message contains every fragment.
void expect_error(const std::string& yaml, std::initializer_list<std::string> fragments) {
  try {
    parse_config(yaml, "test.yaml", "/base");
    FAIL() << "accepted:\n" << yaml;
  } catch (const ConfigError& e) {
    std::string what = e.what();
    for (const auto& f : fragments) EXPECT_NE(what.find(f), std::string::npos) << "missing '" << f << "' in: " << what;
  }
}

const std::string kCloud = "cloud:\n  base_url: https://api.example.org/v1\n  models: [m1]\n";

TEST(Config, MinimalCloudConfigParsesWithDefaults) {
  auto cfg = parse_config("listen: 127.0.0.1:9090\n" + kCloud, "test.yaml", "/base");
  EXPECT_EQ(cfg.server.host, "127.0.0.1");
  EXPECT_EQ(cfg.server.port, 9090);
  EXPECT_EQ(cfg.server.body_limit_bytes, 8u << 20);
  ASSERT_TRUE(cfg.cloud);
  EXPECT_EQ(cfg.cloud->default_model, "m1");
  EXPECT_FALSE(cfg.local);
  EXPECT_EQ(cfg.routing.cloud_default_model, "m1");
}

TEST(Config, UnknownKeySuggestsTheNearestOne) {
  expect_error("listen: 127.0.0.1:1\nserver:\n  body_limt_bytes: 10\n" + kCloud,
               {"test.yaml:3:3", "server.body_limt_bytes", "unknown key", "body_limit_bytes"});
  expect_error("lisen: 127.0.0.1:1\n" + kCloud, {"test.yaml:1:1", "lisen", "did you mean \"listen\""});
}

TEST(Config, WrongTypeAndRangeNameLineAndKey) {
  expect_error(kCloud + "server:\n  header_timeout_ms: fast\n", {"test.yaml:5:22", "server.header_timeout_ms", "integer"});
  expect_error(kCloud + "server:\n  threads: 100000\n", {"server.threads", "out of range"});
  expect_error("listen: 127.0.0.1:99999\n" + kCloud, {"listen", "port"});
  expect_error(kCloud + "server: [1, 2]\n", {"server", "mapping"});
}

TEST(Config, SecretsOnlyByReference) {
  expect_error("cloud:\n  base_url: https://a.example.org\n  models: [m]\n  api_key: sk-inline-secret\n",
               {"cloud.api_key", "never written inline"});
  setenv("SY_CONFIG_TEST_KEY", "sk-from-env", 1);
  auto cfg = parse_config("cloud:\n  base_url: https://a.example.org\n  models: [m]\n  api_key: { env: SY_CONFIG_TEST_KEY }\n",
                          "t.yaml", "/");
  EXPECT_EQ(cfg.cloud->api_key, "sk-from-env");
  expect_error("cloud:\n  base_url: https://a.example.org\n  models: [m]\n  api_key: { env: SY_CONFIG_TEST_UNSET_VAR }\n",
               {"SY_CONFIG_TEST_UNSET_VAR", "not set"});
}

TEST(Config, PlainHttpNeedsExplicitOptIn) {
  expect_error("cloud:\n  base_url: http://10.1.2.3:8000/v1\n  models: [m]\n", {"cloud.base_url", "allow_insecure_http"});
  auto cfg = parse_config("cloud:\n  base_url: http://10.1.2.3:8000/v1\n  models: [m]\n  allow_insecure_http: true\n",
                          "t.yaml", "/");
  EXPECT_TRUE(cfg.cloud->allow_insecure_http);
}

TEST(Config, LocalPathsResolveAgainstTheConfigDirectory) {
  auto cfg = parse_config("local:\n  model: models/m.gguf\n  kv_type: f16\n", "t.yaml", "/etc/switchyard");
  ASSERT_TRUE(cfg.local);
  EXPECT_EQ(cfg.local->model_path, "/etc/switchyard/models/m.gguf");
  EXPECT_EQ(cfg.local->kv_type, "f16");
  expect_error("local:\n  model: m.gguf\n  backend: gpu\n", {"local.backend", "auto, cpu, cuda"});
}

TEST(Config, NeedsAtLeastOneTargetAndValidYaml) {
  expect_error("listen: 127.0.0.1:1\n", {"at least one target"});
  expect_error("cloud: [\n", {"test.yaml:", "invalid YAML"});
}

}  // namespace
}  // namespace sy::config
