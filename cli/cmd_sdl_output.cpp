// `akt sdl manifest|groups|version FILE`: what the network sees of an SDL. The bytes are
// the ones Go produces (sdl/json.hpp), so they can be diffed against `akash` or hashed.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/cmd_sdl.hpp"
#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "sdl/json.hpp"

namespace akt::cli {

namespace {

enum class What { manifest, groups, version };

// An SDL that does not compile is reported exactly as `akt sdl validate` reports it.
int report_invalid(const SdlInput& input, const sdl::CompileResult& result, const Context& ctx) {
  int code = k_exit_invalid_input;
  for (const Error& e : result.errors)
    if (exit_code_for(e.kind) != k_exit_invalid_input) code = exit_code_for(e.kind);
  if (ctx.json()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const Error& e : result.errors) {
      const Location where = e.where.value_or(Location{});
      errors.push_back({{"file", where.origin}, {"line", where.line}, {"column", where.column}, {"path", e.path},
                        {"message", e.message}});
    }
    nlohmann::json doc = {{"valid", false}, {"errors", errors}};
    fmt::print("{}\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return code;
  }
  for (const Error& e : result.errors) print_error(e);
  const std::string name = input.file == "-" ? "<stdin>" : input.file;
  fmt::print(stderr, "{}: invalid: {} error{}\n", name, result.errors.size(), result.errors.size() == 1 ? "" : "s");
  return code;
}

int run_output(What what, const SdlInput& input, const Context& ctx) {
  const sdl::CompileResult result = compile_sdl_input(input);
  if (!result.ok() || !result.compiled) return report_invalid(input, result, ctx);
  const sdl::Compiled& compiled = *result.compiled;
  switch (what) {
  case What::manifest:
    // Exactly the hashed bytes; the newline is not part of them.
    fmt::print("{}\n", sdl::manifest_json(compiled.manifest));
    break;
  case What::groups:
    fmt::print("{}\n", sdl::groups_json(compiled.groups));
    break;
  case What::version: {
    const std::string version = sdl::manifest_version(compiled.manifest);
    if (ctx.json()) fmt::print("{}\n", nlohmann::json{{"version", version}}.dump());
    else fmt::print("{}\n", version);
    break;
  }
  }
  return k_exit_ok;
}

void add(CLI::App& sdl, Context& ctx, What what, const std::string& name, const std::string& help) {
  auto input = std::make_shared<SdlInput>();
  CLI::App* cmd = sdl.add_subcommand(name, help);
  cmd->fallthrough();
  add_sdl_input_options(*cmd, *input);
  cmd->callback([&ctx, what, input] { ctx.selected = [&ctx, what, input] { return run_output(what, *input, ctx); }; });
}

} // namespace

void add_sdl_output_commands(CLI::App& sdl, Context& ctx) {
  add(sdl, ctx, What::manifest, "manifest",
      "Print the manifest JSON the network hashes (Go's bytes: sorted keys, Go escaping)");
  add(sdl, ctx, What::groups, "groups", "Print the deployment's group specs as Go's JSON");
  add(sdl, ctx, What::version,
      "version", "Print the manifest version, hex sha256 of the manifest JSON (-o json: {\"version\": ...})");
}

} // namespace akt::cli
