#include <algorithm>
#include <cmath>
#include <numeric>

#include "model/moe.hpp"
#include "model/packed_weights.hpp"
#include "model/row_ops.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"
#include "sy/kernels/cpu/vector_math.hpp"
#include "sy/kernels/common/ops.hpp"

namespace sy::local_engine::model {

using kernels::cpu::MatmulMode;
using kernels::cpu::MatrixView;

namespace {

// Routing of one step: every token's top-k experts and their softmax weights,
// and per expert the (token, slot) assignments in token order.
struct Routing {
  std::vector<float> weight;                          // [token * K + slot]
  std::vector<std::vector<std::pair<int, int>>> by_expert;  // expert -> (token, slot)
};

Routing route(const HyperParams& hp, const LayerWeights& w, const float* u, int T, kernels::cpu::ThreadPool* pool,
              std::vector<float>* margin_sink) {
  const int X = hp.n_expert, K = hp.n_expert_used;
  std::vector<float> r(static_cast<size_t>(T) * X);
  kernels::cpu::matmul(w.router, u, T, r.data(), MatmulMode::kReference, pool);  // router stays f32
  add_bias(r.data(), w.router_bias.data(), T, X);
  Routing out;
  out.weight.resize(static_cast<size_t>(T) * K);
  out.by_expert.resize(static_cast<size_t>(X));
  // NaN/Inf logits rank last so a broken router cannot pick garbage ids.
  std::vector<int> order(static_cast<size_t>(X));
  for (int t = 0; t < T; ++t) {
    const float* rt = &r[static_cast<size_t>(t) * X];
    auto key = [&](int e) { return std::isfinite(rt[e]) ? rt[e] : -INFINITY; };
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) > key(b); });
    if (margin_sink && K < X) {
      float& mm = (*margin_sink)[static_cast<size_t>(t)];
      mm = std::min(mm, key(order[static_cast<size_t>(K - 1)]) - key(order[static_cast<size_t>(K)]));
    }
    const float mx = key(order[0]);
    double sum = 0.0;
    float* wt = &out.weight[static_cast<size_t>(t) * K];
    for (int s = 0; s < K; ++s) {
      const int e = order[static_cast<size_t>(s)];
      wt[s] = std::isfinite(mx) ? std::exp(key(e) - mx) : 1.0f;
      sum += wt[s];
      out.by_expert[static_cast<size_t>(e)].push_back({t, s});
    }
    for (int s = 0; s < K; ++s) wt[s] = static_cast<float>(wt[s] / sum);
  }
  return out;
}

// Reference path: dequantised weights, f32 activations, one expert at a time.
void experts_reference(const HyperParams& hp, const LayerWeights& w, const float* u, const Routing& rt,
                       kernels::cpu::ThreadPool* pool, float* out) {
  const int E = hp.n_embd, F = hp.n_ff_exp, K = hp.n_expert_used;
  std::vector<float> ue, g, up, act, d;
  for (int e = 0; e < hp.n_expert; ++e) {
    const auto& rows = rt.by_expert[static_cast<size_t>(e)];
    if (rows.empty()) continue;
    const int n = static_cast<int>(rows.size());
    ue.resize(static_cast<size_t>(n) * E);
    for (int i = 0; i < n; ++i)
      std::copy_n(&u[static_cast<size_t>(rows[static_cast<size_t>(i)].first) * E], E, &ue[static_cast<size_t>(i) * E]);
    g.resize(static_cast<size_t>(n) * F);
    up.resize(static_cast<size_t>(n) * F);
    act.resize(static_cast<size_t>(n) * F);
    d.resize(static_cast<size_t>(n) * E);
    kernels::cpu::matmul(Model::expert(w.gate_exps, e, F), ue.data(), n, g.data(), MatmulMode::kReference, pool);
    kernels::cpu::matmul(Model::expert(w.up_exps, e, F), ue.data(), n, up.data(), MatmulMode::kReference, pool);
    add_bias(g.data(), &w.gate_bias[static_cast<size_t>(e) * F], n, F);
    add_bias(up.data(), &w.up_bias[static_cast<size_t>(e) * F], n, F);
    for (size_t i = 0; i < act.size(); ++i) act[i] = kernels::swiglu_oai(g[i], up[i]);
    kernels::cpu::matmul(Model::expert(w.down_exps, e, E), act.data(), n, d.data(), MatmulMode::kReference, pool);
    add_bias(d.data(), &w.down_bias[static_cast<size_t>(e) * E], n, E);
    for (int i = 0; i < n; ++i) {
      const auto [t, s] = rows[static_cast<size_t>(i)];
      const float wt = rt.weight[static_cast<size_t>(t) * K + s];
      float* dst = &out[(static_cast<size_t>(t) * K + s) * E];
      for (int j = 0; j < E; ++j) dst[j] = d[static_cast<size_t>(i) * E + j] * wt;
    }
  }
}

