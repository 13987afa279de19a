#pragma once
// Engine benchmark (issue 4): prefill, decode, concurrent decode, time to
// first token with and without prefix reuse, peak RSS, and decode against the
// memory-bandwidth roofline measured in the same run. Used by the
// sy_bench_engine binary and `switchyard bench engine`.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace sy::gateway::bench {

struct EngineBenchOptions {
  std::string model_path = "tests/data/tiny-gpt-oss/tiny-gpt-oss.gguf";
  int threads = 2;
  std::vector<int> prefill_lengths{64, 512};  // capped to what the context holds
  int decode_tokens = 64;                     // batch-1 decode steps
  std::vector<int> concurrency{1, 4, 8, 16};
  int tokens_per_sequence = 32;  // generated per sequence in the concurrency runs
  int ttft_prefix_tokens = 256;  // shared prefix of the prefix-reuse pair
  int ttft_suffix_tokens = 16;   // new tokens of the second request
  int bandwidth_mb = 1024;       // buffer summed for the read-bandwidth figure
  std::string kv_type = "f32";
  std::string cpu_kernel = "auto";  // auto | avx512vnni | avx2 | portable (kernels::cpu::GemmKernel)
  int long_context = 0;             // > 0: also prefill this many tokens, then decode decode_tokens more after them
};

struct EngineBenchResult {
  std::string error;  // non-empty: the run failed
  std::string model_path;
  int threads = 0;
  std::map<int, double> prefill_tok_s;  // prompt length -> tok/s
  int prefill_main_len = 0;             // length behind `prefill_tok_s` in JSON
  double decode_tok_s = 0.0;
  int decode_tokens = 0;
  std::map<int, double> aggregate_decode_tok_s;  // concurrency -> tok/s while all N sequences decode
  std::map<int, int> aggregate_tokens;           // concurrency -> tokens behind that figure
  std::map<int, double> aggregate_wall_tok_s;    // concurrency -> all tokens / wall time (prompts included)
  double ttft_cold_ms = 0.0;
  double ttft_prefix_reuse_ms = 0.0;
  int ttft_prompt_tokens = 0;
  int ttft_cached_tokens = 0;  // prompt tokens the engine reported as reused
  double bandwidth_gb_s = 0.0;  // higher of the reads before the model loads and at the end
  double bytes_per_token = 0.0;  // weights read per decoded token
  double roofline_tok_s = 0.0;
  double roofline_pct = 0.0;
  long peak_rss_bytes = 0;  // before the bandwidth buffer is allocated
  long model_file_bytes = 0;
  double load_s = 0.0;
  std::string machine;     // cores, load average
  std::string cpu_kernel;  // the matrix kernel that ran
  int long_context = 0;    // prompt length of the long-context pair (0: not run)
  double long_context_prefill_tok_s = 0.0;
  double long_context_decode_tok_s = 0.0;  // batch 1, after that prompt
};

EngineBenchResult run_engine_bench(const EngineBenchOptions& options);
nlohmann::json to_json(const EngineBenchResult& r);
std::string format_text(const EngineBenchResult& r);

// Registers --model --threads --decode-tokens --concurrency ... on `app` (shared by
// sy_bench_engine and `switchyard bench engine`).
void add_engine_bench_options(CLI::App& app, EngineBenchOptions& options, bool& json);

// Best-of-`passes` read bandwidth (GB/s) of summing a `mb`-MB buffer with `threads` threads.
double measure_read_bandwidth(int mb, int threads, int passes = 5);

}  // namespace sy::gateway::bench
