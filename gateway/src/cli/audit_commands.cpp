#include "cli/commands.hpp"

namespace sy::gateway::cli {

// Not implemented yet.
void add_audit_commands(CLI::App& app, int& exit_code) {}

}  // namespace sy::gateway::cli
