#pragma once
// Byte-level BPE tokens can end inside a UTF-8 character; deltas sent to
// clients must be whole, valid characters (JSON cannot carry broken UTF-8).
#include <cstddef>
#include <string>
#include <string_view>

namespace sy::local_engine::harmony_detail {

// Moves the valid prefix of `pending` into the returned string, replacing
// invalid bytes with U+FFFD. An incomplete but so far valid trailing
// sequence stays in `pending` unless `final_flush` (then it is replaced too).
std::string take_valid_utf8(std::string& pending, bool final_flush);

}  // namespace sy::local_engine::harmony_detail
