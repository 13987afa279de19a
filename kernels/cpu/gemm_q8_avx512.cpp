// AVX-512 VNNI kernel for gemm_packed (layout: gemm_q8_impl.hpp). A tile is
// one 16-row panel times up to 8 tokens, or two panels times up to 4: per
// block a panel's weights are expanded once into 8 registers (16 rows x 4
// columns each) and reused by every token of the tile, whose 4-column
// activation groups are broadcast into VPDPBUSD. Each token's int32 block sums start
// from its correction -128 * sum(q), so they come out exact; one convert and
// one FMA per (panel, token, block) then scale them into the float sums.
// Each weight stream is prefetched kPrefetchBytes ahead (to all cache levels),
// continuing into the panel the stream reads next. The hardware prefetcher alone falls
// behind once a tile does more than one token's arithmetic per byte: with it,
// 2 threads streaming 512 MiB went from 17-29 to 22-47 GB/s at 8 tokens and
// from 33-39 to 39-49 GB/s at 2-3 tokens (sy_bench_kernels, interleaved runs);
// one token gained less than the run-to-run noise. T0 rather than T1 and
// 4 KB rather than 2 or 8: the MoE of a one-token step took ~7 % less time
// (1.22-1.25 vs 1.32-1.33 ms per layer, variants alternated per step in one
// process; three runs of four), and 2 / 8 KB were no better.
// GCC 12's own AVX-512 headers trip -Wuninitialized on _mm512_undefined_ps()
// inside _mm512_cvtepi32_ps once inlined here (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "gemm_q8_impl.hpp"

#define SY_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,f16c,fma")))

namespace sy::kernels::cpu::detail {

bool cpu_has_avx512vnni() {
  static const bool kHas = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi");
  return kHas;
}

namespace {

constexpr int kMaxTokens = TiledActivations::kTileTokens;

// E2M1 values doubled (ggml's kvalues_mxfp4) + 128, the 16 repeated 4 times.
struct alignas(64) Mxfp4Table {
  uint8_t bytes[64];
};
constexpr Mxfp4Table make_mxfp4_table() {
  constexpr int kValues[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  Mxfp4Table t{};
  for (int i = 0; i < 64; ++i) t.bytes[i] = static_cast<uint8_t>(kValues[i % 16] + 128);
  return t;
}
constexpr Mxfp4Table kMxfp4Table = make_mxfp4_table();

template <WType T>
SY_AVX512 __attribute__((always_inline)) inline void load_block(const uint8_t* q, const uint8_t* scales, __m512i lut,
                                                                __m512i* w, __m512& scale) {
  if constexpr (T == WType::kMXFP4) {
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      // VPERMB reads the low 6 bits of each index byte; the table repeats the
      // 16 E2M1 values 4 times, so the other nibble's bits 4-5 don't matter.
      const __m512i raw = _mm512_load_si512(q + 64 * c);
      w[2 * c] = _mm512_permutexvar_epi8(raw, lut);
      w[2 * c + 1] = _mm512_permutexvar_epi8(_mm512_srli_epi16(raw, 4), lut);
    }
    // 2^(e-128) has exponent field e-1; e < 2 gives 0 (saturating subtract).
    const __m128i e = _mm_subs_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)), _mm_set1_epi8(1));
    scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu8_epi32(e), 23));
  } else {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) w[j] = _mm512_load_si512(q + 64 * j);
    scale = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales)));
  }
}

