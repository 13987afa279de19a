#pragma once
// OpenAI-shaped errors: {"error":{"message","type","param","code"}} with one
// status -> type table.
#include <string>

namespace sy::gateway::openai {

struct ApiError {
  int status = 500;
  std::string message;
  std::string code;   // machine-readable, e.g. "upstream_timeout"
  std::string param;  // offending request field, may be empty
  std::string retry_after;  // seconds, for 429/503 when known
};

const char* error_type_for_status(int status);
std::string error_body(const ApiError& error);
std::string error_body(int status, const std::string& message, const std::string& code, const std::string& param = "");

}  // namespace sy::gateway::openai
