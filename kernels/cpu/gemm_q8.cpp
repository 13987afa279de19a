#include "sy/kernels/cpu/gemm_q8.hpp"

#include <algorithm>
#include <atomic>

#include "gemm_q8_impl.hpp"

namespace sy::kernels::cpu {

namespace {

void quantize_row_portable(const float* x, int64_t blocks, int8_t* v, float* s, int32_t* c) {
  for (int64_t b = 0; b < blocks; ++b) {
    BlockQ8_0 q;
    quantize_block_q8_0(x + b * kQK, q);
    std::copy_n(q.qs, kQK, v + b * kQK);
    std::fill_n(s + (b / 2) * 16 + (b % 2) * 8, 8, fp16_to_f32(q.d));
    for (int l = 0; l < 8; ++l)
      c[(b / 2) * 16 + (b % 2) * 8 + l] = -128 * (q.qs[4 * l] + q.qs[4 * l + 1] + q.qs[4 * l + 2] + q.qs[4 * l + 3]);
  }
}

}  // namespace

void QuantizedActivations::quantize(const float* x, int64_t n_rows, int64_t cols, ThreadPool* pool) {
  const int64_t blocks = cols / kQK;
  rows_ = n_rows;
  cols_ = cols;
  pairs_ = (blocks + 1) / 2;
  // Every block's values, scales and corrections are written below; only an
  // odd tail's padding block is zeroed here (no full clear: buffers are reused).
  values_.resize(static_cast<size_t>(rows_ * pairs_ * 64));
  scales_.resize(static_cast<size_t>(rows_ * pairs_ * 16));
  corrections_.resize(static_cast<size_t>(rows_ * pairs_ * 16));
  if (blocks % 2 != 0) {
    for (int64_t r = 0; r < rows_; ++r) {
      const int64_t last = (r * pairs_ + pairs_ - 1);
      std::fill_n(values_.data() + last * 64 + 32, 32, int8_t{0});
      std::fill_n(scales_.data() + last * 16 + 8, 8, 0.0f);
      std::fill_n(corrections_.data() + last * 16 + 8, 8, 0);
    }
  }
  const bool simd = detail::cpu_has_avx512vnni();
  auto rows = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int8_t* v = values_.data() + r * pairs_ * 64;
      float* s = scales_.data() + r * pairs_ * 16;
      int32_t* c = corrections_.data() + r * pairs_ * 16;
      if (simd) {
        detail::quantize_row_avx512(x + r * cols, blocks, v, s, c);
      } else {
        quantize_row_portable(x + r * cols, blocks, v, s, c);
      }
    }
  };
  if (pool && n_rows >= 8) {
    pool->parallel_for(n_rows, 4, rows);
  } else {
    rows(0, n_rows);
  }
}

namespace {

std::atomic<bool> g_force_portable{false};

bool use_avx512() { return !g_force_portable.load(std::memory_order_relaxed) && detail::cpu_has_avx512vnni(); }

// One weight block as signed int8 values and a float scale.
void decode_block(WType type, const uint8_t* row, int64_t b, int8_t* w, float* scale) {
  if (type == WType::kQ8_0) {
    const auto& blk = reinterpret_cast<const BlockQ8_0*>(row)[b];
    std::copy_n(blk.qs, kQK, w);
    *scale = fp16_to_f32(blk.d);
  } else {
    const auto& blk = reinterpret_cast<const BlockMxfp4*>(row)[b];
    for (int j = 0; j < kQK / 2; ++j) {
      w[j] = fp4_value(blk.qs[j] & 15);
      w[j + kQK / 2] = fp4_value(blk.qs[j] >> 4);
    }
    *scale = e8m0_to_f32_half(blk.e);
  }
}

void gemm_q8_portable(WType type, const uint8_t* w_data, size_t row_bytes, int64_t r0, int64_t r1,
                      const QuantizedActivations& x, std::span<const int32_t> tokens, float* y, int64_t y_stride) {
  const int64_t blocks = x.cols() / kQK;
  const int64_t n = tokens.empty() ? x.rows() : static_cast<int64_t>(tokens.size());
  std::vector<int8_t> w(static_cast<size_t>(blocks * kQK));
  std::vector<float> ws(static_cast<size_t>(blocks));
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w_data + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < blocks; ++b) decode_block(type, row, b, w.data() + b * kQK, &ws[static_cast<size_t>(b)]);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = tokens.empty() ? i : tokens[static_cast<size_t>(i)];
      const int8_t* xv = x.values(t);
      const float* xs = x.scales(t);
      float sum = 0.0f;
      for (int64_t b = 0; b < blocks; ++b) {
        int32_t dot = 0;
        for (int j = 0; j < kQK; ++j) dot += w[static_cast<size_t>(b * kQK + j)] * xv[b * kQK + j];
        sum += static_cast<float>(dot) * (ws[static_cast<size_t>(b)] * xs[(b / 2) * 16 + (b % 2) * 8]);
      }
      y[i * y_stride + (r - r0)] = sum;
    }
  }
}

}  // namespace

void gemm_q8(WType w_type, const uint8_t* w_data, size_t w_row_bytes, int64_t row_begin, int64_t row_end,
             const QuantizedActivations& x, std::span<const int32_t> tokens, float* y, int64_t y_stride) {
  if (row_end <= row_begin || x.rows() == 0) return;
  if (use_avx512())
    return detail::gemm_q8_avx512vnni(w_type, w_data, w_row_bytes, row_begin, row_end, x, tokens, y, y_stride);
  gemm_q8_portable(w_type, w_data, w_row_bytes, row_begin, row_end, x, tokens, y, y_stride);
}

const char* gemm_q8_kernel_name() { return use_avx512() ? "avx512vnni" : "portable"; }

void gemm_q8_force_portable(bool on) { g_force_portable.store(on); }

}  // namespace sy::kernels::cpu
