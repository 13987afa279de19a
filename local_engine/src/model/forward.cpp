#include <algorithm>
#include <cmath>
#include <numeric>

#include "gguf/strcat.hpp"
#include "model/kv_rows.hpp"
#include "sy/kernels/common/ops.hpp"
#include "sy/kernels/cpu/attention.hpp"
#include "model/moe.hpp"
#include "model/row_ops.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

using kernels::cpu::MatmulMode;
using kernels::cpu::MatrixView;
using sy::local_engine::detail::cat;

namespace {

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

}  // namespace

Forward::Forward(const Model& model, NumericPath path, kernels::cpu::ThreadPool* pool)
    : model_(model),
      path_(path),
      pool_(pool),
      rope_full_(rope_params(model.hparams(), model.hparams().rope_base)),
      rope_swa_(rope_params(model.hparams(), model.hparams().rope_base_swa)) {}

void Forward::matmul(const MatrixView& w, const float* x, int n_tokens, float* y) { matmul_shared({{&w, y}}, x, n_tokens); }

void Forward::matmul_shared(std::initializer_list<std::pair<const MatrixView*, float*>> outs, const float* x,
                            int n_tokens) {
  const bool fast = path_ == NumericPath::kFast;
  bool all_packed = fast;
  for (const auto& [w, y] : outs) all_packed = all_packed && w->panels;
  if (!all_packed) {  // reference path, or weights without panels (F32, unpacked)
    const MatmulMode mode = fast ? MatmulMode::kQuantizedActivations : MatmulMode::kReference;
    for (const auto& [w, y] : outs) kernels::cpu::matmul(*w, x, n_tokens, y, mode, pool_);
    return;
  }
  kernels::cpu::QuantizedActivations& xq = buf_.xq;
  xq.quantize(x, n_tokens, outs.begin()->first->cols, pool_);
  std::vector<kernels::cpu::Q8Output> q8;
  for (const auto& [w, y] : outs) q8.push_back({w, y});
  kernels::cpu::matmul_q8_many(q8, xq, pool_);
}

std::expected<void, std::string> Forward::step(std::span<const BatchChunk> chunks, std::vector<float>& logits,
                                               std::vector<float>* margin_sink) {
  const HyperParams& hp = model_.hparams();
  const int E = hp.n_embd, V = hp.n_vocab;
  std::vector<Row> rows;
  int n_logits = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    const BatchChunk& ch = chunks[c];
    const int n = static_cast<int>(ch.tokens.size());
    if (!ch.seq || n == 0) return std::unexpected(cat("chunk ", c, " has no sequence or no tokens"));
    for (size_t o = 0; o < c; ++o)
      if (chunks[o].seq == ch.seq) return std::unexpected(cat("chunks ", o, " and ", c, " name the same sequence"));
    if (n > ch.seq->max_batch())
      return std::unexpected(cat("chunk of ", n, " tokens exceeds the sequence's max_batch ", ch.seq->max_batch()));
    if (ch.seq->n_past() + static_cast<int64_t>(n) > ch.seq->n_ctx())
      return std::unexpected(
          cat("context overflow: ", ch.seq->n_past(), " + ", n, " tokens > n_ctx ", ch.seq->n_ctx()));
    if (ch.logit_rows < 0 || ch.logit_rows > n) return std::unexpected(cat("chunk ", c, ": bad logit_rows"));
    for (int32_t id : ch.tokens)
      if (id < 0 || id >= V) return std::unexpected(cat("token id ", id, " out of range [0, ", V, ")"));
    for (int t = 0; t < n; ++t) rows.push_back(Row{ch.seq, ch.seq->n_past() + t});
    n_logits += ch.logit_rows;
  }
  const int T = static_cast<int>(rows.size());
  for (const BatchChunk& ch : chunks) ch.seq->kv().reserve(ch.seq->n_past() + static_cast<int>(ch.tokens.size()));
  if (margin_sink) margin_sink->assign(static_cast<size_t>(T), INFINITY);

  std::vector<float>& x = buf_.x;
  x.resize(static_cast<size_t>(T) * E);
  size_t r = 0;
  for (const BatchChunk& ch : chunks)
    for (int32_t id : ch.tokens)
      kernels::cpu::dequantize_row(model_.token_embd().type, model_.token_embd().row(id), x.data() + (r++) * E, E);
  for (int il = 0; il < hp.n_layer; ++il) {
    attention_block(il, x, rows);
    moe_forward(model_, il, x.data(), T, path_, pool_, margin_sink);  // once per layer: experts read once per step
  }
  for (const BatchChunk& ch : chunks) ch.seq->advance(static_cast<int>(ch.tokens.size()));

  logits.resize(static_cast<size_t>(n_logits) * V);
  if (n_logits == 0) return {};
  std::vector<float>& h = buf_.h;
  h.resize(static_cast<size_t>(n_logits) * E);
  size_t first = 0, out = 0;
  for (const BatchChunk& ch : chunks) {
    const size_t n = ch.tokens.size();
    for (size_t t = n - static_cast<size_t>(ch.logit_rows); t < n; ++t, ++out)
      rms_norm(x.data() + (first + t) * E, model_.output_norm().data(), h.data() + out * E, E, hp.rms_eps);
    first += n;
  }
  matmul(model_.output(), h.data(), n_logits, logits.data());
  return {};
}

