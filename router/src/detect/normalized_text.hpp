#pragma once
// Matching happens on a normalised copy of each text: NFKC per code point
// (full-width digits and letters become ASCII), zero-width and format
// characters removed, Unicode dashes folded to '-'. Every normalised byte
// remembers the ORIGINAL code point it came from, so spans are reported in
// code points of the text the client sent.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy::router::detect {

class NormalizedText {
 public:
  // False when `original` is not valid UTF-8.
  bool build(std::string_view original);

  std::string_view text() const { return ascii_ ? original_ : std::string_view(norm_); }
  // Code-point span in the original for the normalised byte span [b, e).
  int64_t orig_start(size_t b) const;
  int64_t orig_end(size_t e) const;
  bool ascii() const { return ascii_; }

 private:
  std::string_view original_;
  bool ascii_ = true;
  std::string norm_;
  std::vector<uint32_t> src_cp_;  // per normalised byte: original code point index
  uint32_t total_cps_ = 0;
};

}  // namespace sy::router::detect