SY_AVX512 inline __m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// out[t] = panel · token t for the NT tokens of a tile (TiledActivations layout).
template <WType T, int NT>
SY_AVX512 void tile(const uint8_t* panel, int64_t blocks, int64_t next, const int8_t* xv, const float* xs,
                    const int32_t* xc, __m512i lut, __m512* out) {
  constexpr int64_t kValueBytes = PanelFormat<T>::kValueBytes, kScaleBytes = PanelFormat<T>::kScaleBytes;
  const uint8_t* scales = panel + blocks * kValueBytes;
  __m512 acc[NT];
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i w[8];
    __m512 wscale;
    prefetch_ahead<T>(panel, blocks, b, next);
    load_block<T>(panel + b * kValueBytes, scales + b * kScaleBytes, lut, w, wscale);
    const int8_t* a = xv + b * NT * kQK;
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      __m512i sum = _mm512_set1_epi32(xc[b * NT + t]);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) sum = _mm512_dpbusd_epi32(sum, w[j], bcast4(a + t * kQK + 4 * j));
      const __m512 scale = _mm512_mul_ps(wscale, _mm512_set1_ps(xs[b * NT + t]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

// tile<T, NT> (NT <= 4) for two panels at once: each activation broadcast
// feeds two panels, and two weight streams are in flight (1-4 tokens: +10-20 %
// in cache, measured). Each panel's arithmetic is exactly tile<T, NT>'s.
template <WType T, int NT>
SY_AVX512 void tile_pair(const uint8_t* panel_a, const uint8_t* panel_b, int64_t blocks, int64_t next,
                         const int8_t* xv, const float* xs, const int32_t* xc, __m512i lut, __m512* out_a,
                         __m512* out_b) {
  static_assert(NT <= 4);
  constexpr int64_t kValueBytes = PanelFormat<T>::kValueBytes, kScaleBytes = PanelFormat<T>::kScaleBytes;
  const uint8_t* scales_a = panel_a + blocks * kValueBytes;
  const uint8_t* scales_b = panel_b + blocks * kValueBytes;
  __m512 acc_a[NT], acc_b[NT];
  for (int t = 0; t < NT; ++t) acc_a[t] = acc_b[t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i wa[8], wb[8];
    __m512 sa, sb;
    prefetch_ahead<T>(panel_a, blocks, b, next);
    prefetch_ahead<T>(panel_b, blocks, b, next);
    load_block<T>(panel_a + b * kValueBytes, scales_a + b * kScaleBytes, lut, wa, sa);
    load_block<T>(panel_b + b * kValueBytes, scales_b + b * kScaleBytes, lut, wb, sb);
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t) {
      const int8_t* a = xv + (b * NT + t) * kQK;
      const int32_t corr = xc[b * NT + t];
      // Two panels already make two independent chains: no even/odd split.
      __m512i sum_a = _mm512_set1_epi32(corr), sum_b = sum_a;
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        const __m512i x = bcast4(a + 4 * j);
        sum_a = _mm512_dpbusd_epi32(sum_a, wa[j], x);
        sum_b = _mm512_dpbusd_epi32(sum_b, wb[j], x);
      }
      const __m512 xscale = _mm512_set1_ps(xs[b * NT + t]);
      acc_a[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_a), _mm512_mul_ps(sa, xscale), acc_a[t]);
      acc_b[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_b), _mm512_mul_ps(sb, xscale), acc_b[t]);
    }
  }
  for (int t = 0; t < NT; ++t) {
    out_a[t] = acc_a[t];
    out_b[t] = acc_b[t];
  }
}

template <WType T>
SY_AVX512 void tile_n(int nt, const uint8_t* panel, int64_t blocks, int64_t next, const int8_t* xv, const float* xs,
                      const int32_t* xc, __m512i lut, __m512* out) {
  switch (nt) {
    case 1: return tile<T, 1>(panel, blocks, next, xv, xs, xc, lut, out);
    case 2: return tile<T, 2>(panel, blocks, next, xv, xs, xc, lut, out);
    case 3: return tile<T, 3>(panel, blocks, next, xv, xs, xc, lut, out);
    case 4: return tile<T, 4>(panel, blocks, next, xv, xs, xc, lut, out);
    case 5: return tile<T, 5>(panel, blocks, next, xv, xs, xc, lut, out);
    case 6: return tile<T, 6>(panel, blocks, next, xv, xs, xc, lut, out);
    case 7: return tile<T, 7>(panel, blocks, next, xv, xs, xc, lut, out);
    default: return tile<T, 8>(panel, blocks, next, xv, xs, xc, lut, out);
  }
}

