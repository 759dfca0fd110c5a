#pragma once
// What every command shares: the global flags and the command chosen by parsing.
// CLI11 callbacks only record the command; main runs it inside its one try block,
// so an error's message is never lost (a CLI11 2.1 trap, see STYLE.md).
#include <filesystem>
#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace akt::cli {

enum class OutputFormat { text, json };

struct GlobalOptions {
  OutputFormat output = OutputFormat::text;
  std::string home;    // --home, AKT_HOME, default ~/.akt
  std::string ledger;  // --ledger, AKT_LEDGER: a file path or http(s):// URL
  std::string from;    // --from, AKT_FROM: the acting key
  bool yes = false;    // --yes: answer prompts
};

using Command = std::function<int()>;

struct Context {
  GlobalOptions global;
  Command selected;

  bool json() const { return global.output == OutputFormat::json; }
  // The resolved home directory: --home, then AKT_HOME, then ~/.akt.
  std::filesystem::path home() const;
};

// Adds every command family (cli/commands.cpp); each family lives in its own cmd_*.cpp.
void register_commands(CLI::App& app, Context& ctx);

} // namespace akt::cli
