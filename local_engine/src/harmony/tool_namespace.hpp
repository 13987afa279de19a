#pragma once
// Function tools as the "namespace functions" TypeScript block of the
// developer message, following the gpt-oss chat template's macros.
#include <expected>
#include <string>
#include <vector>

#include "sy/local_engine/engine.hpp"

namespace sy::local_engine::harmony_detail {

// "## functions\n\nnamespace functions {\n\n...} // namespace functions".
// Error when a tool's parameters are not a JSON object.
std::expected<std::string, std::string> render_tool_namespace(const std::vector<ChatTool>& tools);

}  // namespace sy::local_engine::harmony_detail
