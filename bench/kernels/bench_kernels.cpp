// Quantised GEMM throughput on weights larger than the caches: GB/s of weight
// bytes streamed for 1 token (decode) and GMAC/s for token tiles (prefill),
// per weight type and thread count. Usage: sy_bench_kernels [threads] [MiB] [file]
// (with a file, the weights are read from its mapping: 4 KB file pages, as the engine reads a GGUF).
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <xmmintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "sy/kernels/cpu/matmul.hpp"

using namespace sy::kernels;
using namespace sy::kernels::cpu;

namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const uint8_t* g_file = nullptr;  // optional: weights read from a mapped file instead of anonymous memory
size_t g_file_size = 0;

void run(WType type, const char* name, int64_t cols, int64_t mib, ThreadPool& pool) {
  const size_t row_bytes = static_cast<size_t>(cols / kQK) * (type == WType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockMxfp4));
  const int64_t rows = (mib << 20) / static_cast<int64_t>(row_bytes) / 4 * 4;
  std::vector<uint8_t> w(static_cast<size_t>(rows) * row_bytes);
  std::mt19937 rng(1);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(rng());
  // Sane scales: fp16 d in [2^-8, 2^-7), E8M0 near 2^-4.
  for (int64_t b = 0; b < rows * (cols / kQK); ++b) {
    if (type == WType::kQ8_0) reinterpret_cast<BlockQ8_0*>(w.data())[b].d = 0x1C00;
    else reinterpret_cast<BlockMxfp4*>(w.data())[b].e = 124;
  }
  const uint8_t* data = w.data();
  if (g_file && g_file_size > w.size() * 2) {
    data = g_file + (g_file_size / 2 / 4096) * 4096;  // page-aligned, past the metadata
    std::printf("(weights from the mapped file)\n");
  }
  const MatrixView m{type, data, rows, cols, row_bytes};
  for (int64_t n : {1, 4, 16, 64}) {
    std::vector<float> x(static_cast<size_t>(n * cols));
    std::normal_distribution<float> nd;
    for (auto& v : x) v = nd(rng);
    QuantizedActivations q;
    q.quantize(x.data(), n, cols);
    std::vector<float> y(static_cast<size_t>(n * rows));
    // MOE=1: the engine's MoE pattern, items of 256 rows that read the same
    // block of two matrices (gate and up, half the buffer apart) one after the other.
    const bool moe = getenv("MOE") != nullptr;
    auto once = [&] {
      if (!moe) return matmul_q8(m, q, y.data(), &pool);
      const int64_t half = rows / 2 / 256 * 256, items = half / 256;
      pool.parallel_for(items, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          gemm_q8(type, data, row_bytes, i * 256, i * 256 + 256, q, {}, y.data() + i * 256, rows);
          gemm_q8(type, data, row_bytes, half + i * 256, half + i * 256 + 256, q, {}, y.data() + half + i * 256, rows);
        }
      });
    };
    once();  // warm-up
    int iters = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double dt = 0;
    do {
      once();
      ++iters;
      dt = seconds(t0);
    } while (dt < 1.0);
    const double per = dt / iters;
    std::printf("%-6s cols %5lld  tokens %3lld  %8.2f GB/s weights  %8.1f GMAC/s\n", name, static_cast<long long>(cols),
                static_cast<long long>(n), static_cast<double>(w.size()) / per / 1e9,
                static_cast<double>(rows) * cols * n / per / 1e9);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int64_t mib = argc > 2 ? std::atoll(argv[2]) : 256;
  if (getenv("FTZ")) _mm_setcsr(_mm_getcsr() | 0x8040);
  if (argc > 3) {
    const int fd = open(argv[3], O_RDONLY);
    if (fd >= 0) {
      g_file_size = static_cast<size_t>(lseek(fd, 0, SEEK_END));
      void* p = mmap(nullptr, g_file_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) g_file = static_cast<const uint8_t*>(p);
      close(fd);
    }
  }
  ThreadPool pool(threads);
  std::printf("gemm_q8 kernel %s, %d threads, %lld MiB of weights\n", gemm_q8_kernel_name(), threads,
              static_cast<long long>(mib));
  run(WType::kMXFP4, "mxfp4", 2880, mib, pool);
  run(WType::kQ8_0, "q8_0", 2880, mib, pool);
  run(WType::kQ8_0, "q8_0", 4096, mib, pool);  // attention output projection
  return 0;
}
