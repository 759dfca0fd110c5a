#pragma once
// The `akt sdl` command family. cmd_sdl.cpp creates the `sdl` subcommand and its
// `validate`; add_sdl_output_commands adds the commands that print compiled output
// (manifest, groups, version), defined in cmd_sdl_output.cpp.
#include <cstddef>
#include <string>

#include "sdl/sdl.hpp"

namespace CLI {
class App;
}

namespace akt::cli {

struct Context;

// Options every `akt sdl` subcommand shares.
struct SdlInput {
  std::string file;                       // path or "-" for stdin
  std::size_t max_bytes = sdl::Limits{}.max_bytes;
};

// Adds `--max-bytes` and the FILE|- positional to `cmd`, bound to `input`.
void add_sdl_input_options(CLI::App& cmd, SdlInput& input);
// Reads and compiles the input ("-" reads stdin, named "<stdin>" in locations).
sdl::CompileResult compile_sdl_input(const SdlInput& input);

void add_sdl_commands(CLI::App& app, Context& ctx);
void add_sdl_output_commands(CLI::App& sdl, Context& ctx);

} // namespace akt::cli
