#include "ledger/ledger.hpp"

#include <chrono>

namespace akt::ledger {

std::int64_t SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<BatchResult> Ledger::submit_batch(const std::vector<SignedTx>& txs) {
  BatchResult out;
  out.reserve(txs.size());
  for (const SignedTx& tx : txs) {
    Result<TxReceipt> receipt = submit(tx);
    // A ledger that cannot be reached accepted nothing further: stop and say so.
    if (!receipt && receipt.error().kind == ErrorKind::unreachable) return receipt.error();
    out.push_back(std::move(receipt));
  }
  return out;
}

std::optional<Result<CheckedTx>> Ledger::check(const SignedTx&) { return std::nullopt; }

Result<BatchResult> Ledger::submit_checked(const std::vector<SignedTx>& txs,
                                           const std::vector<std::optional<Result<CheckedTx>>>&) {
  return submit_batch(txs);
}

} // namespace akt::ledger
