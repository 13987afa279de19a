// sy_bench_engine [--model FILE] [--threads N] [--decode-tokens N]
//                 [--concurrency 1,4,8,16] [--prefill 64,512] [--json]
// Engine speed (issue 4); see sy/gateway/bench/engine_bench.hpp.
#include <iostream>

#include <CLI/CLI.hpp>

#include "sy/gateway/bench/engine_bench.hpp"

int main(int argc, char** argv) {
  sy::gateway::bench::EngineBenchOptions o;
  o.model_path = SY_BENCH_DEFAULT_MODEL;
  bool json = false;
  CLI::App app("Engine benchmark: prefill, decode, concurrency, TTFT, RSS, bandwidth roofline");
  sy::gateway::bench::add_engine_bench_options(app, o, json);
  CLI11_PARSE(app, argc, argv);
  auto r = sy::gateway::bench::run_engine_bench(o);
  if (!r.error.empty()) {
    std::cerr << "sy_bench_engine: " << r.error << "\n";
    return 1;
  }
  std::cout << (json ? sy::gateway::bench::to_json(r).dump() + "\n" : sy::gateway::bench::format_text(r));
  return 0;
}
