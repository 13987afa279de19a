#pragma once
// The fixed summation tree the float kernels share (attention dot products,
// softmax sums): 16 lanes added pairwise, l + l+8, then +4, +2, +1. The SIMD
// paths reproduce it with shuffles, so every path rounds identically.
namespace sy::kernels::cpu::detail {

template <class T>
T reduce16(const T* lanes) {
  T h8[8], h4[4], h2[2];
  for (int i = 0; i < 8; ++i) h8[i] = lanes[i] + lanes[i + 8];
  for (int i = 0; i < 4; ++i) h4[i] = h8[i] + h8[i + 4];
  for (int i = 0; i < 2; ++i) h2[i] = h4[i] + h4[i + 2];
  return h2[0] + h2[1];
}

}  // namespace sy::kernels::cpu::detail
