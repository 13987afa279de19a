#pragma once
// o200k byte-level BPE tokenizer built from GGUF metadata (spec §5).
// The truth is tiktoken's o200k_harmony: the original pre-tokenizer regex
// (with \p{M}) and whole-piece vocabulary lookup before merging.
//
// Special tokens are recognised ONLY when the caller asks for it
// (parse_special = true). Text that comes from users is always encoded with
// parse_special = false, so "<|start|>" inside a message is plain text and
// can never open a forged harmony message (llama.cpp treats a few of them as
// special even with parsing off; we deliberately do not).
//
// All const member functions are thread-safe.
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sy::local_engine {

namespace gguf {
class File;
}

// llama.cpp token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Raw vocabulary as stored in GGUF (views must outlive from_vocab only).
struct VocabData {
  std::vector<std::string_view> tokens;  // GPT-2 byte-to-unicode mapped strings
  std::vector<int64_t> token_types;      // TokenType per token; may be empty
  std::vector<std::string_view> merges;  // "A B", priority = index
  std::string model = "gpt2";            // tokenizer.ggml.model
  std::string pre = "gpt-4o";            // tokenizer.ggml.pre
  std::optional<int64_t> eos_id;
  std::optional<int64_t> eot_id;
  std::optional<int64_t> eom_id;
};

class Tokenizer {
 public:
  static std::expected<std::unique_ptr<Tokenizer>, std::string> from_gguf(const gguf::File& file);
  static std::expected<std::unique_ptr<Tokenizer>, std::string> from_vocab(const VocabData& vocab);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // parse_special: split on special-token strings (control / user-defined
  // tokens) first. Never set it for text that comes from a user.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = false) const;
  // Concatenated raw bytes (special tokens as their text). Out-of-range ids
  // are skipped. The result may be invalid UTF-8 for a partial sequence.
  std::string decode(std::span<const int32_t> ids) const;
  // Raw bytes of one token (special tokens: their text; bad id: empty).
  std::string token_bytes(int32_t id) const;
  std::optional<int32_t> token_id(std::string_view token_text) const;  // exact token text, e.g. "<|return|>"
  bool is_special(int32_t id) const;  // control or user-defined
  bool is_eog(int32_t id) const;      // end of generation: 199999, 200002, 200012 for gpt-oss
  size_t vocab_size() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::local_engine
