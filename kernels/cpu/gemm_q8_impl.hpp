#pragma once
// Kernel variants behind gemm_q8's run-time dispatch.
#include "sy/kernels/cpu/gemm_q8.hpp"

namespace sy::kernels::cpu::detail {

bool cpu_has_avx512vnni();
void gemm_q8_avx512vnni(WType w_type, const uint8_t* w_data, size_t w_row_bytes, int64_t row_begin, int64_t row_end,
                        const QuantizedActivations& x, std::span<const int32_t> tokens, float* y, int64_t y_stride);

// One row of QuantizedActivations; `blocks` whole blocks (the padding is already zero).
void quantize_row_avx512(const float* x, int64_t blocks, int8_t* values, float* scales, int32_t* corrections);

}  // namespace sy::kernels::cpu::detail
