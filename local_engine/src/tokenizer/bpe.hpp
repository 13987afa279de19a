#pragma once
// Rank-ordered byte-pair merging (tiktoken semantics): repeatedly merge the
// adjacent pair with the lowest merge rank, leftmost first. A heap over
// candidate pairs keeps long pieces O(n log n) instead of tiktoken's O(n^2).
#include <array>
#include <cstdint>
#include <string_view>
#include <bit>
#include <vector>

namespace sy::local_engine::tokenizer_detail {

struct Merge {
  uint32_t rank = 0;
  int32_t result = -1;
};

// (left id, right id) -> merge, open addressing (446k merges for o200k).
class MergeTable {
 public:
  void reserve(size_t n) {
    slots_.assign(std::bit_ceil(n * 2 + 16), Slot{});
    mask_ = slots_.size() - 1;
  }
  // Keeps the first (best-ranked) entry of a duplicated pair. reserve() first.
  void add(int32_t left, int32_t right, Merge merge) {
    const uint64_t k = key(left, right);
    for (size_t i = mix(k) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].merge.result < 0) {
        slots_[i] = {k, merge};
        ++size_;
        return;
      }
      if (slots_[i].key == k) return;
    }
  }
  const Merge* find(int32_t left, int32_t right) const {
    const uint64_t k = key(left, right);
    for (size_t i = mix(k) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.merge.result < 0) return nullptr;
      if (s.key == k) return &s.merge;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    Merge merge;
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  static uint64_t mix(uint64_t k) {  // splitmix64 finaliser
    k ^= k >> 30;
    k *= 0xbf58476d1ce4e5b9ULL;
    k ^= k >> 27;
    k *= 0x94d049bb133111ebULL;
    return k ^ (k >> 31);
  }
  std::vector<Slot> slots_{Slot{}};  // one empty slot: find() works before reserve()
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Appends the token ids of `piece` to `out`. byte_ids[b] is the id of the
// single-byte token b (all 256 must exist).
void bpe_merge(std::string_view piece, const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
               std::vector<int32_t>& out);

}  // namespace sy::local_engine::tokenizer_detail
