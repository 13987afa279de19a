#pragma once
// gpt-oss model: hyper-parameters from GGUF metadata, zero-copy weight views
// and the forward pass (spec §4) for one sequence at a time.
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sy/kernels/common/quant.hpp"
#include "sy/kernels/common/rope.hpp"
#include "sy/kernels/cpu/matmul.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"
#include "sy/local_engine/gguf.hpp"

namespace sy::local_engine::model {

struct HyperParams {
  std::string arch;
  int n_vocab = 0;
  int n_ctx_train = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;  // key_length
  int value_dim = 0;
  int n_expert = 0;
  int n_expert_used = 0;
  int n_ff_exp = 0;
  int n_swa = 0;
  std::vector<bool> swa_layers;  // per layer
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  float rope_base_swa = 10000.0f;
  int n_rot = 0;
  bool yarn = false;
  float rope_freq_scale = 1.0f;
  float yarn_attn_factor = 1.0f;
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
  int n_ctx_orig = 0;

  bool is_swa(int layer) const { return swa_layers[static_cast<size_t>(layer)]; }
  static std::expected<HyperParams, std::string> from_gguf(const gguf::File& file);
};

enum class NumericPath { kReference, kFast };
enum class KvType { kF32, kF16, kQ8_0 };

std::expected<NumericPath, std::string> parse_numeric_path(std::string_view s);
std::expected<KvType, std::string> parse_kv_type(std::string_view s);

struct LayerWeights {
  kernels::cpu::MatrixView attn_q, attn_k, attn_v, attn_out, router;
  kernels::cpu::MatrixView gate_exps, up_exps, down_exps;  // rows = n_expert * out_dim
  std::vector<float> attn_norm, post_norm, sinks;
  std::vector<float> q_bias, k_bias, v_bias, out_bias, router_bias;
  std::vector<float> gate_bias, up_bias, down_bias;  // [n_expert][out_dim]
};

class Model {
 public:
  static std::expected<std::unique_ptr<Model>, std::string> load(std::shared_ptr<const gguf::File> file);
  static std::expected<std::unique_ptr<Model>, std::string> load(const std::string& path);

  const HyperParams& hparams() const { return hp_; }
  const gguf::File& file() const { return *file_; }
  const kernels::cpu::MatrixView& token_embd() const { return token_embd_; }
  const kernels::cpu::MatrixView& output() const { return output_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const LayerWeights& layer(int i) const { return layers_[static_cast<size_t>(i)]; }
  // Expert e's slice of a stacked expert matrix.
  static kernels::cpu::MatrixView expert(const kernels::cpu::MatrixView& stacked, int e, int rows_per_expert);

 private:
  Model() = default;
  std::shared_ptr<const gguf::File> file_;
  HyperParams hp_;
  kernels::cpu::MatrixView token_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
};

// Per-sequence KV cache: rotated K and V of every layer. Full-attention layers
// keep positions [0, n_ctx); sliding-window layers keep a ring of the last
// n_swa + max_batch positions (all a batch of max_batch tokens can attend to).
class KvCache {
 public:
  KvCache(const HyperParams& hp, int n_ctx, KvType type, int max_batch);
  int n_ctx() const { return n_ctx_; }
  int capacity(int layer) const { return cap_[static_cast<size_t>(layer)]; }
  KvType type() const { return type_; }
  size_t bytes() const;
  // Row of `pos` in layer `layer` (n_head_kv * head_dim elements).
  void store(int layer, int pos, const float* k, const float* v);
  void load_k(int layer, int pos, float* out) const;
  void load_v(int layer, int pos, float* out) const;
  const float* k_f32(int layer, int pos) const;  // kF32 only
  const float* v_f32(int layer, int pos) const;

 private:
  size_t offset(int layer, int pos) const;
  std::vector<int> cap_;      // positions kept per layer
  std::vector<size_t> base_;  // first element of each layer
  int n_ctx_;
  int row_;
  KvType type_;
  std::vector<float> k32_, v32_;
  std::vector<uint16_t> k16_, v16_;
  std::vector<kernels::BlockQ8_0> k8_, v8_;
};

struct ContextOptions {
  int n_ctx = 4096;
  KvType kv_type = KvType::kF32;
  NumericPath path = NumericPath::kFast;
  int max_batch = 512;  // decode() splits longer inputs; bounds SWA KV rings
};

// One sequence: feeds tokens at positions n_past.. and returns logits.
class Context {
 public:
  Context(const Model& model, const ContextOptions& options, kernels::cpu::ThreadPool* pool);

  // Appends `tokens`; fills `logits` with n_vocab floats for every token
  // (all_logits) or for the last one only.
  std::expected<void, std::string> decode(std::span<const int32_t> tokens, bool all_logits, std::vector<float>& logits);

  int n_past() const { return n_past_; }
  int n_ctx() const { return kv_.n_ctx(); }
  void reset() { n_past_ = 0; }
  // Forget positions >= n (keeps a shared prompt prefix). Returns the number
  // of positions actually kept: 0 when a sliding-window ring no longer holds
  // the keys position n would attend to.
  int truncate(int n);
  size_t kv_bytes() const { return kv_.bytes(); }
  const ContextOptions& options() const { return options_; }
  // When set, decode() writes per token the minimum over layers of the router
  // margin (k-th minus (k+1)-th largest router logit), like the fixture's
  // min_router_margin; null turns it off.
  void set_router_margin_sink(std::vector<float>* sink) { margin_sink_ = sink; }

 private:
  void decode_chunk(std::span<const int32_t> tokens, int logit_rows, float* logits);
  void attention_block(int layer, std::vector<float>& x, int n_tokens);
  void matmul(const kernels::cpu::MatrixView& w, const float* x, int n_tokens, float* y);
  // Several weights applied to the same input: the fast path quantises it once.
  void matmul_shared(std::initializer_list<std::pair<const kernels::cpu::MatrixView*, float*>> outs, const float* x,
                     int n_tokens);

  const Model& model_;
  ContextOptions options_;
  kernels::cpu::ThreadPool* pool_;
  KvCache kv_;
  int n_past_ = 0;
  std::vector<float>* margin_sink_ = nullptr;
  kernels::RopeParams rope_full_, rope_swa_;
};

}  // namespace sy::local_engine::model
