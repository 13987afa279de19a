// `switchyard bench <what>`: in-process benchmarks that print figures.
// `bench classify` is here; `bench engine` and `bench audit` are added as
// further subcommands of `bench` below (see the marked place).
#include <sched.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "sy/config/config.hpp"
#include "sy/gateway/audit/bench.hpp"
#include "sy/gateway/bench/engine_bench.hpp"
#include "sy/router/classify_bench.hpp"

namespace sy::gateway::cli {
namespace {

// Keeps the benchmark on one core so the figures are per core.
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

struct ClassifyBenchArgs {
  std::string config_path;
  bool json = false;
  double seconds = 1.0;
};

int run_bench_classify(const ClassifyBenchArgs& args) {
  router::RouterOptions options;
  if (!args.config_path.empty()) {
    try {
      options = config::load_config_file(args.config_path).routing;
    } catch (const config::ConfigError& e) {
      std::cerr << "switchyard: config error: " << e.what() << "\n";
      return 2;
    }
  }
  pin_to_one_cpu();
  router::Router r(options);
  auto results = router::bench_classify_standard(r, args.seconds);
  if (args.json) {
    nlohmann::json sizes = nlohmann::json::object();
    for (const auto& x : results) {
      sizes[x.label] = {{"p50_us", x.p50_us},         {"p99_us", x.p99_us},         {"mb_s", x.mb_s},
                        {"cpu_p50_us", x.cpu_p50_us}, {"cpu_p99_us", x.cpu_p99_us}, {"cpu_mb_s", x.cpu_mb_s},
                        {"iterations", x.iterations}, {"bytes", x.bytes}};
    }
    std::cout << nlohmann::json{{"sizes", sizes}}.dump() << "\n";
  } else {
    std::printf("%-6s %10s %10s %8s | %10s %10s %8s | %8s\n", "size", "p50_us", "p99_us", "MB/s", "cpu_p50", "cpu_p99",
                "cpu_MB/s", "iters");
    for (const auto& x : results)
      std::printf("%-6s %10.2f %10.2f %8.1f | %10.2f %10.2f %8.1f | %8zu\n", x.label.c_str(), x.p50_us, x.p99_us, x.mb_s,
                  x.cpu_p50_us, x.cpu_p99_us, x.cpu_mb_s, x.iterations);
    std::printf("(wall clock | thread CPU time; one thread pinned to one core)\n");
  }
  return 0;
}

void add_bench_classify(CLI::App& bench, int& exit_code) {
  auto args = std::make_shared<ClassifyBenchArgs>();
  auto* cmd = bench.add_subcommand("classify", "Classify latency (p50/p99) and MB/s for 1 KB, 4 KB, 64 KB, 1 MB prompts");
  cmd->add_option("--config", args->config_path, "YAML config file (its routing section); default: built-in detectors");
  cmd->add_flag("--json", args->json, "print {\"sizes\": {\"1KB\": {\"p50_us\", \"p99_us\", \"mb_s\"}, ...}}");
  cmd->add_option("--seconds", args->seconds, "measuring time per size")->check(CLI::PositiveNumber);
  cmd->callback([args, &exit_code] { exit_code = run_bench_classify(*args); });
}

void add_bench_audit(CLI::App& bench, int& exit_code) {
  struct Args {
    audit::BenchOptions options;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  args->options.dir = "/tmp";
  auto* cmd = bench.add_subcommand("audit", "Audit writer: records/s and ack latency, every_record vs group commit");
  cmd->add_option("--dir", args->options.dir, "scratch directory on the disk to measure (default /tmp)");
  cmd->add_option("--producers", args->options.producers, "concurrent producers")->check(CLI::PositiveNumber);
  cmd->add_option("--seconds", args->options.seconds, "measuring time per run")->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &exit_code] {
    auto result = audit::run_audit_bench(args->options);
    if (!result.error.empty()) {
      std::cerr << "switchyard: bench audit: " << result.error << "\n";
      exit_code = 1;
      return;
    }
    std::cout << (args->json ? audit::to_json(result).dump() + "\n" : audit::format_text(result));
    exit_code = 0;
  });
}

}  // namespace

void add_bench_commands(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "In-process benchmarks");
  bench->require_subcommand(1);
  add_bench_classify(*bench, exit_code);
  add_bench_audit(*bench, exit_code);
  {
    struct Args {
      sy::gateway::bench::EngineBenchOptions options;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    args->options.model_path = SY_DEFAULT_VOCAB_GGUF;  // the shipped tiny model, wherever we run from
    auto* cmd = bench->add_subcommand("engine", "Engine tok/s (prefill, decode, concurrency), TTFT, RSS, roofline");
    sy::gateway::bench::add_engine_bench_options(*cmd, args->options, args->json);
    cmd->callback([args, &exit_code] {
      auto r = sy::gateway::bench::run_engine_bench(args->options);
      if (!r.error.empty()) {
        std::cerr << "switchyard: bench engine: " << r.error << "\n";
        exit_code = 1;
        return;
      }
      std::cout << (args->json ? sy::gateway::bench::to_json(r).dump() + "\n" : sy::gateway::bench::format_text(r));
      exit_code = 0;
    });
  }
}

}  // namespace sy::gateway::cli
