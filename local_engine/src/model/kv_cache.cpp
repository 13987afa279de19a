#include <algorithm>
#include <cstring>
#include <vector>

#include "sy/kernels/common/fp.hpp"
#include "sy/kernels/cpu/dot.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

KvCache::KvCache(const HyperParams& hp, int n_ctx, KvType type, int max_batch)
    : n_ctx_(n_ctx), n_head_kv_(hp.n_head_kv), head_dim_(hp.head_dim), type_(type) {
  for (int il = 0; il < hp.n_layer; ++il) {
    cap_.push_back(hp.is_swa(il) ? std::min(n_ctx, hp.n_swa + std::max(1, max_batch)) : n_ctx);
    // Pages of at most kPagePositions, as few as cover the layer and all the
    // same size (a head's offset must not depend on the page): a ring of
    // 640 gets 3 pages of 214, not 3 of 256.
    const int pages = (cap_.back() + kPagePositions - 1) / kPagePositions;
    page_positions_.push_back((cap_.back() + pages - 1) / pages);
  }
  const int row = n_head_kv_ * head_dim_;
  if (type == KvType::kQ8_0 && row % kernels::kQK != 0) type_ = KvType::kF16;  // rows must be whole blocks
  // Q8_0 heads narrower than a block are stored as whole rows (one unit).
  units_ = type_ == KvType::kQ8_0 && head_dim_ % kernels::kQK != 0 ? 1 : n_head_kv_;
  unit_dim_ = row / units_;
  switch (type_) {
    case KvType::kF32: unit_bytes_ = static_cast<size_t>(unit_dim_) * sizeof(float); break;
    case KvType::kF16: unit_bytes_ = static_cast<size_t>(unit_dim_) * sizeof(uint16_t); break;
    case KvType::kQ8_0: unit_bytes_ = static_cast<size_t>(unit_dim_ / kernels::kQK) * sizeof(kernels::BlockQ8_0); break;
  }
  k_pages_.resize(cap_.size());
  v_pages_.resize(cap_.size());
}

void KvCache::reserve(int n_pos) {
  n_pos = std::min(n_pos, n_ctx_);
  for (size_t l = 0; l < cap_.size(); ++l) {
    // A ring layer never needs more than its capacity; its slots fill in order as well.
    const int need = std::min(n_pos, cap_[l]);
    const size_t n = static_cast<size_t>(page_positions_[l]) * static_cast<size_t>(units_) * unit_bytes_;
    while (static_cast<int>(k_pages_[l].size()) * page_positions_[l] < need) {
      k_pages_[l].push_back(std::make_unique<std::byte[]>(n));
      v_pages_[l].push_back(std::make_unique<std::byte[]>(n));
      bytes_ += 2 * n;
    }
  }
}

std::byte* KvCache::slot(const std::vector<std::vector<Page>>& pages, int layer, int pos) const {
  const size_t l = static_cast<size_t>(layer);
  const int s = pos % cap_[l], pp = page_positions_[l];
  return pages[l][static_cast<size_t>(s / pp)].get() + static_cast<size_t>(s % pp) * unit_bytes_;
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
  std::byte* kd = slot(k_pages_, layer, pos);
  std::byte* vd = slot(v_pages_, layer, pos);
  const size_t stride = static_cast<size_t>(page_positions_[static_cast<size_t>(layer)]) * unit_bytes_;
  for (int u = 0; u < units_; ++u, kd += stride, vd += stride) {
    const float* ku = k + u * unit_dim_;
    const float* vu = v + u * unit_dim_;
    if (type_ == KvType::kF32) {
      std::memcpy(kd, ku, unit_bytes_);
      std::memcpy(vd, vu, unit_bytes_);
    } else if (type_ == KvType::kF16) {
      auto* k16 = reinterpret_cast<uint16_t*>(kd);
      auto* v16 = reinterpret_cast<uint16_t*>(vd);
      for (int i = 0; i < unit_dim_; ++i) {
        k16[i] = kernels::f32_to_fp16(ku[i]);
        v16[i] = kernels::f32_to_fp16(vu[i]);
      }
    } else {
      auto* k8 = reinterpret_cast<kernels::BlockQ8_0*>(kd);
      auto* v8 = reinterpret_cast<kernels::BlockQ8_0*>(vd);
      for (int b = 0; b < unit_dim_ / kernels::kQK; ++b) {
        kernels::quantize_block_q8_0(ku + b * kernels::kQK, k8[b]);
        kernels::quantize_block_q8_0(vu + b * kernels::kQK, v8[b]);
      }
    }
  }
}

