#pragma once
// The market's ledger: the one place state changes, by signed transactions only. Two
// implementations share this contract: the embedded SQLite ledger (ledger/embedded.hpp)
// and the HTTP client of `akt ledger serve`. Queries return market types; escrow is
// projected to the current height without writing (settlement stays lazy).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/clock.hpp"
#include "ledger/tx.hpp"
#include "market/escrow.hpp"
#include "market/events.hpp"
#include "market/state.hpp"
#include "market/types.hpp"
#include "util/result.hpp"

namespace akt::ledger {

using market::Address;
using market::Amount;
using market::Height;

// What one accepted transaction did.
struct TxReceipt {
  Height height = 0;
  std::string tx_hash;     // tx_hash(SignedTx), or a synthetic hash for faucet mints
  std::uint64_t sequence = 0;  // the sequence the transaction consumed
  std::vector<market::Event> events;
};

// The chain's fixed facts and where it stands.
struct ChainInfo {
  std::string chain_id;
  std::int64_t genesis_time_ms = 0;      // Unix milliseconds
  std::uint64_t block_interval_ms = 1000;
  std::uint64_t height_offset = 0;       // blocks added by advance()
  Height height = 0;                     // (now − genesis) / interval + offset
  bool faucet = false;
  bool can_advance = false;              // local ledgers; a shared server may refuse
  market::Params params;
};

struct AccountInfo {
  Address address;
  std::map<std::string, Amount> balances;  // denom → spendable
  std::uint64_t next_sequence = 0;
  std::string pubkey;                      // hex; empty until the account first signs
};

// Filters: every field that is set must match. Unset fields match anything.
struct DeploymentFilter {
  std::optional<Address> owner;
  std::optional<std::uint64_t> dseq;
  std::optional<market::DeploymentState> state;
};
struct GroupFilter {
  std::optional<Address> owner;
  std::optional<std::uint64_t> dseq;
  std::optional<std::uint32_t> gseq;
  std::optional<market::GroupState> state;
};
struct OrderFilter {
  std::optional<Address> owner;
  std::optional<std::uint64_t> dseq;
  std::optional<std::uint32_t> gseq;
  std::optional<std::uint32_t> oseq;
  std::optional<market::OrderState> state;
};
struct BidFilter {
  std::optional<Address> owner;
  std::optional<std::uint64_t> dseq;
  std::optional<std::uint32_t> gseq;
  std::optional<std::uint32_t> oseq;
  std::optional<Address> provider;
  std::optional<market::BidState> state;
};
struct LeaseFilter {
  std::optional<Address> owner;
  std::optional<std::uint64_t> dseq;
  std::optional<std::uint32_t> gseq;
  std::optional<std::uint32_t> oseq;
  std::optional<Address> provider;
  std::optional<market::LeaseState> state;
};
struct AuditFilter {
  std::optional<Address> provider;
  std::optional<Address> auditor;
};

// A deployment's escrow as it would be if settled now. `account.balance` and each
// payment's `balance` are projected; `account.settled_at` stays the stored value.
struct EscrowView {
  market::Account account;
  std::vector<market::Payment> payments;
  Height height = 0;                         // the height projected to
  market::DecCoin burn_rate;                 // Σ open payment rates per block
  std::optional<std::uint64_t> runway_blocks;  // nullopt: nothing is charged
  bool overdrawn = false;                    // settling now would overdraw it
};

// One stored event and where it sits in the ledger's event log.
struct EventRecord {
  std::uint64_t cursor = 0;  // strictly increasing, starting at 1
  std::string tx_hash;
  market::Event event;
};

struct EventQuery {
  std::uint64_t after = 0;      // return events with cursor > after
  std::size_t limit = 1000;     // at most this many (the ledger may cap it)
  std::optional<market::DeploymentId> deployment;  // concerning this deployment
  std::optional<Address> provider;                 // concerning this provider
};

struct EventPage {
  std::vector<EventRecord> events;
  std::uint64_t next_cursor = 0;  // pass as `after` to continue; == after when nothing new
};

// Outcome of each transaction of a batch, in order.
using BatchResult = std::vector<Result<TxReceipt>>;

class Ledger {
public:
  virtual ~Ledger() = default;

