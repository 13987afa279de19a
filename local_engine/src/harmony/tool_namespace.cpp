#include "harmony/tool_namespace.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harmony/json_text.hpp"

namespace sy::local_engine::harmony_detail {
namespace {

using Json = nlohmann::ordered_json;

// Template: arrays of complex items collapse to any[] past this length.
constexpr size_t kMaxInnerTypeChars = 50;

std::string scalar_text(const Json& v) { return v.is_string() ? v.get<std::string>() : to_template_json(v); }

bool is_required(const Json& spec, const std::string& name) {
  const auto it = spec.find("required");
  if (it == spec.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const Json& r) { return r.is_string() && r.get<std::string>() == name; });
}

bool type_is(const Json& spec, std::string_view type) {
  const auto it = spec.find("type");
  return it != spec.end() && it->is_string() && it->get<std::string>() == type;
}

bool truthy(const Json& spec, const char* key) {
  const auto it = spec.find(key);
  return it != spec.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>());
}

std::string ts_type(const Json& spec);

std::string object_type(const Json& spec) {
  const auto props = spec.find("properties");
  if (props == spec.end() || !props->is_object() || props->empty()) return "object";
  std::string out = "{\n";
  bool first = true;
  for (const auto& [name, prop] : props->items()) {
    if (!first) out += ", ";
    first = false;
    out += name;
    if (!is_required(spec, name)) out += "?";
    out += ": ";
    out += ts_type(prop);
  }
  return out + "}";
}

std::string ts_type(const Json& spec) {
  if (!spec.is_object()) return "any";
  const std::string nullable = truthy(spec, "nullable") ? " | null" : "";
  const auto type = spec.find("type");
  if (type_is(spec, "array")) {
    const auto items = spec.find("items");
    if (items == spec.end() || !items->is_object() || items->empty()) return "any[]" + nullable;
    std::string inner;
    if (type_is(*items, "string")) {
      inner = "string";
    } else if (type_is(*items, "number") || type_is(*items, "integer")) {
      inner = "number";
    } else if (type_is(*items, "boolean")) {
      inner = "boolean";
    } else {
      inner = ts_type(*items);
      if (inner == "object | object" || inner.size() > kMaxInnerTypeChars) inner = "any";
    }
    return inner + "[]" + nullable;
  }
  if (type != spec.end() && type->is_array() && !type->empty()) {
    std::string out;
    for (size_t i = 0; i < type->size(); ++i) out += (i ? " | " : "") + scalar_text((*type)[i]);
    return out;
  }
  if (const auto one_of = spec.find("oneOf"); one_of != spec.end() && one_of->is_array() && !one_of->empty()) {
    const bool has_object = std::any_of(one_of->begin(), one_of->end(), [](const Json& v) { return type_is(v, "object"); });
    if (has_object && one_of->size() > 1) return "any";
    std::string out;
    for (size_t i = 0; i < one_of->size(); ++i) out += (i ? " | " : "") + ts_type((*one_of)[i]);
    return out;
  }
  if (type_is(spec, "string")) {
    if (const auto e = spec.find("enum"); e != spec.end() && e->is_array() && !e->empty()) {
      std::string out;
      for (size_t i = 0; i < e->size(); ++i) out += (i ? "\" | \"" : "") + scalar_text((*e)[i]);
      return "\"" + out + "\"";
    }
    return "string" + nullable;
  }
  if (type_is(spec, "number") || type_is(spec, "integer")) return "number";
  if (type_is(spec, "boolean")) return "boolean";
  if (type_is(spec, "object")) return object_type(spec);
  return "any";
}

std::string param_line(const std::string& name, const Json& prop, const Json& params) {
  std::string out;
  if (prop.is_object()) {
    if (const auto d = prop.find("description"); d != prop.end() && d->is_string() && !d->get<std::string>().empty()) {
      out += "// " + d->get<std::string>() + "\n";
    }
  }
  out += name;
  if (!is_required(params, name)) out += "?";
  out += ": " + ts_type(prop);
  if (prop.is_object()) {
    if (const auto def = prop.find("default"); def != prop.end()) {
      if (truthy(prop, "enum")) {
        out += ", // default: " + scalar_text(*def);
      } else if (truthy(prop, "oneOf")) {
        out += "// default: " + scalar_text(*def);
      } else {
        out += ", // default: " + to_template_json(*def);
      }
    }
  }
  return out + ",\n";
}

}  // namespace

std::expected<std::string, std::string> render_tool_namespace(const std::vector<ChatTool>& tools) {
  std::string out = "## functions\n\nnamespace functions {\n\n";
  for (const ChatTool& tool : tools) {
    Json params = Json::object();
    if (!tool.parameters_json.empty()) {
      params = Json::parse(tool.parameters_json, nullptr, false);
      if (params.is_discarded() || !params.is_object()) {
        return std::unexpected("tool '" + tool.name + "': parameters is not a JSON object");
      }
    }
    // The template prints "// " + description unconditionally; harmony omits
    // the line when there is none, which reads better than an empty comment.
    if (!tool.description.empty()) out += "// " + tool.description + "\n";
    out += "type " + tool.name + " = ";
    const auto props = params.find("properties");
    if (props != params.end() && props->is_object() && !props->empty()) {
      out += "(_: {\n";
      for (const auto& [name, prop] : props->items()) out += param_line(name, prop, params);
      out += "}) => any;\n\n";
    } else {
      out += "() => any;\n\n";
    }
  }
  return out + "} // namespace functions";
}

}  // namespace sy::local_engine::harmony_detail
