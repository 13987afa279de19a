#pragma once
// Rank-ordered byte-pair merging (tiktoken semantics): repeatedly merge the
// adjacent pair with the lowest merge rank, leftmost first. A heap over
// candidate pairs keeps long pieces O(n log n) instead of tiktoken's O(n^2).
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sy::local_engine::tokenizer_detail {

struct Merge {
  uint32_t rank = 0;
  int32_t result = -1;
};

class MergeTable {
 public:
  void reserve(size_t n) { map_.reserve(n); }
  // Keeps the first (best-ranked) entry of a duplicated pair.
  void add(int32_t left, int32_t right, Merge merge) { map_.try_emplace(key(left, right), merge); }
  const Merge* find(int32_t left, int32_t right) const {
    const auto it = map_.find(key(left, right));
    return it == map_.end() ? nullptr : &it->second;
  }
  size_t size() const { return map_.size(); }

 private:
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, Merge> map_;
};

// Appends the token ids of `piece` to `out`. byte_ids[b] is the id of the
// single-byte token b (all 256 must exist).
void bpe_merge(std::string_view piece, const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
               std::vector<int32_t>& out);

}  // namespace sy::local_engine::tokenizer_detail
