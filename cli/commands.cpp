#include <CLI/CLI.hpp>

#include "cli/cmd_sim.hpp"
#include "cli/context.hpp"

namespace akt::cli {

// Each family is defined in its cmd_<family>.cpp.
void add_sdl_commands(CLI::App& app, Context& ctx);
void add_market_commands(CLI::App& app, Context& ctx);
void add_keys_commands(CLI::App& app, Context& ctx);
void add_ledger_commands(CLI::App& app, Context& ctx);

void register_commands(CLI::App& app, Context& ctx) {
  add_sdl_commands(app, ctx);
  add_market_commands(app, ctx);
  add_keys_commands(app, ctx);
  add_ledger_commands(app, ctx);
  add_sim_commands(app, ctx);
}

} // namespace akt::cli
