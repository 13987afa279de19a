// Usage: sy_bench_classify [--json] [--seconds S]
// Same figures as `switchyard bench classify` (default detectors); pins itself
// to one CPU so the figures are per core.
#include <iostream>

#include <CLI/CLI.hpp>

#include "sy/gateway/bench/classify_bench_report.hpp"

int main(int argc, char** argv) {
  bool json = false;
  double seconds = 1.0;
  CLI::App app("Classify latency (p50/p99) and MB/s for 1 KB, 4 KB, 64 KB, 1 MB prompts");
  app.add_flag("--json", json, "print JSON");
  app.add_option("--seconds", seconds, "measuring time per size")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  sy::gateway::bench::pin_to_one_cpu();
  sy::router::Router router{sy::router::RouterOptions{}};
  std::cout << sy::gateway::bench::format_classify_results(sy::router::bench_classify_standard(router, seconds), json);
  return 0;
}
