// `switchyard bench <what>`: in-process benchmarks that print figures.
// `bench classify` is here; `bench engine` and `bench audit` are added as
// further subcommands of `bench` below (see the marked place).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "sy/config/config.hpp"
#include "sy/gateway/audit/bench.hpp"
#include "sy/gateway/bench/classify_bench_report.hpp"
#include "sy/gateway/bench/engine_bench.hpp"
#include "sy/router/classify_bench.hpp"

namespace sy::gateway::cli {
namespace {

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
  bench::pin_to_one_cpu();
  router::Router r(options);
  std::cout << bench::format_classify_results(router::bench_classify_standard(r, args.seconds), args.json);
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
