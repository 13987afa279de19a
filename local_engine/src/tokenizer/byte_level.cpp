#include "tokenizer/byte_level.hpp"

#include <array>
#include <cstdint>

namespace sy::local_engine::tokenizer_detail {
namespace {

struct Tables {
  std::array<uint16_t, 256> byte_to_cp{};
  std::array<int16_t, 324> cp_to_byte{};  // -1: not produced by the mapping

  Tables() {
    cp_to_byte.fill(-1);
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const int cp = printable(b) ? b : 256 + n++;
      byte_to_cp[b] = static_cast<uint16_t>(cp);
      cp_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

bool unmap_bytes(std::string_view mapped, std::string& out) {
  const Tables& t = tables();
  out.clear();
  for (size_t i = 0; i < mapped.size();) {
    const auto c = static_cast<unsigned char>(mapped[i]);
    uint32_t cp = 0;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < mapped.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(mapped[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      return false;  // the mapping only uses code points < 0x800
    }
    if (cp >= t.cp_to_byte.size() || t.cp_to_byte[cp] < 0) return false;
    out.push_back(static_cast<char>(t.cp_to_byte[cp]));
  }
  return true;
}

std::string map_bytes(std::string_view raw) {
  const Tables& t = tables();
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char ch : raw) {
    const uint32_t cp = t.byte_to_cp[static_cast<unsigned char>(ch)];
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace sy::local_engine::tokenizer_detail
