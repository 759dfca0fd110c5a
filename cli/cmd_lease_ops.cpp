#include <CLI/CLI.hpp>
#include "cli/context.hpp"
namespace akt::cli {
void add_lease_ops_commands(CLI::App& app, Context& ctx) { (void)app; (void)ctx; }
}
