// Engine bench runs: prefill and batch-1 decode drive a model::Context
// directly (fixed token stream, so an end-of-generation token cannot cut a
// run short); time to first token and the concurrency runs go through
// CpuEngine::generate, the path requests take.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sy/gateway/bench/engine_bench.hpp"
#include "sy/kernels/cpu/simd_path.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"
#include "sy/local_engine/engine_impl.hpp"

namespace sy::gateway::bench {
namespace {

namespace le = sy::local_engine;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Deterministic ordinary-text token ids (below the special tokens at the top of the vocabulary).
std::vector<int32_t> make_prompt(int n, uint64_t seed, int n_vocab) {
  const int lo = std::min(1000, n_vocab / 4);
  const int hi = std::max(lo + 1, std::min(n_vocab, 199000));
  std::vector<int32_t> out(static_cast<size_t>(std::max(n, 1)));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 12345;
  for (auto& t : out) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    t = lo + static_cast<int32_t>((s >> 33) % static_cast<uint64_t>(hi - lo));
  }
  return out;
}

// Weights read per decoded token: every non-expert tensor, n_used/n_expert of
// the stacked expert tensors, and one row of the embedding table.
double bytes_per_token(const le::model::Model& m) {
  const auto& hp = m.hparams();
  const double expert_share = hp.n_expert > 0 ? static_cast<double>(hp.n_expert_used) / hp.n_expert : 1.0;
  double total = 0.0;
  for (const auto& t : m.file().tensors()) {
    if (t.name.starts_with("token_embd"))
      total += static_cast<double>(t.row_bytes());
    else if (t.name.find("_exps") != std::string_view::npos)
      total += static_cast<double>(t.nbytes) * expert_share;
    else
      total += static_cast<double>(t.nbytes);
  }
  return total;
}

std::string machine_description() {
  std::string cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.starts_with("model name")) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::string load;
  std::ifstream("/proc/loadavg") >> load;
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, load " + load;
}

// Peak RSS since the last reset_peak_rss() (VmHWM); the process-lifetime
// maximum where /proc does not have it.
long peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6)) * 1024L;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss * 1024L;
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// One generate() call; returns ms to the first token (or -1 on error).
double time_to_first_token(le::CpuEngine& e, const std::vector<int32_t>& prompt, int* cached, std::string* error) {
  le::SamplingParams sp;
  sp.temperature = 0.0f;
  sp.max_tokens = 1;
  const auto t0 = Clock::now();
  double ms = -1.0;
  auto r = e.generate(prompt, sp, [&](const le::GenerateEvent&) {
    if (ms < 0) ms = seconds_since(t0) * 1e3;
    return true;
  });
  if (!r) {
    *error = r.error().message;
    return -1.0;
  }
  if (cached) *cached = r->cached_prompt_tokens;
  return ms;
}

}  // namespace

