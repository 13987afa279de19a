#pragma once
// The embedded gpt-oss engine as the gateway sees it: OpenAI-style chat in,
// a stream of content / reasoning / tool-call deltas out. Knows nothing of HTTP.
#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/local_engine/options.hpp"

namespace sy::local_engine {

struct ChatToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatMessage {
  std::string role;  // system | developer | user | assistant | tool
  std::string content;
  std::string reasoning_content;  // assistant history
  std::string name;
  std::string tool_call_id;
  std::vector<ChatToolCall> tool_calls;
};

struct ChatTool {
  std::string name;
  std::string description;
  std::string parameters_json;  // JSON-schema text, may be empty
};

struct SamplingParams {
  float temperature = 1.0f;  // 0: greedy
  float top_p = 1.0f;
  int top_k = 0;  // 0: off
  float min_p = 0.0f;
  std::optional<uint64_t> seed;
  int max_tokens = 0;  // 0: EngineOptions::default_max_tokens
  std::vector<std::string> stop;
  bool logprobs = false;
  int top_logprobs = 0;
};

struct ChatCompletionRequest {
  std::vector<ChatMessage> messages;
  std::vector<ChatTool> tools;
  std::string reasoning_effort;  // "", low, medium, high
  SamplingParams sampling;
};

enum class DeltaKind { kContent, kReasoning, kToolCall };

struct ChatDelta {
  DeltaKind kind = DeltaKind::kContent;
  std::string text;          // content / reasoning text, or tool-call argument fragment
  int tool_index = -1;       // kToolCall: index of the call in this response
  std::string tool_call_id;  // kToolCall: set on the first delta of a call
  std::string tool_name;     // kToolCall: set on the first delta of a call
};

struct ChatCompletionResult {
  std::string finish_reason;  // stop | length | tool_calls | cancelled
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_prompt_tokens = 0;  // prompt tokens whose KV was reused
  std::string content;
  std::string reasoning_content;
  std::vector<ChatToolCall> tool_calls;
};

struct EngineError {
  enum class Code { kInvalidRequest, kContextOverflow, kOverloaded, kInternal };
  Code code = Code::kInternal;
  std::string message;
};

// Figures the router's latency model and /metrics read.
struct EngineStats {
  int queue_depth = 0;
  int active_sequences = 0;
  double recent_decode_tok_s = 0.0;
  double recent_prefill_tok_s = 0.0;
  std::size_t kv_bytes_used = 0;
};

class Engine {
 public:
  static std::expected<std::unique_ptr<Engine>, std::string> load(const EngineOptions& options);
  virtual ~Engine() = default;

  // Blocking; safe to call from several threads (requests are serialised or
  // batched inside). `on_delta` runs on the calling thread for every decoded
  // piece; returning false, or `cancel` becoming true, stops generation with
  // finish_reason "cancelled".
  virtual std::expected<ChatCompletionResult, EngineError> chat(
      const ChatCompletionRequest& request, const std::function<bool(const ChatDelta&)>& on_delta,
      const std::atomic<bool>* cancel = nullptr) = 0;

  virtual EngineStats stats() const = 0;
  virtual const std::string& model_name() const = 0;
  // Exact prompt-token count of plain text (router cost estimate).
  virtual int count_tokens(std::string_view text) const = 0;
};

}  // namespace sy::local_engine
