// OutputParser: generated harmony tokens -> content / reasoning / tool-call deltas.
#include <string_view>

#include "harmony/utf8.hpp"
#include "sy/local_engine/harmony.hpp"

namespace sy::local_engine::harmony {
namespace {

// Real headers ("assistant to=functions.name<|channel|>commentary <|constrain|>json")
// are short and single-line; past this the model is writing prose without
// a header and we show it as content rather than hold it back.
constexpr size_t kMaxHeaderBytes = 256;
constexpr std::string_view kChannelMark = "<|channel|>";
constexpr std::string_view kConstrainMark = "<|constrain|>";
constexpr std::string_view kFunctionsPrefix = "functions.";

int32_t id_or(const Tokenizer& tok, std::string_view text) { return tok.token_id(text).value_or(-1); }

// Header words, split at whitespace and at <|constrain|>.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush_word = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with(kConstrainMark)) {
      flush_word();
      i += kConstrainMark.size();
    } else if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
      flush_word();
      ++i;
    } else {
      cur += text[i++];
    }
  }
  flush_word();
  return out;
}

struct Header {
  std::string role;
  std::string channel;
  std::string recipient;
};

// Role part before <|channel|>, channel part after; "to=X" may sit in either.
Header parse_header(const std::string& header) {
  Header h;
  const size_t mark = header.find(kChannelMark);
  for (const auto& w : words(std::string_view(header).substr(0, mark))) {
    if (w.starts_with("to=")) {
      h.recipient = w.substr(3);
    } else if (h.role.empty()) {
      h.role = w;
    }
  }
  if (mark != std::string::npos) {
    for (const auto& w : words(std::string_view(header).substr(mark + kChannelMark.size()))) {
      if (w.starts_with("to=")) {
        h.recipient = w.substr(3);
      } else if (h.channel.empty()) {
        h.channel = w;
      }
    }
  }
  return h;
}

}  // namespace

OutputParser::OutputParser(const Tokenizer& tokenizer, std::string call_id_prefix)
    : tokenizer_(tokenizer), call_id_prefix_(std::move(call_id_prefix)) {
  id_start_ = id_or(tokenizer, "<|start|>");
  id_end_ = id_or(tokenizer, "<|end|>");
  id_message_ = id_or(tokenizer, "<|message|>");
  id_channel_ = id_or(tokenizer, "<|channel|>");
  id_constrain_ = id_or(tokenizer, "<|constrain|>");
  id_return_ = id_or(tokenizer, "<|return|>");
  id_call_ = id_or(tokenizer, "<|call|>");
}

std::vector<ChatDelta> OutputParser::feed(int32_t id) {
  std::vector<ChatDelta> out;
  if (state_ == State::kDone) return out;

  const bool stop = id == id_return_ || id == id_call_ || tokenizer_.is_eog(id);
  if (stop) {
    if (state_ == State::kHeader) degrade_header(out);
    if (state_ == State::kBody) end_message(out);
    // <|return|> ends with an answer; <|call|> (or a bare end of text after a
    // call message) hands control to the client's tools.
    finish_reason_ = (id != id_return_ && !result_.tool_calls.empty()) ? "tool_calls" : "stop";
    state_ = State::kDone;
    return out;
  }
  if (id == id_start_) {  // a new message (also when the model forgot <|end|>)
    if (state_ == State::kHeader) degrade_header(out);
    if (state_ == State::kBody) end_message(out);
    header_.clear();
    state_ = State::kHeader;
    return out;
  }
  if (id == id_end_) {
    if (state_ == State::kHeader) degrade_header(out);
    if (state_ == State::kBody) end_message(out);
    state_ = State::kBetween;
    return out;
  }
  if (id == id_channel_ || id == id_constrain_) {
    if (state_ != State::kHeader) {  // a stray header without <|start|>
      if (state_ == State::kBody) end_message(out);
      header_.clear();
      state_ = State::kHeader;
    }
    header_ += tokenizer_.token_bytes(id);
    return out;
  }
  if (id == id_message_) {
    if (state_ == State::kHeader) start_body(out);
    return out;
  }
  if (tokenizer_.is_special(id)) return out;  // reserved ids carry no text

  const std::string bytes = tokenizer_.token_bytes(id);
  switch (state_) {
    case State::kHeader:
      header_ += bytes;
      if (header_.size() > kMaxHeaderBytes || header_.find('\n') != std::string::npos) degrade_header(out);
      break;
    case State::kBetween:  // text outside any message: show it rather than lose it
      sink_ = Sink::kContent;
      state_ = State::kBody;
      emit_bytes(bytes, out, false);
      break;
    case State::kBody:
      emit_bytes(bytes, out, false);
      break;
    case State::kDone:
      break;
  }
  return out;
}

