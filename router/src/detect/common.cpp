#include "detect/common.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace sy::router::detect {

const char* kind_type(Kind k) {
  switch (k) {
    case Kind::kEmail: return "EMAIL";
    case Kind::kPhone: return "PHONE";
    case Kind::kCreditCard: return "CREDIT_CARD";
    case Kind::kIban: return "IBAN";
    case Kind::kUsSsn: return "US_SSN";
    case Kind::kCnResidentId: return "CN_RESIDENT_ID";
    case Kind::kIpAddress: return "IP_ADDRESS";
    case Kind::kApiKey: return "API_KEY";
    case Kind::kPrivateKey: return "PRIVATE_KEY";
    case Kind::kPassword: return "PASSWORD";
    case Kind::kMedical: return "MEDICAL";
    case Kind::kConfidentialMarker: return "CONFIDENTIAL_MARKER";
    case Kind::kCustom: return "CUSTOM";
  }
  return "UNKNOWN";
}

const char* kind_detector(Kind k) {
  switch (k) {
    case Kind::kEmail: return "email";
    case Kind::kPhone: return "phone";
    case Kind::kCreditCard: return "credit_card";
    case Kind::kIban: return "iban";
    case Kind::kUsSsn: return "us_ssn";
    case Kind::kCnResidentId: return "cn_resident_id";
    case Kind::kIpAddress: return "ip_address";
    case Kind::kApiKey: return "api_key";
    case Kind::kPrivateKey: return "private_key";
    case Kind::kPassword: return "password";
    case Kind::kMedical: return "medical";
    case Kind::kConfidentialMarker: return "confidential_marker";
    case Kind::kCustom: return "custom";
  }
  return "unknown";
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && lower(hay[i + k]) == lower(needle[k])) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

bool icontains_word(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  // Lower-case a bounded copy once, then use the library search.
  char buf[256];
  const size_t n = std::min(hay.size(), sizeof buf);
  const std::string_view h = hay.substr(hay.size() - n);
  for (size_t i = 0; i < n; ++i) buf[i] = lower(h[i]);
  char nbuf[64];
  if (needle.size() > sizeof nbuf) return icontains(hay, needle);
  for (size_t i = 0; i < needle.size(); ++i) nbuf[i] = lower(needle[i]);
  const std::string_view lh(buf, n), ln(nbuf, needle.size());
  const bool check_left = is_alpha(needle[0]);
  for (size_t pos = lh.find(ln); pos != std::string_view::npos; pos = lh.find(ln, pos + 1)) {
    if (!check_left || pos == 0 || !is_alpha(lh[pos - 1])) return true;
  }
  return false;
}

size_t line_start(std::string_view t, size_t pos) {
  while (pos > 0 && t[pos - 1] != '\n') --pos;
  return pos;
}

size_t line_end(std::string_view t, size_t pos) {
  while (pos < t.size() && t[pos] != '\n') ++pos;
  return pos;
}

std::string_view window_before(std::string_view t, size_t pos, size_t n, bool stop_at_newline) {
  size_t b = pos > n ? pos - n : 0;
  if (stop_at_newline) {
    for (size_t i = pos; i > b; --i) {
      if (t[i - 1] == '\n') {
        b = i;
        break;
      }
    }
  }
  return t.substr(b, pos - b);
}

double entropy(std::string_view s) {
  if (s.empty()) return 0.0;
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0.0;
  const double n = static_cast<double>(s.size());
  for (int c : counts) {
    if (c == 0) continue;
    double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool looks_placeholder(std::string_view v) {
  static constexpr std::string_view kWords[] = {
      "xxxx", "example", "your", "placeholder", "dummy", "sample", "redacted", "changeme", "change_me",
      "insert", "replace", "fake", "here", "...", "***", "<", ">", "${", "{{", "}}", "%s", "todo",
      "secret_value", "token_value", "0000000000", "1234567890", "abcdefgh", "qwerty",
  };
  for (auto w : kWords) {
    if (icontains(v, w)) return true;
  }
  // A long run of one character: masked (••••, ****) or filler (AAAA…).
  int run = 1;
  for (size_t i = 1; i < v.size(); ++i) {
    run = v[i] == v[i - 1] ? run + 1 : 1;
    if (run >= 6) return true;
  }
  return false;
}

}  // namespace sy::router::detect