EngineBenchResult run_engine_bench(const EngineBenchOptions& o) {
  EngineBenchResult res;
  res.model_path = o.model_path;
  res.threads = o.threads;
  std::error_code ec;
  res.model_file_bytes = static_cast<long>(std::filesystem::file_size(o.model_path, ec));
  if (ec) {
    res.error = "cannot read model " + o.model_path + ": " + ec.message();
    return res;
  }
  // A forced matrix kernel brings the float kernels' SIMD path of the same CPU
  // class with it, so `--kernel avx2` shows what an AVX2-only machine runs.
  namespace kc = kernels::cpu;
  const auto kernel = kc::parse_gemm_kernel(o.cpu_kernel);
  const kc::SimdPath simd = !kernel                                  ? kc::SimdPath::kAuto
                                        : *kernel == kc::GemmKernel::kAvx512Vnni ? kc::SimdPath::kAvx512
                                        : *kernel == kc::GemmKernel::kAvx2       ? kc::SimdPath::kAvx2
                                        : *kernel == kc::GemmKernel::kPortable   ? kc::SimdPath::kPortable
                                                                                 : kc::SimdPath::kAuto;
  if (!kernel || !kc::gemm_q8_force_kernel(*kernel) || !kc::force_simd_path(simd)) {
    kc::gemm_q8_force_kernel(kc::GemmKernel::kAuto);
    res.error = "kernel '" + o.cpu_kernel + "' is unknown or not supported by this CPU";
    return res;
  }
  // The kernel choice is process-wide: put dispatch back however the run ends.
  struct RestoreKernel {
    ~RestoreKernel() {
      kernels::cpu::gemm_q8_force_kernel(kernels::cpu::GemmKernel::kAuto);
      kernels::cpu::force_simd_path(kernels::cpu::SimdPath::kAuto);
    }
  } restore_kernel;
  res.cpu_kernel = kernels::cpu::gemm_q8_kernel_name();
  int longest = o.ttft_prefix_tokens + o.ttft_suffix_tokens;
  for (int len : o.prefill_lengths) longest = std::max(longest, len);
  le::EngineOptions eo;
  eo.model_path = o.model_path;
  eo.backend = "cpu";
  eo.threads = o.threads;
  eo.kv_type = o.kv_type;
  eo.context_tokens = std::max(longest, 16 + o.tokens_per_sequence) + 16;
  // Every concurrency run's clients are batched together (one KV slot each;
  // slots allocate KV lazily, so the small context above is all they grow to).
  int most_clients = 1;
  for (int c : o.concurrency) most_clients = std::max(most_clients, c);
  eo.max_concurrent_sequences = most_clients;
  eo.max_queued_requests = std::max(eo.max_queued_requests, most_clients);
  // Bandwidth is read before the model loads and again at the end; the higher
  // figure sets the roofline (on a shared VM it swings between runs, and the
  // lower one would flatter the percentage). Its buffer is freed before the
  // model loads, and peak RSS is counted from there.
  const double bandwidth_before = measure_read_bandwidth(o.bandwidth_mb, o.threads);
  reset_peak_rss();
  const auto t_load = Clock::now();
  auto engine = le::CpuEngine::create(eo);
  if (!engine) {
    res.error = engine.error();
    return res;
  }
  res.load_s = seconds_since(t_load);
  le::CpuEngine& e = **engine;
  const auto& hp = e.model().hparams();

  // Prefill and decode on a Context of their own (sharing the engine's weights).
  auto kv = le::model::parse_kv_type(o.kv_type);
  if (!kv) {
    res.error = kv.error();
    return res;
  }
  kernels::cpu::ThreadPool pool(o.threads);
  le::model::ContextOptions co;
  co.n_ctx = std::max(longest, 8 + o.decode_tokens) + 8;
  co.kv_type = *kv;
  le::model::Context ctx(e.model(), co, &pool);
  std::vector<float> logits;
  auto fail = [&](const std::string& what) {
    res.error = what;
    return res;
  };
  if (auto r = ctx.decode(make_prompt(8, 99, hp.n_vocab), false, logits); !r) return fail(r.error());  // warm-up
  uint64_t seed = 1;
  for (int len : o.prefill_lengths) {
    len = std::min(len, co.n_ctx - 1);
    ctx.reset();
    const auto prompt = make_prompt(len, seed++, hp.n_vocab);
    const auto t0 = Clock::now();
    if (auto r = ctx.decode(prompt, false, logits); !r) return fail(r.error());
    res.prefill_tok_s[len] = len / seconds_since(t0);
    res.prefill_main_len = std::max(res.prefill_main_len, len);
  }
  ctx.reset();
  if (auto r = ctx.decode(make_prompt(8, seed++, hp.n_vocab), false, logits); !r) return fail(r.error());
  const auto stream = make_prompt(o.decode_tokens, seed++, hp.n_vocab);
  const auto t_dec = Clock::now();
  for (int32_t tok : stream)
    if (auto r = ctx.decode(std::span<const int32_t>(&tok, 1), false, logits); !r) return fail(r.error());
  res.decode_tokens = o.decode_tokens;
  res.decode_tok_s = o.decode_tokens / seconds_since(t_dec);

  // Time to first token: a fresh prompt, then a prompt extending the previous request's.
  const int ttft_len = o.ttft_prefix_tokens + o.ttft_suffix_tokens;
  res.ttft_prompt_tokens = ttft_len;
  res.ttft_cold_ms = time_to_first_token(e, make_prompt(ttft_len, seed++, hp.n_vocab), nullptr, &res.error);
  if (!res.error.empty()) return res;
  auto shared = make_prompt(o.ttft_prefix_tokens, seed++, hp.n_vocab);
  time_to_first_token(e, shared, nullptr, &res.error);
  if (!res.error.empty()) return res;
  const auto suffix = make_prompt(o.ttft_suffix_tokens, seed++, hp.n_vocab);
  shared.insert(shared.end(), suffix.begin(), suffix.end());
  res.ttft_prefix_reuse_ms = time_to_first_token(e, shared, &res.ttft_cached_tokens, &res.error);
  if (!res.error.empty()) return res;

  // Concurrency: N client threads, each one request. Aggregate decode counts
  // the tokens produced while every client is past its first token (all N
  // sequences decoding together), over that window; the wall-clock figure
  // (all tokens / total time, prompt processing included) is kept beside it.
  for (int c : o.concurrency) {
    std::vector<std::vector<Clock::time_point>> stamps(static_cast<size_t>(c));
    std::vector<std::string> errors(static_cast<size_t>(c));
    const auto t0 = Clock::now();
    std::vector<std::thread> clients;
    for (int i = 0; i < c; ++i) {
      const auto prompt = make_prompt(8, seed++, hp.n_vocab);
      clients.emplace_back([&, i, prompt] {
        le::SamplingParams sp;
        sp.temperature = 1.0f;
        sp.seed = static_cast<uint64_t>(i + 1);
        sp.max_tokens = o.tokens_per_sequence;
        auto& mine = stamps[static_cast<size_t>(i)];
        mine.reserve(static_cast<size_t>(o.tokens_per_sequence));
        auto r = e.generate(prompt, sp, [&mine](const le::GenerateEvent&) {
          mine.push_back(Clock::now());
          return true;
        });
        if (!r) errors[static_cast<size_t>(i)] = r.error().message;
      });
    }
    for (auto& t : clients) t.join();
    const double wall = seconds_since(t0);
    for (const auto& err : errors)
      if (!err.empty()) return fail(err);
    int total = 0;
    Clock::time_point all_decoding = t0, first_done = Clock::time_point::max();
    for (const auto& s : stamps) {
      total += static_cast<int>(s.size());
      if (s.empty()) continue;
      all_decoding = std::max(all_decoding, s.front());
      first_done = std::min(first_done, s.back());
    }
    int in_window = 0;
    for (const auto& s : stamps)
      for (const auto& ts : s) in_window += ts > all_decoding && ts <= first_done;
    const double window = std::chrono::duration<double>(first_done - all_decoding).count();
    res.aggregate_wall_tok_s[c] = total / wall;
    if (window > 0 && in_window > 0) {
      res.aggregate_tokens[c] = in_window;
      res.aggregate_decode_tok_s[c] = in_window / window;
    } else {
      res.aggregate_tokens[c] = total;
      res.aggregate_decode_tok_s[c] = total / wall;
    }
  }

  res.peak_rss_bytes = peak_rss_bytes();  // before the bandwidth buffer and the long context inflate it

  if (o.long_context > 0) {
    le::model::ContextOptions lo = co;
    lo.n_ctx = o.long_context + o.decode_tokens + 8;
    le::model::Context long_ctx(e.model(), lo, &pool);
    const auto t_pre = Clock::now();
    if (auto r = long_ctx.decode(make_prompt(o.long_context, seed++, hp.n_vocab), false, logits); !r)
      return fail(r.error());
    res.long_context_prefill_tok_s = o.long_context / seconds_since(t_pre);
    const auto more = make_prompt(o.decode_tokens, seed++, hp.n_vocab);
    const auto t_more = Clock::now();
    for (int32_t tok : more)
      if (auto r = long_ctx.decode(std::span<const int32_t>(&tok, 1), false, logits); !r) return fail(r.error());
    res.long_context_decode_tok_s = o.decode_tokens / seconds_since(t_more);
    res.long_context = o.long_context;
  }
  res.machine = machine_description();
  res.bandwidth_gb_s = std::max(bandwidth_before, measure_read_bandwidth(o.bandwidth_mb, o.threads));
  res.bytes_per_token = bytes_per_token(e.model());
  if (res.bytes_per_token > 0) res.roofline_tok_s = res.bandwidth_gb_s * 1e9 / res.bytes_per_token;
  if (res.roofline_tok_s > 0) res.roofline_pct = 100.0 * res.decode_tok_s / res.roofline_tok_s;
  return res;
}

}  // namespace sy::gateway::bench
