#include "sy/kernels/cpu/matmul.hpp"

#include <algorithm>

namespace sy::kernels::cpu {

namespace {

// Rows per task: enough tasks for load balance, enough rows to amortise dispatch.
int64_t row_grain(int64_t rows, const ThreadPool* pool) {
  const int64_t threads = pool ? pool->size() : 1;
  return std::clamp<int64_t>(rows / (threads * 8), 4, 256);
}

void run(ThreadPool* pool, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool) {
    pool->parallel_for(n, grain, fn);
  } else {
    fn(0, n);
  }
}

}  // namespace

bool is_block_type(WType t) { return t == WType::kQ8_0 || t == WType::kMXFP4; }

std::vector<BlockQ8_0> quantize_rows_q8_0(const float* x, int64_t n_tokens, int64_t cols) {
  const int64_t nb = cols / kQK;
  std::vector<BlockQ8_0> out(static_cast<size_t>(n_tokens * nb));
  for (int64_t t = 0; t < n_tokens; ++t) quantize_row_q8_0(x + t * cols, out.data() + t * nb, cols);
  return out;
}

void matmul_q8(const MatrixView& w, const BlockQ8_0* xq, int64_t n_tokens, float* y, ThreadPool* pool) {
  const int64_t nb = w.cols / kQK;
  run(pool, w.rows, row_grain(w.rows, pool), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w.row(r);
      int64_t t = 0;
      for (; t + 4 <= n_tokens; t += 4) {
        float o[4];
        if (w.type == WType::kQ8_0) {
          dot_q8_0_q8_0_x4(reinterpret_cast<const BlockQ8_0*>(row), xq + t * nb, nb, nb, o);
        } else {
          dot_mxfp4_q8_0_x4(reinterpret_cast<const BlockMxfp4*>(row), xq + t * nb, nb, nb, o);
        }
        for (int i = 0; i < 4; ++i) y[(t + i) * w.rows + r] = o[i];
      }
      for (; t < n_tokens; ++t) {
        const BlockQ8_0* xb = xq + t * nb;
        y[t * w.rows + r] = w.type == WType::kQ8_0 ? dot_q8_0_q8_0(reinterpret_cast<const BlockQ8_0*>(row), xb, nb)
                                                   : dot_mxfp4_q8_0(reinterpret_cast<const BlockMxfp4*>(row), xb, nb);
      }
    }
  });
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, MatmulMode mode, ThreadPool* pool) {
  if (mode == MatmulMode::kQuantizedActivations && is_block_type(w.type)) {
    auto xq = quantize_rows_q8_0(x, n_tokens, w.cols);
    matmul_q8(w, xq.data(), n_tokens, y, pool);
    return;
  }
  run(pool, w.rows, row_grain(w.rows, pool), [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> buf;
    if (w.type != WType::kF32 && buf.size() < static_cast<size_t>(w.cols)) buf.resize(static_cast<size_t>(w.cols));
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = reinterpret_cast<const float*>(w.row(r));
      if (w.type != WType::kF32) {
        dequantize_row(w.type, w.row(r), buf.data(), w.cols);
        row = buf.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = dot_f32(row, x + t * w.cols, w.cols);
    }
  });
}

}  // namespace sy::kernels::cpu
