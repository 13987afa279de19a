#include "sy/kernels/cpu/attention.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sy::kernels::cpu {

namespace {

std::atomic<bool> g_force_portable{false};

// Lane-wise sums over 16 columns at a time, then the 16 lanes added pairwise
// (as _mm512_reduce_add_ps does), so both paths round identically.
float reduce16(const float* lanes) {
  float h8[8], h4[4], h2[2];
  for (int i = 0; i < 8; ++i) h8[i] = lanes[i] + lanes[i + 8];
  for (int i = 0; i < 4; ++i) h4[i] = h8[i] + h8[i + 4];
  for (int i = 0; i < 2; ++i) h2[i] = h4[i] + h4[i + 2];
  return h2[0] + h2[1];
}

float dot_portable(const float* q, const float* k, int D) {
  float lanes[16] = {};
  for (int c = 0; c < D; c += 16)
    for (int l = 0; l < 16 && c + l < D; ++l) lanes[l] = std::fma(q[c + l], k[c + l], lanes[l]);
  return reduce16(lanes);
}

// Softmax with the sink, in place over scores; returns 1 / (the sum including the sink).
float softmax_with_sink(float* scores, int n, float sink) {
  float m = sink;
  for (int j = 0; j < n; ++j) m = std::max(m, scores[j]);
  double sum = 0.0;
  for (int j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - m);
    sum += scores[j];
  }
  sum += std::exp(sink - m);
  return static_cast<float>(1.0 / sum);
}

void attention_portable(const float* q, const float* const* k_rows, const float* const* v_rows, int64_t offset, int n,
                        int D, float scale, float sink, float* scores, float* out) {
  for (int j = 0; j < n; ++j) scores[j] = dot_portable(q, k_rows[j] + offset, D) * scale;
  const float inv = softmax_with_sink(scores, n, sink);
  std::fill(out, out + D, 0.0f);
  for (int j = 0; j < n; ++j) {
    const float p = scores[j] * inv;
    const float* v = v_rows[j] + offset;
    for (int d = 0; d < D; ++d) out[d] = std::fma(p, v[d], out[d]);
  }
}

#if defined(__x86_64__)
#define SY_AVX512F __attribute__((target("avx512f,avx512dq,fma")))

bool has_avx512f() {
  static const bool kHas = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return kHas;
}

template <int C>  // D = 16 * C
SY_AVX512F void attention_avx512(const float* q, const float* const* k_rows, const float* const* v_rows,
                                 int64_t offset, int n, float scale, float sink, float* scores, float* out) {
  __m512 qv[C];
  for (int c = 0; c < C; ++c) qv[c] = _mm512_loadu_ps(q + 16 * c);
  for (int j = 0; j < n; ++j) {
    const float* k = k_rows[j] + offset;
    __m512 s = _mm512_setzero_ps();
    for (int c = 0; c < C; ++c) s = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(k + 16 * c), s);
    scores[j] = _mm512_reduce_add_ps(s) * scale;  // the same pairwise order as reduce16
  }
  const float inv = softmax_with_sink(scores, n, sink);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int j = 0; j < n; ++j) {
    const __m512 p = _mm512_set1_ps(scores[j] * inv);
    const float* v = v_rows[j] + offset;
    for (int c = 0; c < C; ++c) acc[c] = _mm512_fmadd_ps(p, _mm512_loadu_ps(v + 16 * c), acc[c]);
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + 16 * c, acc[c]);
}
#endif

}  // namespace

void attention_head(const float* q, const float* const* k_rows, const float* const* v_rows, int64_t offset, int n,
                    int D, float scale, float sink, float* scores, float* out) {
#if defined(__x86_64__)
  if (!g_force_portable.load(std::memory_order_relaxed) && has_avx512f()) {
    switch (D) {
      case 64: return attention_avx512<4>(q, k_rows, v_rows, offset, n, scale, sink, scores, out);
      case 128: return attention_avx512<8>(q, k_rows, v_rows, offset, n, scale, sink, scores, out);
      case 32: return attention_avx512<2>(q, k_rows, v_rows, offset, n, scale, sink, scores, out);
      case 16: return attention_avx512<1>(q, k_rows, v_rows, offset, n, scale, sink, scores, out);
      default: break;
    }
  }
#endif
  attention_portable(q, k_rows, v_rows, offset, n, D, scale, sink, scores, out);
}

void attention_force_portable(bool on) { g_force_portable.store(on); }

}  // namespace sy::kernels::cpu
