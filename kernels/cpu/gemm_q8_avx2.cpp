// AVX2 kernel for gemm_packed (layout: gemm_q8_impl.hpp), for x86-64 CPUs
// without AVX-512 VNNI. A 32-byte half of each 64-byte chunk holds 8 rows x 4
// columns, so a tile is one panel (both halves) times up to 4 tokens.
//
// Without VPDPBUSD the products go through VPMADDUBSW (unsigned x signed
// bytes, adjacent pairs summed into saturating int16). Its unsigned operand is
// the weight's magnitude and its signed one the activation carrying the
// weight's sign (VPSIGNB): |w| <= 128 and |a| <= 127 keep every pair sum
// within int16 (2 * 128 * 127 = 32512), so the block sums are exact, as in
// the other kernels, and no -128 * sum(q) correction is needed. Magnitudes
// and signs are worked out once per weight vector and shared by the tile's
// tokens. MXFP4 pair sums are at most 2 * 12 * 127, so the 8 column groups of
// a block add up in int16 before one VPMADDWD; Q8_0 widens every group.
// The float step is the other kernels': acc = fma(float(sum), w_scale *
// x_scale, acc) per block, so results are bit-identical across kernels.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "gemm_q8_impl.hpp"

#define SY_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace sy::kernels::cpu::detail {

namespace {

constexpr int kHalfRows = kPanelRows / 2;
constexpr int kMaxTokens = 4;  // 2 x 4 float accumulators + 4 int ones fit the 16 registers

// E2M1 values doubled (ggml's kvalues_mxfp4), signed and as magnitudes, the
// 16 repeated for both 128-bit lanes (VPSHUFB looks up within a lane).
struct alignas(32) Mxfp4Tables {
  int8_t value[32];
  int8_t magnitude[32];
};
constexpr Mxfp4Tables make_tables() {
  constexpr int kValues[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  Mxfp4Tables t{};
  for (int i = 0; i < 32; ++i) {
    t.value[i] = static_cast<int8_t>(kValues[i % 16]);
    t.magnitude[i] = static_cast<int8_t>(kValues[i % 16] < 0 ? -kValues[i % 16] : kValues[i % 16]);
  }
  return t;
}
constexpr Mxfp4Tables kTables = make_tables();

// Column group j (columns 4j..4j+3) of half h of a block: signed weights and
// their magnitudes, 8 rows x 4 columns.
template <WType T>
SY_AVX2 __attribute__((always_inline)) inline void load_group(const uint8_t* q, int h, int j, __m256i* w, __m256i* m) {
  if constexpr (T == WType::kMXFP4) {
    // Chunk j / 2 holds groups j (low nibbles) and j + 1 (high nibbles).
    const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 64 * (j / 2) + 32 * h));
    const __m256i nib = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(raw, 4) : raw, _mm256_set1_epi8(0x0F));
    *w = _mm256_shuffle_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(kTables.value)), nib);
    *m = _mm256_shuffle_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(kTables.magnitude)), nib);
  } else {
    const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 64 * j + 32 * h));
    *w = _mm256_xor_si256(raw, _mm256_set1_epi8(static_cast<char>(0x80)));  // q + 128 -> q
    *m = _mm256_abs_epi8(*w);  // -128 gives 0x80, read as unsigned 128
  }
}

// The 8 rows' weight scales of half h of a block.
template <WType T>
SY_AVX2 __attribute__((always_inline)) inline __m256 load_scales(const uint8_t* scales, int h) {
  if constexpr (T == WType::kMXFP4) {
    // 2^(e-128) has exponent field e-1; e < 2 gives 0 (saturating subtract).
    __m128i e = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + kHalfRows * h));
    e = _mm_subs_epu8(e, _mm_set1_epi8(1));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu8_epi32(e), 23));
  } else {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 2 * kHalfRows * h)));
  }
}

SY_AVX2 inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// out[2t + h] = half h of the panel · token t, for the NT tokens at xv/xs
// (block b of token t at index b * stride + t).
template <WType T, int NT>
SY_AVX2 void tile(const uint8_t* panel, int64_t blocks, int64_t next, const int8_t* xv, const float* xs,
                  int64_t stride, __m256* out) {
  constexpr int64_t kValueBytes = PanelFormat<T>::kValueBytes, kScaleBytes = PanelFormat<T>::kScaleBytes;
  const uint8_t* scales = panel + blocks * kValueBytes;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[2 * NT];
  for (int i = 0; i < 2 * NT; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    prefetch_ahead<T>(panel, blocks, b, next);
    const uint8_t* q = panel + b * kValueBytes;
    for (int h = 0; h < 2; ++h) {
      __m256i sum[NT];
      for (int t = 0; t < NT; ++t) sum[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m256i w, m;
        load_group<T>(q, h, j, &w, &m);
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) {
          const __m256i pairs =
              _mm256_maddubs_epi16(m, _mm256_sign_epi8(bcast4(xv + (b * stride + t) * kQK + 4 * j), w));
          if constexpr (T == WType::kMXFP4) {
            sum[t] = _mm256_add_epi16(sum[t], pairs);
          } else {
            sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(pairs, ones));
          }
        }
      }
      const __m256 wscale = load_scales<T>(scales + b * kScaleBytes, h);
#pragma GCC unroll 4
      for (int t = 0; t < NT; ++t) {
        const __m256i s32 = T == WType::kMXFP4 ? _mm256_madd_epi16(sum[t], ones) : sum[t];
        const __m256 scale = _mm256_mul_ps(wscale, _mm256_set1_ps(xs[b * stride + t]));
        acc[2 * t + h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32), scale, acc[2 * t + h]);
      }
    }
  }
  for (int i = 0; i < 2 * NT; ++i) out[i] = acc[i];
}

