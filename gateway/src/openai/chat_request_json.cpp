#include "openai/chat_request_json.hpp"

namespace sy::gateway::openai {

using json = nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxMessages = 4096;

std::unexpected<SchemaError> bad(std::string param, std::string message) {
  return std::unexpected(SchemaError{std::move(message), std::move(param)});
}

// Text of a `content` field: a string, null, or an array of parts whose text
// parts are joined with "\n" (images and audio parts carry no text to scan).
std::expected<std::string, SchemaError> content_text(const json& c, const std::string& param) {
  if (c.is_null()) return std::string();
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) return bad(param, param + " must be a string or an array of content parts");
  std::string out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const auto& part = c[i];
    std::string p = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      return bad(p, p + " must be an object with a string `type`");
    }
    std::string type = part["type"];
    if (type == "text" || type == "input_text") {
      if (!part.contains("text") || !part["text"].is_string()) return bad(p + ".text", p + ".text must be a string");
      if (!out.empty()) out.push_back('\n');
      out += part["text"].get<std::string>();
    }
  }
  return out;
}

template <class T>
std::expected<std::optional<T>, SchemaError> optional_number(const json& body, const char* key, double min, double max) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<T>();
  if (!it->is_number()) return bad(key, std::string(key) + " must be a number");
  double v = it->get<double>();
  if (v < min || v > max) return bad(key, std::string(key) + " is out of range");
  if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer() && !it->is_number_unsigned()) return bad(key, std::string(key) + " must be an integer");
    return std::optional<T>(it->get<T>());
  } else {
    return std::optional<T>(static_cast<T>(v));
  }
}

}  // namespace

