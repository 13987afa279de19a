#include <algorithm>
#include <cstring>

#include "sy/kernels/common/fp.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

KvCache::KvCache(const HyperParams& hp, int n_ctx, KvType type, int max_batch)
    : n_ctx_(n_ctx), row_(hp.n_head_kv * hp.head_dim), type_(type) {
  for (int il = 0; il < hp.n_layer; ++il)
    cap_.push_back(hp.is_swa(il) ? std::min(n_ctx, hp.n_swa + std::max(1, max_batch)) : n_ctx);
  if (type == KvType::kQ8_0 && row_ % kernels::kQK != 0) type_ = KvType::kF16;  // rows must be whole blocks
  switch (type_) {
    case KvType::kF32: row_bytes_ = static_cast<size_t>(row_) * sizeof(float); break;
    case KvType::kF16: row_bytes_ = static_cast<size_t>(row_) * sizeof(uint16_t); break;
    case KvType::kQ8_0: row_bytes_ = static_cast<size_t>(row_ / kernels::kQK) * sizeof(kernels::BlockQ8_0); break;
  }
  k_pages_.resize(cap_.size());
  v_pages_.resize(cap_.size());
}

void KvCache::reserve(int n_pos) {
  n_pos = std::min(n_pos, n_ctx_);
  for (size_t l = 0; l < cap_.size(); ++l) {
    // A ring layer never needs more than its capacity; its slots fill in order as well.
    const int need = std::min(n_pos, cap_[l]);
    while (static_cast<int>(k_pages_[l].size()) * kPagePositions < need) {
      const int first = static_cast<int>(k_pages_[l].size()) * kPagePositions;
      const size_t n = static_cast<size_t>(std::min(kPagePositions, cap_[l] - first)) * row_bytes_;
      k_pages_[l].push_back(std::make_unique<std::byte[]>(n));
      v_pages_[l].push_back(std::make_unique<std::byte[]>(n));
      bytes_ += 2 * n;
    }
  }
}

std::byte* KvCache::row(const std::vector<std::vector<Page>>& pages, int layer, int pos) const {
  const size_t l = static_cast<size_t>(layer);
  const int slot = pos % cap_[l];
  return pages[l][static_cast<size_t>(slot / kPagePositions)].get() +
         static_cast<size_t>(slot % kPagePositions) * row_bytes_;
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
  std::byte* kd = row(k_pages_, layer, pos);
  std::byte* vd = row(v_pages_, layer, pos);
  if (type_ == KvType::kF32) {
    std::memcpy(kd, k, row_bytes_);
    std::memcpy(vd, v, row_bytes_);
  } else if (type_ == KvType::kF16) {
    auto* k16 = reinterpret_cast<uint16_t*>(kd);
    auto* v16 = reinterpret_cast<uint16_t*>(vd);
    for (int i = 0; i < row_; ++i) {
      k16[i] = kernels::f32_to_fp16(k[i]);
      v16[i] = kernels::f32_to_fp16(v[i]);
    }
  } else {
    auto* k8 = reinterpret_cast<kernels::BlockQ8_0*>(kd);
    auto* v8 = reinterpret_cast<kernels::BlockQ8_0*>(vd);
    for (int b = 0; b < row_ / kernels::kQK; ++b) {
      kernels::quantize_block_q8_0(k + b * kernels::kQK, k8[b]);
      kernels::quantize_block_q8_0(v + b * kernels::kQK, v8[b]);
    }
  }
}

namespace {

void load_row(KvType type, const std::byte* src, int n, float* out) {
  if (type == KvType::kF32) {
    std::memcpy(out, src, static_cast<size_t>(n) * sizeof(float));
  } else if (type == KvType::kF16) {
    const auto* h = reinterpret_cast<const uint16_t*>(src);
    for (int i = 0; i < n; ++i) out[i] = kernels::fp16_to_f32(h[i]);
  } else {
    const auto* q = reinterpret_cast<const kernels::BlockQ8_0*>(src);
    for (int b = 0; b < n / kernels::kQK; ++b) kernels::dequantize_block_q8_0(q[b], out + b * kernels::kQK);
  }
}

}  // namespace

void KvCache::load_k(int layer, int pos, float* out) const { load_row(type_, row(k_pages_, layer, pos), row_, out); }
void KvCache::load_v(int layer, int pos, float* out) const { load_row(type_, row(v_pages_, layer, pos), row_, out); }

const float* KvCache::k_f32(int layer, int pos) const {
  return reinterpret_cast<const float*>(row(k_pages_, layer, pos));
}
const float* KvCache::v_f32(int layer, int pos) const {
  return reinterpret_cast<const float*>(row(v_pages_, layer, pos));
}

Sequence::Sequence(const HyperParams& hp, int n_ctx, KvType type, int max_batch)
    : hp_(&hp), kv_(hp, n_ctx, type, max_batch), max_batch_(std::max(1, max_batch)) {}

int Sequence::reusable(int n) const {
  int kept = std::clamp(n, 0, n_past_);
  for (int il = 0; il < hp_->n_layer && kept > 0; ++il) {
    if (!hp_->is_swa(il)) continue;
    const int oldest_valid = n_past_ - kv_.capacity(il);
    const int needed = std::max(0, kept - hp_->n_swa + 1);
    if (needed < oldest_valid) kept = 0;
  }
  return kept;
}

int Sequence::truncate(int n) {
  n_past_ = reusable(n);
  return n_past_;
}

}  // namespace sy::local_engine::model
