#include "cli/commands.hpp"

namespace sy::gateway::cli {

// Not implemented yet.
void add_model_commands(CLI::App& app, int& exit_code) { add_model_text_commands(*app.add_subcommand("model", "Inspect and run GGUF models"), exit_code); }

}  // namespace sy::gateway::cli
