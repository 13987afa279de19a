// switchyard: the gateway binary and its tools.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Switchyard: an OpenAI-compatible gateway that keeps sensitive prompts on the machine"};
  app.set_version_flag("--version", std::string("switchyard ") + SY_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  sy::gateway::cli::add_serve_commands(app, exit_code);
  sy::gateway::cli::add_model_commands(app, exit_code);
  sy::gateway::cli::add_classify_command(app, exit_code);
  sy::gateway::cli::add_audit_commands(app, exit_code);
  sy::gateway::cli::add_bench_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // bad usage
  }
  return exit_code;
}
