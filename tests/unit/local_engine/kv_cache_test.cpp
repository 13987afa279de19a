// KvCache addressing: head-major pages, rings, and rows that round-trip
// through every element type.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {
namespace {

HyperParams shape(int n_head_kv, int head_dim) {
  HyperParams hp;
  hp.n_layer = 2;
  hp.n_head_kv = n_head_kv;
  hp.head_dim = head_dim;
  hp.n_swa = 100;
  hp.swa_layers = {true, false};  // layer 0: a ring of n_swa + max_batch = 300 positions
  return hp;
}

// A distinct value per (pos, element), exactly representable in f16.
float value(int pos, int i, bool is_v) { return static_cast<float>((pos * 7 + i * 3) % 61 - 30) / (is_v ? 8 : 4); }

std::vector<float> row_of(int pos, int row, bool is_v) {
  std::vector<float> r(static_cast<size_t>(row));
  for (int i = 0; i < row; ++i) r[static_cast<size_t>(i)] = value(pos, i, is_v);
  return r;
}

TEST(KvCache, RowsRoundTripAcrossPagesAndRingsForEveryType) {
  for (auto [heads, dim] : {std::pair{8, 64}, std::pair{2, 16}}) {
    const HyperParams hp = shape(heads, dim);
    const int row = heads * dim, n_ctx = 700, last = 650;
    for (KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0}) {
      KvCache kv(hp, n_ctx, type, 200);
      kv.reserve(last + 1);
      for (int pos = 0; pos <= last; ++pos)
        for (int il = 0; il < 2; ++il) kv.store(il, pos, row_of(pos, row, false).data(), row_of(pos, row, true).data());
      // The ring holds the last 300 positions; the full layer all of them.
      for (int il = 0; il < 2; ++il) {
        const auto held = il == 0 ? std::vector<int>{last - 299, 400, 511, 512, 599, last}  // ring slots wrap at 300
                                  : std::vector<int>{0, 255, 256, 511, 512, last};          // page edges
        for (int pos : held) {
          std::vector<float> k(static_cast<size_t>(row)), v(k.size());
          kv.load_k(il, pos, k.data());
          kv.load_v(il, pos, v.data());
          for (int i = 0; i < row; ++i) {
            // Q8_0: half a step of the block's scale (|x| <= 7.5 here), plus
            // 127 times the scale's own fp16 rounding (2^-11 relative).
            const float tol = type == KvType::kQ8_0 ? 7.5f / 127 * (0.5f + 127.0f / 2048) : 0.0f;
            ASSERT_NEAR(k[static_cast<size_t>(i)], value(pos, i, false), tol) << static_cast<int>(type) << " " << pos;
            ASSERT_NEAR(v[static_cast<size_t>(i)], value(pos, i, true), tol) << static_cast<int>(type) << " " << pos;
          }
          if (type != KvType::kF32) continue;
          // Head h of a position sits head_stride floats after head 0.
          for (int h = 0; h < heads; ++h)
            for (int d = 0; d < dim; ++d) {
              ASSERT_EQ(kv.k_f32(il, pos)[h * kv.head_stride(il) + d], value(pos, h * dim + d, false));
              ASSERT_EQ(kv.v_f32(il, pos)[h * kv.head_stride(il) + d], value(pos, h * dim + d, true));
            }
        }
      }
    }
  }
}

// load_head over runs that cross pages and the ring's wrap gives exactly the
// head's slice of each row load_k / load_v gives.
TEST(KvCache, HeadRunsMatchRowSlices) {
  for (auto [heads, dim] : {std::pair{8, 64}, std::pair{2, 16}}) {
    const HyperParams hp = shape(heads, dim);
    const int row = heads * dim, last = 650;
    for (KvType type : {KvType::kF32, KvType::kF16, KvType::kQ8_0}) {
      KvCache kv(hp, 700, type, 200);
      kv.reserve(last + 1);
      for (int pos = 0; pos <= last; ++pos)
        for (int il = 0; il < 2; ++il) kv.store(il, pos, row_of(pos, row, false).data(), row_of(pos, row, true).data());
      for (int il = 0; il < 2; ++il) {
        const int first = il == 0 ? last - 299 : 3, n = last - first + 1;
        for (int h : {0, heads - 1}) {
          std::vector<float> k(static_cast<size_t>(n * dim)), v(k.size()), rk(static_cast<size_t>(row)), rv(rk.size());
          kv.load_head(il, h, first, n, k.data(), v.data());
          for (int j = 0; j < n; ++j) {
            kv.load_k(il, first + j, rk.data());
            kv.load_v(il, first + j, rv.data());
            for (int d = 0; d < dim; ++d) {
              ASSERT_EQ(k[static_cast<size_t>(j * dim + d)], rk[static_cast<size_t>(h * dim + d)]) << static_cast<int>(type) << " " << j;
              ASSERT_EQ(v[static_cast<size_t>(j * dim + d)], rv[static_cast<size_t>(h * dim + d)]) << static_cast<int>(type) << " " << j;
            }
          }
        }
      }
    }
  }
}

TEST(KvCache, PagesAreAllocatedAsPositionsAreReserved) {
  const HyperParams hp = shape(8, 64);
  KvCache kv(hp, 4096, KvType::kF32, 200);
  EXPECT_EQ(kv.bytes(), 0u);
  const size_t position = 8 * 64 * sizeof(float);
  const size_t full_page = KvCache::kPagePositions * position;
  const size_t ring_page = 150 * position;  // the 300-position ring: 2 equal pages, not 2 x 256
  kv.reserve(1);
  EXPECT_EQ(kv.bytes(), 2 * (ring_page + full_page));  // K and V, one page per layer
  kv.reserve(1000);  // the whole ring; 4 pages of the full layer
  EXPECT_EQ(kv.bytes(), 2 * (2 * ring_page + 4 * full_page));
  kv.reserve(4096);
  EXPECT_EQ(kv.bytes(), 2 * (2 * ring_page + 16 * full_page));
}

}  // namespace
}  // namespace sy::local_engine::model
