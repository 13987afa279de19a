#pragma once
// OpenAI chat-completions JSON -> the router's domain type, with schema checks
// that name the offending field. The one parser of client requests: the
// gateway and `switchyard model render` both use it. ordered_json keeps the
// client's key order (tool parameter schemas render in that order).
#include <expected>
#include <nlohmann/json.hpp>
#include <string>

#include "sy/router/chat_request.hpp"

namespace sy::gateway::openai {

struct SchemaError {
  std::string message;
  std::string param;  // e.g. "messages[2].content"
};

std::expected<router::ChatRequest, SchemaError> parse_chat_request(const nlohmann::ordered_json& body);

}  // namespace sy::gateway::openai
