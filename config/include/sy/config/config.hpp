#pragma once
// The whole Switchyard configuration, typed and validated. Loading throws
// ConfigError naming file, line, column and key path.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "sy/cloud_client/options.hpp"
#include "sy/config/config_error.hpp"
#include "sy/local_engine/options.hpp"
#include "sy/policies/options.hpp"
#include "sy/router/options.hpp"

namespace sy::config {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port (printed at startup)
  std::size_t body_limit_bytes = 8u << 20;
  std::chrono::milliseconds header_timeout{10000};  // request line + headers
  std::chrono::milliseconds read_timeout{30000};    // whole request body
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive between requests
  std::chrono::milliseconds shutdown_grace{10000};  // drain in-flight streams on SIGTERM
  int threads = 2;
};

struct AuditOptions {
  std::string path;               // empty: audit disabled
  std::string fsync = "every_record";  // every_record | interval
  std::chrono::milliseconds fsync_interval{50};
  std::string hmac_key;           // resolved secret; empty: plain SHA-256 chain
  std::size_t rotate_bytes = 256u << 20;
  bool rotate_daily = true;
  std::string on_failure = "reject";  // reject | continue
  std::size_t queue_capacity = 4096;
};

struct Config {
  std::string source;  // file the config came from
  ServerOptions server;
  std::optional<cloud_client::UpstreamOptions> cloud;
  std::optional<local_engine::EngineOptions> local;
  router::RouterOptions routing;
  policies::PolicyOptions policies;
  AuditOptions audit;
};

Config load_config_file(const std::string& path);
// `source_name` is used in error messages; relative paths inside the config
// (model, ca_file, audit path) resolve against `base_dir`.
Config parse_config(const std::string& yaml_text, const std::string& source_name, const std::string& base_dir);

}  // namespace sy::config
