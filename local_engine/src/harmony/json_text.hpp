#pragma once
// JSON text the way the chat template's `tojson` writes it: keys in their
// original order, ", " and ": " separators, UTF-8 left as is.
#include <nlohmann/json.hpp>
#include <string>

namespace sy::local_engine::harmony_detail {

std::string to_template_json(const nlohmann::ordered_json& value);
// A JSON string literal of `text` (invalid UTF-8 replaced, never throws).
std::string quote_json(const std::string& text);

}  // namespace sy::local_engine::harmony_detail
