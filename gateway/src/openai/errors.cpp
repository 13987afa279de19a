#include "openai/errors.hpp"

#include <nlohmann/json.hpp>

namespace sy::gateway::openai {

const char* error_type_for_status(int status) {
  switch (status) {
    case 400: case 404: case 405: case 413: case 415: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 408: return "timeout_error";
    case 429: return "rate_limit_error";
    case 502: return "upstream_error";
    case 503: return "service_unavailable_error";
    case 504: return "timeout_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string error_body(const ApiError& e) {
  nlohmann::json j;
  j["error"] = {{"message", e.message},
                {"type", error_type_for_status(e.status)},
                {"param", e.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.param)},
                {"code", e.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.code)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(int status, const std::string& message, const std::string& code, const std::string& param) {
  return error_body(ApiError{status, message, code, param, ""});
}

}  // namespace sy::gateway::openai
