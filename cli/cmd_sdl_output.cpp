// `akt sdl manifest|groups|version FILE`: what the network sees of an SDL. The bytes are
// the ones Go produces (sdl/json.hpp), so they can be diffed against `akash` or hashed.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "sdl/json.hpp"
#include "sdl/sdl.hpp"

namespace akt::cli {

void add_sdl_output_commands(CLI::App& sdl, Context& ctx);

namespace {

enum class What { manifest, groups, version };

// Compiles FILE ("-" reads stdin); on failure prints every error as `validate` does.
std::optional<sdl::Compiled> compile_or_report(const std::string& file) {
  sdl::CompileResult result;
  if (file == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    result = sdl::compile(text, "<stdin>");
  } else {
    result = sdl::compile_file(file);
  }
  if (result.ok() && result.compiled) return std::move(result.compiled);
  for (const Error& error : result.errors) print_error(error);
  if (result.errors.empty()) print_error("the SDL did not compile");
  return std::nullopt;
}

int run_output(What what, const std::string& file, const Context& ctx) {
  auto compiled = compile_or_report(file);
  if (!compiled) return k_exit_invalid_input;
  switch (what) {
  case What::manifest:
    // Exactly the hashed bytes; the newline is not part of them.
    fmt::print("{}\n", sdl::manifest_json(compiled->manifest));
    break;
  case What::groups:
    fmt::print("{}\n", sdl::groups_json(compiled->groups));
    break;
  case What::version: {
    const std::string version = sdl::manifest_version(compiled->manifest);
    if (ctx.json()) fmt::print("{}\n", nlohmann::json{{"version", version}}.dump());
    else fmt::print("{}\n", version);
    break;
  }
  }
  return k_exit_ok;
}

void add(CLI::App& sdl, Context& ctx, What what, const std::string& name, const std::string& help) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = sdl.add_subcommand(name, help);
  cmd->add_option("file", *file, "SDL file (\"-\" reads stdin)")->required();
  cmd->callback([&ctx, what, file] { ctx.selected = [&ctx, what, file] { return run_output(what, *file, ctx); }; });
}

} // namespace

void add_sdl_output_commands(CLI::App& sdl, Context& ctx) {
  add(sdl, ctx, What::manifest, "manifest",
      "Print the manifest JSON the network hashes (Go's bytes: sorted keys, Go escaping)");
  add(sdl, ctx, What::groups, "groups", "Print the deployment's group specs as Go's JSON");
  add(sdl, ctx, What::version, "version",
      "Print the manifest version: hex sha256 of the manifest JSON (-o json: {\"version\": ...})");
}

} // namespace akt::cli
