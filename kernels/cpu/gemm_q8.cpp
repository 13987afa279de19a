#include "sy/kernels/cpu/gemm_q8.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "gemm_q8_impl.hpp"

namespace sy::kernels::cpu {

using detail::PanelFormat;

namespace {

void quantize_row_portable(const float* x, int64_t blocks, int8_t* v, float* s, int32_t* c) {
  for (int64_t b = 0; b < blocks; ++b) {
    BlockQ8_0 q;
    quantize_block_q8_0(x + b * kQK, q);
    std::copy_n(q.qs, kQK, v + b * kQK);
    s[b] = fp16_to_f32(q.d);
    int32_t sum = 0;
    for (int8_t qv : q.qs) sum += qv;
    c[b] = -128 * sum;
  }
}

std::atomic<GemmKernel> g_forced{GemmKernel::kAuto};

GemmKernel best_kernel() {
  static const GemmKernel kBest = detail::cpu_has_avx512vnni() ? GemmKernel::kAvx512Vnni
                                  : has_avx2()      ? GemmKernel::kAvx2
                                                                : GemmKernel::kPortable;
  return kBest;
}

GemmKernel active_kernel() {
  const GemmKernel forced = g_forced.load(std::memory_order_relaxed);
  return forced == GemmKernel::kAuto ? best_kernel() : forced;
}

}  // namespace

void QuantizedActivations::quantize(const float* x, int64_t n_rows, int64_t cols, ThreadPool* pool) {
  rows_ = n_rows;
  cols_ = cols;
  blocks_ = cols / kQK;
  // Every element is written below (no clear: step buffers are reused).
  values_.resize(static_cast<size_t>(rows_ * blocks_ * kQK));
  scales_.resize(static_cast<size_t>(rows_ * blocks_));
  corrections_.resize(static_cast<size_t>(rows_ * blocks_));
  const GemmKernel kernel = active_kernel();
  auto rows = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int8_t* v = values_.data() + r * blocks_ * kQK;
      float* s = scales_.data() + r * blocks_;
      int32_t* c = corrections_.data() + r * blocks_;
      switch (kernel) {
        case GemmKernel::kAvx512Vnni: detail::quantize_row_avx512(x + r * cols, blocks_, v, s, c); break;
        case GemmKernel::kAvx2: detail::quantize_row_avx2(x + r * cols, blocks_, v, s, c); break;
        default: quantize_row_portable(x + r * cols, blocks_, v, s, c); break;
      }
    }
  };
  parallel_for(n_rows >= 8 ? pool : nullptr, n_rows, 4, rows);
}

void TiledActivations::gather(const QuantizedActivations& x, std::span<const int32_t> tokens) {
  n_ = tokens.empty() ? x.rows() : static_cast<int64_t>(tokens.size());
  blocks_ = x.blocks();
  values_.resize(static_cast<size_t>(n_ * blocks_ * kQK));
  scales_.resize(static_cast<size_t>(n_ * blocks_));
  corrections_.resize(static_cast<size_t>(n_ * blocks_));
  for (int64_t tb = 0; tb < n_; tb += kTileTokens) {
    const int64_t nt = std::min<int64_t>(kTileTokens, n_ - tb);
    for (int64_t t = 0; t < nt; ++t) {
      const int64_t row = tokens.empty() ? tb + t : tokens[static_cast<size_t>(tb + t)];
      for (int64_t b = 0; b < blocks_; ++b) {
        const int64_t i = tb * blocks_ + b * nt + t;
        std::memcpy(&values_[static_cast<size_t>(i * kQK)], x.values(row) + b * kQK, kQK);
        scales_[static_cast<size_t>(i)] = x.scales(row)[b];
        corrections_[static_cast<size_t>(i)] = x.corrections(row)[b];
      }
    }
  }
}

