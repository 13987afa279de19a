#include "sy/gateway/audit/bench.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "sy/gateway/audit/chain.hpp"
#include "sy/gateway/audit/record.hpp"
#include "sy/gateway/audit/writer.hpp"

namespace sy::gateway::audit {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A typical record: a sensitive request served locally after one attempt.
nlohmann::json typical_record(std::uint64_t i) {
  RequestRecord r;
  r.time = std::chrono::system_clock::now();
  r.request_id = fmt::format("req-{:016x}", i);
  r.key_id = "team-a";
  r.model = "auto";
  r.stream = true;
  r.stage = "complete";
  r.classification = ClassificationSummary{true, false, {{"email", 1, {{1, 40, 62}}}, {"iban", 1, {{1, 80, 102}}}}};
  r.route = RouteSummary{"sensitive", {"local"}, {"local"}, {"sensitive: email, iban"}};
  r.attempts = {{"local", "ok", 200, 812.4, "closed"}};
  r.served_by = "local";
  r.commit_point_reached = true;
  r.finish_reason = "stop";
  r.tokens_in = 412;
  r.tokens_out = 128;
  r.cost_estimated_usd = 0.0;
  r.cost_actual_usd = 0.0;
  r.ttft_ms = 95.2;
  r.latency_ms = 815.0;
  r.status = 200;
  return to_json(r);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::expected<BenchRun, std::string> run_one(const BenchOptions& o, FsyncPolicy policy, int producers) {
  const fs::path path = fs::path(o.dir) / "sy-bench-audit.jsonl";
  std::error_code ec;
  fs::remove(path, ec);
  WriterOptions w;
  w.path = path.string();
  w.fsync = policy;
  w.fsync_interval = o.interval;
  w.hmac_key = o.keyed ? "bench-audit-key" : "";
  w.rotate_bytes = 0;
  w.rotate_daily = false;
  w.queue_capacity = static_cast<std::size_t>(std::max(producers, 1)) * 4;
  auto log = AuditLog::open(w);
  if (!log) return std::unexpected(log.error());

  std::atomic<std::uint64_t> issued{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::string failure;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      for (;;) {
        const std::uint64_t i = issued.fetch_add(1);
        if (i >= o.max_records || Clock::now() >= deadline) break;
        auto rec = typical_record(i);
        const auto t0 = Clock::now();
        auto r = (*log)->append(std::move(rec)).get();
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!r.durable) {
          std::lock_guard lk(mu);
          failure = r.error;
          break;
        }
      }
      std::lock_guard lk(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const auto stats = (*log)->stats();
  (*log)->close();
  fs::remove(path, ec);
  if (!failure.empty()) return std::unexpected(failure);

  BenchRun run;
  run.policy = policy == FsyncPolicy::kEveryRecord ? "every_record" : fmt::format("interval_{}ms", o.interval.count());
  run.producers = producers;
  run.records = latencies.size();
  run.seconds = secs;
  run.records_per_s = secs > 0 ? static_cast<double>(run.records) / secs : 0;
  double sum = 0;
  for (double l : latencies) sum += l;
  run.latency_mean_ms = latencies.empty() ? 0 : sum / static_cast<double>(latencies.size());
  run.latency_p50_ms = percentile(latencies, 0.50);
  run.latency_p99_ms = percentile(latencies, 0.99);
  run.syncs = stats.syncs;
  return run;
}

double seal_cost_us(bool keyed, std::uint64_t& bytes) {
  ChainHasher hasher(keyed ? "bench-audit-key" : "");
  constexpr int kIters = 20000;
  std::string prev(kGenesisPrev);
  const auto rec = typical_record(1);
  const auto t0 = Clock::now();
  for (int i = 0; i < kIters; ++i) {
    Sealed s = seal(rec, static_cast<std::uint64_t>(i), prev, hasher);
    prev = std::move(s.hash);
    bytes = s.line.size() + 1;
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / kIters;
}

}  // namespace

BenchResult run_audit_bench(const BenchOptions& o) {
  BenchResult result;
  result.seal_us = seal_cost_us(o.keyed, result.record_bytes);
  for (auto policy : {FsyncPolicy::kEveryRecord, FsyncPolicy::kInterval}) {
    for (int producers : {1, std::max(o.producers, 1)}) {
      auto run = run_one(o, policy, producers);
      if (!run) {
        result.error = run.error();
        return result;
      }
      result.runs.push_back(*run);
      if (o.producers <= 1) break;
    }
  }
  return result;
}

nlohmann::json to_json(const BenchResult& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& x : r.runs) {
    runs.push_back({{"policy", x.policy},
                    {"producers", x.producers},
                    {"records", x.records},
                    {"seconds", x.seconds},
                    {"records_per_s", x.records_per_s},
                    {"latency_mean_ms", x.latency_mean_ms},
                    {"latency_p50_ms", x.latency_p50_ms},
                    {"latency_p99_ms", x.latency_p99_ms},
                    {"syncs", x.syncs}});
  }
  nlohmann::json j = {{"seal_us", r.seal_us}, {"record_bytes", r.record_bytes}, {"runs", std::move(runs)}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

std::string format_text(const BenchResult& r) {
  std::string out = fmt::format("seal (serialise + hash) {:.2f} us/record, {} bytes/record\n", r.seal_us,
                                r.record_bytes);
  out += fmt::format("{:<16} {:>9} {:>8} {:>11} {:>10} {:>10} {:>10} {:>8}\n", "policy", "producers", "records",
                     "records/s", "mean_ms", "p50_ms", "p99_ms", "syncs");
  for (const auto& x : r.runs) {
    out += fmt::format("{:<16} {:>9} {:>8} {:>11.0f} {:>10.3f} {:>10.3f} {:>10.3f} {:>8}\n", x.policy, x.producers,
                       x.records, x.records_per_s, x.latency_mean_ms, x.latency_p50_ms, x.latency_p99_ms, x.syncs);
  }
  out += "(latency: append until the record is durable, i.e. what a request waits for)\n";
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  return out;
}

}  // namespace sy::gateway::audit
