#pragma once
// Virtual keys: configured as SHA-256 hex of the bearer key (the key itself is
// never stored), matched in constant time. A matched key is a Tenant with its
// allowed targets/models and limits.
#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/policies/options.hpp"

namespace sy::policies {

enum class AuthError {
  kMissingKey,        // 401: no Authorization: Bearer
  kUnknownKey,        // 401: no configured key matches
  kModelNotAllowed,   // 403
  kTargetNotAllowed,  // 403: no target the router chose is allowed for this key
};
int http_status(AuthError e);           // 401 or 403
std::string_view message(AuthError e);  // OpenAI-style human text; never echoes the key

struct Tenant {
  std::string id;  // empty: anonymous (auth not required and no known key)
  std::vector<std::string> allowed_targets;  // empty: all
  std::vector<std::string> allowed_models;   // empty: all
  std::optional<double> budget_usd_per_day;
  std::optional<double> budget_usd_per_month;
  std::optional<int64_t> requests_per_minute;
  std::optional<int64_t> tokens_per_minute;
  std::optional<int64_t> latency_budget_ms;

  bool anonymous() const { return id.empty(); }
  bool allows_target(std::string_view target) const;
  bool allows_model(std::string_view model) const;
  // `targets` without the ones this key may not use, order kept.
  std::vector<std::string> filter_targets(const std::vector<std::string>& targets) const;
};

using TenantPtr = std::shared_ptr<const Tenant>;

class KeyStore {
 public:
  // Fails on a malformed hash (not 64 hex digits), duplicate id or duplicate key.
  static std::expected<KeyStore, std::string> create(const AuthOptions& options);

  // `authorization`: the raw Authorization header value, absent if none.
  // Not required: a missing or unknown key yields the anonymous tenant (SDKs
  // always send some key), a known key still yields its own limits.
  std::expected<TenantPtr, AuthError> authenticate(std::optional<std::string_view> authorization) const;
  std::expected<void, AuthError> authorize_model(const Tenant& tenant, std::string_view model) const;

  bool required() const { return required_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::array<uint8_t, 32> digest;
    TenantPtr tenant;
  };
  bool required_ = false;
  std::vector<Entry> entries_;
  TenantPtr anonymous_;
};

// Lower-case hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view data);
// The token of "Bearer <token>" (scheme case-insensitive, surrounding blanks
// trimmed); nullopt for another scheme or an empty token.
std::optional<std::string_view> parse_bearer(std::string_view authorization);

}  // namespace sy::policies
