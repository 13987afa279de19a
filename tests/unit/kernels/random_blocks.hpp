#pragma once
// Random Q8_0 / MXFP4 blocks and their exact dequantisation in double, for kernel tests.
#include <cmath>
#include <random>
#include <type_traits>
#include <vector>

#include "sy/kernels/common/quant.hpp"

namespace sy::kernels::cpu {

inline std::vector<BlockQ8_0> random_q8(int64_t nb, std::mt19937& rng) {
  std::vector<BlockQ8_0> v(static_cast<size_t>(nb));
  for (auto& b : v) {
    b.d = f32_to_fp16(std::ldexp(1.0f + (rng() % 1000) / 1000.0f, -static_cast<int>(rng() % 10)));
    for (auto& q : b.qs) q = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  }
  return v;
}

inline std::vector<BlockMxfp4> random_mxfp4(int64_t nb, std::mt19937& rng) {
  std::vector<BlockMxfp4> v(static_cast<size_t>(nb));
  for (auto& b : v) {
    b.e = static_cast<uint8_t>(118 + rng() % 16);
    for (auto& q : b.qs) q = static_cast<uint8_t>(rng());
  }
  return v;
}

template <class Block>
inline std::vector<double> dequant_ref(const std::vector<Block>& blocks) {
  std::vector<double> out;
  for (const auto& b : blocks) {
    if constexpr (std::is_same_v<Block, BlockQ8_0>) {
      for (int j = 0; j < 32; ++j) out.push_back(static_cast<double>(fp16_to_f32(b.d)) * b.qs[j]);
    } else {
      const double d = std::ldexp(1.0, b.e - 128);
      const int vals[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
      std::vector<double> blk(32);
      for (int j = 0; j < 16; ++j) {
        blk[j] = d * vals[b.qs[j] & 15];
        blk[j + 16] = d * vals[b.qs[j] >> 4];
      }
      out.insert(out.end(), blk.begin(), blk.end());
    }
  }
  return out;
}

}  // namespace sy::kernels::cpu
