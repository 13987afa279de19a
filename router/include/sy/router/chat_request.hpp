#pragma once
// The domain vocabulary of one OpenAI chat-completions request, as the gateway
// parsed it. No JSON library here: the router works on plain text and numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sy::router {

struct ToolCall {
  std::string id;
  std::string name;       // function name
  std::string arguments;  // JSON text, as the client sent it
};

struct Message {
  std::string role;  // system | developer | user | assistant | tool
  // Concatenation of all text parts (multi-part content arrays are joined with
  // "\n"); offsets in findings are code points into this string.
  std::string content;
  std::string name;               // optional participant / tool name
  std::string tool_call_id;       // role == tool
  std::string reasoning_content;  // assistant history (harmony analysis)
  std::vector<ToolCall> tool_calls;
};

struct Tool {
  std::string name;
  std::string description;
  std::string parameters_json;  // JSON-schema text
};

struct ChatRequest {
  std::string model;  // requested model; "auto" lets the router choose
  std::vector<Message> messages;
  std::vector<Tool> tools;
  bool stream = false;
  std::optional<int64_t> max_tokens;  // max_tokens or max_completion_tokens
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> min_p;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  std::string reasoning_effort;  // "", low, medium, high
  bool logprobs = false;
  std::optional<int64_t> top_logprobs;
};

// Who is asking and what they asked for outside the body.
struct RequestContext {
  std::string request_id;
  std::string key_id;  // virtual key id; empty when auth is off
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased names
  std::optional<int64_t> latency_budget_ms;
};

}  // namespace sy::router
