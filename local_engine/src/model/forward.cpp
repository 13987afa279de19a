#include <algorithm>
#include <cmath>
#include <numeric>

#include "gguf/strcat.hpp"
#include "sy/kernels/common/ops.hpp"
#include "model/moe.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

using kernels::cpu::MatmulMode;
using kernels::cpu::MatrixView;
using sy::local_engine::detail::cat;

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

kernels::RopeParams rope_params(const HyperParams& hp, float base) {
  kernels::RopeParams p;
  p.n_dims = hp.n_rot;
  p.freq_base = base;
  p.freq_scale = hp.rope_freq_scale;
  p.ext_factor = hp.yarn ? 1.0f : 0.0f;
  p.attn_factor = hp.yarn_attn_factor;
  kernels::rope_yarn_corr_dims(hp.n_rot, hp.n_ctx_orig, base, hp.yarn_beta_fast, hp.yarn_beta_slow, true, p.corr_low,
                               p.corr_high);
  return p;
}

void run(kernels::cpu::ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool) {
    pool->parallel_for(n, 1, fn);
  } else {
    fn(0, n);
  }
}

}  // namespace

Context::Context(const Model& model, const ContextOptions& options, kernels::cpu::ThreadPool* pool)
    : model_(model),
      options_(options),
      pool_(pool),
      kv_(model.hparams(), options.n_ctx, options.kv_type, options.max_batch) {
  options_.max_batch = std::max(1, options_.max_batch);
  rope_full_ = rope_params(model.hparams(), model.hparams().rope_base);
  rope_swa_ = rope_params(model.hparams(), model.hparams().rope_base_swa);
}

void Context::matmul(const MatrixView& w, const float* x, int n_tokens, float* y) {
  const MatmulMode mode = options_.path == NumericPath::kFast ? MatmulMode::kQuantizedActivations : MatmulMode::kReference;
  kernels::cpu::matmul(w, x, n_tokens, y, mode, pool_);
}

void Context::matmul_shared(std::initializer_list<std::pair<const MatrixView*, float*>> outs, const float* x,
                            int n_tokens) {
  bool all_blocks = options_.path == NumericPath::kFast;
  for (const auto& [w, y] : outs) all_blocks = all_blocks && kernels::cpu::is_block_type(w->type);
  if (!all_blocks) {
    for (const auto& [w, y] : outs) matmul(*w, x, n_tokens, y);
    return;
  }
  kernels::cpu::QuantizedActivations xq;
  xq.quantize(x, n_tokens, outs.begin()->first->cols);
  for (const auto& [w, y] : outs) kernels::cpu::matmul_q8(*w, xq, y, pool_);
}

std::expected<void, std::string> Context::decode(std::span<const int32_t> tokens, bool all_logits,
                                                 std::vector<float>& logits) {
  const HyperParams& hp = model_.hparams();
  const int T = static_cast<int>(tokens.size());
  if (T == 0) return std::unexpected("decode called with no tokens");
  if (n_past_ + static_cast<int64_t>(T) > kv_.n_ctx())
    return std::unexpected(cat("context overflow: ", n_past_, " + ", T, " tokens > n_ctx ", kv_.n_ctx()));
  for (int32_t id : tokens)
    if (id < 0 || id >= hp.n_vocab) return std::unexpected(cat("token id ", id, " out of range [0, ", hp.n_vocab, ")"));

  const int V = hp.n_vocab;
  std::vector<float> chunk_margins, all_margins;
  std::vector<float>* user_margins = margin_sink_;
  if (user_margins) margin_sink_ = &chunk_margins;
  logits.resize(static_cast<size_t>(all_logits ? T : 1) * V);
  for (int start = 0; start < T; start += options_.max_batch) {
    const int n = std::min(options_.max_batch, T - start);
    const bool last = start + n == T;
    const int rows = all_logits ? n : (last ? 1 : 0);
    float* out = all_logits ? logits.data() + static_cast<size_t>(start) * V : logits.data();
    decode_chunk(tokens.subspan(static_cast<size_t>(start), static_cast<size_t>(n)), rows, out);
    if (user_margins) all_margins.insert(all_margins.end(), chunk_margins.begin(), chunk_margins.end());
  }
  if (user_margins) {
    *user_margins = std::move(all_margins);
    margin_sink_ = user_margins;
  }
  return {};
}

int Context::truncate(int n) {
  const HyperParams& hp = model_.hparams();
  int kept = std::clamp(n, 0, n_past_);
  for (int il = 0; il < hp.n_layer && kept > 0; ++il) {
    if (!hp.is_swa(il)) continue;
    const int oldest_valid = n_past_ - kv_.capacity(il);
    const int needed = std::max(0, kept - hp.n_swa + 1);
    if (needed < oldest_valid) kept = 0;
  }
  n_past_ = kept;
  return kept;
}

