#pragma once
// exp(x) for x <= 0, the softmax case (scores minus their max), written out
// operation by operation so that a SIMD version performing the same
// operations lane-wise (kernels/cpu/simd_lanes.hpp) gets the same bits; libm's
// expf gives no such promise and costs a call per element. Cephes' expf
// polynomial: within 2 ulp of exp over [-86, 0]. Below -86 it returns 0
// (exp(-86) = 4e-38, and the scale 2^n would turn subnormal, which
// flush-to-zero threads and others would round differently). NaN stays NaN.
#include <cmath>
#include <cstdint>

#include "sy/kernels/common/fp.hpp"
#include "sy/kernels/common/hd.hpp"

namespace sy::kernels {

struct ExpConstants {
  static constexpr float kLowest = -86.0f;
  static constexpr float kLog2e = 1.44269504088896341f;
  static constexpr float kLn2Hi = 0.693359375f;  // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi exact in few bits
  static constexpr float kLn2Lo = -2.12194440e-4f;
  static constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f,
                         kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
};

SY_HD float exp_nonpositive(float x) {
  using C = ExpConstants;
  if (x < C::kLowest) return 0.0f;
  const float n = rintf(x * C::kLog2e);  // x = n ln2 + r, |r| <= ln2 / 2
  float r = fmaf(n, -C::kLn2Hi, x);
  r = fmaf(n, -C::kLn2Lo, r);
  const float r2 = r * r;
  float p = fmaf(C::kP0, r, C::kP1);
  p = fmaf(p, r, C::kP2);
  p = fmaf(p, r, C::kP3);
  p = fmaf(p, r, C::kP4);
  p = fmaf(p, r, C::kP5);
  const float y = fmaf(p, r2, r) + 1.0f;
  // 2^n through the exponent field; n in [-125, 0] here (NaN: any n, y is NaN).
  const int ni = n >= -126.0f && n <= 127.0f ? static_cast<int>(n) : 0;
  return y * bits_f32(static_cast<uint32_t>(ni + 127) << 23);
}

}  // namespace sy::kernels
