#include "harmony/utf8.hpp"

namespace sy::local_engine::harmony_detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the sequence a lead byte announces; 0 for an invalid lead.
size_t sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// Whether byte `i` (1-based within the sequence) may follow lead `lead`.
bool valid_continuation(unsigned char lead, size_t i, unsigned char c) {
  if ((c & 0xC0) != 0x80) return false;
  if (i != 1) return true;
  // Second byte ranges that exclude overlongs, surrogates and > U+10FFFF.
  if (lead == 0xE0) return c >= 0xA0;
  if (lead == 0xED) return c <= 0x9F;
  if (lead == 0xF0) return c >= 0x90;
  if (lead == 0xF4) return c <= 0x8F;
  return true;
}

}  // namespace

std::string take_valid_utf8(std::string& pending, bool final_flush) {
  std::string out;
  out.reserve(pending.size());
  size_t i = 0;
  const size_t n = pending.size();
  while (i < n) {
    const auto lead = static_cast<unsigned char>(pending[i]);
    const size_t len = sequence_length(lead);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;
    while (k < len && i + k < n && valid_continuation(lead, k, static_cast<unsigned char>(pending[i + k]))) ++k;
    if (k == len) {
      out.append(pending, i, len);
      i += len;
    } else if (i + k == n && !final_flush) {
      break;  // a valid start that the next token may complete
    } else {
      out += kReplacement;
      i += k;
    }
  }
  pending.erase(0, i);
  return out;
}

}  // namespace sy::local_engine::harmony_detail