template <WType T>
SY_AVX512 void run(const uint8_t* panels, int64_t r0, int64_t r1, const TiledActivations& x, float* y,
                   int64_t y_stride) {
  const __m512i lut = _mm512_load_si512(kMxfp4Table.bytes);
  const int64_t n = x.tokens();
  const int64_t blocks = x.blocks();
  const size_t pb = panel_bytes(T, x.cols());
  int64_t r = r0;
  if (n <= 4) {
    const int8_t* xv = x.values(0);
    const float* xs = x.scales(0);
    const int32_t* xc = x.corrections(0);
    for (; r + kPanelRows < r1; r += 2 * kPanelRows) {
      const uint8_t* panel = panels + static_cast<size_t>(r / kPanelRows) * pb;
      const int nr = static_cast<int>(std::min<int64_t>(2 * kPanelRows, r1 - r)) - kPanelRows;
      __m512 out_a[4], out_b[4];
      switch (n) {
        case 1: tile_pair<T, 1>(panel, panel + pb, blocks, 2 * pb, xv, xs, xc, lut, out_a, out_b); break;
        case 2: tile_pair<T, 2>(panel, panel + pb, blocks, 2 * pb, xv, xs, xc, lut, out_a, out_b); break;
        case 3: tile_pair<T, 3>(panel, panel + pb, blocks, 2 * pb, xv, xs, xc, lut, out_a, out_b); break;
        default: tile_pair<T, 4>(panel, panel + pb, blocks, 2 * pb, xv, xs, xc, lut, out_a, out_b); break;
      }
      for (int t = 0; t < n; ++t) {
        _mm512_storeu_ps(y + t * y_stride + (r - r0), out_a[t]);
        _mm512_mask_storeu_ps(y + t * y_stride + (r - r0) + kPanelRows, static_cast<__mmask16>((1u << nr) - 1),
                              out_b[t]);
      }
    }
  }
  for (; r < r1; r += kPanelRows) {
    const uint8_t* panel = panels + static_cast<size_t>(r / kPanelRows) * pb;
    const int nr = static_cast<int>(std::min<int64_t>(kPanelRows, r1 - r));
    const __mmask16 rows_mask = static_cast<__mmask16>((1u << nr) - 1);
    for (int64_t tb = 0; tb < n; tb += kMaxTokens) {
      const int nt = static_cast<int>(std::min<int64_t>(kMaxTokens, n - tb));
      __m512 out[kMaxTokens];
      // Token tiles past the first reread the panel (from cache): prefetch
      // the next panel only on the last one.
      const int64_t next = tb + kMaxTokens >= n ? static_cast<int64_t>(pb) : 0;
      tile_n<T>(nt, panel, blocks, next, x.values(tb), x.scales(tb), x.corrections(tb), lut, out);
      for (int t = 0; t < nt; ++t) _mm512_mask_storeu_ps(y + (tb + t) * y_stride + (r - r0), rows_mask, out[t]);
    }
  }
}

}  // namespace

// Same arithmetic as quantize_block_q8_0 (amax, d = amax/127 rounded to fp16,
// q = rint(x * 127/amax)), 32 floats at a time.
SY_AVX512 void quantize_row_avx512(const float* x, int64_t blocks, int8_t* values, float* scales,
                                   int32_t* corrections) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    const __m512 a = _mm512_loadu_ps(x + b * kQK), c = _mm512_loadu_ps(x + b * kQK + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, a), _mm512_andnot_ps(sign, c)));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m512i qa = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(a, vid), kRound));
    const __m512i qc = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(c, vid), kRound));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(values + b * kQK), _mm512_cvtepi32_epi8(qa));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(values + b * kQK + 16), _mm512_cvtepi32_epi8(qc));
    scales[b] = fp16_to_f32(f32_to_fp16(d));
    corrections[b] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qc));
  }
}

SY_AVX512 void gemm_packed_avx512vnni(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end,
                                      const TiledActivations& x, float* y, int64_t y_stride) {
  if (type == WType::kMXFP4) return run<WType::kMXFP4>(panels, row_begin, row_end, x, y, y_stride);
  run<WType::kQ8_0>(panels, row_begin, row_end, x, y, y_stride);
}

}  // namespace sy::kernels::cpu::detail
