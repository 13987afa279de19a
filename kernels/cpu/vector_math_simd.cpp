// AVX-512 and AVX2 paths of vector_math.hpp: the scalar definitions'
// operations, lane by lane (see swiglu_oai and exp_nonpositive).
// GCC 12's own AVX-512 headers trip -W(maybe-)uninitialized on their
// _mm512_undefined_* placeholders once inlined here (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "pairwise_sum.hpp"
#include "simd_lanes.hpp"
#include "sy/kernels/common/ops.hpp"
#include "vector_math_impl.hpp"

namespace sy::kernels::cpu::detail {

namespace {

SY_AVX512F inline __m512 swiglu16(__m512 gate, __m512 up) {
  const __m512 limit = _mm512_set1_ps(kSwigluLimit), one = _mm512_set1_ps(1.0f);
  const __m512 g = _mm512_min_ps(gate, limit);  // (gate < limit) ? gate : limit, as the scalar code
  const __m512 u = _mm512_max_ps(_mm512_min_ps(up, limit), _mm512_set1_ps(-kSwigluLimit));
  const __m512 z = exp16(_mm512_mul_ps(_mm512_set1_ps(-kSwigluAlpha), _mm512_abs_ps(g)));
  const __m512 d = _mm512_add_ps(one, z);
  const __mmask16 positive = _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_GE_OQ);
  const __m512 s = _mm512_mask_blend_ps(positive, _mm512_div_ps(z, d), _mm512_div_ps(one, d));
  return _mm512_mul_ps(_mm512_mul_ps(g, s), _mm512_add_ps(u, one));
}

SY_AVX2 inline __m256 swiglu8(__m256 gate, __m256 up) {
  const __m256 limit = _mm256_set1_ps(kSwigluLimit), one = _mm256_set1_ps(1.0f);
  const __m256 g = _mm256_min_ps(gate, limit);
  const __m256 u = _mm256_max_ps(_mm256_min_ps(up, limit), _mm256_set1_ps(-kSwigluLimit));
  const __m256 z = exp8(_mm256_mul_ps(_mm256_set1_ps(-kSwigluAlpha), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g)));
  const __m256 d = _mm256_add_ps(one, z);
  const __m256 positive = _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_GE_OQ);
  const __m256 s = _mm256_blendv_ps(_mm256_div_ps(z, d), _mm256_div_ps(one, d), positive);
  return _mm256_mul_ps(_mm256_mul_ps(g, s), _mm256_add_ps(u, one));
}

}  // namespace

SY_AVX512F void swiglu_rows_avx512(const float* gate, const float* up, const float* gate_bias, const float* up_bias,
                                   int64_t n, float* out) {
  for (int64_t r = 0; r < n; r += 16) {
    const __mmask16 live = tail_mask16(n - r);
    const __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(live, gate + r), _mm512_maskz_loadu_ps(live, gate_bias + r));
    const __m512 u = _mm512_add_ps(_mm512_maskz_loadu_ps(live, up + r), _mm512_maskz_loadu_ps(live, up_bias + r));
    _mm512_mask_storeu_ps(out + r, live, swiglu16(g, u));
  }
}

SY_AVX512F double softmax_weights_avx512(const float* x, int64_t n, float max, float inv_t, float* w) {
  const __m512 vmax = _mm512_set1_ps(max), vinv = _mm512_set1_ps(inv_t), inf = _mm512_set1_ps(INFINITY);
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = tail_mask16(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(live, x + i);
    const __mmask16 finite = live & _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_LT_OQ);
    const __m512 e = _mm512_maskz_mov_ps(finite, exp16(_mm512_mul_ps(_mm512_sub_ps(v, vmax), vinv)));
    _mm512_mask_storeu_ps(w + i, live, e);
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
  }
  alignas(64) double lanes[16];
  _mm512_store_pd(lanes, lo);
  _mm512_store_pd(lanes + 8, hi);
  return reduce16(lanes);
}

SY_AVX512F float finite_max_avx512(const float* x, int64_t n, float init) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 m = _mm512_set1_ps(init);
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask16(n - i), x + i);
    const __mmask16 finite = tail_mask16(n - i) & _mm512_cmp_ps_mask(_mm512_abs_ps(v), inf, _CMP_LT_OQ);
    m = _mm512_mask_max_ps(m, finite, m, v);
  }
  return _mm512_reduce_max_ps(m);
}

SY_AVX2 float finite_max_avx2(const float* x, int64_t n, float init) {
  const __m256 inf = _mm256_set1_ps(INFINITY), sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_set1_ps(init);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i live = tail_mask8(n - i);
    const __m256 v = _mm256_maskload_ps(x + i, live);
    const __m256 finite =
        _mm256_and_ps(_mm256_castsi256_ps(live), _mm256_cmp_ps(_mm256_andnot_ps(sign, v), inf, _CMP_LT_OQ));
    m = _mm256_max_ps(m, _mm256_blendv_ps(m, v, finite));
  }
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}

SY_AVX2 void swiglu_rows_avx2(const float* gate, const float* up, const float* gate_bias, const float* up_bias,
                              int64_t n, float* out) {
  for (int64_t r = 0; r < n; r += 8) {
    const __m256i live = tail_mask8(n - r);
    const __m256 g = _mm256_add_ps(_mm256_maskload_ps(gate + r, live), _mm256_maskload_ps(gate_bias + r, live));
    const __m256 u = _mm256_add_ps(_mm256_maskload_ps(up + r, live), _mm256_maskload_ps(up_bias + r, live));
    _mm256_maskstore_ps(out + r, live, swiglu8(g, u));
  }
}

SY_AVX2 double softmax_weights_avx2(const float* x, int64_t n, float max, float inv_t, float* w) {
  const __m256 vmax = _mm256_set1_ps(max), vinv = _mm256_set1_ps(inv_t), inf = _mm256_set1_ps(INFINITY);
  // Lanes 0-7 of the 16 take blocks at i = 0 mod 16, lanes 8-15 the others.
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i live = tail_mask8(n - i);
    const __m256 v = _mm256_maskload_ps(x + i, live);
    const __m256 finite = _mm256_and_ps(
        _mm256_castsi256_ps(live), _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), inf, _CMP_LT_OQ));
    const __m256 e = _mm256_and_ps(finite, exp8(_mm256_mul_ps(_mm256_sub_ps(v, vmax), vinv)));
    _mm256_maskstore_ps(w + i, live, e);
    __m256d* a = acc + (i % 16 == 0 ? 0 : 2);
    a[0] = _mm256_add_pd(a[0], _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    a[1] = _mm256_add_pd(a[1], _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double lanes[16];
  for (int k = 0; k < 4; ++k) _mm256_store_pd(lanes + 4 * k, acc[k]);
  return reduce16(lanes);
}

}  // namespace sy::kernels::cpu::detail
