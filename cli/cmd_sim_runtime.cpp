// The `akt sim` commands that run providers (serve, ...). Until the provider runtime
// exists, the `sim` family has only init and show.
#include "cli/cmd_sim.hpp"

namespace akt::cli {

void add_sim_runtime_commands(CLI::App& sim, Context& ctx) {
  (void)sim;
  (void)ctx;
}

} // namespace akt::cli
