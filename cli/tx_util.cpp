#include "cli/tx_util.hpp"

#include <chrono>
#include <thread>

#include "cli/ledger_util.hpp"
#include "market/codec.hpp"

namespace akt::cli {

Result<ledger::TxReceipt> sign_and_submit(ledger::Ledger& ledger, const ledger::PrivateKey& key, market::Msg msg) {
  Result<ledger::ChainInfo> info = ledger.info();
  if (!info) return info.error();
  // Another process signing with the same key may take the sequence first; then the
  // ledger refuses ours with path "sequence" and a fresh one is fetched.
  constexpr int k_attempts = 16;
  for (int attempt = 1;; ++attempt) {
    Result<ledger::AccountInfo> account = ledger.account(key.address());
    if (!account) return account.error();
    ledger::SignedTx tx = ledger::sign_tx(key, info->chain_id, account->next_sequence, msg);
    Result<ledger::TxReceipt> receipt = ledger.submit(tx);
    if (receipt || receipt.error().path != "sequence" || attempt == k_attempts) return receipt;
    // Step aside briefly so the contenders do not collide again in lockstep.
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + (attempt * 7 + static_cast<int>(tx.signature[0])) % 20));
  }
}

Result<ledger::TxReceipt> sign_and_submit(const Context& ctx, ledger::Ledger& ledger, const std::string& key_name,
                                          market::Msg msg) {
  Result<std::string> name = acting_key_name(ctx, key_name);
  if (!name) return name.error();
  Result<ledger::PrivateKey> key = load_key(ctx, *name);
  if (!key) return key.error();
  return sign_and_submit(ledger, *key, std::move(msg));
}

nlohmann::json receipt_json(const ledger::TxReceipt& receipt) {
  nlohmann::json events = nlohmann::json::array();
  for (const market::Event& e : receipt.events) events.push_back(market::to_json(e));
  return {{"height", receipt.height},
          {"tx_hash", receipt.tx_hash},
          {"sequence", receipt.sequence},
          {"events", events}};
}

} // namespace akt::cli
