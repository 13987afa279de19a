#include "sy/config/config.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sections.hpp"

namespace sy::config {
namespace fs = std::filesystem;

namespace detail {

std::string ParseContext::resolve_path(const std::string& p) const {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

}  // namespace detail

Config parse_config(const std::string& yaml_text, const std::string& source_name, const std::string& base_dir) {
  YAML::Node root_node;
  try {
    root_node = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    int col = e.mark.column >= 0 ? e.mark.column + 1 : 0;
    throw ConfigError(source_name, line, col, "", "invalid YAML: " + e.msg);
  }
  Config cfg;
  cfg.source = source_name;
  // Section keeps a pointer to the file name for its error messages.
  detail::Section root(root_node, "", &cfg.source);
  root.allow_only({"listen", "server", "cloud", "local", "routing", "auth", "breakers", "retries", "admission",
                   "audit", "logging"});
  detail::ParseContext ctx{base_dir};
  cfg.server = detail::parse_server(root);
  cfg.cloud = detail::parse_cloud(root.child("cloud"), ctx);
  cfg.local = detail::parse_local(root.child("local"), ctx);
  cfg.routing = detail::parse_routing(root, ctx);
  cfg.policies = detail::parse_policies(root, ctx);
  cfg.audit = detail::parse_audit(root.child("audit"), ctx);
  // One source of truth for model names: the target sections.
  if (cfg.local) cfg.routing.local_model = cfg.local->model_name;
  if (cfg.cloud) cfg.routing.cloud_default_model = cfg.cloud->default_model;
  if (!cfg.cloud && !cfg.local) {
    root.fail_here("configure at least one target: a `cloud:` or a `local:` section");
  }
  return cfg;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "", "cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = fs::absolute(fs::path(path)).parent_path().string();
  return parse_config(ss.str(), path, base);
}

}  // namespace sy::config
