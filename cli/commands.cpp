#include <CLI/CLI.hpp>

#include "cli/cmd_sim.hpp"
#include "cli/context.hpp"
#include "cli/sim_session.hpp"

namespace akt::cli {

// Each family is defined in its cmd_<family>.cpp.
void add_sdl_commands(CLI::App& app, Context& ctx);
void add_market_commands(CLI::App& app, Context& ctx);
void add_keys_commands(CLI::App& app, Context& ctx);
void add_ledger_commands(CLI::App& app, Context& ctx);
void add_deploy_commands(CLI::App& app, Context& ctx);
void add_lease_ops_commands(CLI::App& app, Context& ctx);

void register_commands(CLI::App& app, Context& ctx) {
  add_sdl_commands(app, ctx);
  add_market_commands(app, ctx);
  add_keys_commands(app, ctx);
  add_ledger_commands(app, ctx);
  add_sim_commands(app, ctx);
  add_deploy_commands(app, ctx);
  // After the market family: joins its `lease` and `deployment` subcommands.
  add_lease_ops_commands(app, ctx);
  // Last: wraps commands of every family that providers must react to.
  add_provider_hooks(app, ctx);
}

} // namespace akt::cli