namespace {

template <WType T>
size_t panel_bytes_of(int64_t cols) {
  const size_t raw = static_cast<size_t>(cols / kQK) * (PanelFormat<T>::kValueBytes + PanelFormat<T>::kScaleBytes);
  return (raw + 63) / 64 * 64;
}

uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void store_u32(void* p, uint32_t v) { std::memcpy(p, &v, 4); }

// One row's block into its panel slot. Four bytes at a time: the byte lanes
// of a uint32 never mix (shifts by 4 are masked).
void pack_block(const BlockMxfp4& blk, uint8_t* v, uint8_t* scales, int l) {
  constexpr uint32_t kLow = 0x0F0F0F0Fu, kHigh = 0xF0F0F0F0u;
  // Columns 0..15 are the low nibbles of qs[0..15], 16..31 the high ones.
  const uint32_t q0 = load_u32(blk.qs), q1 = load_u32(blk.qs + 4), q2 = load_u32(blk.qs + 8), q3 = load_u32(blk.qs + 12);
  store_u32(v + 0 * 64, (q0 & kLow) | (q1 & kLow) << 4);
  store_u32(v + 1 * 64, (q2 & kLow) | (q3 & kLow) << 4);
  store_u32(v + 2 * 64, (q0 >> 4 & kLow) | (q1 & kHigh));
  store_u32(v + 3 * 64, (q2 >> 4 & kLow) | (q3 & kHigh));
  scales[l] = blk.e;
}

void pack_block(const BlockQ8_0& blk, uint8_t* v, uint8_t* scales, int l) {
  for (int j = 0; j < 8; ++j) store_u32(v + 64 * j, load_u32(blk.qs + 4 * j) ^ 0x80808080u);  // q + 128
  std::memcpy(scales + 2 * l, &blk.d, 2);
}

// Rows past n_rows are packed from an all-zero block: weight 0, scale 0.
template <WType T, class Block>
void pack_panel(const uint8_t* src, size_t row_bytes, int64_t n_rows, int64_t blocks, int64_t p, uint8_t* panel) {
  using F = PanelFormat<T>;
  static constexpr Block kZero{};
  uint8_t* scales = panel + blocks * F::kValueBytes;
  for (int l = 0; l < kPanelRows; ++l) {
    const int64_t r = p * kPanelRows + l;
    const auto* row = r < n_rows ? reinterpret_cast<const Block*>(src + static_cast<size_t>(r) * row_bytes) : nullptr;
    for (int64_t b = 0; b < blocks; ++b)
      pack_block(row ? row[b] : kZero, panel + b * F::kValueBytes + 4 * l, scales + b * F::kScaleBytes, l);
  }
}

// Row l of a panel's block b as unsigned w + 128, and its scale.
template <WType T>
void unpack_block(const uint8_t* panel, int64_t blocks, int64_t b, int l, uint8_t* w, float* scale) {
  const uint8_t* v = panel + b * PanelFormat<T>::kValueBytes + 4 * l;
  const uint8_t* s = panel + blocks * PanelFormat<T>::kValueBytes;
  if constexpr (T == WType::kMXFP4) {
    for (int c = 0; c < 4; ++c)
      for (int i = 0; i < 4; ++i) {
        w[8 * c + i] = static_cast<uint8_t>(fp4_value(v[64 * c + i] & 15) + 128);
        w[8 * c + 4 + i] = static_cast<uint8_t>(fp4_value(v[64 * c + i] >> 4) + 128);
      }
    *scale = detail::mxfp4_scale(s[b * 16 + l]);
  } else {
    for (int j = 0; j < 8; ++j)
      for (int i = 0; i < 4; ++i) w[4 * j + i] = v[64 * j + i];
    uint16_t d;
    std::memcpy(&d, s + b * 32 + 2 * l, 2);
    *scale = fp16_to_f32(d);
  }
}

// The SIMD kernels' arithmetic, one (row, token) at a time: exact int32
// block sums, then acc = fma(sum, w_scale * x_scale, acc) in block order.
template <WType T>
void gemm_portable(const uint8_t* panels, int64_t r0, int64_t r1, const TiledActivations& x, float* y,
                   int64_t y_stride) {
  const int64_t blocks = x.blocks(), n = x.tokens();
  const size_t pb = panel_bytes_of<T>(x.cols());
  std::vector<uint8_t> w(static_cast<size_t>(blocks * kQK));
  std::vector<float> ws(static_cast<size_t>(blocks));
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* panel = panels + static_cast<size_t>(r / kPanelRows) * pb;
    for (int64_t b = 0; b < blocks; ++b)
      unpack_block<T>(panel, blocks, b, static_cast<int>(r % kPanelRows), &w[static_cast<size_t>(b * kQK)],
                      &ws[static_cast<size_t>(b)]);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t tb = i / TiledActivations::kTileTokens * TiledActivations::kTileTokens;
      const int64_t nt = std::min<int64_t>(TiledActivations::kTileTokens, n - tb), t = i - tb;
      float acc = 0.0f;
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t at = b * nt + t;
        const int8_t* xv = x.values(tb) + at * kQK;
        int32_t dot = x.corrections(tb)[at];
        for (int k = 0; k < kQK; ++k) dot += w[static_cast<size_t>(b * kQK + k)] * xv[k];
        acc = std::fma(static_cast<float>(dot), ws[static_cast<size_t>(b)] * x.scales(tb)[at], acc);
      }
      y[i * y_stride + (r - r0)] = acc;
    }
  }
}

}  // namespace

