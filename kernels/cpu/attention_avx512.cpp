// AVX-512 path of attention_heads (arithmetic: sy/kernels/cpu/attention.hpp).
// GCC 12's own AVX-512 headers trip -W(maybe-)uninitialized on their
// _mm512_undefined_* placeholders once inlined here (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

#include "attention_impl.hpp"
#include "simd_lanes.hpp"

namespace sy::kernels::cpu::detail {

namespace {



// Lane p of the result = reduce16 of d[p]'s lanes, with reduce16's pairing:
// each step adds two halves of a pair of vectors, so 16 dot products need
// 15 adds instead of 16 horizontal reductions.
SY_AVX512F inline __m512 transpose_reduce16(const __m512* d) {
  __m512 h8[8], h4[4], h2[2];
  for (int a = 0; a < 8; ++a)  // [d.lo8 + d.hi8] of two positions
    h8[a] = _mm512_add_ps(_mm512_shuffle_f32x4(d[2 * a], d[2 * a + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_f32x4(d[2 * a], d[2 * a + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int b = 0; b < 4; ++b)  // 128-bit chunk k: position 4b + k's h4
    h4[b] = _mm512_add_ps(_mm512_shuffle_f32x4(h8[2 * b], h8[2 * b + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_f32x4(h8[2 * b], h8[2 * b + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  for (int c = 0; c < 2; ++c)  // chunk k: h2 of positions 8c + k and 8c + 4 + k
    h2[c] = _mm512_add_ps(_mm512_shuffle_ps(h4[2 * c], h4[2 * c + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm512_shuffle_ps(h4[2 * c], h4[2 * c + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // Chunk k: positions k, 4 + k, 8 + k, 12 + k; lane 4k + i holds position 4i + k.
  const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(h2[0], h2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(h2[0], h2[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, r);
}


// Key and value rows come from all over the (paged, head-interleaved) cache:
// left to itself the loop stalls on each block's first touch of DRAM, so the
// rows a few steps ahead are prefetched.
template <int C>
SY_AVX512F inline void prefetch_row(const float* row) {
  for (int c = 0; c < C; ++c) _mm_prefetch(reinterpret_cast<const char*>(row + 16 * c), _MM_HINT_T0);
}

// Dot products of one head's query with 16 key rows (rows past `count`: 0).
template <int C, bool kFull>
SY_AVX512F inline __m512 block_scores(const __m512* qv, const float* const* k_rows, int64_t offset, int count) {
  __m512 d[16];
#pragma GCC unroll 16
  for (int p = 0; p < 16; ++p) {
    d[p] = _mm512_setzero_ps();
    if (!kFull && p >= count) continue;
    const float* k = k_rows[p] + offset;
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) d[p] = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(k + 16 * c), d[p]);
  }
  return transpose_reduce16(d);
}

// Scores of the G heads, 16 positions at a time: a block's key rows stay in
// L1 while every head uses them.
template <int C>
SY_AVX512F void scores_avx512(const float* q, int G, const float* const* k_rows, int64_t offset, int n, float scale,
                              float* scores) {
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int j0 = 0; j0 < n; j0 += 16) {
    const int count = std::min(16, n - j0);
    for (int p = 16; p < 32 && j0 + p < n; ++p) prefetch_row<C>(k_rows[j0 + p] + offset);
    for (int g = 0; g < G; ++g) {
      __m512 qv[C];
      for (int c = 0; c < C; ++c) qv[c] = _mm512_loadu_ps(q + g * 16 * C + 16 * c);
      const __m512 d = count == 16 ? block_scores<C, true>(qv, k_rows + j0, offset, 16)
                                   : block_scores<C, false>(qv, k_rows + j0, offset, count);
      _mm512_mask_storeu_ps(scores + static_cast<int64_t>(g) * n + j0, tail_mask16(count), _mm512_mul_ps(d, vscale));
    }
  }
}

// Columns [16 c0, 16 (c0 + CW)) of out_g = Σ_j (s_gj * inv_g) v_j for NG
// heads. All of a KV head's query heads go in one pass over these columns:
// each cache line of the value rows is read once.
template <int CW, int NG>
SY_AVX512F void values_avx512(const float* s, int n, const float* inv, const float* const* v_rows, int64_t offset,
                              int c0, int D, float* out) {
  __m512 acc[NG][CW];
  for (int g = 0; g < NG; ++g)
    for (int c = 0; c < CW; ++c) acc[g][c] = _mm512_setzero_ps();
  constexpr int kAhead = 16;
  for (int j = 0; j < n; ++j) {
    if (j + kAhead < n) prefetch_row<CW>(v_rows[j + kAhead] + offset + 16 * c0);
    const float* v = v_rows[j] + offset + 16 * c0;
    __m512 vv[CW];
    for (int c = 0; c < CW; ++c) vv[c] = _mm512_loadu_ps(v + 16 * c);
    for (int g = 0; g < NG; ++g) {
      const __m512 p = _mm512_set1_ps(s[static_cast<int64_t>(g) * n + j] * inv[g]);
      for (int c = 0; c < CW; ++c) acc[g][c] = _mm512_fmadd_ps(p, vv[c], acc[g][c]);
    }
  }
  for (int g = 0; g < NG; ++g)
    for (int c = 0; c < CW; ++c) _mm512_storeu_ps(out + g * D + 16 * (c0 + c), acc[g][c]);
}

template <int CW>
SY_AVX512F void values_n(int ng, const float* s, int n, const float* inv, const float* const* v_rows, int64_t offset,
                         int c0, int D, float* out) {
  switch (ng) {
    case 1: return values_avx512<CW, 1>(s, n, inv, v_rows, offset, c0, D, out);
    case 2: return values_avx512<CW, 2>(s, n, inv, v_rows, offset, c0, D, out);
    case 3: return values_avx512<CW, 3>(s, n, inv, v_rows, offset, c0, D, out);
    case 4: return values_avx512<CW, 4>(s, n, inv, v_rows, offset, c0, D, out);
    case 5: return values_avx512<CW, 5>(s, n, inv, v_rows, offset, c0, D, out);
    case 6: return values_avx512<CW, 6>(s, n, inv, v_rows, offset, c0, D, out);
    case 7: return values_avx512<CW, 7>(s, n, inv, v_rows, offset, c0, D, out);
    default: return values_avx512<CW, 8>(s, n, inv, v_rows, offset, c0, D, out);
  }
}

template <int C>
SY_AVX512F void heads_avx512(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                             int64_t offset, int n, float scale, const float* sinks, float* scores, float* out) {
  scores_avx512<C>(q, G, k_rows, offset, n, scale, scores);
  float inv[64];  // G <= 64 (the caller checks)
  for (int g = 0; g < G; ++g) inv[g] = softmax_with_sink(scores + static_cast<int64_t>(g) * n, n, sinks[g]);
  // Up to 8 heads x 2 column vectors of accumulators per pass (16 registers).
  constexpr int kCW = C >= 2 ? 2 : 1;
  for (int g = 0; g < G; g += 8)
    for (int c0 = 0; c0 < C; c0 += kCW)
      values_n<kCW>(std::min(8, G - g), scores + static_cast<int64_t>(g) * n, n, inv + g, v_rows, offset, c0, 16 * C,
                    out + g * 16 * C);
}

}  // namespace

SY_AVX512F bool attention_heads_avx512(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                                       int64_t offset, int n, int D, float scale, const float* sinks, float* scores,
                                       float* out) {
  if (G > 64) return false;  // the normalisers live on the stack
  switch (D) {
    case 64: heads_avx512<4>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 128: heads_avx512<8>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 32: heads_avx512<2>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 16: heads_avx512<1>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    default: return false;
  }
}

}  // namespace sy::kernels::cpu::detail
