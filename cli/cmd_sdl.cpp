#include "cli/cmd_sdl.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <iterator>
#include <memory>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"

namespace akt::cli {

void add_sdl_input_options(CLI::App& cmd, SdlInput& input) {
  cmd.add_option("file", input.file, "SDL file, or - for standard input")->required();
  cmd.add_option("--max-bytes", input.max_bytes, "Refuse inputs larger than this many bytes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

sdl::CompileResult compile_sdl_input(const SdlInput& input) {
  sdl::Limits limits;
  limits.max_bytes = input.max_bytes;
  if (input.file != "-") return sdl::compile_file(input.file, limits);
  std::string text;
  char buffer[65536];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > limits.max_bytes) {
      sdl::CompileResult result;
      result.errors.push_back(Error{"input is more than the limit of " + std::to_string(limits.max_bytes) +
                                        " bytes (raise it with --max-bytes)",
                                    Location{"<stdin>", 0, 0}, "", ErrorKind::invalid});
      return result;
    }
  }
  return sdl::compile(text, "<stdin>", limits);
}

namespace {

int run_validate(const SdlInput& input, const Context& ctx) {
  sdl::CompileResult result = compile_sdl_input(input);
  int code = k_exit_ok;
  for (const Error& e : result.errors) {
    if (exit_code_for(e.kind) != k_exit_invalid_input) code = exit_code_for(e.kind);
  }
  if (code == k_exit_ok && !result.ok()) code = k_exit_invalid_input;
  if (ctx.json()) {
    nlohmann::ordered_json errors = nlohmann::ordered_json::array();
    for (const Error& e : result.errors) {
      const Location where = e.where.value_or(Location{});
      errors.push_back({{"file", where.origin}, {"line", where.line}, {"column", where.column}, {"path", e.path},
                        {"message", e.message}});
    }
    nlohmann::ordered_json doc = {{"valid", result.ok()}, {"errors", errors}};
    fmt::print("{}\n", doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return code;
  }
  for (const Error& e : result.errors) print_error(e);
  const std::string name = input.file == "-" ? "<stdin>" : input.file;
  if (result.ok()) {
    fmt::print("{}: valid SDL {} ({} group{})\n", name, result.compiled->version, result.compiled->groups.size(),
               result.compiled->groups.size() == 1 ? "" : "s");
  } else {
    fmt::print(stderr, "{}: invalid: {} error{}\n", name, result.errors.size(), result.errors.size() == 1 ? "" : "s");
  }
  return code;
}

} // namespace

void add_sdl_commands(CLI::App& app, Context& ctx) {
  auto* sdl = app.add_subcommand("sdl", "Check and compile SDL files");
  sdl->require_subcommand(1);
  sdl->fallthrough();

  auto validate_input = std::make_shared<SdlInput>();
  auto* validate = sdl->add_subcommand("validate", "Check an SDL file as the network would; list every error");
  validate->fallthrough();
  add_sdl_input_options(*validate, *validate_input);
  validate->callback([validate_input, &ctx] {
    ctx.selected = [validate_input, &ctx] { return run_validate(*validate_input, ctx); };
  });

  add_sdl_output_commands(*sdl, ctx);
}

} // namespace akt::cli
