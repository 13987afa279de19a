#include "cli/commands.hpp"

namespace sy::gateway::cli {

// Not implemented yet.
void add_model_text_commands(CLI::App& model, int& exit_code) {}

}  // namespace sy::gateway::cli
