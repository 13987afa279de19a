#pragma once
// Synthetic gpt-oss GGUF files with real dimensions, tensor names and types
// (ggml-org layout: MXFP4 experts, Q8_0 embeddings/head/attention, F32 rest)
// and deterministic random weights scaled like the tiny fixture so
// activations stay finite. Tokenizer metadata is copied from another GGUF.
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sy/local_engine/gguf.hpp"

namespace sy::local_engine::model {

struct SynthPreset {
  std::string name;
  int n_layer, n_embd, n_head, n_head_kv, head_dim, n_expert, n_expert_used, n_ff, n_swa, n_ctx;
};

std::optional<SynthPreset> synth_preset(std::string_view name);  // tiny | gpt-oss-20b | gpt-oss-120b

std::expected<void, std::string> synthesize(const SynthPreset& preset, uint64_t seed, const gguf::File& vocab_from,
                                            const std::string& out_path,
                                            const std::function<void(uint64_t done, uint64_t total)>& progress = {});

}  // namespace sy::local_engine::model
