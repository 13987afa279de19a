#include <algorithm>
#include <cmath>
#include <numeric>

#include "model/moe.hpp"
#include "sy/kernels/common/ops.hpp"

namespace sy::local_engine::model {

using kernels::cpu::MatmulMode;
using kernels::cpu::MatrixView;

namespace {

// ggml rms_norm (sum of float squares accumulated in double) followed by ggml_mul.
void rms_norm(const float* x, const float* w, float* out, int n, float eps) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
}

void add_bias(float* y, const float* b, int n_tokens, int n) {
  for (int t = 0; t < n_tokens; ++t)
    for (int i = 0; i < n; ++i) y[static_cast<size_t>(t) * n + i] += b[i];
}

}  // namespace

void moe_forward(const Model& model, int il, float* x, int T, NumericPath path, kernels::cpu::ThreadPool* pool,
                 std::vector<float>* margin_sink) {
  const HyperParams& hp = model.hparams();
  const LayerWeights& w = model.layer(il);
  const int E = hp.n_embd, F = hp.n_ff_exp, X = hp.n_expert, K = hp.n_expert_used;
  const MatmulMode mode = path == NumericPath::kFast ? MatmulMode::kQuantizedActivations : MatmulMode::kReference;
  std::vector<float> u(static_cast<size_t>(T) * E);
  for (int t = 0; t < T; ++t) rms_norm(&x[static_cast<size_t>(t) * E], w.post_norm.data(), &u[static_cast<size_t>(t) * E], E, hp.rms_eps);
  std::vector<float> r(static_cast<size_t>(T) * X);
  kernels::cpu::matmul(w.router, u.data(), T, r.data(), MatmulMode::kReference, pool);  // router stays f32
  add_bias(r.data(), w.router_bias.data(), T, X);

  // Top-k per token; NaN/Inf logits rank last so a broken router cannot pick garbage ids.
  std::vector<int> sel(static_cast<size_t>(T) * K);
  std::vector<float> weight(static_cast<size_t>(T) * K);
  std::vector<std::vector<std::pair<int, int>>> by_expert(static_cast<size_t>(X));  // (token, slot)
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
    float mx = key(order[0]);
    double sum = 0.0;
    for (int s = 0; s < K; ++s) {
      const int e = order[static_cast<size_t>(s)];
      sel[static_cast<size_t>(t) * K + s] = e;
      const float p = std::isfinite(mx) ? std::exp(key(e) - mx) : 1.0f;
      weight[static_cast<size_t>(t) * K + s] = p;
      sum += p;
      by_expert[static_cast<size_t>(e)].push_back({t, s});
    }
    for (int s = 0; s < K; ++s) weight[static_cast<size_t>(t) * K + s] = static_cast<float>(weight[static_cast<size_t>(t) * K + s] / sum);
  }

  std::vector<float> out(static_cast<size_t>(T) * K * E);  // weighted expert outputs per (token, slot)
  std::vector<float> ue, g, up, act, d;
  for (int e = 0; e < X; ++e) {
    const auto& rows = by_expert[static_cast<size_t>(e)];
    if (rows.empty()) continue;
    const int n = static_cast<int>(rows.size());
    ue.resize(static_cast<size_t>(n) * E);
    for (int i = 0; i < n; ++i)
      std::copy_n(&u[static_cast<size_t>(rows[static_cast<size_t>(i)].first) * E], E, &ue[static_cast<size_t>(i) * E]);
    g.resize(static_cast<size_t>(n) * F);
    up.resize(static_cast<size_t>(n) * F);
    act.resize(static_cast<size_t>(n) * F);
    d.resize(static_cast<size_t>(n) * E);
    const MatrixView gate = Model::expert(w.gate_exps, e, F), upw = Model::expert(w.up_exps, e, F);
    kernels::cpu::matmul(gate, ue.data(), n, g.data(), mode, pool);
    kernels::cpu::matmul(upw, ue.data(), n, up.data(), mode, pool);
    add_bias(g.data(), &w.gate_bias[static_cast<size_t>(e) * F], n, F);
    add_bias(up.data(), &w.up_bias[static_cast<size_t>(e) * F], n, F);
    for (size_t i = 0; i < act.size(); ++i) act[i] = kernels::swiglu_oai(g[i], up[i]);
    kernels::cpu::matmul(Model::expert(w.down_exps, e, E), act.data(), n, d.data(), mode, pool);
    add_bias(d.data(), &w.down_bias[static_cast<size_t>(e) * E], n, E);
    for (int i = 0; i < n; ++i) {
      const auto [t, s] = rows[static_cast<size_t>(i)];
      const float wt = weight[static_cast<size_t>(t) * K + s];
      float* dst = &out[(static_cast<size_t>(t) * K + s) * E];
      for (int j = 0; j < E; ++j) dst[j] = d[static_cast<size_t>(i) * E + j] * wt;
    }
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
