#pragma once
// Which SIMD path the float kernels (attention, element-wise passes) take.
// Every path performs the portable code's operations lane by lane, so the
// choice changes speed, never results.
namespace sy::kernels::cpu {

// Best first: AVX-512 (F + DQ), AVX2 (+ FMA, F16C), portable C++.
enum class SimdPath { kAuto, kAvx512, kAvx2, kPortable };

// The path in use: the forced one, else the best this CPU has.
SimdPath active_simd_path();
// "avx512", "avx2" or "portable" (kAuto: the active path's name).
const char* simd_path_name(SimdPath p);
// Tests and benches: use `p` instead; kAuto restores run-time choice.
// Returns false, changing nothing, when the CPU lacks `p`.
bool force_simd_path(SimdPath p);

}  // namespace sy::kernels::cpu
