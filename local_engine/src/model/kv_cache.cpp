#include <algorithm>

#include "sy/kernels/common/fp.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

KvCache::KvCache(const HyperParams& hp, int n_ctx, KvType type, int max_batch)
    : n_ctx_(n_ctx), row_(hp.n_head_kv * hp.head_dim), type_(type) {
  size_t n = 0;
  for (int il = 0; il < hp.n_layer; ++il) {
    const int cap = hp.is_swa(il) ? std::min(n_ctx, hp.n_swa + std::max(1, max_batch)) : n_ctx;
    cap_.push_back(cap);
    base_.push_back(n);
    n += static_cast<size_t>(cap) * static_cast<size_t>(row_);
  }
  if (type == KvType::kQ8_0 && row_ % kernels::kQK != 0) type_ = KvType::kF16;  // rows must be whole blocks
  if (type_ == KvType::kF32) {
    k32_.resize(n);
    v32_.resize(n);
  } else if (type_ == KvType::kF16) {
    k16_.resize(n);
    v16_.resize(n);
  } else {
    k8_.resize(n / kernels::kQK);
    v8_.resize(n / kernels::kQK);
  }
}

size_t KvCache::bytes() const {
  return (k32_.size() + v32_.size()) * sizeof(float) + (k16_.size() + v16_.size()) * sizeof(uint16_t) +
         (k8_.size() + v8_.size()) * sizeof(kernels::BlockQ8_0);
}

size_t KvCache::offset(int layer, int pos) const {
  const size_t l = static_cast<size_t>(layer);
  return base_[l] + static_cast<size_t>(pos % cap_[l]) * static_cast<size_t>(row_);
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
  const size_t o = offset(layer, pos);
  if (type_ == KvType::kQ8_0) {
    for (int b = 0; b < row_ / kernels::kQK; ++b) {
      kernels::quantize_block_q8_0(k + b * kernels::kQK, k8_[o / kernels::kQK + b]);
      kernels::quantize_block_q8_0(v + b * kernels::kQK, v8_[o / kernels::kQK + b]);
    }
    return;
  }
  for (int i = 0; i < row_; ++i) {
    if (type_ == KvType::kF32) {
      k32_[o + i] = k[i];
      v32_[o + i] = v[i];
    } else {
      k16_[o + i] = kernels::f32_to_fp16(k[i]);
      v16_[o + i] = kernels::f32_to_fp16(v[i]);
    }
  }
}

void KvCache::load_k(int layer, int pos, float* out) const {
  const size_t o = offset(layer, pos);
  if (type_ == KvType::kQ8_0) {
    for (int b = 0; b < row_ / kernels::kQK; ++b) kernels::dequantize_block_q8_0(k8_[o / kernels::kQK + b], out + b * kernels::kQK);
    return;
  }
  for (int i = 0; i < row_; ++i) out[i] = type_ == KvType::kF32 ? k32_[o + i] : kernels::fp16_to_f32(k16_[o + i]);
}

void KvCache::load_v(int layer, int pos, float* out) const {
  const size_t o = offset(layer, pos);
  if (type_ == KvType::kQ8_0) {
    for (int b = 0; b < row_ / kernels::kQK; ++b) kernels::dequantize_block_q8_0(v8_[o / kernels::kQK + b], out + b * kernels::kQK);
    return;
  }
  for (int i = 0; i < row_; ++i) out[i] = type_ == KvType::kF32 ? v32_[o + i] : kernels::fp16_to_f32(v16_[o + i]);
}

const float* KvCache::k_f32(int layer, int pos) const { return k32_.data() + offset(layer, pos); }
const float* KvCache::v_f32(int layer, int pos) const { return v32_.data() + offset(layer, pos); }

}  // namespace sy::local_engine::model
