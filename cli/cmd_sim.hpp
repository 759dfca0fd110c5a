#pragma once
// The `sim` command family. cmd_sim.cpp creates the `sim` subcommand (init, show) and
// hands it to add_sim_runtime_commands, which adds the commands that run providers
// (serve, ...) and lives in cmd_sim_runtime.cpp.
namespace CLI {
class App;
}

namespace akt::cli {

struct Context;

void add_sim_commands(CLI::App& app, Context& ctx);
// Adds the provider-running subcommands to the already created `sim` subcommand.
void add_sim_runtime_commands(CLI::App& sim, Context& ctx);

} // namespace akt::cli
