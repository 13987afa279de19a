// Engine bench: read bandwidth, JSON and text output.
#include <sys/mman.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "sy/gateway/bench/engine_bench.hpp"

namespace sy::gateway::bench {
namespace {

// Several independent accumulators so the loop is bound by loads, not by one
// add chain; 256-bit loads where the CPU has them, so the figure is the
// memory's, not the loop's (scalar loads top out near 28 GB/s per core here).
uint64_t sum_words_scalar(const uint64_t* p, size_t n) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
    a4 += p[i + 4];
    a5 += p[i + 5];
    a6 += p[i + 6];
    a7 += p[i + 7];
  }
  for (; i < n; ++i) a0 += p[i];
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t sum_words_avx2(const uint64_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + sum_words_scalar(p + i, n - i);
}
#endif

uint64_t sum_words(const uint64_t* p, size_t n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return sum_words_avx2(p, n);
#endif
  return sum_words_scalar(p, n);
}

}  // namespace

double measure_read_bandwidth(int mb, int threads, int passes) {
  const size_t bytes = static_cast<size_t>(std::max(mb, 1)) << 20;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 0.0;
  auto* words = static_cast<uint64_t*>(mem);
  const size_t n = bytes / sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) words[i] = i * 0x9E3779B97F4A7C15ull;  // real pages, not the zero page
  threads = std::max(threads, 1);
  double best = 0.0;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < passes; ++pass) {
    std::vector<uint64_t> partial(static_cast<size_t>(threads), 0);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const size_t b = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
        const size_t e = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
        partial[static_cast<size_t>(t)] = sum_words(words + b, e - b);
      });
    }
    for (auto& th : pool) th.join();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto v : partial) sink = sink + v;
    if (dt > 0) best = std::max(best, static_cast<double>(bytes) / dt / 1e9);
  }
  munmap(mem, bytes);
  return best;
}

void add_engine_bench_options(CLI::App& app, EngineBenchOptions& o, bool& json) {
  app.add_option("--model", o.model_path, "GGUF file")->capture_default_str();
  app.add_option("--threads", o.threads, "engine threads (and bandwidth threads)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--prefill", o.prefill_lengths, "prompt lengths for prefill tok/s")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--decode-tokens", o.decode_tokens, "batch-1 decode steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--concurrency", o.concurrency, "concurrent sequences, e.g. 1,4,8,16")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--tokens-per-sequence", o.tokens_per_sequence, "tokens each concurrent sequence generates")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ttft-prefix", o.ttft_prefix_tokens, "shared prefix tokens of the prefix-reuse pair")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ttft-suffix", o.ttft_suffix_tokens, "new tokens of the second request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--bandwidth-mb", o.bandwidth_mb, "buffer size for the read-bandwidth figure")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--kv", o.kv_type, "KV cache elements: f32 | f16 | q8_0")->capture_default_str();
  app.add_option("--long-context", o.long_context,
                 "also prefill a prompt of this many tokens and decode after it (0: skip)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--kernel", o.cpu_kernel,
                 "matrix kernel: auto | avx512vnni | avx2 | portable (a forced one shows what CPUs without the "
                 "better ones get)")
      ->check(CLI::IsMember({"auto", "avx512vnni", "avx2", "portable"}))
      ->capture_default_str();
  app.add_flag("--json", json, "print one JSON object");
}

nlohmann::json to_json(const EngineBenchResult& r) {
  nlohmann::json prefill = nlohmann::json::object();
  for (auto [len, v] : r.prefill_tok_s) prefill[std::to_string(len)] = v;
  nlohmann::json agg = nlohmann::json::object();
  nlohmann::json agg_tokens = nlohmann::json::object();
  for (auto [c, v] : r.aggregate_decode_tok_s) agg[std::to_string(c)] = v;
  for (auto [c, v] : r.aggregate_tokens) agg_tokens[std::to_string(c)] = v;
  nlohmann::json agg_wall = nlohmann::json::object();
  for (auto [c, v] : r.aggregate_wall_tok_s) agg_wall[std::to_string(c)] = v;
  const auto main = r.prefill_tok_s.find(r.prefill_main_len);
  return nlohmann::json{
      {"model", r.model_path},
      {"threads", r.threads},
      {"machine", r.machine},
      {"cpu_kernel", r.cpu_kernel},
      {"load_s", r.load_s},
      {"prefill_tok_s", main == r.prefill_tok_s.end() ? 0.0 : main->second},
      {"prefill_prompt_tokens", r.prefill_main_len},
      {"prefill_tok_s_by_length", prefill},
      {"decode_tok_s", r.decode_tok_s},
      {"decode_tokens", r.decode_tokens},
      {"aggregate_decode_tok_s", agg},
      {"aggregate_decode_tokens", agg_tokens},
      {"aggregate_wall_tok_s", agg_wall},
      {"ttft_ms",
       {{"cold", r.ttft_cold_ms},
        {"prefix_reuse", r.ttft_prefix_reuse_ms},
        {"prompt_tokens", r.ttft_prompt_tokens},
        {"cached_prompt_tokens", r.ttft_cached_tokens}}},
      {"bandwidth_gb_s", r.bandwidth_gb_s},
      {"bytes_per_token", r.bytes_per_token},
      {"roofline_tok_s", r.roofline_tok_s},
      {"roofline_pct", r.roofline_pct},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"long_context",
       {{"prompt_tokens", r.long_context},
        {"prefill_tok_s", r.long_context_prefill_tok_s},
        {"decode_tok_s", r.long_context_decode_tok_s}}},
      {"model_file_bytes", r.model_file_bytes},
  };
}

std::string format_text(const EngineBenchResult& r) {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... a) {
    std::snprintf(line, sizeof line, fmt, a...);
    out += line;
  };
  add("model     %s (%.2f GB), load %.2f s\n", r.model_path.c_str(), r.model_file_bytes / 1e9, r.load_s);
  add("machine   %s, %d engine threads, %s kernel\n", r.machine.c_str(), r.threads, r.cpu_kernel.c_str());
  for (auto [len, v] : r.prefill_tok_s) add("prefill   %4d tokens      %10.1f tok/s\n", len, v);
  add("decode    batch 1 (%d)    %10.2f tok/s\n", r.decode_tokens, r.decode_tok_s);
  for (auto [c, v] : r.aggregate_decode_tok_s)
    add("aggregate %2d sequences    %10.2f tok/s decoding together (%d tokens); %.2f tok/s wall incl. prompts\n", c, v,
        r.aggregate_tokens.at(c), r.aggregate_wall_tok_s.at(c));
  add("ttft      cold            %10.1f ms (%d-token prompt)\n", r.ttft_cold_ms, r.ttft_prompt_tokens);
  add("ttft      prefix reuse    %10.1f ms (%d tokens reused)\n", r.ttft_prefix_reuse_ms, r.ttft_cached_tokens);
  add("bandwidth read            %10.2f GB/s\n", r.bandwidth_gb_s);
  add("roofline  %.3f GB/token -> %.2f tok/s; decode at %.1f %%\n", r.bytes_per_token / 1e9, r.roofline_tok_s,
      r.roofline_pct);
  add("peak RSS  %.1f MB\n", r.peak_rss_bytes / 1e6);
  if (r.long_context > 0)
    add("long      %d-token prompt: prefill %.1f tok/s, then decode %.2f tok/s\n", r.long_context,
        r.long_context_prefill_tok_s, r.long_context_decode_tok_s);
  return out;
}

}  // namespace sy::gateway::bench
