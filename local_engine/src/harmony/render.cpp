// render_chat: the gpt-oss chat template (as llama.cpp applies it) in code.
// Byte-identical to the template on everything the goldens cover. Where the
// template is silent or breaks, we deliberately differ:
//  * every tool call of an assistant message is rendered (the template keeps
//    only the first), and a tool result finds its function by tool_call_id
//    (the template assumes the most recent call);
//  * a tool without description gets no "// " comment line, and nested
//    object parameters are written without the template's stray indentation;
//  * arguments that are not JSON are passed through as written (the template
//    would quote them);
//  * message text never becomes special tokens (the template's output is
//    re-tokenized with special parsing on, so a user could forge headers).
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "harmony/json_text.hpp"
#include "harmony/tool_namespace.hpp"
#include "sy/local_engine/harmony.hpp"

namespace sy::local_engine::harmony {
namespace {

using harmony_detail::quote_json;
using harmony_detail::to_template_json;

constexpr std::string_view kModelIdentity = "You are ChatGPT, a large language model trained by OpenAI.";
constexpr std::string_view kKnowledgeCutoff = "2024-06";

// Prompt text and ids built side by side: structure tokens are added as
// special ids, message text is tokenized with special parsing off, so
// nothing a user writes can become a harmony control token.
class Builder {
 public:
  explicit Builder(const Tokenizer& tok) : tok_(tok) {}

  bool special(std::string_view token) {
    const auto id = tok_.token_id(token);
    if (!id || !tok_.is_special(*id)) {
      missing_ = std::string(token);
      return false;
    }
    flush_text();
    out_.prompt += token;
    out_.token_ids.push_back(*id);
    return true;
  }
  void text(std::string_view s) { pending_ += s; }

  std::expected<Rendered, std::string> finish() {
    flush_text();
    if (!missing_.empty()) return std::unexpected("vocabulary has no special token " + missing_ + " (not a harmony model)");
    return std::move(out_);
  }

 private:
  // Text between two special tokens is one pre-tokenizer run, exactly as
  // when the whole prompt is tokenized with special parsing on.
  void flush_text() {
    if (pending_.empty()) return;
    const auto ids = tok_.encode(pending_, false);
    out_.token_ids.insert(out_.token_ids.end(), ids.begin(), ids.end());
    out_.prompt += pending_;
    pending_.clear();
  }

  const Tokenizer& tok_;
  Rendered out_;
  std::string pending_;
  std::string missing_;
};

std::expected<std::string, std::string> effort_of(const ChatCompletionRequest& req, const RenderOptions& opt) {
  const std::string effort = !opt.reasoning_effort.empty() ? opt.reasoning_effort : req.reasoning_effort;
  if (effort.empty()) return "medium";
  if (effort == "low" || effort == "medium" || effort == "high") return effort;
  return std::unexpected("reasoning_effort must be low, medium or high (got '" + effort + "')");
}

std::expected<std::string, std::string> date_of(const RenderOptions& opt) {
  if (opt.date.empty()) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &utc);
    return std::string(buf);
  }
  const std::string& d = opt.date;
  const bool shape = d.size() == 10 && d[4] == '-' && d[7] == '-' &&
                     std::all_of(d.begin(), d.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
  if (!shape) return std::unexpected("date must be YYYY-MM-DD (got '" + d + "')");
  return d;
}

// Arguments as the template's tojson re-serialises them once parsed; text
// that is not JSON is passed through as the model wrote it.
std::string tool_arguments(const std::string& arguments) {
  if (arguments.empty()) return "{}";
  const auto parsed = nlohmann::ordered_json::parse(arguments, nullptr, false);
  return parsed.is_discarded() ? arguments : to_template_json(parsed);
}

std::string system_message(const std::string& date, const std::string& effort, bool has_tools) {
  std::string s;
  s += kModelIdentity;
  s += "\nKnowledge cutoff: ";
  s += kKnowledgeCutoff;
  s += "\nCurrent date: " + date + "\n\nReasoning: " + effort + "\n\n";
  s += "# Valid channels: analysis, commentary, final. Channel must be included for every message.";
  if (has_tools) s += "\nCalls to these tools must go to the commentary channel: 'functions'.";
  return s;
}

}  // namespace

