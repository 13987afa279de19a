#include "sy/local_engine/tokenizer.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <unordered_map>

#include "sy/local_engine/gguf.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/string_table.hpp"

namespace sy::local_engine {
namespace {

using namespace tokenizer_detail;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// Pre-tokenizer names llama.cpp maps to the o200k regex.
constexpr std::array<std::string_view, 4> kO200kPreNames = {"gpt-4o", "llama4", "kanana2", "talkie"};
// Token texts that end generation besides the declared eos/eot/eom ids.
constexpr std::array<std::string_view, 3> kEogTexts = {"<|endoftext|>", "<|return|>", "<|call|>"};

}  // namespace

struct Tokenizer::Impl {
  StringTable texts;  // GGUF spelling per id
  StringTable bytes;  // raw bytes per id (specials and unused: their text)
  std::vector<TokenType> types;
  StringIndex text_to_id;   // GGUF spelling -> id (every token)
  StringIndex bytes_to_id;  // raw bytes -> id (normal tokens only: specials are never reached by BPE)
  MergeTable merges;
  std::array<int32_t, 256> byte_ids{};
  StringMap special_to_id;            // control + user-defined token text
  std::vector<size_t> special_lengths;  // distinct lengths, longest first
  std::bitset<256> special_first;
  std::vector<int32_t> eog;
  std::unique_ptr<PreTokenizer> pre;

  void encode_text(std::string_view text, std::vector<int32_t>& out) const {
    pre->split(text, [&](std::string_view piece) {
      // tiktoken: a piece that is itself a token is emitted without merging.
      if (const int32_t id = bytes_to_id.find(bytes, piece); id >= 0) {
        out.push_back(id);
        return;
      }
      bpe_merge(piece, merges, byte_ids, out);
    });
  }

  // Longest special token starting at `pos`, if any.
  std::optional<std::pair<int32_t, size_t>> special_at(std::string_view text, size_t pos) const {
    if (!special_first.test(static_cast<unsigned char>(text[pos]))) return std::nullopt;
    for (const size_t len : special_lengths) {
      if (pos + len > text.size()) continue;
      if (auto it = special_to_id.find(text.substr(pos, len)); it != special_to_id.end()) {
        return std::make_pair(it->second, len);
      }
    }
    return std::nullopt;
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::expected<std::unique_ptr<Tokenizer>, std::string> Tokenizer::from_gguf(const gguf::File& file) {
  VocabData v;
  const auto model = file.get_string("tokenizer.ggml.model");
  if (!model) return std::unexpected("GGUF has no tokenizer.ggml.model");
  v.model = std::string(*model);
  if (const auto pre = file.get_string("tokenizer.ggml.pre")) v.pre = std::string(*pre);
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return std::unexpected("GGUF has no tokenizer.ggml.tokens string array");
  v.tokens = std::move(*tokens);
  auto merges = file.get_string_array("tokenizer.ggml.merges");
  if (!merges) return std::unexpected("GGUF has no tokenizer.ggml.merges string array");
  v.merges = std::move(*merges);
  if (file.has_key("tokenizer.ggml.token_type")) {
    auto types = file.get_int_array("tokenizer.ggml.token_type");
    if (!types) return std::unexpected("GGUF tokenizer.ggml.token_type is not an integer array");
    v.token_types = std::move(*types);
  }
  v.eos_id = file.get_int("tokenizer.ggml.eos_token_id");
  v.eot_id = file.get_int("tokenizer.ggml.eot_token_id");
  v.eom_id = file.get_int("tokenizer.ggml.eom_token_id");
  return from_vocab(v);
}

std::expected<std::unique_ptr<Tokenizer>, std::string> Tokenizer::from_vocab(const VocabData& v) {
  if (v.model != "gpt2") {
    return std::unexpected("unsupported tokenizer.ggml.model '" + v.model + "' (only byte-level BPE 'gpt2')");
  }
  if (std::find(kO200kPreNames.begin(), kO200kPreNames.end(), v.pre) == kO200kPreNames.end()) {
    return std::unexpected("unsupported tokenizer.ggml.pre '" + v.pre + "' (only the o200k pre-tokenizer 'gpt-4o')");
  }
  const size_t n = v.tokens.size();
  if (n == 0 || n > static_cast<size_t>(INT32_MAX)) return std::unexpected("tokenizer.ggml.tokens is empty or too large");
  if (!v.token_types.empty() && v.token_types.size() != n) {
    return std::unexpected("tokenizer.ggml.token_type has " + std::to_string(v.token_types.size()) +
                           " entries, tokens has " + std::to_string(n));
  }

  auto impl = std::make_unique<Impl>();
  auto pre = PreTokenizer::create();
  if (!pre) return std::unexpected(pre.error());
  impl->pre = std::move(*pre);
  size_t text_bytes = 0;
  for (const std::string_view t : v.tokens) text_bytes += t.size();
  impl->texts.reserve(n, text_bytes);
  impl->bytes.reserve(n, text_bytes);
  impl->types.resize(n);
  impl->text_to_id.reserve(n);
  impl->bytes_to_id.reserve(n);
  impl->byte_ids.fill(-1);

  std::string raw;
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<int32_t>(i);
    const std::string_view text = v.tokens[i];
    TokenType type = TokenType::kNormal;
    if (!v.token_types.empty()) {
      const int64_t t = v.token_types[i];
      type = (t >= 0 && t <= 6) ? static_cast<TokenType>(t) : TokenType::kUndefined;
    } else if (text.size() > 4 && text.starts_with("<|") && text.ends_with("|>")) {
      type = TokenType::kControl;
    }
    impl->types[i] = type;
    impl->texts.push(text);
    impl->text_to_id.insert(impl->texts, id);
    const bool special = type == TokenType::kControl || type == TokenType::kUserDefined;
    if (special || type == TokenType::kUnused) {
      impl->bytes.push(text);
      if (special && !text.empty()) {
        impl->special_to_id.try_emplace(std::string(text), id);
        impl->special_first.set(static_cast<unsigned char>(text[0]));
        if (std::find(impl->special_lengths.begin(), impl->special_lengths.end(), text.size()) ==
            impl->special_lengths.end()) {
          impl->special_lengths.push_back(text.size());
        }
      }
      continue;
    }
    if (!unmap_bytes(text, raw)) {
      return std::unexpected("token " + std::to_string(i) + " is not a byte-level BPE token string");
    }
    if (raw.size() == 1 && impl->byte_ids[static_cast<unsigned char>(raw[0])] < 0) {
      impl->byte_ids[static_cast<unsigned char>(raw[0])] = id;
    }
    impl->bytes.push(raw);
    impl->bytes_to_id.insert(impl->bytes, id);
  }
  std::sort(impl->special_lengths.rbegin(), impl->special_lengths.rend());
  for (int b = 0; b < 256; ++b) {
    if (impl->byte_ids[b] < 0) return std::unexpected("vocabulary lacks the single-byte token for byte " + std::to_string(b));
  }

  impl->merges.reserve(v.merges.size());
  std::string joined;
  for (size_t r = 0; r < v.merges.size(); ++r) {
    const std::string_view m = v.merges[r];
    const size_t sp = m.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 >= m.size()) {
      return std::unexpected("merge " + std::to_string(r) + " is not of the form 'A B'");
    }
    const std::string_view a = m.substr(0, sp), b = m.substr(sp + 1);
    const int32_t ia = impl->text_to_id.find(impl->texts, a), ib = impl->text_to_id.find(impl->texts, b);
    joined.assign(a);
    joined.append(b);
    const int32_t ic = impl->text_to_id.find(impl->texts, joined);
    // A merge whose parts or result are not normal tokens can never apply.
    if (ia < 0 || ib < 0 || ic < 0 || impl->types[ic] != TokenType::kNormal) continue;
    impl->merges.add(ia, ib, Merge{static_cast<uint32_t>(r), ic});
  }

