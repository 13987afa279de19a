#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace sy::cloud_client {

// One OpenAI-compatible upstream (e.g. https://api.openai.com/v1).
struct UpstreamOptions {
  std::string name = "cloud";
  std::string base_url;          // scheme://host[:port][/path prefix], no trailing slash needed
  std::string api_key;           // resolved from env/file by config; never logged
  std::string ca_file;           // empty: the system CA store
  bool allow_insecure_http = false;  // plain http:// only when explicitly allowed
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds first_byte_timeout{60000};  // request sent -> response headers
  std::chrono::milliseconds idle_timeout{60000};        // max gap between body bytes
  std::size_t max_idle_connections = 8;
  std::vector<std::string> models;  // model names this upstream serves (listed in /v1/models)
  std::string default_model;        // used when the router picks the cloud for model "auto"
};

}  // namespace sy::cloud_client
