#include <cmath>

#include "gguf/strcat.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

using sy::local_engine::detail::cat;

namespace {

constexpr std::string_view kArch = "gpt-oss";
constexpr int kMaxDim = 1 << 20;  // sanity bound on any size read from metadata

struct MetaReader {
  const gguf::File& f;
  std::string prefix;
  std::string error;

  std::string key(std::string_view k) const { return prefix + "." + std::string(k); }

  int required_int(std::string_view k, int lo = 1, int hi = kMaxDim) {
    auto v = f.get_int(key(k));
    if (!v) {
      if (error.empty()) error = cat("missing or non-integer metadata key '", key(k), "'");
      return 0;
    }
    return checked(k, *v, lo, hi);
  }
  int optional_int(std::string_view k, int def, int lo = 1, int hi = kMaxDim) {
    auto v = f.get_int(key(k));
    return v ? checked(k, *v, lo, hi) : def;
  }
  int checked(std::string_view k, int64_t v, int lo, int hi) {
    if (v < lo || v > hi) {
      if (error.empty()) error = cat("metadata key '", key(k), "' = ", v, " out of range [", lo, ", ", hi, "]");
      return 0;
    }
    return static_cast<int>(v);
  }
  float required_float(std::string_view k) {
    auto v = f.get_float(key(k));
    if (!v || !std::isfinite(*v)) {
      if (error.empty()) error = cat("missing or non-numeric metadata key '", key(k), "'");
      return 0.0f;
    }
    return static_cast<float>(*v);
  }
  float optional_float(std::string_view k, float def) {
    auto v = f.get_float(key(k));
    if (v && !std::isfinite(*v) && error.empty()) error = cat("metadata key '", key(k), "' is not finite");
    return v ? static_cast<float>(*v) : def;
  }
  // Scalar, or a per-layer array whose entries must all be equal.
  int uniform_int(std::string_view k, int def, int n_layer) {
    if (auto arr = f.get_int_array(key(k))) {
      if (arr->empty() || static_cast<int>(arr->size()) != n_layer) {
        if (error.empty()) error = cat("metadata key '", key(k), "' array has ", arr->size(), " entries, expected ", n_layer);
        return 0;
      }
      for (int64_t v : *arr)
        if (v != (*arr)[0]) {
          if (error.empty()) error = cat("metadata key '", key(k), "': per-layer values differ (unsupported)");
          return 0;
        }
      return checked(k, (*arr)[0], 1, kMaxDim);
    }
    return def < 0 ? required_int(k) : optional_int(k, def);
  }
};

}  // namespace

std::expected<HyperParams, std::string> HyperParams::from_gguf(const gguf::File& file) {
  auto arch = file.get_string("general.architecture");
  if (!arch) return std::unexpected("missing general.architecture");
  if (*arch != kArch)
    return std::unexpected(cat("unsupported architecture '", *arch, "' (only '", kArch, "' is supported)"));
  HyperParams hp;
  hp.arch = std::string(*arch);
  MetaReader m{file, hp.arch, {}};
  hp.n_ctx_train = m.required_int("context_length");
  hp.n_embd = m.required_int("embedding_length");
  hp.n_layer = m.required_int("block_count", 1, 4096);
  hp.n_ff_exp = m.required_int("expert_feed_forward_length");
  hp.n_expert = m.required_int("expert_count", 1, 4096);
  hp.n_expert_used = m.required_int("expert_used_count", 1, 4096);
  hp.n_head = m.uniform_int("attention.head_count", -1, hp.n_layer);
  hp.n_head_kv = m.uniform_int("attention.head_count_kv", hp.n_head, hp.n_layer);
  hp.head_dim = m.required_int("attention.key_length");
  hp.value_dim = m.optional_int("attention.value_length", hp.head_dim);
  hp.rms_eps = m.required_float("attention.layer_norm_rms_epsilon");
  hp.n_swa = m.required_int("attention.sliding_window");
  hp.rope_base = m.optional_float("rope.freq_base", 10000.0f);
  hp.rope_base_swa = m.optional_float("rope.freq_base_swa", hp.rope_base);
  hp.n_rot = m.optional_int("rope.dimension_count", hp.head_dim);
  if (!m.error.empty()) return std::unexpected(m.error);

  auto scaling = file.get_string(m.key("rope.scaling.type"));
  const float factor = m.optional_float("rope.scaling.factor", 0.0f);
  hp.rope_freq_scale = factor > 0.0f ? 1.0f / factor : 1.0f;
  hp.yarn = scaling && *scaling == "yarn";
  if (scaling && *scaling != "yarn" && *scaling != "linear" && *scaling != "none")
    return std::unexpected(cat("unsupported rope.scaling.type '", *scaling, "'"));
  if (hp.yarn) {
    // llama.cpp's default (the training context) would silently be wrong for gpt-oss.
    hp.n_ctx_orig = m.required_int("rope.scaling.original_context_length");
  } else {
    hp.n_ctx_orig = hp.n_ctx_train;
  }
  hp.yarn_attn_factor = m.optional_float("rope.scaling.attn_factor", 1.0f);
  if (!m.error.empty()) return std::unexpected(m.error);

  hp.swa_layers.assign(static_cast<size_t>(hp.n_layer), false);
  if (auto pattern = file.get_int_array(m.key("attention.sliding_window_pattern"))) {
    if (static_cast<int>(pattern->size()) != hp.n_layer)
      return std::unexpected("attention.sliding_window_pattern must have one entry per layer");
    for (int i = 0; i < hp.n_layer; ++i) hp.swa_layers[static_cast<size_t>(i)] = (*pattern)[static_cast<size_t>(i)] != 0;
  } else {
    // Period n: layer il is SWA unless il % n == n - 1 (llama.cpp set_swa_pattern, dense_first=false).
    const int period = m.optional_int("attention.sliding_window_pattern", 2);
    if (!m.error.empty()) return std::unexpected(m.error);
    for (int i = 0; i < hp.n_layer; ++i) hp.swa_layers[static_cast<size_t>(i)] = (i % period) < (period - 1);
  }

  if (hp.n_head % hp.n_head_kv != 0) return std::unexpected(cat("head_count ", hp.n_head, " not a multiple of head_count_kv ", hp.n_head_kv));
  if (hp.value_dim != hp.head_dim) return std::unexpected("value_length != key_length is not supported");
  if (hp.n_rot != hp.head_dim || hp.head_dim % 2 != 0) return std::unexpected("rope.dimension_count must equal an even key_length");
  if (hp.n_expert_used > hp.n_expert) return std::unexpected("expert_used_count > expert_count");
  if (hp.n_embd % 32 != 0 || hp.n_ff_exp % 32 != 0 || (hp.n_head * hp.head_dim) % 32 != 0)
    return std::unexpected("embedding, expert and attention widths must be multiples of 32");
  return hp;
}

std::expected<NumericPath, std::string> parse_numeric_path(std::string_view s) {
  if (s == "fast") return NumericPath::kFast;
  if (s == "reference") return NumericPath::kReference;
  return std::unexpected(cat("unknown numeric path '", s, "' (expected fast|reference)"));
}

std::expected<KvType, std::string> parse_kv_type(std::string_view s) {
  if (s == "f32") return KvType::kF32;
  if (s == "f16") return KvType::kF16;
  if (s == "q8_0") return KvType::kQ8_0;
  return std::unexpected(cat("unknown KV type '", s, "' (expected f32|f16|q8_0)"));
}

}  // namespace sy::local_engine::model
