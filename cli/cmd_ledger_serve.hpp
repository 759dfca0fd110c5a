#pragma once
// `akt ledger serve` (the ledger behind HTTP) and `akt ledger check` (invariants and the
// state hash of any ledger, file or served); added under the `ledger` command.
namespace CLI {
class App;
}

namespace akt::cli {

struct Context;

void add_ledger_serve_command(CLI::App& ledger_cmd, Context& ctx);

} // namespace akt::cli
