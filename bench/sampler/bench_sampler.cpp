// Usage: sy_bench_sampler [vocabulary] [samples]
// Times Sampler::sample on fixed random logits (normal, sd 2.5) of a
// gpt-oss-sized vocabulary, for the settings requests commonly send.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "sy/kernels/cpu/simd_path.hpp"
#include "sy/local_engine/engine.hpp"
#include "sy/local_engine/sampler.hpp"

int main(int argc, char** argv) {
  const size_t vocab = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 201088;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 200;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 2.5f);
  std::vector<float> logits(vocab);
  for (float& l : logits) l = nd(rng);

  struct Setting {
    const char* name;
    float temperature, top_p;
    int top_k;
    float min_p;
  };
  const Setting settings[] = {{"temperature 1", 1.0f, 1.0f, 0, 0.0f},
                              {"temperature 0.7, top_p 0.9", 0.7f, 0.9f, 0, 0.0f},
                              {"top_k 40", 1.0f, 1.0f, 40, 0.0f},
                              {"min_p 0.05", 1.0f, 1.0f, 0, 0.05f},
                              {"top_k 40, top_p 0.9", 1.0f, 0.9f, 40, 0.0f}};
  std::printf("sampler over %zu logits, %d samples each, %s path\n", vocab, samples,
              sy::kernels::cpu::simd_path_name(sy::kernels::cpu::SimdPath::kAuto));
  for (const Setting& s : settings) {
    sy::local_engine::SamplingParams p;
    p.temperature = s.temperature;
    p.top_p = s.top_p;
    p.top_k = s.top_k;
    p.min_p = s.min_p;
    p.seed = 1;
    sy::local_engine::runtime::Sampler sampler(p);
    for (int i = 0; i < 5; ++i) sampler.sample(logits);  // warm the buffers
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < samples; ++i) sampler.sample(logits);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  %-28s %7.3f ms per token\n", s.name, ms / samples);
  }
  return 0;
}