void Context::decode_chunk(std::span<const int32_t> tokens, int rows, float* logits) {
  const HyperParams& hp = model_.hparams();
  const int T = static_cast<int>(tokens.size());
  const int E = hp.n_embd;
  if (margin_sink_) margin_sink_->assign(static_cast<size_t>(T), INFINITY);
  std::vector<float> x(static_cast<size_t>(T) * E);
  for (int t = 0; t < T; ++t)
    kernels::cpu::dequantize_row(model_.token_embd().type, model_.token_embd().row(tokens[static_cast<size_t>(t)]),
                                 x.data() + static_cast<size_t>(t) * E, E);
  for (int il = 0; il < hp.n_layer; ++il) {
    attention_block(il, x, T);
    moe_forward(model_, il, x.data(), T, options_.path, pool_, margin_sink_);
  }
  n_past_ += T;
  if (rows == 0) return;
  const float* last = x.data() + static_cast<size_t>(T - rows) * E;
  std::vector<float> h(static_cast<size_t>(rows) * E);
  for (int r = 0; r < rows; ++r)
    rms_norm(last + static_cast<size_t>(r) * E, model_.output_norm().data(), h.data() + static_cast<size_t>(r) * E, E, hp.rms_eps);
  matmul(model_.output(), h.data(), rows, logits);
}

void Context::attention_block(int il, std::vector<float>& x, int T) {
  const HyperParams& hp = model_.hparams();
  const LayerWeights& w = model_.layer(il);
  const int E = hp.n_embd, D = hp.head_dim, H = hp.n_head, HKV = hp.n_head_kv;
  const int Q = H * D, KV = HKV * D;
  std::vector<float> h(static_cast<size_t>(T) * E);
  for (int t = 0; t < T; ++t) rms_norm(&x[static_cast<size_t>(t) * E], w.attn_norm.data(), &h[static_cast<size_t>(t) * E], E, hp.rms_eps);
  std::vector<float> q(static_cast<size_t>(T) * Q), k(static_cast<size_t>(T) * KV), v(static_cast<size_t>(T) * KV);
  matmul_shared({{&w.attn_q, q.data()}, {&w.attn_k, k.data()}, {&w.attn_v, v.data()}}, h.data(), T);
  add_bias(q.data(), w.q_bias.data(), T, Q);
  add_bias(k.data(), w.k_bias.data(), T, KV);
  add_bias(v.data(), w.v_bias.data(), T, KV);

  const bool swa = hp.is_swa(il);
  const kernels::RopeParams& rp = swa ? rope_swa_ : rope_full_;
  std::vector<float> cs(static_cast<size_t>(D / 2)), sn(static_cast<size_t>(D / 2));
  for (int t = 0; t < T; ++t) {
    const int pos = n_past_ + t;
    kernels::rope_yarn_cache(rp, pos, cs.data(), sn.data());
    for (int hh = 0; hh < H; ++hh) kernels::rope_neox_apply(&q[static_cast<size_t>(t) * Q + hh * D], D, cs.data(), sn.data());
    for (int hh = 0; hh < HKV; ++hh) kernels::rope_neox_apply(&k[static_cast<size_t>(t) * KV + hh * D], D, cs.data(), sn.data());
    kv_.store(il, pos, &k[static_cast<size_t>(t) * KV], &v[static_cast<size_t>(t) * KV]);
  }

  std::vector<float> o(static_cast<size_t>(T) * Q);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int group = H / HKV;
  const bool f32 = kv_.type() == KvType::kF32;
  run(pool_, static_cast<int64_t>(T) * H, [&](int64_t b, int64_t e) {
    std::vector<float> scores, krow(static_cast<size_t>(KV)), vrow(static_cast<size_t>(KV));
    for (int64_t idx = b; idx < e; ++idx) {
      const int t = static_cast<int>(idx / H), hh = static_cast<int>(idx % H);
      const int pos = n_past_ + t;
      const int first = swa ? std::max(0, pos - hp.n_swa + 1) : 0;
      const int kvh = hh / group;
      const float* qh = &q[static_cast<size_t>(t) * Q + hh * D];
      scores.resize(static_cast<size_t>(pos - first + 1));
      const float sink = w.sinks[static_cast<size_t>(hh)];
      float m = sink;
      for (int j = first; j <= pos; ++j) {
        const float* kj = f32 ? kv_.k_f32(il, j) : (kv_.load_k(il, j, krow.data()), krow.data());
        float s = 0.0f;
        for (int d = 0; d < D; ++d) s += qh[d] * kj[kvh * D + d];
        s *= scale;
        scores[static_cast<size_t>(j - first)] = s;
        m = std::max(m, s);
      }
      double sum = 0.0;
      for (float& s : scores) {
        s = std::exp(s - m);
        sum += s;
      }
      sum += std::exp(sink - m);
      const float inv = static_cast<float>(1.0 / sum);
      float* oh = &o[static_cast<size_t>(t) * Q + hh * D];
      std::fill(oh, oh + D, 0.0f);
      for (int j = first; j <= pos; ++j) {
        const float* vj = f32 ? kv_.v_f32(il, j) : (kv_.load_v(il, j, vrow.data()), vrow.data());
        const float p = scores[static_cast<size_t>(j - first)] * inv;
        for (int d = 0; d < D; ++d) oh[d] += p * vj[kvh * D + d];
      }
    }
  });

  std::vector<float> a(static_cast<size_t>(T) * E);
  matmul(w.attn_out, o.data(), T, a.data());
  add_bias(a.data(), w.out_bias.data(), T, E);
  for (size_t i = 0; i < x.size(); ++i) x[i] += a[i];
}

}  // namespace sy::local_engine::model
