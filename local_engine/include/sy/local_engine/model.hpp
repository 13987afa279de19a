#pragma once
// gpt-oss model: hyper-parameters from GGUF metadata, zero-copy weight views
// and the forward pass (spec §4), batched across sequences.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <initializer_list>
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

class PackedWeights;

// Q8_0/MXFP4 matrices carry `panels`, their packed copy for the fast path.
struct LayerWeights {
  kernels::cpu::MatrixView attn_q, attn_k, attn_v, attn_out, router;
  kernels::cpu::MatrixView gate_exps, up_exps, down_exps;  // rows = n_expert * out_dim
  std::vector<float> attn_norm, post_norm, sinks;
  std::vector<float> q_bias, k_bias, v_bias, out_bias, router_bias;
  std::vector<float> gate_bias, up_bias, down_bias;  // [n_expert][out_dim]
};

class Model {
 public:
  struct LoadOptions {
    // Pack the Q8_0/MXFP4 matrices for the fast path (seconds and about the
    // file's size in memory for a large model). Off: the views only, to
    // validate a file, not to run it (fast-path experts would fall back to
    // the reference arithmetic).
    bool pack_weights = true;
  };
  static std::expected<std::unique_ptr<Model>, std::string> load(std::shared_ptr<const gguf::File> file,
                                                               const LoadOptions& options);
  static std::expected<std::unique_ptr<Model>, std::string> load(std::shared_ptr<const gguf::File> file) {
    return load(std::move(file), LoadOptions{});
  }
  static std::expected<std::unique_ptr<Model>, std::string> load(const std::string& path);
  ~Model();

  const HyperParams& hparams() const { return hp_; }
  const gguf::File& file() const { return *file_; }
  const kernels::cpu::MatrixView& token_embd() const { return token_embd_; }
  const kernels::cpu::MatrixView& output() const { return output_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const LayerWeights& layer(int i) const { return layers_[static_cast<size_t>(i)]; }
  size_t packed_bytes() const;  // memory holding the packed matrices
  // Expert e's slice of a stacked expert matrix (and of its panels).
  static kernels::cpu::MatrixView expert(const kernels::cpu::MatrixView& stacked, int e, int rows_per_expert);

 private:
  Model() = default;
  std::shared_ptr<const gguf::File> file_;
  HyperParams hp_;
  kernels::cpu::MatrixView token_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
  std::unique_ptr<PackedWeights> packed_;
};

// Per-sequence KV cache: rotated K and V of every layer. Full-attention layers
// keep positions [0, n_ctx); sliding-window layers keep a ring of the last
// n_swa + max_batch positions (all a batch of max_batch tokens can attend to).
// Storage is allocated in pages of at most kPagePositions (all of a layer's
// pages the same size) as positions are reserved, so a short or idle sequence
// does not pin an n_ctx-sized buffer. Within a page the layout is head-major: head h of
// every slot, then head h + 1 (Q8_0 heads narrower than a block: whole rows). Attention reads one KV head's positions in a
// row, so each page gives it one contiguous run instead of head_dim elements
// out of every n_head_kv * head_dim (decode at 4096 positions stalled on DRAM
// and TLB misses that way).
class KvCache {
 public:
  static constexpr int kPagePositions = 256;

  KvCache(const HyperParams& hp, int n_ctx, KvType type, int max_batch);
  int n_ctx() const { return n_ctx_; }
  int capacity(int layer) const { return cap_[static_cast<size_t>(layer)]; }
  KvType type() const { return type_; }
  size_t bytes() const { return bytes_; }  // allocated so far
  // Makes positions [0, n_pos) storable (allocates missing pages).
  void reserve(int n_pos);
  // Row of `pos` in layer `layer` (n_head_kv * head_dim elements, head-major); reserve() first.
  void store(int layer, int pos, const float* k, const float* v);
  void load_k(int layer, int pos, float* out) const;  // the row, head-major
  void load_v(int layer, int pos, float* out) const;
  // Head `head` of positions [first, first + n) as n rows of head_dim floats,
  // any element type (a page's run of one head converts in one pass); the
  // positions must still be held (ring layers keep the last capacity()).
  void load_head(int layer, int head, int first, int n, float* k_out, float* v_out) const;
  // kF32 only: head 0 of `pos`; head h is head_stride(layer) * h floats further.
  const float* k_f32(int layer, int pos) const;
  const float* v_f32(int layer, int pos) const;
  int64_t head_stride(int layer) const {
    return static_cast<int64_t>(page_positions_[static_cast<size_t>(layer)]) * head_dim_;
  }