void OutputParser::start_body(std::vector<ChatDelta>& out) {
  const Header h = parse_header(header_);
  header_.clear();
  state_ = State::kBody;
  pending_.clear();
  if (h.recipient.starts_with(kFunctionsPrefix) && h.recipient.size() > kFunctionsPrefix.size()) {
    sink_ = Sink::kToolCall;
    ChatToolCall call;
    call.id = call_id_prefix_ + std::to_string(result_.tool_calls.size());
    call.name = h.recipient.substr(kFunctionsPrefix.size());
    ChatDelta d;
    d.kind = DeltaKind::kToolCall;
    d.tool_index = static_cast<int>(result_.tool_calls.size());
    d.tool_call_id = call.id;
    d.tool_name = call.name;
    result_.tool_calls.push_back(std::move(call));
    out.push_back(std::move(d));
  } else if (!h.recipient.empty() || h.channel == "analysis" || (!h.role.empty() && h.role != "assistant")) {
    // Built-in tool calls and messages the model wrote in another role's
    // name are part of its thinking, not the answer.
    sink_ = Sink::kReasoning;
  } else {
    // final, commentary preambles, and unknown channels.
    sink_ = Sink::kContent;
  }
}

void OutputParser::end_message(std::vector<ChatDelta>& out) {
  emit_bytes({}, out, true);
  state_ = State::kBetween;
}

void OutputParser::degrade_header(std::vector<ChatDelta>& out) {
  std::string text = header_;
  header_.clear();
  for (const std::string_view mark : {kChannelMark, kConstrainMark}) {
    for (size_t p; (p = text.find(mark)) != std::string::npos;) text.erase(p, mark.size());
  }
  if (text.starts_with("assistant")) text.erase(0, 9);
  sink_ = Sink::kContent;
  state_ = State::kBody;
  pending_.clear();
  emit_bytes(text, out, false);
}

std::vector<ChatDelta> OutputParser::flush() {
  std::vector<ChatDelta> out;
  if (state_ == State::kBody) emit_bytes({}, out, true);
  return out;
}

void OutputParser::emit_bytes(std::string_view bytes, std::vector<ChatDelta>& out, bool final_flush) {
  pending_ += bytes;
  std::string text = harmony_detail::take_valid_utf8(pending_, final_flush);
  if (!text.empty()) emit_text(std::move(text), out);
}

void OutputParser::emit_text(std::string text, std::vector<ChatDelta>& out) {
  ChatDelta d;
  switch (sink_) {
    case Sink::kContent:
      d.kind = DeltaKind::kContent;
      result_.content += text;
      break;
    case Sink::kReasoning:
      d.kind = DeltaKind::kReasoning;
      result_.reasoning_content += text;
      break;
    case Sink::kToolCall:
      d.kind = DeltaKind::kToolCall;
      d.tool_index = static_cast<int>(result_.tool_calls.size()) - 1;
      result_.tool_calls.back().arguments += text;
      break;
  }
  d.text = std::move(text);
  out.push_back(std::move(d));
}

bool OutputParser::done() const { return state_ == State::kDone; }

std::string OutputParser::finish_reason() const { return finish_reason_; }

ChatCompletionResult OutputParser::result() const {
  ChatCompletionResult r = result_;
  r.finish_reason = finish_reason_;
  return r;
}

}  // namespace sy::local_engine::harmony
