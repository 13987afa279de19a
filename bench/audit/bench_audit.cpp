// sy_bench_audit [--dir DIR] [--seconds S] [--records N] [--producers P]
//                [--interval-ms MS] [--plain] [--json]
// The scratch log goes to DIR (default: the current directory, so the figures
// are for the disk the gateway's audit log would live on, not a tmpfs).
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "sy/gateway/audit/bench.hpp"

int main(int argc, char** argv) {
  sy::gateway::audit::BenchOptions o;
  o.dir = std::filesystem::current_path().string();
  bool json = false, plain = false;
  int interval_ms = static_cast<int>(o.interval.count());
  CLI::App app("Audit writer benchmark: every_record vs group commit");
  app.add_option("--dir", o.dir, "scratch directory on the disk under test");
  app.add_option("--seconds", o.seconds, "time limit per run")->check(CLI::PositiveNumber);
  app.add_option("--records", o.max_records, "record limit per run")->check(CLI::PositiveNumber);
  app.add_option("--producers", o.producers, "concurrent producers of the second run")->check(CLI::PositiveNumber);
  app.add_option("--interval-ms", interval_ms, "group commit interval")->check(CLI::PositiveNumber);
  app.add_flag("--plain", plain, "plain SHA-256 chain instead of HMAC");
  app.add_flag("--json", json, "print JSON");
  CLI11_PARSE(app, argc, argv);
  o.interval = std::chrono::milliseconds(interval_ms);
  o.keyed = !plain;
  auto result = sy::gateway::audit::run_audit_bench(o);
  if (json) {
    std::cout << sy::gateway::audit::to_json(result).dump() << "\n";
  } else {
    std::cout << "dir: " << o.dir << "\n" << sy::gateway::audit::format_text(result);
  }
  return result.error.empty() ? 0 : 1;
}