void KvCache::load_row(const std::vector<std::vector<Page>>& pages, int layer, int pos, float* out) const {
  const std::byte* src = slot(pages, layer, pos);
  const size_t stride = static_cast<size_t>(page_positions_[static_cast<size_t>(layer)]) * unit_bytes_;
  for (int u = 0; u < units_; ++u, src += stride) {
    float* o = out + u * unit_dim_;
    if (type_ == KvType::kF32) {
      std::memcpy(o, src, unit_bytes_);
    } else if (type_ == KvType::kF16) {
      const auto* f16 = reinterpret_cast<const uint16_t*>(src);
      for (int i = 0; i < unit_dim_; ++i) o[i] = kernels::fp16_to_f32(f16[i]);
    } else {
      const auto* q = reinterpret_cast<const kernels::BlockQ8_0*>(src);
      for (int b = 0; b < unit_dim_ / kernels::kQK; ++b) kernels::dequantize_block_q8_0(q[b], o + b * kernels::kQK);
    }
  }
}

void KvCache::load_head(int layer, int head, int first, int n, float* k_out, float* v_out) const {
  const size_t l = static_cast<size_t>(layer);
  if (units_ != n_head_kv_) {  // whole-row units: convert each row, keep the head's part
    std::vector<float> k(static_cast<size_t>(units_ * unit_dim_)), v(k.size());
    for (int j = 0; j < n; ++j) {
      load_row(k_pages_, layer, first + j, k.data());
      load_row(v_pages_, layer, first + j, v.data());
      std::copy_n(k.data() + head * head_dim_, head_dim_, k_out + static_cast<size_t>(j) * head_dim_);
      std::copy_n(v.data() + head * head_dim_, head_dim_, v_out + static_cast<size_t>(j) * head_dim_);
    }
    return;
  }
  const kernels::cpu::WType wt = type_ == KvType::kF32   ? kernels::cpu::WType::kF32
                                 : type_ == KvType::kF16 ? kernels::cpu::WType::kF16
                                                         : kernels::cpu::WType::kQ8_0;
  const int pp = page_positions_[l], cap = cap_[l];
  for (int j = 0; j < n;) {
    const int s = (first + j) % cap, within = s % pp;
    const int run = std::min({n - j, pp - within, cap - s});  // consecutive slots of one page, no ring wrap
    const size_t at = (static_cast<size_t>(head) * static_cast<size_t>(pp) + static_cast<size_t>(within)) * unit_bytes_;
    const size_t count = static_cast<size_t>(run) * static_cast<size_t>(head_dim_);
    const size_t out = static_cast<size_t>(j) * static_cast<size_t>(head_dim_);
    kernels::cpu::dequantize_row(wt, k_pages_[l][static_cast<size_t>(s / pp)].get() + at, k_out + out,
                                 static_cast<int64_t>(count));
    kernels::cpu::dequantize_row(wt, v_pages_[l][static_cast<size_t>(s / pp)].get() + at, v_out + out,
                                 static_cast<int64_t>(count));
    j += run;
  }
}

void KvCache::load_k(int layer, int pos, float* out) const { load_row(k_pages_, layer, pos, out); }
void KvCache::load_v(int layer, int pos, float* out) const { load_row(v_pages_, layer, pos, out); }

const float* KvCache::k_f32(int layer, int pos) const {
  return reinterpret_cast<const float*>(slot(k_pages_, layer, pos));
}
const float* KvCache::v_f32(int layer, int pos) const {
  return reinterpret_cast<const float*>(slot(v_pages_, layer, pos));
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
