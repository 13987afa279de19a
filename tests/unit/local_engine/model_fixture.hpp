#pragma once
// Shared access to the tiny-gpt-oss golden files and cached engine runs.
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model::testing {

inline std::string tiny_dir() { return std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss/"; }

inline nlohmann::json load_json(const std::string& name) {
  std::ifstream in(tiny_dir() + name);
  return nlohmann::json::parse(in);
}

inline std::vector<float> load_f32(const std::string& name) {
  std::ifstream in(tiny_dir() + name, std::ios::binary | std::ios::ate);
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<float> v(size / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(size));
  return v;
}

inline const Model& tiny_model() {
  static std::unique_ptr<Model> model = [] {
    auto m = Model::load(tiny_dir() + "tiny-gpt-oss.gguf");
    if (!m) throw std::runtime_error(m.error());
    return std::move(*m);
  }();
  return *model;
}

inline kernels::cpu::ThreadPool& test_pool() {
  static kernels::cpu::ThreadPool pool(2);
  return pool;
}

inline std::vector<std::vector<int32_t>> prompt_tokens() {
  std::vector<std::vector<int32_t>> out;
  const auto doc = load_json("prompts.json");
  for (const auto& p : doc["prompts"]) out.push_back(p["tokens"].get<std::vector<int32_t>>());
  return out;
}

// All-position logits of every prompt (one decode per prompt), cached per path.
inline const std::vector<std::vector<float>>& all_logits(NumericPath path) {
  static std::map<NumericPath, std::vector<std::vector<float>>> cache;
  auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  std::vector<std::vector<float>> out;
  for (const auto& toks : prompt_tokens()) {
    Context ctx(tiny_model(), ContextOptions{1024, KvType::kF32, path}, &test_pool());
    std::vector<float> logits;
    auto r = ctx.decode(toks, true, logits);
    if (!r) throw std::runtime_error(r.error());
    out.push_back(std::move(logits));
  }
  return cache.emplace(path, std::move(out)).first->second;
}

inline int argmax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return static_cast<int>(best);
}

// Greedy continuation: prefill the prompt, then feed one token per step.
inline std::vector<int32_t> greedy(const std::vector<int32_t>& prompt, int steps, NumericPath path) {
  Context ctx(tiny_model(), ContextOptions{1024, KvType::kF32, path}, &test_pool());
  std::vector<float> logits;
  std::vector<int32_t> out;
  if (!ctx.decode(prompt, false, logits)) return out;
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  for (int s = 0; s < steps; ++s) {
    const int32_t next = argmax(logits.data(), V);
    out.push_back(next);
    if (s + 1 < steps && !ctx.decode(std::span<const int32_t>(&next, 1), false, logits)) break;
  }
  return out;
}

}  // namespace sy::local_engine::model::testing
