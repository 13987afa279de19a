#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.hpp"

#include <pcre2.h>

namespace sy::local_engine::tokenizer_detail {
namespace {

// tiktoken o200k_base / o200k_harmony pattern, alternatives tried in order.
constexpr std::string_view kO200kPattern =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    "|\\p{N}{1,3}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
    "|\\s*[\\r\\n]+"
    "|\\s+(?!\\S)"
    "|\\s+";

size_t utf8_char_len(std::string_view text, size_t at) {
  const auto c = static_cast<unsigned char>(text[at]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  return std::min(n, text.size() - at);
}

}  // namespace

struct PreTokenizer::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(std::unique_ptr<Code> code) : code_(std::move(code)) {}
PreTokenizer::~PreTokenizer() = default;

std::expected<std::unique_ptr<PreTokenizer>, std::string> PreTokenizer::create() {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  auto code = std::make_unique<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kO200kPattern.data()), kO200kPattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_offset, nullptr);
  if (code->code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return std::unexpected("o200k pre-tokenizer regex does not compile at offset " + std::to_string(err_offset) +
                           ": " + reinterpret_cast<const char*>(msg));
  }
  code->jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
  return std::unique_ptr<PreTokenizer>(new PreTokenizer(std::move(code)));
}

void PreTokenizer::split(std::string_view text, const std::function<void(std::string_view)>& on_piece) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    int rc = pcre2_match(code_->code, subject, text.size(), pos, 0, md, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && code_->jit) {
      // JIT stack exhausted on a pathological run: the interpreter keeps its
      // backtracking state on the heap.
      rc = pcre2_match(code_->code, subject, text.size(), pos, PCRE2_NO_JIT, md, nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
      on_piece(text.substr(pos));
      break;
    }
    if (rc < 0) {  // resource limit: emit one character and go on
      const size_t n = utf8_char_len(text, pos);
      on_piece(text.substr(pos, n));
      pos += n;
      continue;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t start = ov[0], end = ov[1];
    if (start > pos) on_piece(text.substr(pos, start - pos));
    if (end > start) {
      on_piece(text.substr(start, end - start));
      pos = end;
    } else {
      const size_t n = utf8_char_len(text, start);
      on_piece(text.substr(start, n));
      pos = start + n;
    }
  }
  pcre2_match_data_free(md);
}

}  // namespace sy::local_engine::tokenizer_detail
