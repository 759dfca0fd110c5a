#include "cli/cmd_sdl.hpp"

namespace akt::cli {

// The output commands (manifest, groups, version) live here; none are registered yet.
void add_sdl_output_commands(CLI::App& sdl, Context& ctx) {
  (void)sdl;
  (void)ctx;
}

} // namespace akt::cli
