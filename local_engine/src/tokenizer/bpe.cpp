#include "tokenizer/bpe.hpp"

#include <queue>

namespace sy::local_engine::tokenizer_detail {
namespace {

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
};

struct Candidate {
  uint32_t rank;
  int32_t left;  // symbol index (= byte offset of its first byte: stable order)
  int32_t left_id;
  int32_t right_id;
  int32_t result;
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

void bpe_merge(std::string_view piece, const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
               std::vector<int32_t>& out) {
  const auto n = static_cast<int32_t>(piece.size());
  if (n == 0) return;
  if (n == 1) {
    out.push_back(byte_ids[static_cast<unsigned char>(piece[0])]);
    return;
  }
  std::vector<Symbol> syms(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) syms[i] = {byte_ids[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = syms[left].next;
    if (right < 0) return;
    if (const Merge* m = merges.find(syms[left].id, syms[right].id)) {
      heap.push({m->rank, left, syms[left].id, syms[right].id, m->result});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);

  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = syms[c.left];
    // Stale: one side was merged away or changed since this pair was queued.
    if (l.id != c.left_id || l.next < 0 || syms[l.next].id != c.right_id) continue;
    const int32_t r = l.next;
    l.id = c.result;
    l.next = syms[r].next;
    if (l.next >= 0) syms[l.next].prev = c.left;
    syms[r].id = -1;  // dead
    consider(l.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) out.push_back(syms[i].id);
}

}  // namespace sy::local_engine::tokenizer_detail
