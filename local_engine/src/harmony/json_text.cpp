#include "harmony/json_text.hpp"

namespace sy::local_engine::harmony_detail {
namespace {

void write(const nlohmann::ordered_json& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (!first) out += ", ";
      first = false;
      out += quote_json(key);
      out += ": ";
      write(item, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      write(v[i], out);
    }
    out += ']';
  } else {
    out += v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
}

}  // namespace

std::string to_template_json(const nlohmann::ordered_json& value) {
  std::string out;
  write(value, out);
  return out;
}

std::string quote_json(const std::string& text) {
  return nlohmann::ordered_json(text).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace sy::local_engine::harmony_detail
