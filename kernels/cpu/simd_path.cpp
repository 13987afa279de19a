#include "sy/kernels/cpu/simd_path.hpp"

#include <atomic>

#include "sy/kernels/cpu/dot.hpp"

namespace sy::kernels::cpu {

namespace {

std::atomic<SimdPath> g_forced{SimdPath::kAuto};

bool supported(SimdPath p) {
#if defined(__x86_64__)
  if (p == SimdPath::kAvx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  if (p == SimdPath::kAvx2) return has_avx2();
#else
  if (p == SimdPath::kAvx512 || p == SimdPath::kAvx2) return false;
#endif
  return true;
}

}  // namespace

SimdPath active_simd_path() {
  static const SimdPath kBest = supported(SimdPath::kAvx512) ? SimdPath::kAvx512
                                : supported(SimdPath::kAvx2) ? SimdPath::kAvx2
                                                             : SimdPath::kPortable;
  const SimdPath forced = g_forced.load(std::memory_order_relaxed);
  return forced == SimdPath::kAuto ? kBest : forced;
}

const char* simd_path_name(SimdPath p) {
  switch (p == SimdPath::kAuto ? active_simd_path() : p) {
    case SimdPath::kAvx512: return "avx512";
    case SimdPath::kAvx2: return "avx2";
    default: return "portable";
  }
}

bool force_simd_path(SimdPath p) {
  if (!supported(p)) return false;
  g_forced.store(p);
  return true;
}

}  // namespace sy::kernels::cpu
