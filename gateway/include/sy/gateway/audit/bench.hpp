#pragma once
// Audit writer benchmark: records/s and the latency each request waits for
// its record (append -> durable ack), for fsync every_record and group
// commit, with one producer (a lone request) and with N concurrent producers
// (N requests in flight, each waiting for its ack before the next). Also the
// CPU cost of sealing one record (serialise + hash). Used by bench/audit and
// `switchyard bench audit`.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sy::gateway::audit {

struct BenchOptions {
  std::string dir;  // scratch directory on the disk under test (files are removed)
  std::uint64_t max_records = 5000;  // per run
  double seconds = 2.0;              // per run, whichever ends first
  int producers = 8;
  std::chrono::milliseconds interval{10};  // group commit interval
  bool keyed = true;                       // HMAC-SHA256 chain
};

struct BenchRun {
  std::string policy;  // every_record | interval_<N>ms
  int producers = 0;
  std::uint64_t records = 0;
  double seconds = 0;
  double records_per_s = 0;
  double latency_mean_ms = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  std::uint64_t syncs = 0;
};

struct BenchResult {
  double seal_us = 0;  // CPU time to serialise and hash one record
  std::uint64_t record_bytes = 0;
  std::vector<BenchRun> runs;
  std::string error;  // non-empty: the writer could not run
};

BenchResult run_audit_bench(const BenchOptions& options);
nlohmann::json to_json(const BenchResult& r);
std::string format_text(const BenchResult& r);

}  // namespace sy::gateway::audit