// Fast path: the step's activations are quantised once; gate+up of every
// selected expert run as one parallel loop over (expert, row block) so each
// expert's weights are read once per step whatever the number of tokens
// routed to it; then down the same way. Unselected experts are never touched.
void experts_fast(const HyperParams& hp, const LayerWeights& w, const float* u, int T, const Routing& rt,
                  kernels::cpu::ThreadPool* pool, float* out) {
  const int E = hp.n_embd, F = hp.n_ff_exp, K = hp.n_expert_used;
  struct Active {
    int expert;
    int first;  // first assignment index
    std::vector<int32_t> tokens;
  };
  std::vector<Active> active;
  int assignments = 0;
  for (int e = 0; e < hp.n_expert; ++e) {
    const auto& rows = rt.by_expert[static_cast<size_t>(e)];
    if (rows.empty()) continue;
    Active a{e, assignments, {}};
    for (const auto& [t, s] : rows) a.tokens.push_back(t);
    assignments += static_cast<int>(rows.size());
    active.push_back(std::move(a));
  }
  // Work items of whole 16-row panels that split each matrix evenly, about 16
  // items over all active experts (2880 rows: 4 x 720 for the 4 experts of one
  // token, whole matrices for the ~19 of 8 tokens). Long runs through a matrix
  // stream faster than short ones: against fixed 240-row items, the MoE took
  // 6-7 % less time for one token and 9-11 % less for 8 (variants alternated
  // per step inside one process), and dynamic scheduling still balances the
  // two threads.
  const int n_active = static_cast<int>(std::max<size_t>(active.size(), 1));
  const int per_expert = std::clamp((16 + n_active - 1) / n_active, 1, 12);
  auto even_block = [per_expert](int rows) {
    const int p = kernels::cpu::kPanelRows;
    return ((rows + per_expert - 1) / per_expert + p - 1) / p * p;
  };
  const int f_block = even_block(F), e_block = even_block(E);
  // Step buffers live as long as the thread: a 512-token step needs ~50 MB,
  // and fresh allocations of that size come back from the kernel as zeroed
  // pages to fault in again (measured: ~10 % of prefill time).
  // (Named through references: a lambda that names a thread_local directly
  // would see the pool worker's own, empty, instance.)
  struct Scratch {
    kernels::cpu::QuantizedActivations uq, aq;
    std::vector<kernels::cpu::TiledActivations> tiles;  // per active expert, shared by its row blocks
    std::vector<float> act;
  };
  thread_local Scratch scratch;
  kernels::cpu::QuantizedActivations& uq = scratch.uq;
  kernels::cpu::QuantizedActivations& aq = scratch.aq;
  std::vector<kernels::cpu::TiledActivations>& tiles = scratch.tiles;
  std::vector<float>& act = scratch.act;
  if (tiles.size() < active.size()) tiles.resize(active.size());
  uq.quantize(u, T, E, pool);

  // act[assignment][F]: SwiGLU of gate and up.
  act.resize(static_cast<size_t>(assignments) * F);  // every element is written below
  const int f_blocks = (F + f_block - 1) / f_block;
  auto run = [&](int64_t n_items, auto&& item) {
    kernels::cpu::parallel_for(pool, n_items, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) item(i);
    });
  };
  run(static_cast<int64_t>(active.size()), [&](int64_t i) {
    tiles[static_cast<size_t>(i)].gather(uq, active[static_cast<size_t>(i)].tokens);
  });
  run(static_cast<int64_t>(active.size()) * f_blocks, [&](int64_t item) {
    const Active& a = active[static_cast<size_t>(item / f_blocks)];
    const kernels::cpu::TiledActivations& x = tiles[static_cast<size_t>(item / f_blocks)];
    const int r0 = static_cast<int>(item % f_blocks) * f_block, r1 = std::min(F, r0 + f_block);
    const int n = static_cast<int>(a.tokens.size());
    thread_local std::vector<float> g, up;
    g.resize(static_cast<size_t>(n) * f_block);
    up.resize(static_cast<size_t>(n) * f_block);
    const int64_t base = static_cast<int64_t>(a.expert) * F;
    kernels::cpu::gemm_packed(w.gate_exps.type, PackedWeights::group(w.gate_exps, a.expert, F), r0, r1, x, g.data(),
                              f_block);
    kernels::cpu::gemm_packed(w.up_exps.type, PackedWeights::group(w.up_exps, a.expert, F), r0, r1, x, up.data(),
                              f_block);
    const float* gb = &w.gate_bias[static_cast<size_t>(base)];
    const float* ub = &w.up_bias[static_cast<size_t>(base)];
    for (int i = 0; i < n; ++i)
      kernels::cpu::swiglu_rows(&g[static_cast<size_t>(i) * f_block], &up[static_cast<size_t>(i) * f_block], gb + r0,
                                ub + r0, r1 - r0, &act[static_cast<size_t>(a.first + i) * F + r0]);
  });

  aq.quantize(act.data(), assignments, F, pool);
  const int e_blocks = (E + e_block - 1) / e_block;
  run(static_cast<int64_t>(active.size()), [&](int64_t i) {  // expert i's assignments are rows first.. of aq
    const Active& a = active[static_cast<size_t>(i)];
    thread_local std::vector<int32_t> rows;
    rows.resize(a.tokens.size());
    std::iota(rows.begin(), rows.end(), a.first);
    tiles[static_cast<size_t>(i)].gather(aq, rows);
  });
  run(static_cast<int64_t>(active.size()) * e_blocks, [&](int64_t item) {
    const Active& a = active[static_cast<size_t>(item / e_blocks)];
    const int r0 = static_cast<int>(item % e_blocks) * e_block, r1 = std::min(E, r0 + e_block);
    const int n = static_cast<int>(a.tokens.size());
    thread_local std::vector<float> d;
    d.resize(static_cast<size_t>(n) * e_block);
    const int64_t base = static_cast<int64_t>(a.expert) * E;
    kernels::cpu::gemm_packed(w.down_exps.type, PackedWeights::group(w.down_exps, a.expert, E), r0, r1,
                              tiles[static_cast<size_t>(item / e_blocks)], d.data(), e_block);
    const float* db = &w.down_bias[static_cast<size_t>(base)];
    const auto& assigned = rt.by_expert[static_cast<size_t>(a.expert)];
    for (int i = 0; i < n; ++i) {
      const auto [t, s] = assigned[static_cast<size_t>(i)];
      const float wt = rt.weight[static_cast<size_t>(t) * K + s];
      float* dst = &out[(static_cast<size_t>(t) * K + s) * E];
      for (int r = r0; r < r1; ++r) dst[r] = (d[static_cast<size_t>(i) * e_block + static_cast<size_t>(r - r0)] + db[r]) * wt;
    }
  });
}

}  // namespace

