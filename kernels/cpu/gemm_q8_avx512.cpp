// AVX-512 VNNI kernel for gemm_q8. Weights stay in the file's layout (mmap,
// no repack): each pair of blocks is expanded in registers to 64 unsigned
// bytes w+128 and a 16-lane scale vector (PairW). VPDPBUSD multiplies them
// with the signed activations, starting each int32 lane from the activations'
// correction -128 * (sum of that lane's 4 values), so every lane holds its
// exact partial dot product; lanes are then scaled and accumulated in float.
// Tiles are 4 rows x up to 4 tokens; with more than 4 tokens the expanded
// rows are kept in a small buffer and reused for every token tile.
// GCC 12's own AVX-512 headers trip -Wuninitialized on _mm512_undefined_ps()
// inside _mm512_cvtepi32_ps once inlined here (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>

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

struct alignas(64) PairW {
  __m512i w;  // 64 weights + 128: block A then block B
  __m512 sw;  // weight scale of A in lanes 0..7, of B in lanes 8..15
};

SY_AVX512 inline __m512 two_scales(float a, float b) {
  return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

SY_AVX512 inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// Expands pair p of a row; has_b is false for the zero-padded tail of an odd block count.
struct PrepQ8 {
  static constexpr size_t kPairBytes = 2 * sizeof(BlockQ8_0);
  SY_AVX512 PairW operator()(const uint8_t* row, int64_t p, bool has_b) const {
    const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(row) + 2 * p;
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs));
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    PairW out;
    if (has_b) {
      const __m256i bb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs));
      out.w = _mm512_xor_si512(_mm512_inserti64x4(_mm512_zextsi256_si512(a), bb, 1), k80);
      out.sw = two_scales(h2f(b[0].d), h2f(b[1].d));
    } else {
      out.w = _mm512_xor_si512(_mm512_zextsi256_si512(a), k80);  // padded B: weight 0
      out.sw = two_scales(h2f(b[0].d), 0.0f);
    }
    return out;
  }
};

// MXFP4 pair: [e_A | 16 nibble bytes A | e_B | 16 nibble bytes B] (34 bytes),
// read with one masked load and split with byte permutes. The scale 2^(e-128)
// is built in the float exponent field; e < 2 (subnormal scales, which the
// pool's flush-to-zero mode would flush anyway) becomes 0.
struct PrepMxfp4 {
  static constexpr size_t kPairBytes = 2 * sizeof(BlockMxfp4);
  __m512i table;    // E2M1 values doubled (ggml kvalues_mxfp4) + 128, in every 128-bit lane
  __m512i q_index;  // bytes: [q_A, q_A, q_B, q_B]
  __m512i e_index;  // byte 0 of dwords 0..7 <- e_A, of dwords 8..15 <- e_B
  SY_AVX512 PrepMxfp4() {
    static const uint8_t kValues[16] = {128, 129, 130, 131, 132, 134, 136, 140, 128, 127, 126, 125, 124, 122, 120, 116};
    table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kValues)));
    alignas(64) uint8_t qi[64], ei[64] = {};
    for (int i = 0; i < 64; ++i) qi[i] = static_cast<uint8_t>((i < 32 ? 1 : 18) + i % 16);
    for (int d = 0; d < 16; ++d) ei[4 * d] = d < 8 ? 0 : 17;
    q_index = _mm512_load_si512(qi);
    e_index = _mm512_load_si512(ei);
  }
  SY_AVX512 PairW operator()(const uint8_t* row, int64_t p, bool has_b) const {
    const uint8_t* pair = row + static_cast<size_t>(p) * kPairBytes;
    const __m512i raw = _mm512_maskz_loadu_epi8(has_b ? (1ull << 34) - 1 : (1ull << 17) - 1, pair);
    __m512i q = _mm512_permutexvar_epi8(q_index, raw);
    q = _mm512_mask_srli_epi16(q, 0xFF00FF00u, q, 4);  // 128-bit lanes 1 and 3: high nibbles
    q = _mm512_and_si512(q, _mm512_set1_epi8(0x0F));   // [A lo, A hi, B lo, B hi]
    PairW out;
    out.w = _mm512_shuffle_epi8(table, q);  // zero nibbles of a padded B give weight 0
    const __m512i e = _mm512_maskz_permutexvar_epi8(0x1111111111111111ull, e_index, raw);
    const __m512i biased = _mm512_max_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), _mm512_setzero_si512());
    out.sw = _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23));  // 2^(e-128) has exponent bits e-1
    return out;
  }
};