  auto add_eog = [&](int64_t id) {
    if (id >= 0 && static_cast<size_t>(id) < n &&
        std::find(impl->eog.begin(), impl->eog.end(), static_cast<int32_t>(id)) == impl->eog.end()) {
      impl->eog.push_back(static_cast<int32_t>(id));
    }
  };
  for (const auto& id : {v.eos_id, v.eot_id, v.eom_id}) {
    if (id) add_eog(*id);
  }
  for (const std::string_view t : kEogTexts) {
    if (auto it = impl->special_to_id.find(t); it != impl->special_to_id.end()) add_eog(it->second);
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (!parse_special || impl_->special_to_id.empty()) {
    impl_->encode_text(text, out);
    return out;
  }
  size_t start = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (auto sp = impl_->special_at(text, pos)) {
      if (pos > start) impl_->encode_text(text.substr(start, pos - start), out);
      out.push_back(sp->first);
      pos += sp->second;
      start = pos;
    } else {
      ++pos;
    }
  }
  if (start < text.size()) impl_->encode_text(text.substr(start), out);
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (id >= 0 && static_cast<size_t>(id) < impl_->bytes.size()) out += impl_->bytes.at(static_cast<size_t>(id));
  }
  return out;
}

std::string Tokenizer::token_bytes(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->bytes.size()) return {};
  return std::string(impl_->bytes.at(static_cast<size_t>(id)));
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token_text) const {
  if (const int32_t id = impl_->text_to_id.find(impl_->texts, token_text); id >= 0) return id;
  if (const int32_t id = impl_->bytes_to_id.find(impl_->bytes, token_text); id >= 0) return id;
  return std::nullopt;
}

bool Tokenizer::is_special(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->types.size()) return false;
  const TokenType t = impl_->types[id];
  return t == TokenType::kControl || t == TokenType::kUserDefined;
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::find(impl_->eog.begin(), impl_->eog.end(), id) != impl_->eog.end();
}

size_t Tokenizer::vocab_size() const { return impl_->bytes.size(); }

}  // namespace sy::local_engine