  // Verifies (signature, signer, chain id, sequence == next) and applies one transaction
  // atomically. Refusals are ErrorKind::refused and say who may do it; a ledger that
  // cannot be reached is ErrorKind::unreachable.
  virtual Result<TxReceipt> submit(const SignedTx& tx) = 0;
  // Applies many transactions, each accepted or refused on its own, in one storage
  // commit. The outer error means nothing was committed. Default: submit() each.
  virtual Result<BatchResult> submit_batch(const std::vector<SignedTx>& txs);

  // What a server may run on its request threads, many at once, ahead of the commit:
  // the checks that need no state (chain, signer's key, signature). nullopt when this
  // ledger checks only when it applies.
  virtual std::optional<Result<CheckedTx>> check(const SignedTx& tx);
  // submit_batch for transactions that `check` has seen; checked[i] is its answer for
  // txs[i] (nullopt: not checked yet). Default: submit_batch.
  virtual Result<BatchResult> submit_checked(const std::vector<SignedTx>& txs,
                                             const std::vector<std::optional<Result<CheckedTx>>>& checked);

  virtual Result<ChainInfo> info() = 0;
  virtual Result<Height> height() = 0;
  // An account that never received anything is returned empty with sequence 0.
  virtual Result<AccountInfo> account(const Address& address) = 0;

  virtual Result<std::vector<market::Deployment>> deployments(const DeploymentFilter& filter) = 0;
  virtual Result<market::Deployment> deployment(const market::DeploymentId& id) = 0;  // not_found
  virtual Result<std::vector<market::Group>> groups(const GroupFilter& filter) = 0;
  virtual Result<std::vector<market::Order>> orders(const OrderFilter& filter) = 0;
  virtual Result<std::vector<market::Bid>> bids(const BidFilter& filter) = 0;
  virtual Result<std::vector<market::Lease>> leases(const LeaseFilter& filter) = 0;
  virtual Result<EscrowView> escrow(const market::DeploymentId& id) = 0;  // not_found
  virtual Result<std::vector<market::Provider>> providers() = 0;
  virtual Result<market::Provider> provider(const Address& address) = 0;  // not_found
  virtual Result<std::vector<market::AuditorSignature>> audits(const AuditFilter& filter) = 0;
  virtual Result<market::ProviderStats> provider_stats(const Address& provider) = 0;
  virtual Result<EventPage> events(const EventQuery& query) = 0;
  // The whole market as stored (not settled), for ranking and bid matching.
  virtual Result<market::State> snapshot() = 0;

  // Moves the chain forward by `blocks` (local ledgers; refused where not allowed).
  // Returns the new height.
  virtual Result<Height> advance(std::uint64_t blocks) = 0;
  // Faucet: mints `amount` into `address`. Refused when the ledger has no faucet or the
  // amount exceeds Params::faucet_max.
  virtual Result<TxReceipt> fund(const Address& address, const market::Coin& amount) = 0;
};

// ---- opening a ledger ---------------------------------------------------------------

// How a new local ledger starts (`akt ledger init`).
struct GenesisOptions {
  std::string chain_id = "akt-local-1";
  std::uint64_t block_interval_ms = 1000;
  bool faucet = true;
  std::vector<std::pair<Address, market::Coin>> accounts;  // minted at genesis
  std::optional<market::Params> params;  // network defaults when unset
};

struct OpenOptions {
  const Clock* clock = nullptr;     // required for embedded ledgers; not owned
  bool create_if_missing = true;    // a missing file gets GenesisOptions{} defaults
  GenesisOptions genesis;           // used only when creating
};

// "http://…" / "https://…" → HTTP client; anything else is a ledger file path
// (relative to the working directory). An empty spec means `home / "ledger.db"`.
Result<std::unique_ptr<Ledger>> open_ledger(const std::string& spec, const std::filesystem::path& home,
                                            const OpenOptions& options);

// The HTTP client's factory (ledger/http_client*.cpp). Without an HTTP client built in
// it answers ErrorKind::unreachable.
Result<std::unique_ptr<Ledger>> open_http_ledger(const std::string& url, const OpenOptions& options);

} // namespace akt::ledger