// Expanded pairs of 4 rows, laid out [pair][row].
struct PrepBuffered {
  const PairW* pairs;
  SY_AVX512 PairW operator()(int r, int64_t p, bool) const { return pairs[p * 4 + r]; }
};

// Expands straight from the weights, prefetching the same spot of the next
// 4-row group into L2: four interleaved 1-3 KB streams defeat the hardware
// prefetcher (T1 measured as good as T0 for one token, and it survives the
// activation traffic of long token loops).
template <class Prep, int kHint>
struct PrepInline {
  const Prep& prep;
  const uint8_t* const* rows;
  size_t ahead;  // 4 rows
  SY_AVX512 PairW operator()(int r, int64_t p, bool has_b) const {
    const char* next = reinterpret_cast<const char*>(rows[r]) + ahead + static_cast<size_t>(p) * Prep::kPairBytes;
    _mm_prefetch(next, static_cast<_mm_hint>(kHint));
    if constexpr (Prep::kPairBytes > 64) _mm_prefetch(next + 64, static_cast<_mm_hint>(kHint));
    return prep(rows[r], p, has_b);
  }
};

// out[r][t] = row r · token t for 4 rows and NT tokens; `tail`: one more,
// zero-padded pair after `full` (odd block count).
template <int NT, class Source>
SY_AVX512 __attribute__((always_inline)) inline void tile_step(const Source& src, const int8_t* const* xv,
                                                              const float* const* xs, const int32_t* const* xc,
                                                              int64_t p, bool has_b, __m512 (*acc)[NT]) {
  PairW pw[4];
  for (int r = 0; r < 4; ++r) pw[r] = src(r, p, has_b);
  for (int t = 0; t < NT; ++t) {
    const __m512i xq = _mm512_load_si512(xv[t] + p * 64);
    const __m512 xd = _mm512_load_ps(xs[t] + p * 16);
    for (int r = 0; r < 4; ++r) {
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(xc[t] + p * 16), pw[r].w, xq);
      acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(pw[r].sw, xd), acc[r][t]);
    }
  }
}

// out[r][t] = row r · token t for 4 rows and NT tokens; `tail`: one more,
// zero-padded pair after `full` (odd block count).
template <int NT, class Source>
SY_AVX512 void tile(const Source& src, const int8_t* const* xv, const float* const* xs, const int32_t* const* xc,
                    int64_t full, bool tail, float (*out)[4]) {
  __m512 acc[4][NT];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t p = 0; p < full; ++p) tile_step<NT>(src, xv, xs, xc, p, true, acc);
  if (tail) tile_step<NT>(src, xv, xs, xc, full, false, acc);
  for (int r = 0; r < 4; ++r)
    for (int t = 0; t < NT; ++t) out[r][t] = _mm512_reduce_add_ps(acc[r][t]);
}

template <class Source>
SY_AVX512 void tile_n(int nt, const Source& src, const int8_t* const* xv, const float* const* xs,
                      const int32_t* const* xc, int64_t full, bool tail, float (*out)[4]) {
  switch (nt) {
    case 1: return tile<1>(src, xv, xs, xc, full, tail, out);
    case 2: return tile<2>(src, xv, xs, xc, full, tail, out);
    case 3: return tile<3>(src, xv, xs, xc, full, tail, out);
    default: return tile<4>(src, xv, xs, xc, full, tail, out);
  }
}

