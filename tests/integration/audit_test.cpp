// The audit log of the real binary: one record per request whatever its
// outcome, no entity value ever written, tampering caught by `audit verify`,
// and nothing acknowledged lost when the process is killed with SIGKILL.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
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
// sha256("sk-good-key")
const std::string kKeyHash = "230ca85f96310eeb539d627535834c1118c615be0ea811daf258740617064851";

std::string config(const std::string& audit_path, const std::string& cloud_url, bool local, bool auth) {
  std::string y = "listen: 127.0.0.1:0\naudit: { path: " + audit_path + ", fsync: every_record }\n";
  if (local) y += "local: { model: " + kModel + ", model_name: gpt-oss-tiny, max_concurrent_sequences: 1, context_tokens: 8192 }\n";
  if (!cloud_url.empty()) {
    y += "cloud: { base_url: " + cloud_url + ", ca_file: " + TestPki::get().ca_cert +
         ", models: [gpt-fake], first_byte_timeout_ms: 2000, idle_timeout_ms: 2000,\n"
         "         pricing: { gpt-fake: { input_per_mtok: 1000000, output_per_mtok: 1000000 } } }\n";
  }
  if (auth) y += "auth: { keys: [ { id: team-a, key_sha256: " + kKeyHash + " } ] }\n";
  y += "retries: { max_attempts: 2, base_backoff_ms: 10 }\n"
       "routing:\n  rules:\n    - { name: sensitive-local, when: { sensitive: true }, targets: [local] }\n"
       "    - { name: default, targets: [cloud, local] }\n";
  return y;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string chat(const std::string& text, bool stream = false, int max_tokens = 2) {
  return json{{"model", "auto"}, {"stream", stream}, {"max_tokens", max_tokens},
              {"messages", {{{"role", "user"}, {"content", text}}}}}.dump();
}

HeaderList headers(const std::string& id, bool with_key = true) {
  HeaderList h = {{"content-type", "application/json"}, {"x-request-id", id}};
  if (with_key) h.emplace_back("authorization", "Bearer sk-good-key");
  return h;
}

TEST(Audit, ExactlyOneRecordPerOutcome) {
  FakeCloud cloud;
  cloud.set_script([](const std::string& body) {
    if (body.find("make-it-fail-over") != std::string::npos) return FakeReply::status_reply(500);
    if (body.find("make-it-a-client-error") != std::string::npos) return FakeReply::status_reply(400);
    if (body.find("\"stream\":true") != std::string::npos) return FakeReply::stream_ok(40, 100ms);
    return FakeReply::json_ok();
  });
  std::string dir = make_temp_dir("sy-audit");
  std::string path = dir + "/audit.jsonl";
  {
    GatewayProcess gw(config(path, cloud.base_url(), true, true));
    ASSERT_TRUE(gw.started()) << gw.stderr_text();
    auto p = gw.port();
    EXPECT_EQ(http_call(p, "POST", "/v1/chat/completions", chat("hello there"), headers("r-success")).status, 200);
    EXPECT_EQ(http_call(p, "POST", "/v1/chat/completions", chat("make-it-a-client-error"), headers("r-upstream-error")).status, 400);
    auto fo = http_call(p, "POST", "/v1/chat/completions", chat("make-it-fail-over"), headers("r-failover"));
    EXPECT_EQ(fo.status, 200) << fo.body;
    EXPECT_EQ(fo.header("x-switchyard-route"), "local");
    EXPECT_EQ(http_call(p, "POST", "/v1/chat/completions", chat("no key"), headers("r-rejected-auth", false)).status, 401);
    EXPECT_EQ(http_call(p, "POST", "/v1/chat/completions", "{not json", headers("r-rejected-json")).status, 400);
    int chunks = 0;
    http_stream(p, "/v1/chat/completions", chat("stream please", true), [&](std::string_view) { return ++chunks < 2; },
                headers("r-client-abort"));
    ASSERT_TRUE(cloud.wait_for_peer_close(5000ms));
    std::this_thread::sleep_for(300ms);  // the abort's record is written after the upstream closed
  }
  std::map<std::string, json> by_id;
  for (const auto& line : lines_of(path)) {
    auto j = json::parse(line);
    std::string id = j["request_id"];
    EXPECT_EQ(by_id.count(id), 0u) << "two records for " << id;
    by_id[id] = j;
  }
  ASSERT_EQ(by_id.size(), 6u);
  EXPECT_EQ(by_id["r-success"]["status"], 200);
  EXPECT_EQ(by_id["r-success"]["served_by"], "cloud");
  EXPECT_EQ(by_id["r-success"]["key_id"], "team-a");
  // "auto" was answered by gpt-fake: 11 prompt + 7 completion tokens at $1 per token.
  EXPECT_DOUBLE_EQ(by_id["r-success"]["cost_actual_usd"].get<double>(), 11 * 1.0 + 7 * 1.0);
  EXPECT_EQ(by_id["r-upstream-error"]["status"], 400);
  EXPECT_EQ(by_id["r-failover"]["served_by"], "local");
  EXPECT_EQ(by_id["r-failover"]["attempts"].size(), 2u);
  EXPECT_EQ(by_id["r-rejected-auth"]["status"], 401);
  EXPECT_EQ(by_id["r-rejected-auth"]["stage"], "auth");
  EXPECT_EQ(by_id["r-rejected-json"]["stage"], "bad_request");
  EXPECT_TRUE(by_id["r-client-abort"]["client_aborted"].get<bool>());
  // The keys never appear, hashed or not.
  std::string all;
  for (const auto& l : lines_of(path)) all += l;
  EXPECT_EQ(all.find("sk-good-key"), std::string::npos);

  auto verify = run_switchyard({"audit", "verify", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(Audit, NoSensitiveValueIsEverWritten) {
  std::string dir = make_temp_dir("sy-audit-values");
  std::string path = dir + "/audit.jsonl";
  std::vector<std::string> values;
  {
    GatewayProcess gw(config(path, "", true, false));
    ASSERT_TRUE(gw.started()) << gw.stderr_text();
    std::ifstream in(std::string(SY_TEST_DATA_DIR) + "/sensitivity_cases.jsonl");
    int sent = 0;
    for (std::string line; std::getline(in, line);) {
      auto c = json::parse(line);
      if (!c["sensitive"]) continue;
      for (const auto& e : c["entities"]) values.push_back(e["value"]);
      json req = {{"model", "auto"}, {"max_tokens", 1}, {"messages", c["messages"]}};
      auto r = http_call(gw.port(), "POST", "/v1/chat/completions", req.dump(), {{"content-type", "application/json"}}, 120s);
      EXPECT_TRUE(r.status == 200 || r.status == 400) << r.status << r.body;  // 400: longer than the context
      ++sent;
    }
    EXPECT_GT(sent, 200);
    std::string log = gw.stderr_text();
    for (const auto& v : values) EXPECT_EQ(log.find(v), std::string::npos) << "value in the access log: " << v;
  }
  std::string all;
  for (const auto& l : lines_of(path)) all += l + "\n";
  EXPECT_GT(lines_of(path).size(), 200u);
  for (const auto& v : values) {
    EXPECT_EQ(all.find(v), std::string::npos) << "value in the audit log: " << v;
    EXPECT_EQ(all.find(json(v).dump()), std::string::npos);
  }
}

TEST(Audit, VerifyFindsTheTamperedLine) {
  FakeCloud cloud;
  std::string dir = make_temp_dir("sy-audit-tamper");
  std::string path = dir + "/audit.jsonl";
  {
    GatewayProcess gw(config(path, cloud.base_url(), false, false));
    ASSERT_TRUE(gw.started()) << gw.stderr_text();
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(http_call(gw.port(), "POST", "/v1/chat/completions", chat("hi " + std::to_string(i))).status, 200);
    }
  }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 5u);
  auto pos = lines[2].find("\"status\":200");
  ASSERT_NE(pos, std::string::npos);
  lines[2].replace(pos, 12, "\"status\":201");
  std::ofstream(path, std::ios::trunc) << lines[0] << "\n" << lines[1] << "\n" << lines[2] << "\n" << lines[3] << "\n" << lines[4] << "\n";
  auto verify = run_switchyard({"audit", "verify", path});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE((verify.out + verify.err).find(path + ":3"), std::string::npos) << verify.out << verify.err;
}

TEST(Audit, SigkillUnderLoadLosesNothingAcknowledged) {
  FakeCloud cloud;
  std::string dir = make_temp_dir("sy-audit-crash");
  std::string path = dir + "/audit.jsonl";
  GatewayProcess gw(config(path, cloud.base_url(), false, false));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  std::mutex mu;
  std::set<std::string> completed;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop && i < 1000; ++i) {
        std::string id = "crash-" + std::to_string(t) + "-" + std::to_string(i);
        auto r = http_call(gw.port(), "POST", "/v1/chat/completions", chat("load"), headers(id, false), 10s);
        if (r.status == 200 && r.error.empty()) {
          std::lock_guard lock(mu);
          completed.insert(id);
        }
      }
    });
  }
  // Kill mid-load, once a fair number of responses were acknowledged (fsync per record).
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard lock(mu);
      if (completed.size() >= 20) break;
    }
    std::this_thread::sleep_for(100ms);
  }
  gw.signal(SIGKILL);
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_GT(completed.size(), 10u);
  auto verify = run_switchyard({"audit", "verify", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  std::set<std::string> logged;
  for (const auto& l : lines_of(path)) {
    auto j = json::parse(l, nullptr, false);
    if (!j.is_discarded()) logged.insert(j["request_id"].get<std::string>());
  }
  for (const auto& id : completed) EXPECT_TRUE(logged.count(id)) << "acknowledged but not on disk: " << id;
}

}  // namespace
}  // namespace sy::test
