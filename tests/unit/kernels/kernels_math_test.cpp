#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sy/kernels/common/exp.hpp"
#include "sy/kernels/common/fp.hpp"
#include "sy/kernels/common/ops.hpp"
#include "sy/kernels/common/quant.hpp"
#include "sy/kernels/common/rope.hpp"

namespace sy::kernels {
namespace {

// Nearest-even fp16 rounding computed in double from first principles.
double fp16_reference_round(double x) {
  if (std::isnan(x)) return x;
  double a = std::fabs(x);
  if (a >= 65520.0) return std::copysign(INFINITY, x);
  int e = a == 0 ? -30 : std::ilogb(a);
  if (e < -14) e = -14;
  double ulp = std::ldexp(1.0, e - 10);
  double q = std::nearbyint(a / ulp) * ulp;  // nearbyint: ties to even in default mode
  return std::copysign(q, x);
}

TEST(KernelsFp, Fp16RoundTripsAllHalfs) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_f32(f32_to_fp16(f))));
      continue;
    }
    ASSERT_EQ(f32_to_fp16(f), h) << h;
  }
  EXPECT_EQ(fp16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16_to_f32(0x7BFF), 65504.0f);
}

TEST(KernelsFp, Fp16RoundingMatchesDoubleReference) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exp_dist(-28.0f, 17.0f);
  for (int i = 0; i < 200000; ++i) {
    float x = std::ldexp(1.0f + (rng() % 100000) / 100000.0f, static_cast<int>(exp_dist(rng))) * ((rng() & 1) ? 1 : -1);
    double want = fp16_reference_round(x);
    float got = fp16_to_f32(f32_to_fp16(x));
    ASSERT_EQ(static_cast<double>(got), want) << x;
  }
  // exact ties round to even
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(f32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
}

TEST(KernelsFp, Bf16AndE8m0) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3F808000)), 0x3F80);  // tie -> even
  EXPECT_EQ(f32_to_bf16(bits_f32(0x3F818000)), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  for (int e = 0; e < 255; ++e) EXPECT_EQ(e8m0_to_f32_half(static_cast<uint8_t>(e)), std::ldexp(1.0f, e - 128)) << e;
}

TEST(KernelsQuant, Mxfp4HandMadeBlock) {
  BlockMxfp4 b{};
  b.e = 127 + 1;  // scale 2^(e-127) = 2 on true E2M1 values
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float out[32];
  dequantize_block_mxfp4(b, out);
  const double e2m1[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], e2m1[j] * 2.0) << j;
    EXPECT_EQ(out[j + 16], e2m1[15 - j] * 2.0) << j;
  }
}

TEST(KernelsQuant, Q8_0QuantizeLikeGgml) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = (j - 13.3f) * 0.37f;
  BlockQ8_0 b;
  quantize_block_q8_0(x, b);
  float amax = 0;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  EXPECT_EQ(b.d, f32_to_fp16(amax / 127.0f));
  float deq[32];
  dequantize_block_q8_0(b, deq);
  const float d = fp16_to_f32(b.d);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(b.qs[j], static_cast<int8_t>(std::nearbyint(x[j] * (127.0f / amax))));
    EXPECT_NEAR(deq[j], x[j], d * 0.51 + amax * 1e-3);
  }
  float zeros[32] = {};
  quantize_block_q8_0(zeros, b);
  EXPECT_EQ(b.d, 0);
  for (int8_t q : b.qs) EXPECT_EQ(q, 0);
}

TEST(KernelsOps, SwigluOaiClamps) {
  auto ref = [](double g, double u) {
    g = std::min(g, 7.0);
    u = std::clamp(u, -7.0, 7.0);
    return g / (1 + std::exp(-1.702 * g)) * (u + 1);
  };
  for (double g : {-20.0, -7.0, -1.0, 0.0, 0.5, 6.99, 7.0, 7.01, 30.0})
    for (double u : {-30.0, -7.01, -7.0, -1.0, 0.0, 3.0, 7.0, 9.0})
      EXPECT_NEAR(swiglu_oai(static_cast<float>(g), static_cast<float>(u)), ref(g, u), 1e-5 * (1 + std::fabs(ref(g, u))));
  EXPECT_EQ(swiglu_oai(100.0f, 100.0f), swiglu_oai(7.0f, 7.0f));
}

