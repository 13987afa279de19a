#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/default_config.hpp"
#include "sy/config/config.hpp"
#include "sy/gateway/app.hpp"

namespace sy::gateway::cli {

namespace {

config::Config load(const std::string& path) {
  if (path.empty()) return config::parse_config(kDefaultConfigYaml, kDefaultConfigName, kDefaultConfigBaseDir);
  return config::load_config_file(path);
}

int serve(const std::string& path) {
  // Access logs go to stderr; stdout carries only the startup lines scripts parse.
  spdlog::set_default_logger(spdlog::stderr_color_mt("switchyard"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  config::Config cfg;
  try {
    cfg = load(path);
  } catch (const config::ConfigError& e) {
    std::cerr << "switchyard: config error: " << e.what() << "\n";
    return 2;
  }
  // Signals are taken by one thread with sigwait, so no I/O thread is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<App> app;
  uint16_t port = 0;
  try {
    app = std::make_unique<App>(cfg);
    port = app->start();
  } catch (const std::exception& e) {
    std::cerr << "switchyard: cannot start: " << e.what() << "\n";
    return 1;
  }
  std::string host = cfg.server.host.find(':') != std::string::npos ? "[" + cfg.server.host + "]" : cfg.server.host;
  std::string base = "http://" + host + ":" + std::to_string(port);
  std::string model = cfg.local ? cfg.local->model_name : cfg.cloud->default_model;
  std::cout << "switchyard listening on " << base << "\n"
            << "try: curl -s " << base << "/v1/chat/completions -H 'Content-Type: application/json' -d '{\"model\":\""
            << model << "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":16}'\n"
            << std::flush;

  std::thread waiter([&app, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: draining in-flight requests", sig);
    app->shutdown();
  });
  app->run();
  // run() returns after shutdown() stopped the server; wake the waiter if it is still waiting.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

}  // namespace

void add_serve_commands(CLI::App& app, int& exit_code) {
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  static std::string path_storage;
  auto* path = &path_storage;
  serve_cmd->add_option("--config", *path, "YAML config file (default: the embedded config/switchyard.yaml)");
  serve_cmd->callback([path, &exit_code] { exit_code = serve(*path); });

  auto* check = app.add_subcommand("check-config", "Validate a config file and exit");
  static std::string check_path_storage;
  auto* check_path = &check_path_storage;
  check->add_option("FILE", *check_path, "YAML config file")->required();
  check->callback([check_path, &exit_code] {
    try {
      auto cfg = config::load_config_file(*check_path);
      std::cout << "ok: " << *check_path << " (targets:" << (cfg.local ? " local" : "") << (cfg.cloud ? " cloud" : "")
                << ", " << cfg.routing.rules.size() << " routing rules, " << cfg.policies.auth.keys.size()
                << " keys)\n";
      exit_code = 0;
    } catch (const config::ConfigError& e) {
      std::cerr << "switchyard: config error: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace sy::gateway::cli
