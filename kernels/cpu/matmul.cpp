#include "sy/kernels/cpu/matmul.hpp"

#include <algorithm>

namespace sy::kernels::cpu {

int64_t row_grain(int64_t rows, const ThreadPool* pool) {
  const int64_t threads = pool ? pool->size() : 1;
  const int64_t r = kPanelRows;
  return std::clamp<int64_t>((rows / (threads * 8) + r - 1) / r * r, r, 256);
}

bool is_block_type(WType t) { return t == WType::kQ8_0 || t == WType::kMXFP4; }

void matmul_q8_many(std::span<const Q8Output> outs, const QuantizedActivations& x, ThreadPool* pool) {
  struct Block {
    const Q8Output* out;
    int64_t r0, r1;
  };
  int64_t total = 0;
  for (const Q8Output& o : outs) total += o.w->rows;
  const int64_t grain = row_grain(total, pool);
  thread_local TiledActivations tiled_buffer;  // reused: a 512-token input is 1.5 MB
  TiledActivations& tiled = tiled_buffer;      // gathered once, read by every row block
  tiled.gather(x);
  std::vector<Block> blocks;
  for (const Q8Output& o : outs)
    for (int64_t r = 0; r < o.w->rows; r += grain) blocks.push_back({&o, r, std::min(o.w->rows, r + grain)});
  parallel_for(pool, static_cast<int64_t>(blocks.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const Block& blk = blocks[static_cast<size_t>(i)];
      const MatrixView& w = *blk.out->w;
      gemm_packed(w.type, w.panels, blk.r0, blk.r1, tiled, blk.out->y + blk.r0, w.rows);
    }
  });
}

void matmul_q8(const MatrixView& w, const QuantizedActivations& x, float* y, ThreadPool* pool) {
  const Q8Output one{&w, y};
  matmul_q8_many(std::span<const Q8Output>(&one, 1), x, pool);
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, MatmulMode mode, ThreadPool* pool) {
  if (mode == MatmulMode::kQuantizedActivations && is_block_type(w.type)) {
    QuantizedActivations xq;
    xq.quantize(x, n_tokens, w.cols);
    if (w.panels) return matmul_q8(w, xq, y, pool);
    std::vector<uint8_t, AlignedAllocator<uint8_t>> panels(static_cast<size_t>(panel_count(w.rows)) *
                                                           panel_bytes(w.type, w.cols));
    pack_panels(w.type, w.data, w.row_bytes, w.rows, w.cols, 0, panel_count(w.rows), panels.data());
    MatrixView packed = w;
    packed.panels = panels.data();
    matmul_q8(packed, xq, y, pool);
    return;
  }
  parallel_for(pool, w.rows, row_grain(w.rows, pool), [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> buf;
    if (w.type != WType::kF32 && buf.size() < static_cast<size_t>(w.cols)) buf.resize(static_cast<size_t>(w.cols));
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = reinterpret_cast<const float*>(w.row(r));
      if (w.type != WType::kF32) {
        dequantize_row(w.type, w.row(r), buf.data(), w.cols);
        row = buf.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = dot_f32(row, x + t * w.cols, w.cols);
    }
  });
}

}  // namespace sy::kernels::cpu
