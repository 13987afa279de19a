#pragma once
// The classify benchmark workload, shared by bench/classify and
// `switchyard bench classify`: per-request latency percentiles and
// throughput for prompts of a given size, on the calling thread.
#include <cstddef>
#include <string>
#include <vector>

#include "sy/router/router.hpp"

namespace sy::router {

struct ClassifyBenchResult {
  std::string label;  // "1KB", "4KB", "64KB", "1MB"
  size_t bytes = 0;
  size_t iterations = 0;
  double p50_us = 0.0;
  double p99_us = 0.0;
  double mean_us = 0.0;
  double mb_s = 0.0;  // bytes / mean time
  // Thread CPU time: the same figures without time spent preempted, which
  // matters on a shared machine.
  double cpu_p50_us = 0.0;
  double cpu_p99_us = 0.0;
  double cpu_mb_s = 0.0;
};

// A realistic mixed prompt (prose, code, logs, some CJK, numbers that are
// not entities) of exactly `bytes` bytes, valid UTF-8.
std::string make_bench_prompt(size_t bytes);

// Runs classify() repeatedly for about `seconds` (at least a few iterations).
ClassifyBenchResult bench_classify(const Router& router, size_t bytes, const std::string& label, double seconds = 1.0);

// The four standard sizes.
std::vector<ClassifyBenchResult> bench_classify_standard(const Router& router, double seconds_per_size = 1.0);

}  // namespace sy::router
