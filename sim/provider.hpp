#pragma once
// A simulated Akash provider (MARKET.md, "What a provider does"). It acts in rounds: each
// round reads the market at the ledger's current height and does what a real provider's
// loops would have done by then — register, bid or record why not, close stale bids,
// close leases whose manifest never came, watch health, withdraw earnings (which is when
// an overdraft closes a deployment), tear down what is no longer leased. Time is the
// ledger's height, so a round after `akt ledger advance` sees the blocks go by, and the
// same seed and the same market give the same decisions.
//
// Between rounds the provider keeps almost nothing: its bids and leases are on the
// ledger, its containers carry labels in Docker, and the little it must remember
// (accepted manifest versions, unhealthy-since heights) is a small file. So the embedded
// shape can build a Provider inside every akt command that needs one, and `akt sim serve`
// keeps one alive.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"
#include "market/types.hpp"
#include "runtime/docker/lease_runtime.hpp"
#include "sim/config.hpp"
#include "sim/decisions.hpp"
#include "sim/inventory.hpp"
#include "sim/pricing.hpp"
#include "sim/state_files.hpp"
#include "util/result.hpp"

namespace akt::sim {

// What a round did, for logs and tests.
struct RoundReport {
  bool offline = false;
  bool registered = false;
  std::vector<std::string> bids;          // order ids bid on
  std::vector<std::string> declines;      // "order: reason"
  std::vector<std::string> closed_bids;   // timed out
  std::vector<std::string> closed_leases; // "lease: reason"
  std::vector<std::string> torn_down;     // lease ids removed from Docker
  std::vector<std::string> dead;          // leased, manifest accepted, containers gone
  std::vector<std::string> errors;        // what failed this round (the round goes on)
};

// A lease as the tenant sees it through the provider (MARKET.md lease-status shape).
struct TenantLeaseStatus {
  runtime::docker::LeaseStatus status;
  std::string manifest_version;  // "" while no manifest was accepted
  std::string last_error;        // why the workload failed to start, if it did
};

struct ProviderSetup {
  ProviderConfig config;
  ledger::PrivateKey key;
  // Keys of the auditors that sign this provider's attributes (by auditor name).
  std::vector<std::pair<std::string, ledger::PrivateKey>> auditor_keys;
  std::filesystem::path state_dir;  // $AKT_HOME/sim/providers/<name>
};

// What a provider taken down with `akt sim fault NAME down` answers, and how to undo it.
std::string offline_message(const std::string& name);

class Provider {
public:
  // `runtime` may be null: the provider still bids, but manifests fail (no Docker).
  // `decisions` and `scripts` must outlive the provider.
  Provider(ProviderSetup setup, ledger::Ledger& ledger, DecisionStore& decisions,
           runtime::docker::LeaseRuntime* runtime, ProcessRunner* scripts);

  const std::string& name() const { return m_config.name; }
  const std::string& address() const { return m_address; }
  const ProviderConfig& config() const { return m_config; }

  // One pass of every loop. `offline`: the provider is down this round (a fault) and
  // does nothing at all. `market`: the ledger as the round began, when the caller has
  // taken it for several providers (each acts only on its own orders, bids and leases);
  // null: the provider takes its own.
  Result<RoundReport> round(bool offline, const market::State* market = nullptr);
  // Only the part of a round that removes what the provider no longer holds: after a
  // tenant closes a deployment nothing else in the market has changed for it.
  Result<RoundReport> tear_down_ended();

  // The tenant sends the manifest for a lease it won (MARKET.md "After winning"): the lease
  // must be active and this provider's, the manifest must hash to the deployment's
  // version, and must hold the lease's group; then the group runs. Refusals say why.
  Status accept_manifest(const market::LeaseId& lease, const std::string& manifest_json);

  Result<TenantLeaseStatus> lease_status(const market::LeaseId& lease);
  Status lease_logs(const market::LeaseId& lease, const runtime::docker::LeaseLogOptions& options,
                    const runtime::docker::LogLineFn& line);
  Result<int> lease_exec(const market::LeaseId& lease, const std::string& service,
                         const std::vector<std::string>& argv, const runtime::docker::ExecIo& io);
  Result<std::vector<runtime::docker::LeaseEvent>> lease_events(const market::LeaseId& lease);

  // Removes the containers of every lease of this provider that is not active on the
  // ledger, and reports active leases whose containers are gone.
  Status reconcile(RoundReport& report);

private:
  struct Chain {
    std::string chain_id;
    market::Height height = 0;
    std::uint64_t block_interval_ms = 1000;
    market::Params params;
  };
  Result<Chain> chain();
  Result<ledger::TxReceipt> send(const ledger::PrivateKey& key, market::Msg msg, const Chain& chain);
  Status ensure_registered(const Chain& chain, const market::State& state, RoundReport& report);
  Status ensure_funds(const std::string& denom, const Chain& chain, const market::State& state);
  // Capacity held by this provider's active leases and open bids (skipping `except`).
  Inventory rebuild_inventory(const market::State& state, const std::string& except = {}) const;
  void bid_on_new_orders(const Chain& chain, const market::State& state, RoundReport& report);
  void close_stale_bids(const Chain& chain, const market::State& state, RoundReport& report);
  void watch_leases(const Chain& chain, const market::State& state, RoundReport& report);
  void close_lease(const market::LeaseId& id, market::CloseReason reason, const Chain& chain,
                   RoundReport& report);
  Status teardown(const std::string& lease_id, bool remove_volumes);
  std::uint64_t blocks(std::chrono::seconds duration, const Chain& chain) const;
  // A draw in [0, 1) that depends only on the seed, the provider, the height and `what`.
  double draw(market::Height height, std::string_view what) const;
  // The height at which reliability.early_close ends this lease, if it is one that ends early.
  std::optional<market::Height> early_close_height(const std::string& lease, market::Height created_at) const;
  Result<runtime::docker::GpuAssignment> gpus_for(const market::LeaseId& lease,
                                                  const sdl::ManifestGroup& group);
  Result<market::Lease> my_active_lease(const market::LeaseId& lease);

  ProviderConfig m_config;
  ledger::PrivateKey m_key;
  std::vector<std::pair<std::string, ledger::PrivateKey>> m_auditor_keys;
  std::string m_address;
  ledger::Ledger& m_ledger;
  DecisionStore& m_decisions;
  runtime::docker::LeaseRuntime* m_runtime;
  ProcessRunner* m_scripts;
  ProviderMemoryStore m_memory_store;
  // Rounds, manifests and tenant requests may come from different threads (served shape).
  std::recursive_mutex m_mutex;
};

// Lease id text "owner/dseq/gseq/oseq/provider" ⇄ market::LeaseId.
Result<market::LeaseId> parse_lease_id(std::string_view text);
runtime::docker::LeaseRef lease_ref(const market::LeaseId& id);

// The MARKET.md lease-status JSON of a runtime status.
std::string lease_status_json(const runtime::docker::LeaseStatus& status);

} // namespace akt::sim
