#pragma once
// The key and value rows one attention call reads, for one (token, KV head):
// pointers into the cache's pages for f32, else that head's rows converted to
// f32. Kept per thread (buffers reused across steps); within one step call,
// the next token of the same sequence and window (a prompt chunk) only adds
// its new rows.
#include <vector>

#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

class KvRows {
 public:
  // At the start of each step call: nothing held is valid any more.
  void begin_call(int n_head_kv) {
    pointers_ = {};
    heads_.resize(static_cast<size_t>(n_head_kv));
    for (auto& h : heads_) h.run = {};
  }

  // Positions [first, first + n) of KV head `kvh` in layer `il` of `seq`'s cache.
  void prepare(const Sequence* seq, int il, int kvh, int first, int n, int head_dim) {
    const KvCache& kv = seq->kv();
    k_.resize(static_cast<size_t>(n));
    v_.resize(static_cast<size_t>(n));
    if (kv.type() == KvType::kF32) {
      // Head 0's rows serve every KV head, offset by the head stride.
      for (int j = reusable(pointers_, seq, first, n); j < n; ++j) {
        k_[static_cast<size_t>(j)] = kv.k_f32(il, first + j);
        v_[static_cast<size_t>(j)] = kv.v_f32(il, first + j);
      }
      pointers_.n = n;
      offset_ = kvh * kv.head_stride(il);
      return;
    }
    Converted& c = heads_[static_cast<size_t>(kvh)];
    const int from = reusable(c.run, seq, first, n);
    const size_t d = static_cast<size_t>(head_dim);
    c.k.resize(static_cast<size_t>(n) * d);
    c.v.resize(c.k.size());
    kv.load_head(il, kvh, first + from, n - from, &c.k[static_cast<size_t>(from) * d], &c.v[static_cast<size_t>(from) * d]);
    c.run.n = n;
    for (size_t j = 0; j < static_cast<size_t>(n); ++j) {  // the buffers may have moved
      k_[j] = &c.k[j * d];
      v_[j] = &c.v[j * d];
    }
    pointers_ = {};  // k_ / v_ no longer hold page pointers
    offset_ = 0;
  }

  const float* const* keys() const { return k_.data(); }
  const float* const* values() const { return v_.data(); }
  int64_t offset() const { return offset_; }

 private:
  struct Run {  // rows already in place: positions [first, first + n) of seq
    const Sequence* seq = nullptr;
    int first = -1, n = 0;
  };
  // How many of the wanted rows `run` already holds (0 if it describes other rows).
  static int reusable(Run& run, const Sequence* seq, int first, int n) {
    if (run.seq != seq || run.first != first || n < run.n) run = {seq, first, 0};
    return run.n;
  }
  struct Converted {
    Run run;
    std::vector<float> k, v;  // [n][head_dim]
  };
  std::vector<const float*> k_, v_;
  Run pointers_;                  // f32: what k_ / v_ point at
  std::vector<Converted> heads_;  // f16 / q8_0: per KV head
  int64_t offset_ = 0;
};

}  // namespace sy::local_engine::model
