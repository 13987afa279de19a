#pragma once
// Shared vocabulary of the built-in detectors. Detectors work on the
// normalised text (mostly ASCII after NFKC) in byte offsets; the classifier
// maps spans back to original code points.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy::router::detect {

enum class Kind : uint8_t {
  kEmail, kPhone, kCreditCard, kIban, kUsSsn, kCnResidentId, kIpAddress,
  kApiKey, kPrivateKey, kPassword, kMedical, kConfidentialMarker, kCustom,
};
inline constexpr int kBuiltinKinds = 12;

const char* kind_type(Kind k);      // "EMAIL"
const char* kind_detector(Kind k);  // "email"

struct RawFinding {
  Kind kind;
  size_t start;  // normalised bytes, half-open
  size_t end;
  int custom_rule = -1;  // index into custom rules for kCustom
};

using Findings = std::vector<RawFinding>;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline bool is_word(char c) { return is_alnum(c) || c == '_'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
inline char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s);
// Case-insensitive ASCII containment.
bool icontains(std::string_view hay, std::string_view needle);
// Like icontains, but an ASCII-letter needle must not continue a word on its
// left ("tel" is not found in "hotel", "ver" not in "server").
bool icontains_word(std::string_view hay, std::string_view needle);
// Start of the line holding `pos` / end of it (index of '\n' or size).
size_t line_start(std::string_view t, size_t pos);
size_t line_end(std::string_view t, size_t pos);
// Up to `n` bytes before pos, not crossing a newline.
std::string_view window_before(std::string_view t, size_t pos, size_t n, bool stop_at_newline = true);
// Shannon entropy in bits per character.
double entropy(std::string_view s);
// Placeholders / documented examples / masked values.
bool looks_placeholder(std::string_view value);

}  // namespace sy::router::detect