void moe_forward(const Model& model, int il, float* x, int T, NumericPath path, kernels::cpu::ThreadPool* pool,
                 std::vector<float>* margin_sink) {
  const HyperParams& hp = model.hparams();
  const LayerWeights& w = model.layer(il);
  const int E = hp.n_embd, K = hp.n_expert_used;
  thread_local std::vector<float> u, out;  // see experts_fast on step buffers
  u.resize(static_cast<size_t>(T) * E);
  for (int t = 0; t < T; ++t) rms_norm(&x[static_cast<size_t>(t) * E], w.post_norm.data(), &u[static_cast<size_t>(t) * E], E, hp.rms_eps);
  const Routing rt = route(hp, w, u.data(), T, pool, margin_sink);

  out.resize(static_cast<size_t>(T) * K * E);  // weighted expert outputs per (token, slot), each written once
  const bool fast = path == NumericPath::kFast && w.gate_exps.panels && w.up_exps.panels && w.down_exps.panels;
  if (fast) {
    experts_fast(hp, w, u.data(), T, rt, pool, out.data());
  } else {
    experts_reference(hp, w, u.data(), rt, pool, out.data());
  }
  for (int t = 0; t < T; ++t) {
    float* xt = &x[static_cast<size_t>(t) * E];
    for (int j = 0; j < E; ++j) {
      float acc = out[(static_cast<size_t>(t) * K) * E + j];
      for (int s = 1; s < K; ++s) acc += out[(static_cast<size_t>(t) * K + s) * E + j];
      xt[j] += acc;
    }
  }
}

}  // namespace sy::local_engine::model