 private:
  using Page = std::unique_ptr<std::byte[]>;
  // Head 0 of `pos`'s slot. Pages are owned here, so it is writable even through a const path.
  std::byte* slot(const std::vector<std::vector<Page>>& pages, int layer, int pos) const;
  void load_row(const std::vector<std::vector<Page>>& pages, int layer, int pos, float* out) const;
  std::vector<int> cap_;             // positions kept per layer
  std::vector<int> page_positions_;  // slots per page, per layer
  int n_ctx_;
  int n_head_kv_, head_dim_;
  KvType type_;
  // A slot is stored as `units_` runs of unit_dim_ elements: one per head,
  // or one whole row for Q8_0 heads narrower than a block.
  int units_ = 1, unit_dim_ = 0;
  size_t unit_bytes_ = 0;
  size_t bytes_ = 0;
  std::vector<std::vector<Page>> k_pages_, v_pages_;  // [layer][page]
};

struct ContextOptions {
  int n_ctx = 4096;
  KvType kv_type = KvType::kF32;
  NumericPath path = NumericPath::kFast;
  int max_batch = 512;  // decode() splits longer inputs; bounds SWA KV rings
};

// The state of one sequence: its KV cache and how many positions it holds.
class Sequence {
 public:
  Sequence(const HyperParams& hp, int n_ctx, KvType type, int max_batch);

  int n_past() const { return n_past_; }
  int n_ctx() const { return kv_.n_ctx(); }
  int max_batch() const { return max_batch_; }
  void reset() { n_past_ = 0; }
  // What truncate(n) would keep, without changing anything.
  int reusable(int n) const;
  // Forget positions >= n (keeps a shared prompt prefix). Returns the number
  // of positions actually kept: 0 when a sliding-window ring no longer holds
  // the keys position n would attend to.
  int truncate(int n);
  KvCache& kv() { return kv_; }
  const KvCache& kv() const { return kv_; }
  void advance(int n) { n_past_ += n; }  // Forward::step only

 private:
  const HyperParams* hp_;
  KvCache kv_;
  int max_batch_;
  int n_past_ = 0;
};

// Part of one forward step: `tokens` of `seq` at positions seq->n_past()...
struct BatchChunk {
  Sequence* seq = nullptr;
  std::span<const int32_t> tokens;
  int logit_rows = 0;  // logits wanted for this many trailing tokens (0..tokens.size())
};

// Forward pass over one step made of chunks from several sequences. All rows
// go through the norms, projections, MoE and output head together (each
// expert's weights are read once per step); RoPE, KV store and attention use
// each row's own sequence and position. Rows are computed independently, so a
// sequence's results do not depend on what it is batched with.
class Forward {
 public:
  Forward(const Model& model, NumericPath path, kernels::cpu::ThreadPool* pool);

  // Chunks must name distinct sequences, hold 1..seq->max_batch() tokens and
  // fit the sequence's context. `logits` gets n_vocab floats per logit row, in
  // chunk order. margin_sink (optional) gets one router margin per input row.
  std::expected<void, std::string> step(std::span<const BatchChunk> chunks, std::vector<float>& logits,
                                        std::vector<float>* margin_sink = nullptr);
  NumericPath path() const { return path_; }

 private:
  struct Row {
    Sequence* seq;
    int pos;
  };
  void attention_block(int layer, std::vector<float>& x, const std::vector<Row>& rows);
  void matmul(const kernels::cpu::MatrixView& w, const float* x, int n_tokens, float* y);
  // Several weights applied to the same input: the fast path quantises it once.
  void matmul_shared(std::initializer_list<std::pair<const kernels::cpu::MatrixView*, float*>> outs, const float* x,
                     int n_tokens);

  const Model& model_;
  NumericPath path_;
  kernels::cpu::ThreadPool* pool_;
  kernels::RopeParams rope_full_, rope_swa_;
  // Step buffers, reused: a 512-token step needs ~30 MB per layer, and fresh
  // allocations that size come back as zeroed pages to fault in again.
  struct Buffers {
    std::vector<float> x, h, q, k, v, o, a;
    kernels::cpu::QuantizedActivations xq;
  };
  Buffers buf_;
};

// One sequence with its own forward: the single-sequence API (tests, bench, CLI).
class Context {
 public:
  Context(const Model& model, const ContextOptions& options, kernels::cpu::ThreadPool* pool);

  // Appends `tokens`; fills `logits` with n_vocab floats for every token
  // (all_logits) or for the last one only.
  std::expected<void, std::string> decode(std::span<const int32_t> tokens, bool all_logits, std::vector<float>& logits);

  int n_past() const { return seq_.n_past(); }
  int n_ctx() const { return seq_.n_ctx(); }
  void reset() { seq_.reset(); }
  int truncate(int n) { return seq_.truncate(n); }
  size_t kv_bytes() const { return seq_.kv().bytes(); }
  const ContextOptions& options() const { return options_; }
  // When set, decode() writes per token the minimum over layers of the router
  // margin (k-th minus (k+1)-th largest router logit), like the fixture's
  // min_router_margin; null turns it off.
  void set_router_margin_sink(std::vector<float>* sink) { margin_sink_ = sink; }

 private:
  const Model& model_;
  ContextOptions options_;
  Forward forward_;
  Sequence seq_;
  std::vector<float>* margin_sink_ = nullptr;
};

}  // namespace sy::local_engine::model
