#include "sy/local_engine/synth.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "gguf/strcat.hpp"
#include "sy/kernels/common/quant.hpp"
#include "sy/local_engine/gguf_writer.hpp"

namespace sy::local_engine::model {

using gguf::TensorType;
using sy::local_engine::detail::cat;

namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Approximately standard normal from one hash (sum of 4 uniforms, rescaled).
float gauss(uint64_t h) {
  float s = 0.0f;
  for (int i = 0; i < 4; ++i) s += static_cast<float>((h >> (16 * i)) & 0xFFFF) / 65535.0f;
  return (s - 2.0f) * std::sqrt(3.0f);
}

struct Spec {
  float std = 1.0f;   // weights: std of the values
  float mean = 0.0f;  // norms: 1 + N(0, 0.1)
};

class Generator {
 public:
  Generator(uint64_t seed) : seed_(seed) {}
  // Bytes [offset, offset + out.size()) of tensor `t`.
  void fill(size_t t, TensorType type, const Spec& spec, uint64_t offset, std::span<uint8_t> out) const {
    const uint64_t bb = type == TensorType::kQ8_0 ? 34 : type == TensorType::kMXFP4 ? 17 : 4;
    uint8_t block[34];
    uint64_t pos = offset;
    size_t w = 0;
    while (w < out.size()) {
      const uint64_t b = pos / bb, in = pos % bb;
      make_block(t, type, spec, b, block);
      const size_t n = static_cast<size_t>(std::min<uint64_t>(bb - in, out.size() - w));
      std::memcpy(out.data() + w, block + in, n);
      w += n;
      pos += n;
    }
  }

 private:
  void make_block(size_t t, TensorType type, const Spec& spec, uint64_t b, uint8_t* out) const {
    uint64_t h = splitmix(seed_ ^ splitmix(t * 0x1000193ull + 1) ^ (b * 0x9E3779B97F4A7C15ull));
    if (type == TensorType::kF32) {
      const float v = spec.mean + spec.std * gauss(h);
      std::memcpy(out, &v, 4);
    } else if (type == TensorType::kQ8_0) {
      kernels::BlockQ8_0 q;
      q.d = kernels::f32_to_fp16(spec.std / 73.6f);  // uniform int8 in [-127, 127] has std 73.6
      for (int j = 0; j < 32; j += 8) {
        h = splitmix(h);
        for (int k = 0; k < 8; ++k) q.qs[j + k] = static_cast<int8_t>(static_cast<int>((h >> (8 * k)) % 255) - 127);
      }
      std::memcpy(out, &q, sizeof q);
    } else {
      kernels::BlockMxfp4 q;
      // Uniform E2M1 codes have rms 2.926; the block scale is 2^(e-127).
      q.e = static_cast<uint8_t>(std::clamp(127 + static_cast<int>(std::lround(std::log2(spec.std / 2.926f))), 1, 254));
      h = splitmix(h);
      const uint64_t h2 = splitmix(h);
      std::memcpy(q.qs, &h, 8);
      std::memcpy(q.qs + 8, &h2, 8);
      std::memcpy(out, &q, sizeof q);
    }
  }
  uint64_t seed_;
};

}  // namespace

std::optional<SynthPreset> synth_preset(std::string_view name) {
  if (name == "tiny") return SynthPreset{"tiny", 4, 64, 4, 2, 16, 8, 2, 64, 8, 4096};
  if (name == "gpt-oss-20b") return SynthPreset{"gpt-oss-20b", 24, 2880, 64, 8, 64, 32, 4, 2880, 128, 131072};
  if (name == "gpt-oss-120b") return SynthPreset{"gpt-oss-120b", 36, 2880, 64, 8, 64, 128, 4, 2880, 128, 131072};
  return std::nullopt;
}