template <WType T>
SY_AVX2 void tile_n(int nt, const uint8_t* panel, int64_t blocks, int64_t next, const int8_t* xv, const float* xs,
                    int64_t stride, __m256* out) {
  switch (nt) {
    case 1: return tile<T, 1>(panel, blocks, next, xv, xs, stride, out);
    case 2: return tile<T, 2>(panel, blocks, next, xv, xs, stride, out);
    case 3: return tile<T, 3>(panel, blocks, next, xv, xs, stride, out);
    default: return tile<T, 4>(panel, blocks, next, xv, xs, stride, out);
  }
}

SY_AVX2 void store_rows(float* dst, int nr, __m256 v) {
  if (nr >= kHalfRows) return _mm256_storeu_ps(dst, v);
  alignas(32) float tmp[kHalfRows];
  _mm256_store_ps(tmp, v);
  std::copy_n(tmp, std::max(nr, 0), dst);
}

template <WType T>
SY_AVX2 void run(const uint8_t* panels, int64_t r0, int64_t r1, const TiledActivations& x, float* y,
                 int64_t y_stride) {
  const int64_t n = x.tokens(), blocks = x.blocks();
  const size_t pb = panel_bytes(T, x.cols());
  for (int64_t r = r0; r < r1; r += kPanelRows) {
    const uint8_t* panel = panels + static_cast<size_t>(r / kPanelRows) * pb;
    const int nr = static_cast<int>(std::min<int64_t>(kPanelRows, r1 - r));
    for (int64_t tb = 0; tb < n; tb += TiledActivations::kTileTokens) {
      const int64_t tile_tokens = std::min<int64_t>(TiledActivations::kTileTokens, n - tb);
      for (int64_t t0 = 0; t0 < tile_tokens; t0 += kMaxTokens) {
        const int nt = static_cast<int>(std::min<int64_t>(kMaxTokens, tile_tokens - t0));
        // Later token groups reread the panel from cache: only the last one
        // prefetches the next panel.
        const int64_t next = tb + t0 + nt >= n ? static_cast<int64_t>(pb) : 0;
        __m256 out[2 * kMaxTokens];
        tile_n<T>(nt, panel, blocks, next, x.values(tb) + t0 * kQK, x.scales(tb) + t0, tile_tokens, out);
        for (int t = 0; t < nt; ++t) {
          float* dst = y + (tb + t0 + t) * y_stride + (r - r0);
          store_rows(dst, nr, out[2 * t]);
          store_rows(dst + kHalfRows, nr - kHalfRows, out[2 * t + 1]);
        }
      }
    }
  }
}

}  // namespace

// Same arithmetic as quantize_block_q8_0 (amax, d = amax/127 rounded to fp16,
// q = rint(x * 127/amax)), 32 floats at a time.
SY_AVX2 void quantize_row_avx2(const float* x, int64_t blocks, int8_t* values, float* scales, int32_t* corrections) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    __m256 v[4];
    __m256 amax8 = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(x + b * kQK + 8 * i);
      amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign, v[i]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    const float amax = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
    const float d = amax / 127.0f;
    const __m256 vid = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    __m256i q[4];
    for (int i = 0; i < 4; ++i)
      q[i] = _mm256_cvtps_epi32(
          _mm256_round_ps(_mm256_mul_ps(v[i], vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    // int32 -> int8 in column order: the packs interleave 128-bit lanes, the permute undoes it.
    const __m256i w16 = _mm256_packs_epi32(q[0], q[1]), z16 = _mm256_packs_epi32(q[2], q[3]);
    const __m256i bytes =
        _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w16, z16), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(values + b * kQK), bytes);
    scales[b] = fp16_to_f32(f32_to_fp16(d));
    const __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    corrections[b] = -128 * _mm_cvtsi128_si32(s4);
  }
}

SY_AVX2 void gemm_packed_avx2(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end,
                              const TiledActivations& x, float* y, int64_t y_stride) {
  if (type == WType::kMXFP4) return run<WType::kMXFP4>(panels, row_begin, row_end, x, y, y_stride);
  run<WType::kQ8_0>(panels, row_begin, row_end, x, y, y_stride);
}

}  // namespace sy::kernels::cpu::detail
