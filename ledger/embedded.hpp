#pragma once
// The embedded ledger: one SQLite file that many akt processes may share. The whole
// market is kept in memory and reloaded when another connection has committed
// (PRAGMA data_version); each transaction is verified and applied inside one
// BEGIN IMMEDIATE transaction, and only the objects it touched are written, so a
// refused or failed transaction leaves nothing behind.
#include <filesystem>
#include <memory>
#include <optional>

#include "ledger/ledger.hpp"

namespace akt::ledger {

class EmbeddedLedger final : public Ledger {
public:
  // Opens `path` (":memory:" for a private ledger). A missing chain is created from
  // options.genesis when options.create_if_missing, else ErrorKind::not_found.
  static Result<std::unique_ptr<EmbeddedLedger>> open(const std::filesystem::path& path, const OpenOptions& options);
  // Creates a new ledger file; refused (invalid) when one already exists there.
  static Result<std::unique_ptr<EmbeddedLedger>> init(const std::filesystem::path& path, const Clock& clock,
                                                      const GenesisOptions& genesis);

  ~EmbeddedLedger() override;

  Result<TxReceipt> submit(const SignedTx& tx) override;
  Result<BatchResult> submit_batch(const std::vector<SignedTx>& txs) override;
  // Needs no lock: safe from any thread, concurrently with everything else.
  std::optional<Result<CheckedTx>> check(const SignedTx& tx) override;
  Result<BatchResult> submit_checked(const std::vector<SignedTx>& txs,
                                     const std::vector<std::optional<Result<CheckedTx>>>& checked) override;

  Result<ChainInfo> info() override;
  Result<Height> height() override;
  Result<AccountInfo> account(const Address& address) override;
  Result<std::vector<market::Deployment>> deployments(const DeploymentFilter& filter) override;
  Result<market::Deployment> deployment(const market::DeploymentId& id) override;
  Result<std::vector<market::Group>> groups(const GroupFilter& filter) override;
  Result<std::vector<market::Order>> orders(const OrderFilter& filter) override;
  Result<std::vector<market::Bid>> bids(const BidFilter& filter) override;
  Result<std::vector<market::Lease>> leases(const LeaseFilter& filter) override;
  Result<EscrowView> escrow(const market::DeploymentId& id) override;
  Result<std::vector<market::Provider>> providers() override;
  Result<market::Provider> provider(const Address& address) override;
  Result<std::vector<market::AuditorSignature>> audits(const AuditFilter& filter) override;
  Result<market::ProviderStats> provider_stats(const Address& provider) override;
  Result<EventPage> events(const EventQuery& query) override;
  Result<market::State> snapshot() override;
  Result<Height> advance(std::uint64_t blocks) override;
  Result<TxReceipt> fund(const Address& address, const market::Coin& amount) override;

  // Re-reads the file and compares it with the in-memory state: true when equal. For tests.
  Result<bool> consistent_with_file();

private:
  struct Impl;
  explicit EmbeddedLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace akt::ledger
