#pragma once
#include <optional>
#include <string>

namespace sy::cloud_client::detail {

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path_prefix;  // "" or "/v1" (no trailing slash)
};

std::optional<Url> parse_url(const std::string& url);

}  // namespace sy::cloud_client::detail
