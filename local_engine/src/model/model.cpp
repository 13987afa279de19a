#include <algorithm>
#include <cmath>
#include <thread>

#include "gguf/strcat.hpp"
#include "model/packed_weights.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

using kernels::cpu::MatrixView;
using kernels::cpu::WType;
using sy::local_engine::detail::cat;

namespace {

WType wtype(gguf::TensorType t) {
  switch (t) {
    case gguf::TensorType::kF32: return WType::kF32;
    case gguf::TensorType::kF16: return WType::kF16;
    case gguf::TensorType::kBF16: return WType::kBF16;
    case gguf::TensorType::kQ8_0: return WType::kQ8_0;
    case gguf::TensorType::kMXFP4: return WType::kMXFP4;
  }
  return WType::kF32;
}

std::string shape_str(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (uint32_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.ne[i]);
  return s + "]";
}

class Loader {
 public:
  explicit Loader(const gguf::File& f) : f_(f) {}
  std::string error;

  const gguf::TensorInfo* get(const std::string& name, std::initializer_list<int64_t> shape) {
    if (!error.empty()) return nullptr;
    const gguf::TensorInfo* t = f_.tensor(name);
    if (!t) {
      error = cat("missing tensor '", name, "'");
      return nullptr;
    }
    size_t i = 0;
    bool ok = t->n_dims == shape.size();
    for (int64_t d : shape) ok = ok && t->ne[i++] == d;
    if (!ok) {
      std::string want = "[";
      i = 0;
      for (int64_t d : shape) want += (i++ ? ", " : "") + std::to_string(d);
      error = cat("tensor '", name, "' has shape ", shape_str(*t), ", expected ", want, "]");
      return nullptr;
    }
    return t;
  }

  // 2-D or stacked 3-D weight as a row view (rows = ne1 * ne2).
  MatrixView matrix(const std::string& name, std::initializer_list<int64_t> shape) {
    const gguf::TensorInfo* t = get(name, shape);
    if (!t) return {};
    return MatrixView{wtype(t->type), t->data, t->ne[1] * t->ne[2], t->ne[0], static_cast<size_t>(t->row_bytes())};
  }

  // Small tensors (norms, biases, sinks) copied to f32 whatever their stored type.
  std::vector<float> vec(const std::string& name, std::initializer_list<int64_t> shape) {
    const gguf::TensorInfo* t = get(name, shape);
    if (!t) return {};
    std::vector<float> out(static_cast<size_t>(t->n_elements()));
    kernels::cpu::dequantize_row(wtype(t->type), t->data, out.data(), t->n_elements());
    for (float v : out)
      if (!std::isfinite(v)) {
        error = cat("tensor '", name, "' contains NaN/Inf");
        return {};
      }
    return out;
  }

 private:
  const gguf::File& f_;
};

}  // namespace

MatrixView Model::expert(const MatrixView& stacked, int e, int rows_per_expert) {
  MatrixView v = stacked;
  v.rows = rows_per_expert;
  v.data = stacked.data + static_cast<size_t>(e) * static_cast<size_t>(rows_per_expert) * stacked.row_bytes;
  v.panels = PackedWeights::group(stacked, e, rows_per_expert);
  return v;
}

Model::~Model() = default;

size_t Model::packed_bytes() const { return packed_ ? packed_->bytes() : 0; }

std::expected<std::unique_ptr<Model>, std::string> Model::load(const std::string& path) {
  auto f = gguf::File::open(path);
  if (!f) return std::unexpected(f.error());
  return load(std::shared_ptr<const gguf::File>(std::move(*f)));
}

std::expected<std::unique_ptr<Model>, std::string> Model::load(std::shared_ptr<const gguf::File> file,
                                                               const LoadOptions& options) {
  auto hp = HyperParams::from_gguf(*file);
  if (!hp) return std::unexpected(hp.error());
  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->hp_ = std::move(*hp);
  HyperParams& h = m->hp_;
  const gguf::TensorInfo* emb = m->file_->tensor("token_embd.weight");
  if (!emb || emb->n_dims != 2) return std::unexpected("missing or malformed tensor 'token_embd.weight'");
  h.n_vocab = static_cast<int>(emb->ne[1]);

  Loader ld(*m->file_);
  const int64_t E = h.n_embd, V = h.n_vocab, Q = int64_t{h.n_head} * h.head_dim, KV = int64_t{h.n_head_kv} * h.head_dim;
  const int64_t F = h.n_ff_exp, X = h.n_expert;
  m->token_embd_ = ld.matrix("token_embd.weight", {E, V});
  m->output_ = ld.matrix("output.weight", {E, V});
  m->output_norm_ = ld.vec("output_norm.weight", {E});
  m->layers_.resize(static_cast<size_t>(h.n_layer));
  for (int il = 0; il < h.n_layer; ++il) {
    LayerWeights& l = m->layers_[static_cast<size_t>(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = ld.vec(p + "attn_norm.weight", {E});
    l.attn_q = ld.matrix(p + "attn_q.weight", {E, Q});
    l.attn_k = ld.matrix(p + "attn_k.weight", {E, KV});
    l.attn_v = ld.matrix(p + "attn_v.weight", {E, KV});
    l.attn_out = ld.matrix(p + "attn_output.weight", {Q, E});
    l.q_bias = ld.vec(p + "attn_q.bias", {Q});
    l.k_bias = ld.vec(p + "attn_k.bias", {KV});
    l.v_bias = ld.vec(p + "attn_v.bias", {KV});
    l.out_bias = ld.vec(p + "attn_output.bias", {E});
    l.sinks = ld.vec(p + "attn_sinks.weight", {h.n_head});
    l.post_norm = ld.vec(p + "post_attention_norm.weight", {E});
    l.router = ld.matrix(p + "ffn_gate_inp.weight", {E, X});
    l.router_bias = ld.vec(p + "ffn_gate_inp.bias", {X});
    l.gate_exps = ld.matrix(p + "ffn_gate_exps.weight", {E, F, X});
    l.up_exps = ld.matrix(p + "ffn_up_exps.weight", {E, F, X});
    l.down_exps = ld.matrix(p + "ffn_down_exps.weight", {F, E, X});
    l.gate_bias = ld.vec(p + "ffn_gate_exps.bias", {F, X});
    l.up_bias = ld.vec(p + "ffn_up_exps.bias", {F, X});
    l.down_bias = ld.vec(p + "ffn_down_exps.bias", {E, X});
  }
  if (!ld.error.empty()) return std::unexpected(ld.error);
  if (!options.pack_weights) return m;

  std::vector<PackedWeights::Item> items{{&m->output_, m->output_.rows}};
  for (LayerWeights& l : m->layers_) {
    for (MatrixView* v : {&l.attn_q, &l.attn_k, &l.attn_v, &l.attn_out}) items.push_back({v, v->rows});
    for (MatrixView* v : {&l.gate_exps, &l.up_exps}) items.push_back({v, F});
    items.push_back({&l.down_exps, E});
  }
  auto packed = PackedWeights::pack(items, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  if (!packed) return std::unexpected(packed.error());
  m->packed_ = std::move(*packed);
  return m;
}

}  // namespace sy::local_engine::model