std::expected<router::ChatRequest, SchemaError> parse_chat_request(const json& body) {
  if (!body.is_object()) return bad("", "the request body must be a JSON object");
  router::ChatRequest r;
  auto model = body.find("model");
  if (model == body.end() || !model->is_string() || model->get<std::string>().empty()) {
    return bad("model", "model must be a non-empty string");
  }
  r.model = *model;
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) {
    return bad("messages", "messages must be a non-empty array");
  }
  if (messages->size() > kMaxMessages) return bad("messages", "too many messages");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const auto& m = (*messages)[i];
    std::string p = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return bad(p, p + " must be an object");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) return bad(p + ".role", p + ".role must be a string");
    router::Message msg;
    msg.role = *role;
    if (msg.role != "system" && msg.role != "developer" && msg.role != "user" && msg.role != "assistant" &&
        msg.role != "tool") {
      return bad(p + ".role", p + ".role must be one of system, developer, user, assistant, tool");
    }
    auto text = content_text(m.value("content", json()), p + ".content");
    if (!text) return std::unexpected(text.error());
    msg.content = std::move(*text);
    if (auto n = m.find("name"); n != m.end() && n->is_string()) msg.name = *n;
    if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string()) msg.tool_call_id = *id;
    for (const char* k : {"reasoning_content", "reasoning", "thinking"}) {
      if (auto rc = m.find(k); rc != m.end() && rc->is_string()) msg.reasoning_content = *rc;
    }
    if (auto tcs = m.find("tool_calls"); tcs != m.end() && !tcs->is_null()) {
      if (!tcs->is_array()) return bad(p + ".tool_calls", p + ".tool_calls must be an array");
      for (std::size_t j = 0; j < tcs->size(); ++j) {
        const auto& tc = (*tcs)[j];
        std::string tp = p + ".tool_calls[" + std::to_string(j) + "]";
        if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object()) {
          return bad(tp, tp + " must have a `function` object");
        }
        const auto& fn = tc["function"];
        router::ToolCall call;
        call.id = tc.value("id", "");
        if (!fn.contains("name") || !fn["name"].is_string()) return bad(tp + ".function.name", "function name must be a string");
        call.name = fn["name"];
        const auto& args = fn.value("arguments", json(""));
        call.arguments = args.is_string() ? args.get<std::string>() : args.dump();
        msg.tool_calls.push_back(std::move(call));
      }
    }
    if (msg.role == "tool" && msg.tool_call_id.empty() && msg.name.empty()) {
      return bad(p + ".tool_call_id", p + ": a tool message needs tool_call_id");
    }
    r.messages.push_back(std::move(msg));
  }
  if (auto tools = body.find("tools"); tools != body.end() && !tools->is_null()) {
    if (!tools->is_array()) return bad("tools", "tools must be an array");
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const auto& t = (*tools)[i];
      std::string p = "tools[" + std::to_string(i) + "]";
      if (!t.is_object() || !t.contains("function") || !t["function"].is_object() || !t["function"].contains("name") ||
          !t["function"]["name"].is_string()) {
        return bad(p, p + " must be {type: function, function: {name, ...}}");
      }
      const auto& fn = t["function"];
      router::Tool tool;
      tool.name = fn["name"];
      if (auto d = fn.find("description"); d != fn.end() && d->is_string()) tool.description = *d;
      if (auto params = fn.find("parameters"); params != fn.end() && !params->is_null()) tool.parameters_json = params->dump();
      r.tools.push_back(std::move(tool));
    }
  }
  if (auto s = body.find("stream"); s != body.end() && !s->is_null()) {
    if (!s->is_boolean()) return bad("stream", "stream must be a boolean");
    r.stream = *s;
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    auto v = optional_number<int64_t>(body, key, 1, 1 << 24);
    if (!v) return std::unexpected(v.error());
    if (*v) r.max_tokens = **v;
  }
  auto temperature = optional_number<double>(body, "temperature", 0, 2);
  if (!temperature) return std::unexpected(temperature.error());
  r.temperature = *temperature;
  auto top_p = optional_number<double>(body, "top_p", 0, 1);
  if (!top_p) return std::unexpected(top_p.error());
  r.top_p = *top_p;
  auto top_k = optional_number<int64_t>(body, "top_k", 0, 1 << 20);
  if (!top_k) return std::unexpected(top_k.error());
  r.top_k = *top_k;
  auto min_p = optional_number<double>(body, "min_p", 0, 1);
  if (!min_p) return std::unexpected(min_p.error());
  r.min_p = *min_p;
  if (auto seed = body.find("seed"); seed != body.end() && !seed->is_null()) {
    if (!seed->is_number_integer() && !seed->is_number_unsigned()) return bad("seed", "seed must be an integer");
    r.seed = seed->get<uint64_t>();
  }
  if (auto stop = body.find("stop"); stop != body.end() && !stop->is_null()) {
    if (stop->is_string()) {
      r.stop.push_back(*stop);
    } else if (stop->is_array() && stop->size() <= 4) {
      for (const auto& s : *stop) {
        if (!s.is_string()) return bad("stop", "stop must be a string or an array of up to 4 strings");
        r.stop.push_back(s);
      }
    } else {
      return bad("stop", "stop must be a string or an array of up to 4 strings");
    }
  }
  if (auto effort = body.find("reasoning_effort"); effort != body.end() && effort->is_string()) {
    r.reasoning_effort = *effort;
  } else if (auto kw = body.find("chat_template_kwargs"); kw != body.end() && kw->is_object()) {
    if (auto e = kw->find("reasoning_effort"); e != kw->end() && e->is_string()) r.reasoning_effort = *e;
  }
  if (!r.reasoning_effort.empty() && r.reasoning_effort != "low" && r.reasoning_effort != "medium" &&
      r.reasoning_effort != "high") {
    return bad("reasoning_effort", "reasoning_effort must be low, medium or high");
  }
  if (auto lp = body.find("logprobs"); lp != body.end() && lp->is_boolean()) r.logprobs = *lp;
  auto tlp = optional_number<int64_t>(body, "top_logprobs", 0, 20);
  if (!tlp) return std::unexpected(tlp.error());
  r.top_logprobs = *tlp;
  return r;
}

}  // namespace sy::gateway::openai
