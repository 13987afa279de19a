#include "reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sy::config::detail {
namespace {

std::string type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit ? best : std::string();
}

Section::Section(YAML::Node node, std::string path, const std::string* file)
    : node_(std::move(node)), path_(std::move(path)), file_(file) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    fail_at(node_, path_, "expected a mapping, got " + type_name(node_));
  }
}

std::string Section::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void Section::fail_at(const YAML::Node& at, const std::string& path, const std::string& what) const {
  YAML::Mark m = at.IsDefined() ? at.Mark() : node_.Mark();
  int line = m.line >= 0 ? m.line + 1 : 0;
  int col = m.column >= 0 ? m.column + 1 : 0;
  throw ConfigError(*file_, line, col, path, what);
}

void Section::fail(const std::string& key, const std::string& what) const {
  fail_at(value(key), path_of(key), what);
}

void Section::fail_here(const std::string& what) const { fail_at(node_, path_, what); }

YAML::Node Section::value(const std::string& key) const {
  if (!node_.IsDefined() || node_.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Section::has(const std::string& key) const {
  YAML::Node v = value(key);
  return v.IsDefined() && !v.IsNull();
}

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  if (!node_.IsMap()) return out;
  for (const auto& kv : node_) out.push_back(kv.first.Scalar());
  return out;
}

Section Section::child(const std::string& key) const { return Section(value(key), path_of(key), file_); }

std::vector<Section> Section::list(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<Section> out;
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) fail_at(v, path_of(key), "expected a list, got " + type_name(v));
  for (size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(v[i], path_of(key) + "[" + std::to_string(i) + "]", file_);
  }
  return out;
}

std::string Section::get_string(const std::string& key, std::optional<std::string> fallback) const {
  YAML::Node v = value(key);
  if (!v.IsDefined() || v.IsNull()) {
    if (fallback) return *fallback;
    fail_at(v, path_of(key), "required key is missing");
  }
  if (!v.IsScalar()) fail_at(v, path_of(key), "expected a string, got " + type_name(v));
  return v.Scalar();
}

int64_t Section::get_int(const std::string& key, std::optional<int64_t> fallback, int64_t min, int64_t max) const {
  YAML::Node v = value(key);
  if (!v.IsDefined() || v.IsNull()) {
    if (fallback) return *fallback;
    fail_at(v, path_of(key), "required key is missing");
  }
  if (!v.IsScalar()) fail_at(v, path_of(key), "expected an integer, got " + type_name(v));
  const std::string& s = v.Scalar();
  char* end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE) {
    fail_at(v, path_of(key), "expected an integer, got \"" + s + "\"");
  }
  if (parsed < min || parsed > max) {
    fail_at(v, path_of(key),
            "value " + s + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return parsed;
}

double Section::get_double(const std::string& key, std::optional<double> fallback, double min, double max) const {
  YAML::Node v = value(key);
  if (!v.IsDefined() || v.IsNull()) {
    if (fallback) return *fallback;
    fail_at(v, path_of(key), "required key is missing");
  }
  if (!v.IsScalar()) fail_at(v, path_of(key), "expected a number, got " + type_name(v));
  const std::string& s = v.Scalar();
  char* end = nullptr;
  double parsed = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(parsed)) {
    fail_at(v, path_of(key), "expected a number, got \"" + s + "\"");
  }
  if (parsed < min || parsed > max) {
    std::ostringstream os;
    os << "value " << s << " is out of range [" << min << ", " << max << "]";
    fail_at(v, path_of(key), os.str());
  }
  return parsed;
}

bool Section::get_bool(const std::string& key, std::optional<bool> fallback) const {
  YAML::Node v = value(key);
  if (!v.IsDefined() || v.IsNull()) {
    if (fallback) return *fallback;
    fail_at(v, path_of(key), "required key is missing");
  }
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  fail_at(v, path_of(key), "expected true or false");
}

std::vector<std::string> Section::get_string_list(const std::string& key) const {
  YAML::Node v = value(key);
  std::vector<std::string> out;
  if (!v.IsDefined() || v.IsNull()) return out;
  if (!v.IsSequence()) fail_at(v, path_of(key), "expected a list of strings, got " + type_name(v));
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) fail_at(v[i], path_of(key) + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(v[i].Scalar());
  }
  return out;
}

std::string Section::get_enum(const std::string& key, std::initializer_list<const char*> choices,
                              std::optional<std::string> fallback) const {
  std::string s = get_string(key, fallback);
  std::vector<std::string> all(choices.begin(), choices.end());
  if (std::find(all.begin(), all.end(), s) != all.end()) return s;
  std::string list;
  for (const auto& c : all) list += (list.empty() ? "" : ", ") + c;
  std::string hint = did_you_mean(s, all);
  fail(key, "\"" + s + "\" is not one of: " + list + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
}

std::string Section::get_secret(const std::string& key, bool required) const {
  YAML::Node v = value(key);
  if (!v.IsDefined() || v.IsNull()) {
    if (required) fail_at(v, path_of(key), "required secret reference is missing ({ env: NAME } or { file: PATH })");
    return {};
  }
  if (v.IsScalar()) {
    fail_at(v, path_of(key),
            "secrets are never written inline; use { env: VARIABLE } or { file: /path/to/secret }");
  }
  Section ref(v, path_of(key), file_);
  ref.allow_only({"env", "file"});
  if (ref.has("env") == ref.has("file")) ref.fail_here("give exactly one of env or file");
  if (ref.has("env")) {
    std::string name = ref.get_string("env");
    const char* val = std::getenv(name.c_str());
    // A reference that resolves to nothing is a mistake even for optional secrets.
    if (!val || !*val) ref.fail("env", "environment variable " + name + " is not set");
    return val;
  }
  std::string path = ref.get_string("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) ref.fail("file", "cannot read secret file " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void Section::allow_only(std::initializer_list<const char*> allowed) const {
  if (!node_.IsMap()) return;
  std::vector<std::string> all(allowed.begin(), allowed.end());
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (std::find(all.begin(), all.end(), k) != all.end()) continue;
    std::string hint = did_you_mean(k, all);
    fail_at(kv.first, path_of(k), "unknown key" + (hint.empty() ? std::string() : " (did you mean \"" + hint + "\"?)"));
  }
}

}  // namespace sy::config::detail
