#pragma once
// POST /v1/switchyard/classify: classification + routing decision, no dispatch.
#include <nlohmann/json.hpp>
#include <utility>

#include "app/app_state.hpp"
#include "http/server.hpp"

namespace sy::gateway {

std::pair<int, nlohmann::json> classify_route(AppState& app, const http::Request& request);

}  // namespace sy::gateway
