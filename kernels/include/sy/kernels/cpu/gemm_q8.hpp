#pragma once
// Quantised weights (Q8_0 or MXFP4) times Q8-quantised activations: the fast
// path's only matrix kernel.
//
// Weights are repacked once (at model load) into panels of 16 rows. Within a
// panel, per 32-column block, the 16 rows' values are interleaved 4 columns at
// a time, so one VPDPBUSD multiplies 16 rows by 4 columns of one token with
// the token's 4 activations broadcast; the 16 rows' block scales sit side by
// side. Each int32 lane then ends a block holding one row's exact block dot
// product, and a (16 rows, token, block) step costs 8 multiply-adds and 3
// float ops. (The file's layout puts 32 columns of one row in a vector: every
// 64 multiply-adds need their own scaling, which made the kernel
// compute-bound well below memory bandwidth.) A packed panel is as large as
// its 16 rows in the file, so the packed copy replaces the file's pages in
// memory instead of adding to them.
//
// Activations are quantised once per input with ggml's Q8_0 rounding
// (d = fp16(amax/127), q = round(x/d)), plus per block -128 * sum(q): weights
// are stored as unsigned w + 128 (VPDPBUSD's unsigned operand), and the
// correction cancels the offset exactly.
//
// Every (row, token) result is computed with the same operations in the same
// order whatever the other rows and tokens of the call are, and the AVX2 and
// portable kernels compute it identically: results are bit-identical across
// batch composition and across kernels (for finite activations; NaN or
// infinite inputs quantise differently per kernel, garbage either way).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sy/kernels/cpu/aligned_allocator.hpp"
#include "sy/kernels/cpu/dot.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"

namespace sy::kernels::cpu {

class QuantizedActivations {
 public:
  // x: n_rows rows of `cols` floats, cols % 32 == 0. pool may be null.
  void quantize(const float* x, int64_t n_rows, int64_t cols, ThreadPool* pool = nullptr);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t blocks() const { return blocks_; }
  const int8_t* values(int64_t row) const { return values_.data() + row * blocks_ * 32; }
  const float* scales(int64_t row) const { return scales_.data() + row * blocks_; }
  // Per block: -128 * (sum of the block's 32 values).
  const int32_t* corrections(int64_t row) const { return corrections_.data() + row * blocks_; }

 private:
  int64_t rows_ = 0, cols_ = 0, blocks_ = 0;
  std::vector<int8_t, AlignedAllocator<int8_t>> values_;
  std::vector<float, AlignedAllocator<float>> scales_;
  std::vector<int32_t, AlignedAllocator<int32_t>> corrections_;
};

// Some tokens of a QuantizedActivations regrouped the way gemm_packed reads
// them: tiles of up to kTileTokens tokens, block-major within a tile (block b
// of the tile's token t at index tile_base + b * nt + t, values 32 bytes per
// index). Gather once and share it across every row range of the same call.
class TiledActivations {
 public:
  static constexpr int kTileTokens = 8;
  // tokens: rows of x, in output order; empty means all rows of x.
  void gather(const QuantizedActivations& x, std::span<const int32_t> tokens = {});

  int64_t tokens() const { return n_; }
  int64_t blocks() const { return blocks_; }
  int64_t cols() const { return blocks_ * 32; }
  // Tile starting at token tb (a multiple of kTileTokens).
  const int8_t* values(int64_t tb) const { return values_.data() + tb * blocks_ * 32; }
  const float* scales(int64_t tb) const { return scales_.data() + tb * blocks_; }
  const int32_t* corrections(int64_t tb) const { return corrections_.data() + tb * blocks_; }

 private:
  int64_t n_ = 0, blocks_ = 0;
  std::vector<int8_t, AlignedAllocator<int8_t>> values_;
  std::vector<float, AlignedAllocator<float>> scales_;
  std::vector<int32_t, AlignedAllocator<int32_t>> corrections_;
};

inline constexpr int kPanelRows = 16;

inline int64_t panel_count(int64_t rows) { return (rows + kPanelRows - 1) / kPanelRows; }
// Bytes of one packed panel of a Q8_0 or MXFP4 matrix with `cols` columns
// (a multiple of 64, so every panel starts cache-line aligned).
size_t panel_bytes(WType type, int64_t cols);

// Packs panels [p0, p1) of a row-major Q8_0/MXFP4 matrix of n_rows rows:
// panel p holds rows 16p..16p+15; rows past n_rows are packed as zeros.
// `dst` is where panel 0 goes.
void pack_panels(WType type, const uint8_t* src, size_t row_bytes, int64_t n_rows, int64_t cols, int64_t p0,
                 int64_t p1, uint8_t* dst);

// y[i * y_stride + (r - row_begin)] = W[r] · token i of x for r in [row_begin, row_end)
// and every token. `panels` is the packed matrix (panel 0), with x.cols()
// columns; row_begin % 16 == 0. Single-threaded: callers split rows across
// threads and share x.
void gemm_packed(WType type, const uint8_t* panels, int64_t row_begin, int64_t row_end, const TiledActivations& x,
                 float* y, int64_t y_stride);

// The kernels, best first. AVX-512 needs VNNI and VBMI; AVX2 needs FMA and
// F16C; portable is scalar C++ (~30x slower than the SIMD ones).
enum class GemmKernel { kAuto, kAvx512Vnni, kAvx2, kPortable };

// Whether this CPU runs `k` (kAuto and kPortable: always).
bool gemm_kernel_supported(GemmKernel k);
// Tests and benches: gemm_packed and QuantizedActivations::quantize run `k`
// instead of the best kernel the CPU supports; kAuto restores that. Returns
// false, changing nothing, when the CPU lacks `k`.
bool gemm_q8_force_kernel(GemmKernel k);
// The kernel gemm_packed runs now: "avx512vnni", "avx2" or "portable".
const char* gemm_q8_kernel_name();
// "auto", "avx512vnni", "avx2" or "portable"; nullopt for anything else.
std::optional<GemmKernel> parse_gemm_kernel(std::string_view name);

}  // namespace sy::kernels::cpu
