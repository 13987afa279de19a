// parse_openai_request: OpenAI chat JSON -> ChatCompletionRequest.
#include <nlohmann/json.hpp>

#include "sy/local_engine/harmony.hpp"

namespace sy::local_engine::harmony {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// String content, null, or an array of {"type":"text","text":...} parts.
std::expected<std::string, std::string> content_text(const Json& c, const std::string& where) {
  if (c.is_null()) return std::string();
  if (c.is_string()) return c.get<std::string>();
  if (c.is_array()) {
    std::string out;
    for (const Json& part : c) {
      if (part.is_string()) {
        out += part.get<std::string>();
      } else if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
        out += part["text"].get<std::string>();
      } else {
        return std::unexpected(where + ": only text content parts are supported");
      }
    }
    return out;
  }
  return std::unexpected(where + ": content must be a string, null or an array of text parts");
}

std::expected<std::string, std::string> string_field(const Json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected(where + "." + key + " must be a string");
  return it->get<std::string>();
}

std::expected<ChatMessage, std::string> parse_message(const Json& m, const std::string& where) {
  if (!m.is_object()) return std::unexpected(where + " must be an object");
  ChatMessage msg;
  auto role = string_field(m, "role", where);
  if (!role) return std::unexpected(role.error());
  if (role->empty()) return std::unexpected(where + ".role is required");
  msg.role = *role;
  if (auto it = m.find("content"); it != m.end()) {
    auto text = content_text(*it, where + ".content");
    if (!text) return std::unexpected(text.error());
    msg.content = std::move(*text);
  }
  for (const char* key : {"reasoning_content", "reasoning", "thinking"}) {
    auto r = string_field(m, key, where);
    if (!r) return std::unexpected(r.error());
    if (!r->empty() && msg.reasoning_content.empty()) msg.reasoning_content = std::move(*r);
  }
  for (auto [key, field] : {std::pair{"name", &msg.name}, std::pair{"tool_call_id", &msg.tool_call_id}}) {
    auto v = string_field(m, key, where);
    if (!v) return std::unexpected(v.error());
    *field = std::move(*v);
  }
  if (auto it = m.find("tool_calls"); it != m.end() && !it->is_null()) {
    if (!it->is_array()) return std::unexpected(where + ".tool_calls must be an array");
    for (size_t k = 0; k < it->size(); ++k) {
      const Json& tc = (*it)[k];
      const std::string w = where + ".tool_calls[" + std::to_string(k) + "]";
      const Json* fn = tc.is_object() && tc.contains("function") ? &tc["function"] : nullptr;
      if (fn == nullptr || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string()) {
        return std::unexpected(w + ".function.name is required");
      }
      ChatToolCall call;
      call.id = tc.value("id", "");
      call.name = (*fn)["name"].get<std::string>();
      if (auto a = fn->find("arguments"); a != fn->end() && !a->is_null()) call.arguments = a->is_string() ? a->get<std::string>() : dump(*a);
      msg.tool_calls.push_back(std::move(call));
    }
  }
  return msg;
}

std::expected<ChatTool, std::string> parse_tool(const Json& t, const std::string& where) {
  if (!t.is_object()) return std::unexpected(where + " must be an object");
  if (t.value("type", "function") != "function") return std::unexpected(where + ": only function tools are supported");
  const auto fn = t.find("function");
  if (fn == t.end() || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string()) {
    return std::unexpected(where + ".function.name is required");
  }
  ChatTool tool;
  tool.name = (*fn)["name"].get<std::string>();
  if (auto d = fn->find("description"); d != fn->end() && d->is_string()) tool.description = d->get<std::string>();
  if (auto p = fn->find("parameters"); p != fn->end() && !p->is_null()) {
    if (!p->is_object()) return std::unexpected(where + ".function.parameters must be an object");
    tool.parameters_json = dump(*p);
  }
  return tool;
}

std::expected<void, std::string> parse_sampling(const Json& j, SamplingParams& s) {
  auto number = [&](const char* key, auto& field) -> std::expected<void, std::string> {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_number()) return std::unexpected(std::string(key) + " must be a number");
    field = it->get<std::remove_reference_t<decltype(field)>>();
    return {};
  };
  for (auto r : {number("temperature", s.temperature), number("top_p", s.top_p), number("top_k", s.top_k),
                 number("min_p", s.min_p), number("max_completion_tokens", s.max_tokens), number("max_tokens", s.max_tokens),
                 number("top_logprobs", s.top_logprobs)}) {
    if (!r) return r;
  }
  if (auto it = j.find("seed"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) return std::unexpected("seed must be an integer");
    s.seed = it->get<uint64_t>();
  }
  if (auto it = j.find("logprobs"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::unexpected("logprobs must be a boolean");
    s.logprobs = it->get<bool>();
  }
  if (auto it = j.find("stop"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      s.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const Json& x : *it) {
        if (!x.is_string()) return std::unexpected("stop must be a string or an array of strings");
        s.stop.push_back(x.get<std::string>());
      }
    } else {
      return std::unexpected("stop must be a string or an array of strings");
    }
  }
  return {};
}

}  // namespace

std::expected<ChatCompletionRequest, std::string> parse_openai_request(const std::string& json_text) {
  const Json j = Json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return std::unexpected("request is not valid JSON");
  if (!j.is_object()) return std::unexpected("request must be a JSON object");
  const auto msgs = j.find("messages");
  if (msgs == j.end() || !msgs->is_array() || msgs->empty()) return std::unexpected("messages must be a non-empty array");
  ChatCompletionRequest req;
  for (size_t i = 0; i < msgs->size(); ++i) {
    auto m = parse_message((*msgs)[i], "messages[" + std::to_string(i) + "]");
    if (!m) return std::unexpected(m.error());
    req.messages.push_back(std::move(*m));
  }
  if (auto tools = j.find("tools"); tools != j.end() && !tools->is_null()) {
    if (!tools->is_array()) return std::unexpected("tools must be an array");
    for (size_t i = 0; i < tools->size(); ++i) {
      auto t = parse_tool((*tools)[i], "tools[" + std::to_string(i) + "]");
      if (!t) return std::unexpected(t.error());
      req.tools.push_back(std::move(*t));
    }
  }
  auto effort = string_field(j, "reasoning_effort", "request");
  if (!effort) return std::unexpected(effort.error());
  req.reasoning_effort = *effort;
  if (auto kw = j.find("chat_template_kwargs"); kw != j.end() && kw->is_object()) {
    auto e = string_field(*kw, "reasoning_effort", "chat_template_kwargs");
    if (!e) return std::unexpected(e.error());
    if (!e->empty()) req.reasoning_effort = *e;
  }
  if (auto s = parse_sampling(j, req.sampling); !s) return std::unexpected(s.error());
  return req;
}

}  // namespace sy::local_engine::harmony
