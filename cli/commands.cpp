#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace akt::cli {

// Each family is defined in its cmd_<family>.cpp.

void register_commands(CLI::App& app, Context& ctx) {
  (void)app;
  (void)ctx;
}

} // namespace akt::cli
