#pragma once
// Weight-times-activations for row-major weights (ggml ne = [cols, rows]):
// y[t * rows + r] = W[r] · x[t * cols : ...].
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sy/kernels/cpu/dot.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"

namespace sy::kernels::cpu {

struct MatrixView {
  WType type = WType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  // Q8_0/MXFP4 only: the same matrix packed for gemm_packed (16-row panels),
  // or null (matmul then packs a temporary copy per call).
  const uint8_t* panels = nullptr;
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

enum class MatmulMode {
  kReference,            // dequantise weights to f32, f32 activations
  kQuantizedActivations  // Q8_0/MXFP4 weights: activations rounded to Q8_0, int8 dots (ggml CPU)
};

bool is_block_type(WType t);

// x: n_tokens rows of w.cols floats. pool may be null.
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, MatmulMode mode, ThreadPool* pool);

// Activations already quantised (one row per token); w must be Q8_0 or MXFP4
// with panels. y[t * w.rows + r], rows split across the pool in whole panels.
void matmul_q8(const MatrixView& w, const QuantizedActivations& x, float* y, ThreadPool* pool);

// Several weights applied to the same activations in one parallel loop over
// all their row blocks (e.g. Q, K and V: one dispatch, no small cold chunks
// for the narrow K and V).
struct Q8Output {
  const MatrixView* w;
  float* y;  // y[t * w->rows + r]
};
void matmul_q8_many(std::span<const Q8Output> outs, const QuantizedActivations& x, ThreadPool* pool);

// Rows per parallel task for a weight of `rows` rows: whole 16-row panels,
// enough tasks to balance, few enough to amortise dispatch.
int64_t row_grain(int64_t rows, const ThreadPool* pool);

}  // namespace sy::kernels::cpu
