// `cloud:` and `local:` — the two kinds of target.
#include "sections.hpp"

namespace sy::config::detail {

std::optional<cloud_client::UpstreamOptions> parse_cloud(const Section& s, const ParseContext& ctx) {
  if (s.keys().empty()) return std::nullopt;
  s.allow_only({"name", "base_url", "api_key", "api_key_env", "ca_file", "allow_insecure_http", "connect_timeout_ms",
                "first_byte_timeout_ms", "idle_timeout_ms", "max_idle_connections", "models", "default_model",
                "pricing"});
  cloud_client::UpstreamOptions o;
  o.name = s.get_string("name", o.name);
  o.base_url = s.get_string("base_url");
  o.allow_insecure_http = s.get_bool("allow_insecure_http", false);
  bool https = o.base_url.rfind("https://", 0) == 0;
  bool http = o.base_url.rfind("http://", 0) == 0;
  if (!https && !http) s.fail("base_url", "expected an https:// URL");
  if (http && !o.allow_insecure_http) {
    s.fail("base_url", "plain http:// is refused unless `allow_insecure_http: true` is set for this upstream");
  }
  if (s.has("api_key") && s.has("api_key_env")) s.fail("api_key", "give either api_key or api_key_env, not both");
  if (s.has("api_key_env")) {
    std::string name = s.get_string("api_key_env");
    const char* v = std::getenv(name.c_str());
    o.api_key = v ? v : "";  // unset is allowed: the upstream then answers 401, which we relay
  } else {
    o.api_key = s.get_secret("api_key", false);
  }
  o.ca_file = ctx.resolve_path(s.get_string("ca_file", ""));
  o.connect_timeout = std::chrono::milliseconds(s.get_int("connect_timeout_ms", o.connect_timeout.count(), 1, 600000));
  o.first_byte_timeout =
      std::chrono::milliseconds(s.get_int("first_byte_timeout_ms", o.first_byte_timeout.count(), 1, 3600000));
  o.idle_timeout = std::chrono::milliseconds(s.get_int("idle_timeout_ms", o.idle_timeout.count(), 1, 3600000));
  o.max_idle_connections = s.get_int("max_idle_connections", o.max_idle_connections, 0, 1024);
  o.models = s.get_string_list("models");
  o.default_model = s.get_string("default_model", o.models.empty() ? "" : o.models.front());
  if (o.default_model.empty()) s.fail("default_model", "required when `models` is empty");
  if (o.models.empty()) o.models.push_back(o.default_model);
  return o;
}

std::optional<local_engine::EngineOptions> parse_local(const Section& s, const ParseContext& ctx) {
  if (s.keys().empty()) return std::nullopt;
  s.allow_only({"model", "model_name", "backend", "numeric_path", "kv_type", "context_tokens",
                "max_concurrent_sequences", "threads", "default_max_tokens", "pricing"});
  local_engine::EngineOptions o;
  o.model_path = ctx.resolve_path(s.get_string("model"));
  o.model_name = s.get_string("model_name", o.model_name);
  o.backend = s.get_enum("backend", {"auto", "cpu", "cuda"}, o.backend);
  o.numeric_path = s.get_enum("numeric_path", {"fast", "reference"}, o.numeric_path);
  o.kv_type = s.get_enum("kv_type", {"f32", "f16", "q8_0"}, o.kv_type);
  o.context_tokens = static_cast<int>(s.get_int("context_tokens", o.context_tokens, 16, 131072));
  o.max_concurrent_sequences =
      static_cast<int>(s.get_int("max_concurrent_sequences", o.max_concurrent_sequences, 1, 256));
  o.threads = static_cast<int>(s.get_int("threads", o.threads, 0, 256));
  o.default_max_tokens = static_cast<int>(s.get_int("default_max_tokens", o.default_max_tokens, 1, 131072));
  return o;
}

}  // namespace sy::config::detail
