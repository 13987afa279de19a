#pragma once
// GPT-2 byte-level mapping: GGUF token strings spell raw bytes as printable
// code points (space = 'Ġ' U+0120, newline = 'Ċ' U+010A, ...).
#include <string>
#include <string_view>

namespace sy::local_engine::tokenizer_detail {

// Raw bytes of a mapped token string into `out`; false if it holds a code
// point the mapping never produces.
bool unmap_bytes(std::string_view mapped, std::string& out);

// Mapped spelling of raw bytes (inverse of unmap_bytes).
std::string map_bytes(std::string_view raw);

}  // namespace sy::local_engine::tokenizer_detail
