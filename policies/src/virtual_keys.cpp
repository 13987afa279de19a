#include "sy/policies/virtual_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace sy::policies {

namespace {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  // EVP_Digest is one-shot and thread-safe; SHA-256 never fails on valid input.
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Digest> parse_hex_digest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Digest d{};
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

int http_status(AuthError e) {
  return e == AuthError::kMissingKey || e == AuthError::kUnknownKey ? 401 : 403;
}

std::string_view message(AuthError e) {
  switch (e) {
    case AuthError::kMissingKey:
      return "You didn't provide an API key. Provide it in the Authorization header (Authorization: Bearer YOUR_KEY).";
    case AuthError::kUnknownKey: return "Incorrect API key provided.";
    case AuthError::kModelNotAllowed: return "This API key is not allowed to use the requested model.";
    case AuthError::kTargetNotAllowed: return "This API key is not allowed to use any target available for this request.";
  }
  return "Authentication failed.";
}

bool Tenant::allows_target(std::string_view target) const {
  return allowed_targets.empty() || contains(allowed_targets, target);
}

bool Tenant::allows_model(std::string_view model) const {
  return allowed_models.empty() || contains(allowed_models, model);
}

std::vector<std::string> Tenant::filter_targets(const std::vector<std::string>& targets) const {
  std::vector<std::string> out;
  for (const auto& t : targets) {
    if (allows_target(t)) out.push_back(t);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Digest d = sha256(data);
  std::string out;
  out.reserve(64);
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::optional<std::string_view> parse_bearer(std::string_view h) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!h.empty() && blank(h.front())) h.remove_prefix(1);
  while (!h.empty() && blank(h.back())) h.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size() || !blank(h[kScheme.size()])) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != kScheme[i]) return std::nullopt;
  }
  h.remove_prefix(kScheme.size());
  while (!h.empty() && blank(h.front())) h.remove_prefix(1);
  if (h.empty()) return std::nullopt;
  return h;
}

std::expected<KeyStore, std::string> KeyStore::create(const AuthOptions& options) {
  KeyStore store;
  store.required_ = options.required;
  store.anonymous_ = std::make_shared<const Tenant>();
  for (const auto& k : options.keys) {
    if (k.id.empty()) return std::unexpected("a virtual key has an empty id");
    auto digest = parse_hex_digest(k.key_sha256);
    if (!digest) return std::unexpected("key " + k.id + ": key_sha256 must be 64 hex digits (SHA-256 of the key)");
    for (const auto& e : store.entries_) {
      if (e.tenant->id == k.id) return std::unexpected("duplicate virtual key id " + k.id);
      if (e.digest == *digest) return std::unexpected("keys " + e.tenant->id + " and " + k.id + " have the same hash");
    }
    Tenant t;
    t.id = k.id;
    t.allowed_targets = k.allowed_targets;
    t.allowed_models = k.allowed_models;
    t.budget_usd_per_day = k.budget_usd_per_day;
    t.budget_usd_per_month = k.budget_usd_per_month;
    t.requests_per_minute = k.requests_per_minute;
    t.tokens_per_minute = k.tokens_per_minute;
    t.latency_budget_ms = k.latency_budget_ms;
    store.entries_.push_back({*digest, std::make_shared<const Tenant>(std::move(t))});
  }
  return store;
}

std::expected<TenantPtr, AuthError> KeyStore::authenticate(std::optional<std::string_view> authorization) const {
  std::optional<std::string_view> token = authorization ? parse_bearer(*authorization) : std::nullopt;
  if (!token) {
    if (required_) return std::unexpected(AuthError::kMissingKey);
    return anonymous_;
  }
  const Digest presented = sha256(*token);
  // Compare against every entry, no early exit: the time taken does not tell
  // which (or whether a) key matched.
  const Entry* match = nullptr;
  for (const auto& e : entries_) {
    const bool equal = CRYPTO_memcmp(e.digest.data(), presented.data(), presented.size()) == 0;
    match = equal ? &e : match;
  }
  if (match) return match->tenant;
  if (required_) return std::unexpected(AuthError::kUnknownKey);
  return anonymous_;
}

std::expected<void, AuthError> KeyStore::authorize_model(const Tenant& tenant, std::string_view model) const {
  if (!tenant.allows_model(model)) return std::unexpected(AuthError::kModelNotAllowed);
  return {};
}

}  // namespace sy::policies