void Forward::attention_block(int il, std::vector<float>& x, const std::vector<Row>& rows) {
  const HyperParams& hp = model_.hparams();
  const LayerWeights& w = model_.layer(il);
  const int T = static_cast<int>(rows.size());
  const int E = hp.n_embd, D = hp.head_dim, H = hp.n_head, HKV = hp.n_head_kv;
  const int Q = H * D, KV = HKV * D;
  Buffers& b = buf_;
  std::vector<float>& h = b.h;
  h.resize(static_cast<size_t>(T) * E);
  for (int t = 0; t < T; ++t) rms_norm(&x[static_cast<size_t>(t) * E], w.attn_norm.data(), &h[static_cast<size_t>(t) * E], E, hp.rms_eps);
  std::vector<float>&q = b.q, &k = b.k, &v = b.v;
  q.resize(static_cast<size_t>(T) * Q);
  k.resize(static_cast<size_t>(T) * KV);
  v.resize(static_cast<size_t>(T) * KV);
  matmul_shared({{&w.attn_q, q.data()}, {&w.attn_k, k.data()}, {&w.attn_v, v.data()}}, h.data(), T);
  add_bias(q.data(), w.q_bias.data(), T, Q);
  add_bias(k.data(), w.k_bias.data(), T, KV);
  add_bias(v.data(), w.v_bias.data(), T, KV);

  const bool swa = hp.is_swa(il);
  const kernels::RopeParams& rp = swa ? rope_swa_ : rope_full_;
  std::vector<float> cs(static_cast<size_t>(D / 2)), sn(static_cast<size_t>(D / 2));
  // Every row's K/V is stored before any attention, so rows of one chunk see
  // each other (causally, by position) and never another sequence's rows.
  for (int t = 0; t < T; ++t) {
    const Row& row = rows[static_cast<size_t>(t)];
    kernels::rope_yarn_cache(rp, row.pos, cs.data(), sn.data());
    for (int hh = 0; hh < H; ++hh) kernels::rope_neox_apply(&q[static_cast<size_t>(t) * Q + hh * D], D, cs.data(), sn.data());
    for (int hh = 0; hh < HKV; ++hh) kernels::rope_neox_apply(&k[static_cast<size_t>(t) * KV + hh * D], D, cs.data(), sn.data());
    row.seq->kv().store(il, row.pos, &k[static_cast<size_t>(t) * KV], &v[static_cast<size_t>(t) * KV]);
  }

  std::vector<float>& o = b.o;
  o.resize(static_cast<size_t>(T) * Q);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int group = H / HKV;
  // One item per (token, KV head): its `group` query heads read each key and
  // value row once between them.
  kernels::cpu::parallel_for(pool_, static_cast<int64_t>(T) * HKV, 1, [&](int64_t begin, int64_t end) {
    thread_local KvRows kv_rows;
    thread_local std::vector<float> scores;
    kv_rows.begin_call(HKV);
    for (int64_t idx = begin; idx < end; ++idx) {
      const int t = static_cast<int>(idx / HKV), kvh = static_cast<int>(idx % HKV);
      const Row& row = rows[static_cast<size_t>(t)];
      const int first = swa ? std::max(0, row.pos - hp.n_swa + 1) : 0, n = row.pos - first + 1;
      kv_rows.prepare(row.seq, il, kvh, first, n, D);
      scores.resize(static_cast<size_t>(group) * n);
      const int h0 = kvh * group;
      kernels::cpu::attention_heads(&q[static_cast<size_t>(t) * Q + h0 * D], group, kv_rows.keys(), kv_rows.values(),
                                    kv_rows.offset(), n, D, scale, &w.sinks[static_cast<size_t>(h0)], scores.data(),
                                    &o[static_cast<size_t>(t) * Q + h0 * D]);
    }
  });

  std::vector<float>& a = b.a;
  a.resize(static_cast<size_t>(T) * E);
  matmul(w.attn_out, o.data(), T, a.data());
  add_bias(a.data(), w.out_bias.data(), T, E);
  for (size_t i = 0; i < x.size(); ++i) x[i] += a[i];
}

Context::Context(const Model& model, const ContextOptions& options, kernels::cpu::ThreadPool* pool)
    : model_(model),
      options_(options),
      forward_(model, options.path, pool),
      seq_(model.hparams(), options.n_ctx, options.kv_type, options.max_batch) {
  options_.max_batch = seq_.max_batch();
}

std::expected<void, std::string> Context::decode(std::span<const int32_t> tokens, bool all_logits,
                                                 std::vector<float>& logits) {
  const int T = static_cast<int>(tokens.size());
  if (T == 0) return std::unexpected("decode called with no tokens");
  if (seq_.n_past() + static_cast<int64_t>(T) > seq_.n_ctx())
    return std::unexpected(cat("context overflow: ", seq_.n_past(), " + ", T, " tokens > n_ctx ", seq_.n_ctx()));
  const int V = model_.hparams().n_vocab;
  for (int32_t id : tokens)
    if (id < 0 || id >= V) return std::unexpected(cat("token id ", id, " out of range [0, ", V, ")"));

  std::vector<float> chunk_logits, chunk_margins, all_margins;
  logits.resize(static_cast<size_t>(all_logits ? T : 1) * V);
  for (int start = 0; start < T; start += options_.max_batch) {
    const int n = std::min(options_.max_batch, T - start);
    const bool last = start + n == T;
    const BatchChunk chunk{&seq_, tokens.subspan(static_cast<size_t>(start), static_cast<size_t>(n)),
                           all_logits ? n : (last ? 1 : 0)};
    auto r = forward_.step(std::span<const BatchChunk>(&chunk, 1), chunk_logits, margin_sink_ ? &chunk_margins : nullptr);
    if (!r) return r;
    float* out = all_logits ? logits.data() + static_cast<size_t>(start) * V : logits.data();
    std::copy(chunk_logits.begin(), chunk_logits.end(), out);
    if (margin_sink_) all_margins.insert(all_margins.end(), chunk_margins.begin(), chunk_margins.end());
  }
  if (margin_sink_) *margin_sink_ = std::move(all_margins);
  return {};
}

}  // namespace sy::local_engine::model
