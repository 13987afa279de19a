#pragma once
// The hash chain that makes the audit log tamper-evident.
//
// A sealed record is one JSON line: the record serialised with sorted keys and
// no whitespace (nlohmann's dump), carrying `seq` (0, 1, 2, ... across all
// files), `prev` (the previous record's hash; 64 zeros for seq 0) and `alg`,
// followed by a final member `"hash":"<64 hex>"`. The hash covers the exact
// bytes of the line with that final member removed (`...}`), so the verifier
// checks bytes, not a re-serialisation, and any flipped byte is caught.
//
// With an audit key the hash is HMAC-SHA256(key, bytes) and `alg` is
// "hmac-sha256": someone who can edit the files but lacks the key cannot
// recompute a consistent chain. Without a key it is plain SHA-256 ("sha256"),
// which detects accidents and naive edits only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sy::gateway::audit {

inline constexpr std::string_view kGenesisPrev =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kAlgSha256 = "sha256";
inline constexpr std::string_view kAlgHmacSha256 = "hmac-sha256";

class ChainHasher {
 public:
  explicit ChainHasher(std::string key = {}) : key_(std::move(key)) {}
  bool keyed() const { return !key_.empty(); }
  std::string_view alg() const { return keyed() ? kAlgHmacSha256 : kAlgSha256; }
  // Lower-case hex SHA-256 (or HMAC-SHA256 with the key) of `bytes`.
  std::string hex_digest(std::string_view bytes) const;

 private:
  std::string key_;
};

struct Sealed {
  std::string line;  // without the trailing '\n'
  std::string hash;
};

// Adds seq/prev/alg to `record` (an object; a stale `hash` member is dropped)
// and returns its sealed line. Invalid UTF-8 in strings is replaced, never thrown.
Sealed seal(nlohmann::json record, std::uint64_t seq, std::string_view prev, const ChainHasher& hasher);

struct Unsealed {
  std::string body;  // the bytes the hash covers
  std::string hash;  // as stored in the line
};
// Splits a sealed line; nullopt when it does not end with a well-formed hash member.
std::optional<Unsealed> unseal(std::string_view line);

}  // namespace sy::gateway::audit
