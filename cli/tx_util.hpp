#pragma once
// Building, signing and submitting one transaction for a command: the key's next
// sequence is read from the ledger, and a race with another process using the same key
// (sequence already taken) is retried with the fresh sequence.
#include <string>

#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "ledger/ledger.hpp"
#include "market/msgs.hpp"

namespace akt::cli {

Result<ledger::TxReceipt> sign_and_submit(const Context& ctx, ledger::Ledger& ledger, const std::string& key_name,
                                          market::Msg msg);
// The same with a key already loaded.
Result<ledger::TxReceipt> sign_and_submit(ledger::Ledger& ledger, const ledger::PrivateKey& key, market::Msg msg);

// {"height","tx_hash","sequence","events":[...]} for -o json.
nlohmann::json receipt_json(const ledger::TxReceipt& receipt);

} // namespace akt::cli
