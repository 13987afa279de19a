#include "sy/gateway/bench/classify_bench_report.hpp"

#include <sched.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace sy::gateway::bench {

void pin_to_one_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    CPU_ZERO(&set);
    CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);
    return;
  }
}

std::string format_classify_results(const std::vector<router::ClassifyBenchResult>& results, bool json) {
  if (json) {
    nlohmann::json sizes = nlohmann::json::object();
    for (const auto& x : results) {
      sizes[x.label] = {{"p50_us", x.p50_us},         {"p99_us", x.p99_us},         {"mb_s", x.mb_s},
                        {"cpu_p50_us", x.cpu_p50_us}, {"cpu_p99_us", x.cpu_p99_us}, {"cpu_mb_s", x.cpu_mb_s},
                        {"iterations", x.iterations}, {"bytes", x.bytes}};
    }
    return nlohmann::json{{"sizes", sizes}}.dump() + "\n";
  }
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-6s %10s %10s %8s | %10s %10s %8s | %8s\n", "size", "p50_us", "p99_us", "MB/s",
                "cpu_p50", "cpu_p99", "cpu_MB/s", "iters");
  out += line;
  for (const auto& x : results) {
    std::snprintf(line, sizeof line, "%-6s %10.2f %10.2f %8.1f | %10.2f %10.2f %8.1f | %8zu\n", x.label.c_str(),
                  x.p50_us, x.p99_us, x.mb_s, x.cpu_p50_us, x.cpu_p99_us, x.cpu_mb_s, x.iterations);
    out += line;
  }
  return out + "(wall clock | thread CPU time; one thread pinned to one core)\n";
}

}  // namespace sy::gateway::bench
