#pragma once
// o200k pre-tokenizer: splits text into the pieces BPE runs on, with
// tiktoken's original regex (combining marks \p{M} included) on PCRE2 in
// UTF + UCP mode. Bytes the regex cannot match (invalid UTF-8) become pieces
// of their own, so every input byte lands in exactly one piece.
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sy::local_engine::tokenizer_detail {

class PreTokenizer {
 public:
  static std::expected<std::unique_ptr<PreTokenizer>, std::string> create();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Calls on_piece for consecutive, non-empty pieces covering `text`. Thread-safe.
  void split(std::string_view text, const std::function<void(std::string_view)>& on_piece) const;

 private:
  struct Code;
  explicit PreTokenizer(std::unique_ptr<Code> code);
  std::unique_ptr<Code> code_;
};

}  // namespace sy::local_engine::tokenizer_detail