std::expected<Rendered, std::string> render_chat(const ChatCompletionRequest& request, const Tokenizer& tokenizer,
                                                 const RenderOptions& options) {
  const auto effort = effort_of(request, options);
  if (!effort) return std::unexpected(effort.error());
  const auto date = date_of(options);
  if (!date) return std::unexpected(date.error());
  const bool has_tools = !request.tools.empty();

  Builder b(tokenizer);
  b.special("<|start|>");
  b.text("system");
  b.special("<|message|>");
  b.text(system_message(*date, *effort, has_tools));
  b.special("<|end|>");

  // Only a leading system/developer message becomes the instructions; later
  // ones are dropped, as the model's own template does.
  const auto& msgs = request.messages;
  size_t first = 0;
  std::string instructions;
  if (!msgs.empty() && (msgs[0].role == "system" || msgs[0].role == "developer")) {
    instructions = msgs[0].content;
    first = 1;
  }
  if (!instructions.empty() || has_tools) {
    b.special("<|start|>");
    b.text("developer");
    b.special("<|message|>");
    if (!instructions.empty()) b.text("# Instructions\n\n" + instructions + "\n\n");
    if (has_tools) {
      const auto ns = harmony_detail::render_tool_namespace(request.tools);
      if (!ns) return std::unexpected(ns.error());
      b.text("# Tools\n\n" + *ns);
    }
    b.special("<|end|>");
  }

  std::unordered_map<std::string, std::string> call_names;  // tool_call_id -> function name
  std::string last_call_name;
  for (size_t i = first; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    if (m.role == "user") {
      b.special("<|start|>");
      b.text("user");
      b.special("<|message|>");
      b.text(m.content);
      b.special("<|end|>");
    } else if (m.role == "assistant" && !m.tool_calls.empty()) {
      // The analysis before a tool call stays in context until a final
      // answer follows it (harmony's multi-turn rule).
      bool final_follows = false;
      for (size_t j = i + 1; j < msgs.size(); ++j) {
        if (msgs[j].role == "assistant" && msgs[j].tool_calls.empty()) final_follows = true;
      }
      const std::string& analysis = !m.reasoning_content.empty() ? m.reasoning_content : m.content;
      if (!analysis.empty() && !final_follows) {
        b.special("<|start|>");
        b.text("assistant");
        b.special("<|channel|>");
        b.text("analysis");
        b.special("<|message|>");
        b.text(analysis);
        b.special("<|end|>");
      }
      for (const ChatToolCall& call : m.tool_calls) {
        b.special("<|start|>");
        b.text("assistant to=functions." + call.name);
        b.special("<|channel|>");
        b.text("commentary json");
        b.special("<|message|>");
        b.text(tool_arguments(call.arguments));
        b.special("<|call|>");
        if (!call.id.empty()) call_names[call.id] = call.name;
        last_call_name = call.name;
      }
    } else if (m.role == "assistant") {
      // Earlier turns' reasoning is dropped; <|end|>, not <|return|>, closes
      // a finished answer in history.
      b.special("<|start|>");
      b.text("assistant");
      b.special("<|channel|>");
      b.text("final");
      b.special("<|message|>");
      b.text(m.content);
      b.special("<|end|>");
      last_call_name.clear();
    } else if (m.role == "tool") {
      std::string name = last_call_name;
      if (auto it = call_names.find(m.tool_call_id); it != call_names.end()) name = it->second;
      if (name.empty()) return std::unexpected("message " + std::to_string(i) + ": tool result without a preceding assistant tool call");
      b.special("<|start|>");
      b.text("functions." + name + " to=assistant");
      b.special("<|channel|>");
      b.text("commentary");
      b.special("<|message|>");
      b.text(quote_json(m.content));
      b.special("<|end|>");
    } else if (m.role != "system" && m.role != "developer") {
      return std::unexpected("message " + std::to_string(i) + ": unknown role '" + m.role + "'");
    }
  }
  b.special("<|start|>");
  b.text("assistant");
  return b.finish();
}

}  // namespace sy::local_engine::harmony
