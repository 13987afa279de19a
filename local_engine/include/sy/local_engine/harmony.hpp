#pragma once
// Harmony chat format (spec §6): an OpenAI chat request rendered to the
// prompt tokens gpt-oss expects, and the model's output tokens parsed back
// into content / reasoning / tool calls.
//
// Rendering follows the GGUF's chat template as llama.cpp applies it
// (goldens: tests/data/tiny-gpt-oss/harmony_render.json). Message text is
// always tokenized with special-token parsing OFF: only the renderer itself
// emits <|start|>, <|message|>, ... as special ids.
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "sy/local_engine/engine.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::local_engine::harmony {

struct RenderOptions {
  std::string date;              // YYYY-MM-DD for "Current date:"; empty = today (UTC)
  std::string reasoning_effort;  // low | medium | high; overrides the request when set
};

struct Rendered {
  std::string prompt;              // the harmony text (special tokens written out)
  std::vector<int32_t> token_ids;  // what the engine feeds the model
};

// Errors: unknown reasoning effort, tool result without a preceding tool call,
// bad date, vocabulary without the harmony special tokens.
std::expected<Rendered, std::string> render_chat(const ChatCompletionRequest& request, const Tokenizer& tokenizer,
                                                 const RenderOptions& options);

// An OpenAI /v1/chat/completions request body as the engine's request:
// messages (string or text-part content, reasoning_content, tool_calls,
// tool_call_id), tools, reasoning_effort (chat_template_kwargs.reasoning_effort
// wins, as in llama.cpp), and the sampling fields. Used by the CLI and tests;
// tool parameter schemas keep their key order.
std::expected<ChatCompletionRequest, std::string> parse_openai_request(const std::string& json_text);

// Incremental, tolerant parser of generated tokens. It assumes the prompt
// ended with "<|start|>assistant" (render_chat's generation prompt), so the
// first tokens continue that header. Mapping: analysis -> kReasoning,
// final -> kContent, commentary to=functions.X -> kToolCall (recipient in
// the role or after the channel; optional <|constrain|>json), commentary
// without recipient -> kContent, other recipients (built-in tools) ->
// kReasoning. A malformed or unknown header degrades to content; it never
// throws. Text deltas are always whole UTF-8 characters.
class OutputParser {
 public:
  // Tool call ids are call_id_prefix + index ("call_0", "call_1", ...);
  // pass a per-request prefix for ids unique across a conversation.
  explicit OutputParser(const Tokenizer& tokenizer, std::string call_id_prefix = "call_");

  std::vector<ChatDelta> feed(int32_t token_id);
  // Flushes text held back for UTF-8 completeness (call when generation is
  // cut short, e.g. max_tokens); no-op after done().
  std::vector<ChatDelta> flush();
  bool done() const;                  // saw <|return|> or <|call|> (or another end-of-generation token)
  std::string finish_reason() const;  // "stop" | "tool_calls" once done(); "" before
  // Accumulated content / reasoning_content / tool_calls and finish_reason
  // (token counts are left 0 for the engine to fill in).
  ChatCompletionResult result() const;

 private:
  enum class State { kHeader, kBody, kBetween, kDone };
  enum class Sink { kContent, kReasoning, kToolCall };

  void start_body(std::vector<ChatDelta>& out);
  void end_message(std::vector<ChatDelta>& out);
  void degrade_header(std::vector<ChatDelta>& out);
  void emit_bytes(std::string_view bytes, std::vector<ChatDelta>& out, bool final_flush);
  void emit_text(std::string text, std::vector<ChatDelta>& out);

  const Tokenizer& tokenizer_;
  std::string call_id_prefix_;
  int32_t id_start_ = -1, id_end_ = -1, id_message_ = -1, id_channel_ = -1;
  int32_t id_constrain_ = -1, id_return_ = -1, id_call_ = -1;

  State state_ = State::kHeader;
  std::string header_;   // header text seen so far (specials written out)
  Sink sink_ = Sink::kContent;
  std::string pending_;  // bytes of an incomplete UTF-8 sequence
  std::string finish_reason_;
  ChatCompletionResult result_;
};

}  // namespace sy::local_engine::harmony
