#pragma once
// Typed, located access to one YAML mapping. Every error names file, line,
// column and the dotted key path; unknown keys are rejected with a did-you-mean.
// yaml-cpp stays behind this header (and inside config/src).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "sy/config/config_error.hpp"

namespace sy::config::detail {

class Section {
 public:
  Section(YAML::Node node, std::string path, const std::string* file);

  // A mapping section; a null/absent node reads as an empty mapping.
  bool has(const std::string& key) const;
  Section child(const std::string& key) const;            // must be a mapping (or absent)
  std::vector<Section> list(const std::string& key) const;  // must be a sequence (or absent)
  std::vector<std::string> keys() const;

  std::string get_string(const std::string& key, std::optional<std::string> fallback = std::nullopt) const;
  int64_t get_int(const std::string& key, std::optional<int64_t> fallback, int64_t min, int64_t max) const;
  double get_double(const std::string& key, std::optional<double> fallback, double min, double max) const;
  bool get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  std::vector<std::string> get_string_list(const std::string& key) const;
  // One of `choices`; error lists them.
  std::string get_enum(const std::string& key, std::initializer_list<const char*> choices,
                       std::optional<std::string> fallback = std::nullopt) const;
  // Secret by reference: `{ env: NAME }` or `{ file: PATH }` (or the `<key>_env`
  // shorthand handled by callers). An inline string is rejected.
  std::string get_secret(const std::string& key, bool required) const;

  // Rejects any key not in `allowed`, suggesting the nearest allowed one.
  void allow_only(std::initializer_list<const char*> allowed) const;

  // For scalar sequences/values that are not mappings.
  const YAML::Node& node() const { return node_; }
  std::string path_of(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  [[noreturn]] void fail_here(const std::string& what) const;
  const std::string& file() const { return *file_; }

 private:
  YAML::Node value(const std::string& key) const;
  [[noreturn]] void fail_at(const YAML::Node& at, const std::string& path, const std::string& what) const;

  YAML::Node node_;
  std::string path_;
  const std::string* file_;
};

// Levenshtein-nearest candidate within a small distance, or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace sy::config::detail