template <class Prep>
SY_AVX512 void run(const Prep& prep, const uint8_t* w_data, size_t row_bytes, int64_t r0, int64_t r1,
                   const QuantizedActivations& x, std::span<const int32_t> tokens, float* y, int64_t y_stride) {
  const int64_t n = tokens.empty() ? x.rows() : static_cast<int64_t>(tokens.size());
  const int64_t pairs = x.pairs();
  const bool odd = (x.cols() / kQK) % 2 != 0;
  const int64_t full = odd ? pairs - 1 : pairs;
  auto token = [&](int64_t i) { return tokens.empty() ? i : static_cast<int64_t>(tokens[static_cast<size_t>(i)]); };
  thread_local std::vector<PairW> buffer;
  if (n > 4 && buffer.size() < static_cast<size_t>(pairs * 4)) buffer.resize(static_cast<size_t>(pairs * 4));

  // Each group prefetches the next one; start the first two now, all lines in
  // parallel, instead of paying one DRAM latency after another on them.
  for (int64_t r = r0; r < std::min(r1, r0 + 8); ++r)
    for (size_t off = 0; off < row_bytes; off += 64)
      _mm_prefetch(reinterpret_cast<const char*>(w_data + static_cast<size_t>(r) * row_bytes + off), _MM_HINT_T1);
  for (int64_t rb = r0; rb < r1; rb += 4) {
    const int nr = static_cast<int>(std::min<int64_t>(4, r1 - rb));
    const uint8_t* rows[4];
    for (int r = 0; r < 4; ++r) rows[r] = w_data + static_cast<size_t>(rb + std::min(r, nr - 1)) * row_bytes;
    const PrepInline<Prep, _MM_HINT_T1> inline_src{prep, rows, 4 * row_bytes};
    if (n > 4) {
      for (int64_t p = 0; p < pairs; ++p)
        for (int r = 0; r < 4; ++r) buffer[static_cast<size_t>(p * 4 + r)] = inline_src(r, p, p < full);
    }
    const PrepBuffered buffered{buffer.data()};
    for (int64_t tb = 0; tb < n; tb += 4) {
      const int nt = static_cast<int>(std::min<int64_t>(4, n - tb));
      const int8_t* xv[4];
      const float* xs[4];
      const int32_t* xc[4];
      for (int t = 0; t < 4; ++t) {
        const int64_t row = token(tb + std::min(t, nt - 1));
        xv[t] = x.values(row);
        xs[t] = x.scales(row);
        xc[t] = x.corrections(row);
      }
      float out[4][4];
      if (n > 4) {
        tile_n(nt, buffered, xv, xs, xc, full, odd, out);
      } else {
        tile_n(nt, inline_src, xv, xs, xc, full, odd, out);
      }
      for (int t = 0; t < nt; ++t)
        for (int r = 0; r < nr; ++r) y[(tb + t) * y_stride + (rb - r0) + r] = out[r][t];
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
    const __m512i qa = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(a, vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m512i qc = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(c, vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(values + b * kQK), _mm512_cvtepi32_epi8(qa));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(values + b * kQK + 16), _mm512_cvtepi32_epi8(qc));
    const float scale = fp16_to_f32(f32_to_fp16(d));
    _mm256_storeu_ps(scales + (b / 2) * 16 + (b % 2) * 8, _mm256_set1_ps(scale));
    // -128 * (sum of each lane's 4 values): with the +128 weights, every int32
    // lane of VPDPBUSD then holds its exact, small partial dot product (a
    // per-block correction in one lane would cancel against large lanes in float).
    const __m256i q8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + b * kQK));
    const __m256i lanes = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(static_cast<char>(0x80)), q8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(corrections + (b / 2) * 16 + (b % 2) * 8),
                        _mm256_sub_epi32(_mm256_setzero_si256(), lanes));
  }
}

SY_AVX512 void gemm_q8_avx512vnni(WType w_type, const uint8_t* w_data, size_t w_row_bytes, int64_t row_begin,
                                  int64_t row_end, const QuantizedActivations& x, std::span<const int32_t> tokens,
                                  float* y, int64_t y_stride) {
  if (w_type == WType::kQ8_0) {
    run(PrepQ8{}, w_data, w_row_bytes, row_begin, row_end, x, tokens, y, y_stride);
  } else {
    static const PrepMxfp4 kPrep;
    run(kPrep, w_data, w_row_bytes, row_begin, row_end, x, tokens, y, y_stride);
  }
}

}  // namespace sy::kernels::cpu::detail
