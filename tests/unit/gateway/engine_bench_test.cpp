// The engine bench on the shipped tiny model: the JSON contract of issue 4
// (`switchyard bench engine --json`) and the --kernel switch.
#include <gtest/gtest.h>

#include "sy/gateway/bench/engine_bench.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"

namespace sy::gateway::bench {
namespace {

EngineBenchOptions small_run() {
  EngineBenchOptions o;
  o.model_path = SY_TEST_DATA_DIR "/tiny-gpt-oss/tiny-gpt-oss.gguf";
  o.threads = 2;
  o.prefill_lengths = {16, 32};
  o.decode_tokens = 4;
  o.concurrency = {1, 2};
  o.tokens_per_sequence = 4;
  o.ttft_prefix_tokens = 16;
  o.ttft_suffix_tokens = 4;
  o.bandwidth_mb = 16;
  return o;
}

TEST(EngineBench, JsonCarriesTheIssueFields) {
  const auto r = run_engine_bench(small_run());
  ASSERT_EQ(r.error, "");
  const auto j = to_json(r);
  for (const char* key : {"prefill_tok_s", "decode_tok_s", "aggregate_decode_tok_s", "ttft_ms", "bandwidth_gb_s",
                          "roofline_pct", "peak_rss_bytes", "cpu_kernel"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["prefill_prompt_tokens"], 32);  // the longest length asked for stands in for 512
  EXPECT_GT(j["prefill_tok_s"].get<double>(), 0.0);
  EXPECT_GT(j["decode_tok_s"].get<double>(), 0.0);
  ASSERT_TRUE(j["aggregate_decode_tok_s"].contains("2"));
  EXPECT_GT(j["aggregate_decode_tok_s"]["2"].get<double>(), 0.0);
  EXPECT_GT(j["ttft_ms"]["prefix_reuse"].get<double>(), 0.0);
  EXPECT_EQ(j["ttft_ms"]["cached_prompt_tokens"], 16);
  EXPECT_GT(j["bandwidth_gb_s"].get<double>(), 0.0);
  EXPECT_GT(j["peak_rss_bytes"].get<long>(), 0);
  EXPECT_EQ(j["cpu_kernel"], kernels::cpu::gemm_q8_kernel_name());
  EXPECT_EQ(j["long_context"]["prompt_tokens"], 0);  // not asked for
}

TEST(EngineBench, LongContextPairRunsWhenAskedFor) {
  auto o = small_run();
  o.concurrency = {1};
  o.long_context = 200;
  const auto r = run_engine_bench(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.long_context, 200);
  EXPECT_GT(r.long_context_prefill_tok_s, 0.0);
  EXPECT_GT(r.long_context_decode_tok_s, 0.0);
}

TEST(EngineBench, KernelSwitchRunsThatKernelAndRestoresDispatch) {
  const std::string dispatched = kernels::cpu::gemm_q8_kernel_name();
  auto o = small_run();
  o.cpu_kernel = "portable";
  o.concurrency = {1};
  const auto r = run_engine_bench(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.cpu_kernel, "portable");
  EXPECT_EQ(kernels::cpu::gemm_q8_kernel_name(), dispatched);

  o.cpu_kernel = "sse9";
  EXPECT_NE(run_engine_bench(o).error.find("sse9"), std::string::npos);
}

}  // namespace
}  // namespace sy::gateway::bench
