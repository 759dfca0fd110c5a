#pragma once
// What commands share to reach the ledger and the keyring: opening the ledger named by
// --ledger / AKT_LEDGER (or the default file under $AKT_HOME, created with a faucet when
// missing), the keyring under $AKT_HOME/keys, passphrases, and names-or-addresses.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/context.hpp"
#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"
#include "util/result.hpp"

namespace akt::cli {

// The real clock every command uses (stateless, so shared safely).
const ledger::Clock& system_clock();

// Opens the ledger. The default `$AKT_HOME/ledger.db` is created on first use; an
// explicit file that does not exist is not_found (create it with `akt ledger init`).
Result<std::unique_ptr<ledger::Ledger>> open_ledger(const Context& ctx);
// The path of the default ledger file, or the --ledger value.
std::string ledger_spec(const Context& ctx);

ledger::Keyring keyring(const Context& ctx);

// AKT_KEYRING_PASSPHRASE when set; otherwise asks on the terminal (no echo) when there is
// one; otherwise nullopt. Never from a flag, so it never lands in shell history.
std::optional<std::string> read_passphrase(std::string_view prompt);
// For a new key: the environment, or asks twice on a terminal (empty = no encryption).
Result<std::optional<std::string>> new_passphrase(std::string_view name);

// Loads a key, asking for its passphrase when it is encrypted.
Result<ledger::PrivateKey> load_key(const Context& ctx, const std::string& name);

// An "akash1…" address as is; anything else is a key name whose address is returned.
Result<std::string> resolve_address(const Context& ctx, std::string_view name_or_address);

// The acting key: `explicit_name`, else --from / AKT_FROM; invalid when neither is set.
Result<std::string> acting_key_name(const Context& ctx, const std::string& explicit_name = {});

// Whether stdin is a terminal (prompts are allowed only then).
bool interactive();
// Asks a yes/no question on the terminal; false without one.
bool confirm(std::string_view question);

} // namespace akt::cli
