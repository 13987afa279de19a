#pragma once
// The packed panel layout shared by the packer and the kernels, and the
// kernel variants behind gemm_packed's run-time dispatch.
//
// Panel of 16 rows, `blocks` = cols / 32, laid out as
//   values: blocks x kValueBytes   then   scales: blocks x kScaleBytes
// MXFP4 values, block b (256 bytes): 4 chunks of 64 bytes; in chunk c, bytes
//   4l..4l+3 hold row l's columns 8c..8c+3 in their low nibbles and columns
//   8c+4..8c+7 in their high nibbles (E2M1 codes); scales: the 16 rows' E8M0
//   bytes.
// Q8_0 values, block b (512 bytes): 8 chunks of 64 bytes; in chunk j, bytes
//   4l..4l+3 hold row l's columns 4j..4j+3 as unsigned q + 128; scales: the
//   16 rows' fp16 scales.
// Columns are in ggml's element order within the block (for MXFP4: element
// k < 16 is the low nibble of qs[k], element k >= 16 the high nibble of
// qs[k - 16]), which is the activations' order.
#include <cstdint>

#include "sy/kernels/common/fp.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"

namespace sy::kernels::cpu::detail {

template <WType T>
struct PanelFormat;
template <>
struct PanelFormat<WType::kMXFP4> {
  static constexpr int kValueBytes = 256;
  static constexpr int kScaleBytes = 16;
};
template <>
struct PanelFormat<WType::kQ8_0> {
  static constexpr int kValueBytes = 512;
  static constexpr int kScaleBytes = 32;
};

// The weight scale both kernels use: ggml's, except that an MXFP4 exponent
// byte below 2 (a subnormal scale, flushed to zero by the engine's threads
// anyway) gives 0.
inline float mxfp4_scale(uint8_t e) { return e < 2 ? 0.0f : e8m0_to_f32_half(e); }

// Distance of the SIMD kernels' software prefetch (why: gemm_q8_avx512.cpp).
inline constexpr int64_t kPrefetchBytes = 4096;

// Prefetches what a panel stream reads kPrefetchBytes after block b's values
// and scales; past the panel's values it moves on to the panel `next` bytes
// further, which the same stream reads next.
template <WType T>
__attribute__((always_inline)) inline void prefetch_ahead(const uint8_t* panel, int64_t blocks, int64_t b,
                                                          int64_t next) {
  constexpr int64_t kValueBytes = PanelFormat<T>::kValueBytes, kScaleBytes = PanelFormat<T>::kScaleBytes;
  const int64_t value_bytes = blocks * kValueBytes;
  int64_t at = b * kValueBytes + kPrefetchBytes;
  const uint8_t* p = at < value_bytes ? panel + at : panel + next + (at - value_bytes);
#pragma GCC unroll 8
  for (int64_t c = 0; c < kValueBytes; c += 64) __builtin_prefetch(p + c, 0, 3);
  // Scales: one line serves 64 / kScaleBytes blocks.
  at = (b + kPrefetchBytes / kValueBytes) * kScaleBytes;
  if (at % 64 < kScaleBytes) {
    p = at < blocks * kScaleBytes ? panel + value_bytes + at : panel + next + value_bytes + (at - blocks * kScaleBytes);
    __builtin_prefetch(p, 0, 3);
  }
}

// The kernels behind gemm_packed and the activation quantiser, one row of
// QuantizedActivations at a time.
bool cpu_has_avx512vnni();
void gemm_packed_avx512vnni(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end,
                            const TiledActivations& x, float* y, int64_t y_stride);
void quantize_row_avx512(const float* x, int64_t blocks, int8_t* values, float* scales, int32_t* corrections);

void gemm_packed_avx2(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end,
                      const TiledActivations& x, float* y, int64_t y_stride);
void quantize_row_avx2(const float* x, int64_t blocks, int8_t* values, float* scales, int32_t* corrections);

}  // namespace sy::kernels::cpu::detail
