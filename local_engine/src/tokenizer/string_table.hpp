#pragma once
// Compact storage for the 201k token strings and open-addressing indexes over
// them: loading a vocabulary is ~2M hash lookups, and node-based maps spent
// most of the load time in cache misses.
#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sy::local_engine::tokenizer_detail {

// Strings by dense id, in one buffer.
class StringTable {
 public:
  void reserve(size_t count, size_t bytes) {
    offsets_.reserve(count + 1);
    data_.reserve(bytes);
  }
  void push(std::string_view s) {
    if (offsets_.empty()) offsets_.push_back(0);
    data_.append(s);
    offsets_.push_back(data_.size());
  }
  std::string_view at(size_t id) const {
    return std::string_view(data_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }

 private:
  std::string data_;
  std::vector<size_t> offsets_;
};

// string -> id over the strings of one StringTable (first id wins).
class StringIndex {
 public:
  void reserve(size_t count) {
    slots_.assign(std::bit_ceil(count * 2 + 16), Slot{});
    mask_ = slots_.size() - 1;
  }
  void insert(const StringTable& table, int32_t id) {
    const std::string_view key = table.at(static_cast<size_t>(id));
    const uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s = {static_cast<uint32_t>(h >> 32), id};
        return;
      }
      if (s.tag == static_cast<uint32_t>(h >> 32) && table.at(static_cast<size_t>(s.id)) == key) return;
    }
  }
  int32_t find(const StringTable& table, std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == static_cast<uint32_t>(h >> 32) && table.at(static_cast<size_t>(s.id)) == key) return s.id;
    }
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    int32_t id = -1;
  };
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace sy::local_engine::tokenizer_detail