TEST(KernelsOps, OnlineSoftmaxWithSinkMatchesDirect) {
  const float scores[5] = {0.3f, -1.2f, 2.5f, 0.0f, 1.1f};
  const float sink = 3.0f;  // larger than every score
  double m = sink, denom = 0;
  for (float s : scores) m = std::max<double>(m, s);
  for (float s : scores) denom += std::exp(s - m);
  denom += std::exp(sink - m);
  float rm = -INFINITY, l = 0, p = 0;
  for (float s : scores) online_softmax_update(s, rm, l, p);
  const float scale = online_softmax_update(sink, rm, l, p);
  (void)scale;
  EXPECT_NEAR(l * std::exp(rm - m), denom, 1e-5);
  EXPECT_NEAR(sink_term(sink, static_cast<float>(m)), std::exp(sink - m), 1e-6);
}

TEST(KernelsRope, YarnCorrDimsLlamaCppAndReference) {
  float lo, hi;
  rope_yarn_corr_dims(64, 4096, 150000.0f, 32.0f, 1.0f, true, lo, hi);
  EXPECT_EQ(lo, 8.0f);
  EXPECT_EQ(hi, 18.0f);
  rope_yarn_corr_dims(64, 4096, 150000.0f, 32.0f, 1.0f, false, lo, hi);
  EXPECT_NEAR(lo, 8.0928, 1e-3);
  EXPECT_NEAR(hi, 17.3980, 1e-3);
}

TEST(KernelsRope, YarnAnglesMatchDoubleFormula) {
  RopeParams p;
  p.n_dims = 64;
  p.freq_base = 150000.0f;
  p.freq_scale = 1.0f / 32.0f;
  p.ext_factor = 1.0f;
  rope_yarn_corr_dims(64, 4096, p.freq_base, 32, 1, true, p.corr_low, p.corr_high);
  float c[32], s[32];
  for (int pos : {0, 1, 4095, 4096, 100000}) {
    rope_yarn_cache(p, pos, c, s);
    for (int i = 0; i < 32; ++i) {
      const double extrap = pos * std::pow(150000.0, -2.0 * i / 64.0);
      const double gamma = std::clamp((i - 8.0) / 10.0, 0.0, 1.0);
      const double w = 1.0 - gamma;
      const double theta = extrap / 32.0 * (1 - w) + extrap * w;
      const double mscale = 1.0 + 0.1 * std::log(32.0);
      // float angle accumulation: tolerance grows with |theta|
      const double tol = 2e-6 * (1 + std::fabs(theta)) * mscale * 4;
      EXPECT_NEAR(c[i], std::cos(theta) * mscale, tol) << pos << " " << i;
      EXPECT_NEAR(s[i], std::sin(theta) * mscale, tol) << pos << " " << i;
    }
  }
  EXPECT_NEAR(c[0] * c[0] + s[0] * s[0], std::pow(1.0 + 0.1 * std::log(32.0), 2), 1e-4);
}

TEST(KernelsRope, NeoxPairsHalfApart) {
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float c[4] = {0, 1, 1, 1}, s[4] = {1, 0, 0, 0};
  rope_neox_apply(x, 8, c, s);
  EXPECT_EQ(x[0], -5.0f);  // pair (0, 4) rotated by 90 degrees
  EXPECT_EQ(x[4], 1.0f);
  EXPECT_EQ(x[1], 2.0f);
  EXPECT_EQ(x[5], 6.0f);
}

TEST(KernelsMath, ExpNonpositiveIsWithinTwoUlpAndCutsOffBelowMinus86) {
  int worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = -86.0f * static_cast<float>(i) / 200000.0f;
    const float got = exp_nonpositive(x);
    const float want = static_cast<float>(std::exp(static_cast<double>(x)));
    worst = std::max(worst, std::abs(static_cast<int>(f32_bits(got)) - static_cast<int>(f32_bits(want))));
  }
  EXPECT_LE(worst, 2) << "ulp";
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-86.5f), 0.0f);
  EXPECT_EQ(exp_nonpositive(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isnan(exp_nonpositive(NAN)));
}

}  // namespace
}  // namespace sy::kernels
