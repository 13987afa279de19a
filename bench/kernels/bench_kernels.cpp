// Packed quantised GEMM throughput on weights larger than the caches: GB/s of
// weight bytes streamed for 1 token (decode) and GMAC/s for token tiles
// (prefill), per weight type and thread count. Weights are packed into panels
// in anonymous memory with 2 MB pages, as the engine does at load.
// Then, on one thread, whether compute hides behind memory reads at all: a
// read loop doing k VPDPBUSD per cache line, streamed from DRAM and from L2,
// beside the rate if their times simply added up.
// Usage: sy_bench_kernels [threads] [MiB] [avx512vnni|avx2|portable]
// (forces that kernel: the figures a CPU without AVX-512 VNNI/VBMI, or without
// AVX2, would see from its kernel.)
// GCC 12's AVX-512 headers trip -Wuninitialized inside their reduce helpers (a known false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

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

void run(WType type, const char* name, int64_t cols, int64_t mib, ThreadPool& pool) {
  const size_t row_bytes = static_cast<size_t>(cols / kQK) * (type == WType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockMxfp4));
  const int64_t rows = (mib << 20) / static_cast<int64_t>(row_bytes) / kPanelRows * kPanelRows;
  std::vector<uint8_t> w(static_cast<size_t>(rows) * row_bytes);
  std::mt19937 rng(1);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint8_t>(rng());
  // Sane scales: fp16 d in [2^-8, 2^-7), E8M0 near 2^-4.
  for (int64_t b = 0; b < rows * (cols / kQK); ++b) {
    if (type == WType::kQ8_0) reinterpret_cast<BlockQ8_0*>(w.data())[b].d = 0x1C00;
    else reinterpret_cast<BlockMxfp4*>(w.data())[b].e = 124;
  }
  const size_t packed_bytes = static_cast<size_t>(panel_count(rows)) * panel_bytes(type, cols);
  void* packed = mmap(nullptr, packed_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (packed == MAP_FAILED) return;
  madvise(packed, packed_bytes, MADV_HUGEPAGE);
  MatrixView m{type, w.data(), rows, cols, row_bytes};
  m.panels = static_cast<const uint8_t*>(packed);
  pack_panels(type, w.data(), row_bytes, rows, cols, 0, panel_count(rows), static_cast<uint8_t*>(packed));
  for (int64_t n : {1, 2, 3, 4, 8, 16, 64}) {
    std::vector<float> x(static_cast<size_t>(n * cols));
    std::normal_distribution<float> nd;
    for (auto& v : x) v = nd(rng);
    QuantizedActivations q;
    q.quantize(x.data(), n, cols);
    std::vector<float> y(static_cast<size_t>(n * rows));
    matmul_q8(m, q, y.data(), &pool);  // warm-up
    int iters = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double dt = 0;
    do {
      matmul_q8(m, q, y.data(), &pool);
      ++iters;
      dt = seconds(t0);
    } while (dt < 1.0);
    const double per = dt / iters;
    std::printf("%-6s cols %5lld  tokens %3lld  %8.2f GB/s weights  %8.1f GMAC/s\n", name, static_cast<long long>(cols),
                static_cast<long long>(n), static_cast<double>(packed_bytes) / per / 1e9,
                static_cast<double>(rows) * cols * n / per / 1e9);
  }
  munmap(packed, packed_bytes);
}

// GB/s reading `bytes` with k multiply-adds per 64-byte line, best of `reps`.
__attribute__((target("avx512f,avx512vnni"))) double read_with_work(const uint8_t* p, size_t bytes, int k, int reps) {
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    const __m512i w = _mm512_set1_epi8(3);
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < bytes; i += 256)
      for (int c = 0; c < 4; ++c) {
        const __m512i x = _mm512_load_si512(p + i + 64 * c);
        acc[c] = _mm512_add_epi32(acc[c], x);
        for (int j = 0; j < k; ++j) acc[c] = _mm512_dpbusd_epi32(acc[c], x, w);
      }
    const double dt = seconds(t0);
    volatile int sink = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(acc[0], acc[1]), acc[2]));
    (void)sink;
    best = std::max(best, static_cast<double>(bytes) / dt / 1e9);
  }
  return best;
}

void overlap() {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512vnni")) return;
  const size_t big = size_t{512} << 20, small = size_t{256} << 10;
  void* mem = mmap(nullptr, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  madvise(mem, big, MADV_HUGEPAGE);
  std::memset(mem, 1, big);
  const auto* p = static_cast<const uint8_t*>(mem);
  const double read_only = read_with_work(p, big, 0, 3);
  std::printf("overlap, 1 thread: read alone %.1f GB/s\n", read_only);
  for (int k : {1, 2, 4, 8}) {
    const double stream = read_with_work(p, big, k, 3), cached = read_with_work(p, small, k, 200);
    std::printf("  %d VPDPBUSD/line: streamed %6.1f GB/s, in L2 %6.1f GB/s, if times added %6.1f, if hidden %6.1f\n", k,
                stream, cached, 1.0 / (1.0 / read_only + 1.0 / cached), std::min(read_only, cached));
  }
  munmap(mem, big);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int64_t mib = argc > 2 ? std::atoll(argv[2]) : 256;
  if (argc > 3) {
    const auto kernel = parse_gemm_kernel(argv[3]);
    if (!kernel || !gemm_q8_force_kernel(*kernel)) {
      std::fprintf(stderr, "sy_bench_kernels: kernel '%s' is unknown or not supported by this CPU\n", argv[3]);
      return 2;
    }
  }
  ThreadPool pool(threads);
  std::printf("gemm_packed kernel %s, %d threads, %lld MiB of weights\n", gemm_q8_kernel_name(), threads,
              static_cast<long long>(mib));
  run(WType::kMXFP4, "mxfp4", 2880, mib, pool);
  run(WType::kQ8_0, "q8_0", 2880, mib, pool);
  run(WType::kQ8_0, "q8_0", 4096, mib, pool);  // attention output projection
  overlap();
  return 0;
}
