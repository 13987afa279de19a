#pragma once
// The classify result as JSON, shared by `switchyard classify` and
// POST /v1/switchyard/classify. Entity types and code-point spans only:
// never the matched values.
#include <nlohmann/json.hpp>

#include "sy/router/classification.hpp"
#include "sy/router/router.hpp"

namespace sy::gateway::cli {

nlohmann::json classification_to_json(const router::Classification& c, const router::RouteDecision& d);

}  // namespace sy::gateway::cli
