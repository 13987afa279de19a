// The embedded engine behind the gateway: the real binary serving the tiny
// gpt-oss fixture model, non-stream and stream, usage counts and cancellation.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway_process.hpp"
#include "http_client.hpp"
#include "test_pki.hpp"

namespace sy::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kModel = std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss/tiny-gpt-oss.gguf";

std::string local_config(const std::string& audit_path = "") {
  std::string yaml = "listen: 127.0.0.1:0\n"
                     "local:\n"
                     "  model: " + kModel + "\n"
                     "  model_name: gpt-oss-tiny\n"
                     "  context_tokens: 8192\n"
                     "  max_concurrent_sequences: 1\n";
  if (!audit_path.empty()) yaml += "audit: { path: " + audit_path + " }\n";
  return yaml;
}

json chat(bool stream, int max_tokens) {
  return {{"model", "gpt-oss-tiny"}, {"stream", stream}, {"max_tokens", max_tokens}, {"temperature", 0},
          {"messages", {{{"role", "system"}, {"content", "Answer briefly."}}, {{"role", "user"}, {"content", "Name three rivers."}}}}};
}

// Prompt length as the engine's own renderer counts it (the CLI shares the code path).
int rendered_prompt_tokens(const json& request) {
  auto r = run_switchyard({"model", "render", "--model", kModel}, request.dump());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return static_cast<int>(json::parse(r.out)["token_ids"].size());
}

std::vector<json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

TEST(LocalEngine, NonStreamAnswersWithUsage) {
  GatewayProcess gw(local_config());
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto req = chat(false, 8);
  auto r = http_call(gw.port(), "POST", "/v1/chat/completions", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-switchyard-route"), "local");
  auto j = json::parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "gpt-oss-tiny");
  int prompt = rendered_prompt_tokens(req);
  EXPECT_GT(prompt, 10);
  EXPECT_EQ(j["usage"]["prompt_tokens"], prompt);
  int completion = j["usage"]["completion_tokens"];
  EXPECT_GE(completion, 1);
  EXPECT_LE(completion, 8);
  EXPECT_EQ(j["usage"]["total_tokens"], prompt + completion);
  std::string finish = j["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "length" || finish == "stop" || finish == "tool_calls") << finish;
  if (finish == "length") EXPECT_EQ(completion, 8);
}

TEST(LocalEngine, StreamDeltasMatchTheNonStreamAnswer) {
  GatewayProcess gw(local_config());
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  auto plain = http_call(gw.port(), "POST", "/v1/chat/completions", chat(false, 12).dump());
  ASSERT_EQ(plain.status, 200) << plain.body;
  auto pj = json::parse(plain.body);

  auto req = chat(true, 12);
  req["stream_options"] = {{"include_usage", true}};
  auto r = http_stream(gw.port(), "/v1/chat/completions", req.dump(), nullptr);
  ASSERT_EQ(r.status, 200) << r.error;
  auto events = sse_data(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content, reasoning, finish;
  json usage;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    auto e = json::parse(events[i]);
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (e.contains("usage")) usage = e["usage"];
    if (e["choices"].empty()) continue;
    const auto& d = e["choices"][0]["delta"];
    if (d.contains("content")) content += d["content"].get<std::string>();
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (e["choices"][0]["finish_reason"].is_string()) finish = e["choices"][0]["finish_reason"];
  }
  // Greedy decoding: the streamed pieces add up to the non-stream answer.
  EXPECT_EQ(content, pj["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_EQ(reasoning, pj["choices"][0]["message"].value("reasoning_content", ""));
  EXPECT_EQ(finish, pj["choices"][0]["finish_reason"]);
  ASSERT_TRUE(usage.is_object());
  EXPECT_EQ(usage["prompt_tokens"], pj["usage"]["prompt_tokens"]);
  EXPECT_EQ(usage["completion_tokens"], pj["usage"]["completion_tokens"]);
}

TEST(LocalEngine, CancellingAStreamStopsGeneration) {
  std::string dir = make_temp_dir("sy-local-audit");
  std::string audit = dir + "/audit.jsonl";
  GatewayProcess gw(local_config(audit));
  ASSERT_TRUE(gw.started()) << gw.stderr_text();
  const int kMax = 6000;
  auto req = chat(true, kMax);
  req["temperature"] = 1.0;
  req["seed"] = 7;
  int chunks = 0;
  auto r = http_stream(gw.port(), "/v1/chat/completions", req.dump(), [&](std::string_view) { return ++chunks < 3; },
                       {{"content-type", "application/json"}, {"x-request-id", "cancel-me"}});
  EXPECT_EQ(r.error, "closed by test");
  // With one engine worker, the next request only runs once the cancelled one stopped.
  auto next = http_call(gw.port(), "POST", "/v1/chat/completions", chat(false, 2).dump(), {{"content-type", "application/json"}}, 60s);
  EXPECT_EQ(next.status, 200) << next.body << next.error;
  auto records = read_jsonl(audit);
  ASSERT_EQ(records.size(), 2u);
  const auto& cancelled = records[0]["request_id"] == "cancel-me" ? records[0] : records[1];
  EXPECT_EQ(cancelled["request_id"], "cancel-me");
  EXPECT_TRUE(cancelled["client_aborted"].get<bool>()) << cancelled.dump();
  ASSERT_TRUE(cancelled["tokens_out"].is_number()) << cancelled.dump();
  EXPECT_LT(cancelled["tokens_out"].get<int>(), kMax) << "generation ran to max_tokens after the client left";
}

}  // namespace
}  // namespace sy::test

namespace sy::test {
namespace {

// `model render` feeds the engine exactly what the gateway would (same request
// parser, same adapter): every golden conversation must render token for token.
TEST(LocalEngine, RenderCliMatchesHarmonyGoldens) {
  std::ifstream in(std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss/harmony_render.json");
  json golden = json::parse(in);
  const std::string date = golden["fake_date"].get<std::string>().substr(0, 10);  // "2025-08-05 12:00:00"
  ASSERT_FALSE(golden["conversations"].empty());
  for (const auto& c : golden["conversations"]) {
    json request = c["request_body"];
    if (!request.contains("model")) request["model"] = "gpt-oss-tiny";
    auto r = run_switchyard({"model", "render", "--model", kModel, "--date", date}, request.dump());
    ASSERT_EQ(r.exit_code, 0) << c["name"] << ": " << r.err;
    auto out = json::parse(r.out);
    EXPECT_EQ(out["token_ids"], c["token_ids"]) << c["name"];
    EXPECT_EQ(out["prompt"], c["prompt"]) << c["name"];
  }
}

}  // namespace
}  // namespace sy::test