std::expected<void, std::string> synthesize(const SynthPreset& p, uint64_t seed, const gguf::File& vocab_from,
                                            const std::string& out_path,
                                            const std::function<void(uint64_t, uint64_t)>& progress) {
  auto tokens = vocab_from.array_size("tokenizer.ggml.tokens");
  if (!tokens || *tokens == 0) return std::unexpected("vocabulary source has no tokenizer.ggml.tokens");
  const int64_t V = static_cast<int64_t>(*tokens);
  gguf::Writer w;
  const std::string a = "gpt-oss.";
  w.set_string("general.architecture", "gpt-oss");
  w.set_string("general.type", "model");
  w.set_string("general.name", cat("synthetic ", p.name, " (random weights, seed ", seed, ")"));
  w.set_u32(a + "block_count", static_cast<uint32_t>(p.n_layer));
  w.set_u32(a + "context_length", static_cast<uint32_t>(p.n_ctx));
  w.set_u32(a + "embedding_length", static_cast<uint32_t>(p.n_embd));
  w.set_u32(a + "feed_forward_length", static_cast<uint32_t>(p.n_ff));
  w.set_u32(a + "attention.head_count", static_cast<uint32_t>(p.n_head));
  w.set_u32(a + "attention.head_count_kv", static_cast<uint32_t>(p.n_head_kv));
  w.set_f32(a + "rope.freq_base", 150000.0f);
  w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_u32(a + "expert_count", static_cast<uint32_t>(p.n_expert));
  w.set_u32(a + "expert_used_count", static_cast<uint32_t>(p.n_expert_used));
  w.set_u32(a + "attention.key_length", static_cast<uint32_t>(p.head_dim));
  w.set_u32(a + "attention.value_length", static_cast<uint32_t>(p.head_dim));
  w.set_u32("general.file_type", 38);
  w.set_u32(a + "attention.sliding_window", static_cast<uint32_t>(p.n_swa));
  w.set_u32(a + "expert_feed_forward_length", static_cast<uint32_t>(p.n_ff));
  w.set_string(a + "rope.scaling.type", "yarn");
  w.set_f32(a + "rope.scaling.factor", 32.0f);
  w.set_u32(a + "rope.scaling.original_context_length", 4096);
  w.set_u32("general.quantization_version", 2);
  for (auto key : vocab_from.keys())
    if (key.starts_with("tokenizer.")) w.copy_kv(vocab_from, key);

  const int64_t E = p.n_embd, Q = int64_t{p.n_head} * p.head_dim, KV = int64_t{p.n_head_kv} * p.head_dim;
  const int64_t F = p.n_ff, X = p.n_expert;
  const float s_in = 1.0f / std::sqrt(static_cast<float>(E));
  std::vector<std::pair<TensorType, Spec>> specs;  // per tensor, in add order
  std::string err;
  auto add = [&](const std::string& name, TensorType t, std::vector<int64_t> ne, Spec s) {
    auto r = w.add_tensor(name, t, std::move(ne));
    if (!r && err.empty()) err = r.error();
    specs.emplace_back(t, s);
  };
  const Spec norm{0.1f, 1.0f};
  add("token_embd.weight", TensorType::kQ8_0, {E, V}, {1.0f});
  for (int il = 0; il < p.n_layer; ++il) {
    const std::string b = "blk." + std::to_string(il) + ".";
    add(b + "attn_norm.weight", TensorType::kF32, {E}, norm);
    add(b + "attn_q.weight", TensorType::kQ8_0, {E, Q}, {0.7f * s_in});
    add(b + "attn_q.bias", TensorType::kF32, {Q}, {0.2f});
    add(b + "attn_k.weight", TensorType::kQ8_0, {E, KV}, {0.7f * s_in});
    add(b + "attn_k.bias", TensorType::kF32, {KV}, {0.2f});
    add(b + "attn_v.weight", TensorType::kQ8_0, {E, KV}, {s_in});
    add(b + "attn_v.bias", TensorType::kF32, {KV}, {0.1f});
    add(b + "attn_output.weight", TensorType::kQ8_0, {Q, E}, {0.3f / std::sqrt(static_cast<float>(Q))});
    add(b + "attn_output.bias", TensorType::kF32, {E}, {0.05f});
    add(b + "attn_sinks.weight", TensorType::kF32, {p.n_head}, {1.0f});
    add(b + "post_attention_norm.weight", TensorType::kF32, {E}, norm);
    add(b + "ffn_gate_inp.weight", TensorType::kF32, {E, X}, {2.0f * s_in});
    add(b + "ffn_gate_inp.bias", TensorType::kF32, {X}, {0.5f});
    add(b + "ffn_gate_exps.weight", TensorType::kMXFP4, {E, F, X}, {s_in});
    add(b + "ffn_gate_exps.bias", TensorType::kF32, {F, X}, {0.2f});
    add(b + "ffn_up_exps.weight", TensorType::kMXFP4, {E, F, X}, {s_in});
    add(b + "ffn_up_exps.bias", TensorType::kF32, {F, X}, {0.2f});
    add(b + "ffn_down_exps.weight", TensorType::kMXFP4, {F, E, X}, {0.3f / std::sqrt(static_cast<float>(F))});
    add(b + "ffn_down_exps.bias", TensorType::kF32, {E, X}, {0.05f});
  }
  add("output_norm.weight", TensorType::kF32, {E}, norm);
  add("output.weight", TensorType::kQ8_0, {E, V}, {4.0f * s_in});
  if (!err.empty()) return std::unexpected(err);

  Generator gen(seed);
  return w.write(
      out_path, [&](size_t t, uint64_t off, std::span<uint8_t> out) { gen.fill(t, specs[t].first, specs[t].second, off, out); },
      progress);
}

}  // namespace sy::local_engine::model
