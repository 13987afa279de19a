#pragma once
// Bounds-checked little-endian cursor over a byte range: every read either
// succeeds inside [begin, end) or reports failure, so parsing never leaves the
// mapping whatever the file says.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sy::local_engine::gguf::detail {

class Reader {
 public:
  Reader(const uint8_t* begin, uint64_t size) : begin_(begin), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const uint8_t* here() const { return begin_ + pos_; }

  bool skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }

  template <class T>
  bool read(T& out) {
    if (sizeof(T) > remaining()) return false;
    std::memcpy(&out, begin_ + pos_, sizeof(T));  // host is little-endian (checked at build)
    pos_ += sizeof(T);
    return true;
  }

  bool read_string(std::string_view& out, uint64_t max_len) {
    uint64_t len = 0;
    if (!read(len)) return false;
    if (len > max_len || len > remaining()) return false;
    out = std::string_view(reinterpret_cast<const char*>(begin_ + pos_), len);
    pos_ += len;
    return true;
  }

 private:
  const uint8_t* begin_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

}  // namespace sy::local_engine::gguf::detail
