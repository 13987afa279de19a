#pragma once
// Quantised weights (Q8_0 or MXFP4) times Q8-quantised activations: the fast
// path's only matrix kernel. Activations are quantised once per input (ggml's
// Q8_0 rounding: d = fp16(amax/127), q = round(x/d)) into a layout the SIMD
// kernel reads with aligned 64-byte loads: two blocks per "pair", the block
// scales spread over the 16 float lanes of the pair, and per group of 4
// values the correction -128 * sum(q) that lets the kernel feed weights to
// VPDPBUSD as unsigned w+128.
//
// The AVX-512 VNNI kernel (picked at run time) computes each (row, token)
// result with the same instruction sequence whatever the other rows and
// tokens of the call are, so a sequence's logits do not depend on what it is
// batched with. The portable kernel computes the same sums in another order.
#include <cstdint>
#include <span>
#include <vector>

#include "sy/kernels/cpu/aligned_allocator.hpp"
#include "sy/kernels/cpu/dot.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"

namespace sy::kernels::cpu {

class QuantizedActivations {
 public:
  // x: n_rows rows of `cols` floats, cols % 32 == 0. pool may be null.
  void quantize(const float* x, int64_t n_rows, int64_t cols, ThreadPool* pool = nullptr);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t pairs() const { return pairs_; }  // ceil(blocks / 2); an odd tail block is padded with zeros
  const int8_t* values(int64_t row) const { return values_.data() + row * pairs_ * 64; }
  const float* scales(int64_t row) const { return scales_.data() + row * pairs_ * 16; }
  // Per pair 16 lanes: lane l holds -128 * (sum of the pair's values 4l..4l+3).
  const int32_t* corrections(int64_t row) const { return corrections_.data() + row * pairs_ * 16; }

 private:
  int64_t rows_ = 0, cols_ = 0, pairs_ = 0;
  std::vector<int8_t, AlignedAllocator<int8_t>> values_;
  std::vector<float, AlignedAllocator<float>> scales_;
  std::vector<int32_t, AlignedAllocator<int32_t>> corrections_;
};

// y[i * y_stride + (r - row_begin)] = W[r] · x[tokens[i]] for r in [row_begin, row_end)
// and every i; `tokens` empty means all rows of x in order. W is Q8_0 or MXFP4
// with w_cols == x.cols(). Single-threaded: callers split rows across threads.
void gemm_q8(WType w_type, const uint8_t* w_data, size_t w_row_bytes, int64_t row_begin, int64_t row_end,
             const QuantizedActivations& x, std::span<const int32_t> tokens, float* y, int64_t y_stride);

// Which kernel gemm_q8 runs: "avx512vnni" or "portable".
const char* gemm_q8_kernel_name();
// Tests: force the portable kernel (false restores run-time dispatch).
void gemm_q8_force_portable(bool on);

}  // namespace sy::kernels::cpu
