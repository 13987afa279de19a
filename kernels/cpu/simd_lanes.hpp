#pragma once
// Lane helpers of the float kernels' AVX-512 and AVX2 paths: exp_nonpositive
// (sy/kernels/common/exp.hpp) lane-wise, operation for operation, and the
// masks for a row's last, partial vector.
#include <immintrin.h>

#include "sy/kernels/common/exp.hpp"

#define SY_AVX512F __attribute__((target("avx512f,avx512dq,fma")))
#define SY_AVX2 __attribute__((target("avx2,fma")))

namespace sy::kernels::cpu::detail {

SY_AVX512F inline __m512 exp16(__m512 x) {
  using C = ExpConstants;
  const __mmask16 low = _mm512_cmp_ps_mask(x, _mm512_set1_ps(C::kLowest), _CMP_LT_OQ);
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(C::kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-C::kLn2Hi), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-C::kLn2Lo), r);
  const __m512 r2 = _mm512_mul_ps(r, r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(C::kP0), r, _mm512_set1_ps(C::kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C::kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C::kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C::kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(C::kP5));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~low), _mm512_mul_ps(y, _mm512_castsi512_ps(e)));
}

SY_AVX2 inline __m256 exp8(__m256 x) {
  using C = ExpConstants;
  const __m256 low = _mm256_cmp_ps(x, _mm256_set1_ps(C::kLowest), _CMP_LT_OQ);
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(C::kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-C::kLn2Hi), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-C::kLn2Lo), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(C::kP0), r, _mm256_set1_ps(C::kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C::kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C::kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C::kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(C::kP5));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(low, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
}

// The first min(count, 16) lanes.
SY_AVX512F inline __mmask16 tail_mask16(int64_t count) {
  return static_cast<__mmask16>(count >= 16 ? 0xFFFF : (1u << count) - 1);
}

// -1 in the first min(count, 8) lanes (for masked loads and stores).
SY_AVX2 inline __m256i tail_mask8(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count < 8 ? count : 8)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace sy::kernels::cpu::detail
