#pragma once
// Subcommand groups of the `switchyard` CLI. Each function adds its
// subcommands to `app`; their callbacks store the process exit code (0 ok,
// 1 failure, 2 bad usage/config) in `exit_code`.
#include <CLI/CLI.hpp>

namespace sy::gateway::cli {

void add_serve_commands(CLI::App& app, int& exit_code);       // serve, check-config
void add_model_commands(CLI::App& app, int& exit_code);       // model info|logits|generate|synth (+ text commands)
void add_model_text_commands(CLI::App& model, int& exit_code);  // model tokenize|render (called by add_model_commands)
void add_classify_command(CLI::App& app, int& exit_code);     // classify
void add_audit_commands(CLI::App& app, int& exit_code);       // audit verify|summary
void add_bench_commands(CLI::App& app, int& exit_code);       // bench engine|classify|audit

}  // namespace sy::gateway::cli
