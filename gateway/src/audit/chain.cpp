#include "sy/gateway/audit/chain.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sy::gateway::audit {
namespace {

constexpr std::string_view kHashPrefix = ",\"hash\":\"";
constexpr std::string_view kHashSuffix = "\"}";
constexpr std::size_t kHexLen = 64;

std::string to_hex(const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string ChainHasher::hex_digest(std::string_view bytes) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (keyed()) {
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md, &len);
  } else {
    EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  }
  return to_hex(md, len);
}

Sealed seal(nlohmann::json record, std::uint64_t seq, std::string_view prev, const ChainHasher& hasher) {
  if (!record.is_object()) record = nlohmann::json{{"record", std::move(record)}};
  record.erase("hash");
  record["seq"] = seq;
  record["prev"] = std::string(prev);
  record["alg"] = std::string(hasher.alg());
  Sealed out;
  std::string body = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.hash = hasher.hex_digest(body);
  body.pop_back();  // the closing '}' moves after the hash member
  body.append(kHashPrefix).append(out.hash).append(kHashSuffix);
  out.line = std::move(body);
  return out;
}

std::optional<Unsealed> unseal(std::string_view line) {
  const std::size_t tail = kHashPrefix.size() + kHexLen + kHashSuffix.size();
  if (line.size() < tail + 1) return std::nullopt;
  const std::size_t at = line.size() - tail;
  if (line.substr(at, kHashPrefix.size()) != kHashPrefix) return std::nullopt;
  if (line.substr(line.size() - kHashSuffix.size()) != kHashSuffix) return std::nullopt;
  std::string_view hash = line.substr(at + kHashPrefix.size(), kHexLen);
  if (!is_lower_hex(hash)) return std::nullopt;
  Unsealed out;
  out.body.reserve(at + 1);
  out.body.append(line.substr(0, at)).push_back('}');
  out.hash = std::string(hash);
  return out;
}

}  // namespace sy::gateway::audit
