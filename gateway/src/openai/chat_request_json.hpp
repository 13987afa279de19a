#pragma once
// OpenAI chat-completions JSON -> the router's domain type, with schema checks
// that name the offending field.
#include <expected>
#include <nlohmann/json.hpp>
#include <string>

#include "sy/router/chat_request.hpp"

namespace sy::gateway::openai {

struct SchemaError {
  std::string message;
  std::string param;  // e.g. "messages[2].content"
};

std::expected<router::ChatRequest, SchemaError> parse_chat_request(const nlohmann::json& body);

}  // namespace sy::gateway::openai
