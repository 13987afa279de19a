#pragma once
// Parameterised suites that run on each SIMD path of the float kernels
// (simd_path.hpp), skipping the paths this CPU lacks.
#include <gtest/gtest.h>

#include <string>

#include "sy/kernels/cpu/simd_path.hpp"

namespace sy::kernels::cpu {

inline std::string simd_path_label(SimdPath p) { return simd_path_name(p); }

class ForcedSimdPath : public ::testing::TestWithParam<SimdPath> {
 protected:
  void SetUp() override {
    if (!force_simd_path(GetParam())) GTEST_SKIP() << "this CPU lacks the " << simd_path_label(GetParam()) << " path";
  }
  void TearDown() override { force_simd_path(SimdPath::kAuto); }
};

inline const auto kAllSimdPaths = ::testing::Values(SimdPath::kAvx512, SimdPath::kAvx2, SimdPath::kPortable);
inline std::string simd_param_name(const ::testing::TestParamInfo<SimdPath>& info) {
  return simd_path_label(info.param);
}

}  // namespace sy::kernels::cpu
