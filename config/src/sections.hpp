#pragma once
// One parser per top-level section; each lives in <section>_section.cpp.
#include "reader.hpp"
#include "sy/config/config.hpp"

namespace sy::config::detail {

struct ParseContext {
  std::string base_dir;  // relative paths resolve here
  std::string resolve_path(const std::string& p) const;
};

ServerOptions parse_server(const Section& root);  // `listen` + `server:`
std::optional<cloud_client::UpstreamOptions> parse_cloud(const Section& cloud, const ParseContext& ctx);
std::optional<local_engine::EngineOptions> parse_local(const Section& local, const ParseContext& ctx);
router::RouterOptions parse_routing(const Section& root, const ParseContext& ctx);  // `routing:` (+ cloud.pricing)
policies::PolicyOptions parse_policies(const Section& root, const ParseContext& ctx);  // `auth:`, `breakers:`, ...
AuditOptions parse_audit(const Section& audit, const ParseContext& ctx);

}  // namespace sy::config::detail
