#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string_view>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "util/utf8.hpp"

namespace akt::cli {

std::filesystem::path Context::home() const {
  if (!global.home.empty()) return global.home;
  if (const char* env = std::getenv("AKT_HOME"); env && *env) return env;
  if (const char* user_home = std::getenv("HOME"); user_home && *user_home)
    return std::filesystem::path(user_home) / ".akt";
  return ".akt";
}

namespace {

// CLI11 reads "-1" into an unsigned option as its largest value, and so too a number
// past 64 bits: either would quietly address some other deployment or group.
void refuse_signs_and_overflow(CLI::App& app) {
  CLI::Validator whole_number(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size())
          return "expected a whole number (0 or more), got \"" + text + "\"";
        return {};
      },
      "");
  for (CLI::Option* option : app.get_options())
    if (option->get_type_name() == "UINT") option->check(whole_number);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) refuse_signs_and_overflow(*sub);
}

} // namespace

int run(int argc, char** argv) {
  Context ctx;
  CLI::App app{"akt - tenant toolkit for a decentralized compute marketplace"};
  app.require_subcommand(1);
  // Global flags may follow the subcommand: `akt sdl validate -o json x.yaml`.
  app.fallthrough();
  app.set_version_flag("--version", "akt 0.1.0");

  std::string output = "text";
  app.add_option("-o,--output", output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--home", ctx.global.home, "State directory (default: $AKT_HOME or ~/.akt)");
  app.add_option("--ledger", ctx.global.ledger, "Ledger file or http:// URL (default: $AKT_LEDGER)")
      ->envname("AKT_LEDGER");
  app.add_option("--from", ctx.global.from, "Name of the acting key (default: $AKT_FROM)")
      ->envname("AKT_FROM");
  app.add_flag("-y,--yes", ctx.global.yes, "Answer yes to every prompt");

  register_commands(app, ctx);
  refuse_signs_and_overflow(app);

  // Arguments end up in signed transactions and JSON, which carry only UTF-8 text.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (std::optional<std::size_t> bad = util::first_invalid_utf8(arg)) {
      fmt::print(stderr, "akt: argument {} is not valid UTF-8 (byte {} of it); pass text in UTF-8\n", i, *bad + 1);
      return k_exit_invalid_input;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // Help and version are successes; every other parse failure is bad usage.
    return code == 0 ? k_exit_ok : k_exit_invalid_input;
  }
  ctx.global.output = output == "json" ? OutputFormat::json : OutputFormat::text;
  if (!ctx.selected) return k_exit_invalid_input;
  try {
    return ctx.selected();
  } catch (const std::exception& e) {
    fmt::print(stderr, "akt: internal error: {}\n", e.what());
    return k_exit_failure;
  }
}

} // namespace akt::cli
