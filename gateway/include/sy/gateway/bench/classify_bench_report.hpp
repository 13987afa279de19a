#pragma once
// Classify bench output, shared by `switchyard bench classify` and the
// sy_bench_classify binary (the router itself may not use a JSON library).
#include <string>
#include <vector>

#include "sy/router/classify_bench.hpp"

namespace sy::gateway::bench {

// Keeps the calling thread on one core so the figures are per core.
void pin_to_one_cpu();

// {"sizes": {"1KB": {"p50_us", ...}, ...}} with --json, else a table.
std::string format_classify_results(const std::vector<router::ClassifyBenchResult>& results, bool json);

}  // namespace sy::gateway::bench