size_t panel_bytes(WType type, int64_t cols) {
  return type == WType::kMXFP4 ? panel_bytes_of<WType::kMXFP4>(cols) : panel_bytes_of<WType::kQ8_0>(cols);
}

void pack_panels(WType type, const uint8_t* src, size_t row_bytes, int64_t n_rows, int64_t cols, int64_t p0,
                 int64_t p1, uint8_t* dst) {
  const size_t pb = panel_bytes(type, cols);
  for (int64_t p = p0; p < p1; ++p) {
    uint8_t* panel = dst + static_cast<size_t>(p) * pb;
    if (type == WType::kMXFP4) {
      pack_panel<WType::kMXFP4, BlockMxfp4>(src, row_bytes, n_rows, cols / kQK, p, panel);
    } else {
      pack_panel<WType::kQ8_0, BlockQ8_0>(src, row_bytes, n_rows, cols / kQK, p, panel);
    }
  }
}

void gemm_packed(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end, const TiledActivations& x,
                 float* y, int64_t y_stride) {
  if (row_end <= row_begin || x.tokens() == 0) return;
  switch (active_kernel()) {
    case GemmKernel::kAvx512Vnni: return detail::gemm_packed_avx512vnni(type, panels, row_begin, row_end, x, y, y_stride);
    case GemmKernel::kAvx2: return detail::gemm_packed_avx2(type, panels, row_begin, row_end, x, y, y_stride);
    default: break;
  }
  if (type == WType::kMXFP4) return gemm_portable<WType::kMXFP4>(panels, row_begin, row_end, x, y, y_stride);
  gemm_portable<WType::kQ8_0>(panels, row_begin, row_end, x, y, y_stride);
}

bool gemm_kernel_supported(GemmKernel k) {
  switch (k) {
    case GemmKernel::kAvx512Vnni: return detail::cpu_has_avx512vnni();
    case GemmKernel::kAvx2: return has_avx2();
    default: return true;
  }
}

bool gemm_q8_force_kernel(GemmKernel k) {
  if (!gemm_kernel_supported(k)) return false;
  g_forced.store(k);
  return true;
}

const char* gemm_q8_kernel_name() {
  switch (active_kernel()) {
    case GemmKernel::kAvx512Vnni: return "avx512vnni";
    case GemmKernel::kAvx2: return "avx2";
    default: return "portable";
  }
}

std::optional<GemmKernel> parse_gemm_kernel(std::string_view name) {
  if (name == "auto") return GemmKernel::kAuto;
  if (name == "avx512vnni") return GemmKernel::kAvx512Vnni;
  if (name == "avx2") return GemmKernel::kAvx2;
  if (name == "portable") return GemmKernel::kPortable;
  return std::nullopt;
}

}  // namespace sy::kernels::cpu
