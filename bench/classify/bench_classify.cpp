// Usage: sy_bench_classify [--json] [--seconds S]
// Pins itself to one CPU so the figures are per core.
#include <sched.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sy/router/classify_bench.hpp"

int main(int argc, char** argv) {
  bool json = false;
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = std::stod(argv[++i]);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) {
        CPU_ZERO(&set);
        CPU_SET(c, &set);
        sched_setaffinity(0, sizeof set, &set);
        break;
      }
    }
  }
  sy::router::Router router{sy::router::RouterOptions{}};
  auto results = sy::router::bench_classify_standard(router, seconds);
  if (json) {
    std::printf("{\"sizes\": {");
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::printf("%s\"%s\": {\"p50_us\": %.2f, \"p99_us\": %.2f, \"mb_s\": %.1f, \"cpu_p50_us\": %.2f, "
                  "\"cpu_p99_us\": %.2f, \"cpu_mb_s\": %.1f, \"iterations\": %zu}",
                  i ? ", " : "", r.label.c_str(), r.p50_us, r.p99_us, r.mb_s, r.cpu_p50_us, r.cpu_p99_us, r.cpu_mb_s,
                  r.iterations);
    }
    std::printf("}}\n");
  } else {
    std::printf("%-6s %10s %10s %8s | %10s %10s %8s | %8s\n", "size", "p50_us", "p99_us", "MB/s", "cpu_p50", "cpu_p99",
                "cpu_MB/s", "iters");
    for (const auto& r : results)
      std::printf("%-6s %10.2f %10.2f %8.1f | %10.2f %10.2f %8.1f | %8zu\n", r.label.c_str(), r.p50_us, r.p99_us, r.mb_s,
                  r.cpu_p50_us, r.cpu_p99_us, r.cpu_mb_s, r.iterations);
    std::printf("(wall clock | thread CPU time; one thread pinned to one core)\n");
  }
  return 0;
}
