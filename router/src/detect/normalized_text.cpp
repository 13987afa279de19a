#include "detect/normalized_text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace sy::router::detect {
namespace {

bool is_ignorable(UChar32 c) {
  // Zero-width and invisible format characters used to split entities.
  return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 || c == 0x17B4 ||
         c == 0x17B5 || c == 0x180E || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || c == 0xFEFF || c == 0xFFA0 ||
         (c >= 0xFE00 && c <= 0xFE0F);
}

bool is_dash(UChar32 c) {
  return (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE58 || c == 0xFE63 || c == 0xFF0D;
}

// Scripts whose code points NFKC leaves alone one by one; skips the ICU
// lookup for the bulk of CJK, Hangul and Cyrillic text.
bool cjk_inert(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x0410 && c <= 0x044F) ||
         (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA);
}

const icu::Normalizer2* nfkc() {
  static const icu::Normalizer2* n = [] {
    UErrorCode st = U_ZERO_ERROR;
    return icu::Normalizer2::getNFKCInstance(st);
  }();
  return n;
}

void append_utf8(std::string& out, UChar32 c) {
  char buf[4];
  int32_t len = 0;
  UBool err = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, c, err);
  if (!err) out.append(buf, static_cast<size_t>(len));
}

}  // namespace

bool NormalizedText::build(std::string_view original) {
  original_ = original;
  norm_.clear();
  src_cp_.clear();
  ascii_ = true;
  size_t n = original.size();
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<unsigned char>(original[i]) >= 0x80) {
      ascii_ = false;
      break;
    }
  }
  if (ascii_) {
    total_cps_ = static_cast<uint32_t>(n);
    return true;
  }
  const auto* s = reinterpret_cast<const uint8_t*>(original.data());
  norm_.reserve(n);
  src_cp_.reserve(n);
  const icu::Normalizer2* norm = nfkc();
  int32_t i = 0;
  uint32_t cp_index = 0;
  const auto len = static_cast<int32_t>(n);
  while (i < len) {
    if (s[i] < 0x80) {
      // ASCII run: copied as is, one code point per byte.
      int32_t j = i;
      while (j < len && s[j] < 0x80) ++j;
      norm_.append(reinterpret_cast<const char*>(s + i), static_cast<size_t>(j - i));
      const size_t old = src_cp_.size();
      src_cp_.resize(old + static_cast<size_t>(j - i));
      for (size_t k = old; k < src_cp_.size(); ++k) src_cp_[k] = cp_index++;
      i = j;
      continue;
    }
    UChar32 c;
    const int32_t from = i;
    U8_NEXT(s, i, len, c);
    if (c < 0) return false;  // invalid UTF-8
    size_t before = norm_.size();
    if (cjk_inert(c)) {
      norm_.append(reinterpret_cast<const char*>(s + from), static_cast<size_t>(i - from));
    } else if (is_ignorable(c)) {
      // dropped
    } else if (is_dash(c)) {
      norm_.push_back('-');
    } else if (norm == nullptr || norm->isInert(c)) {
      append_utf8(norm_, c);
    } else {
      UErrorCode st = U_ZERO_ERROR;
      icu::UnicodeString in(c);
      icu::UnicodeString out = norm->normalize(in, st);
      if (U_FAILURE(st)) {
        append_utf8(norm_, c);
      } else {
        for (int32_t k = 0; k < out.length();) {
          UChar32 d = out.char32At(k);
          k += U16_LENGTH(d);
          if (is_dash(d)) d = '-';
          if (!is_ignorable(d)) append_utf8(norm_, d);
        }
      }
    }
    for (size_t k = before; k < norm_.size(); ++k) src_cp_.push_back(cp_index);
    ++cp_index;
  }
  total_cps_ = cp_index;
  return true;
}

int64_t NormalizedText::orig_start(size_t b) const {
  if (ascii_) return static_cast<int64_t>(b);
  if (b >= src_cp_.size()) return total_cps_;
  return src_cp_[b];
}

int64_t NormalizedText::orig_end(size_t e) const {
  if (ascii_) return static_cast<int64_t>(e);
  if (e == 0) return 0;
  if (e - 1 >= src_cp_.size()) return total_cps_;
  return static_cast<int64_t>(src_cp_[e - 1]) + 1;
}

}  // namespace sy::router::detect
