#pragma once
// Every provider of sim.yaml over one Ledger: what `akt deploy` runs in-process (the
// embedded shape) and what `akt sim serve` keeps running. Providers share the decision
// store, the fault switches and the Docker engine; each has its own key and memory.
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.hpp"
#include "runtime/docker/engine.hpp"
#include "runtime/docker/lease_runtime.hpp"
#include "sim/config.hpp"
#include "sim/decisions.hpp"
#include "sim/pricing.hpp"
#include "sim/provider.hpp"
#include "sim/state_files.hpp"

namespace akt::sim {

struct MarketplaceOptions {
  std::filesystem::path home;         // $AKT_HOME: keys/, sim.yaml, sim/
  std::filesystem::path config_path;  // empty: home / "sim.yaml"
  std::optional<std::string> passphrase;  // for encrypted provider and auditor keys
  // Not owned; null when no Docker engine answers (providers still bid).
  runtime::docker::Engine* engine = nullptr;
  runtime::docker::RuntimeOptions runtime_options;
};

// Where the simulator keeps its files under a home.
std::filesystem::path sim_dir(const std::filesystem::path& home);          // home/sim
std::filesystem::path decisions_dir(const std::filesystem::path& home);    // home/sim/decisions
std::filesystem::path faults_file(const std::filesystem::path& home);      // home/sim/faults.json

class Marketplace {
public:
  // Loads sim.yaml and every provider's and auditor's key. A missing sim.yaml is
  // ErrorKind::not_found and says to run `akt sim init`.
  static Result<std::unique_ptr<Marketplace>> open(ledger::Ledger& ledger, MarketplaceOptions options);

  // One round of every provider, in sim.yaml order; providers marked down with
  // `akt sim fault` sit it out. A provider whose round fails is reported, the others go on.
  std::vector<std::pair<std::string, Result<RoundReport>>> round();
  // One round of one provider.
  Result<RoundReport> round(Provider& provider);
  // Every provider that is not down removes the containers of leases that ended.
  std::vector<std::pair<std::string, Result<RoundReport>>> tear_down_ended();

  std::vector<Provider*> providers();
  Provider* find(std::string_view name_or_address);
  bool is_offline(const Provider& provider) const;
  // Providers that can answer an order now: online in sim.yaml, not marked down, and not
  // offline (a reliability draw) in the latest round. A deploy waits for no one else.
  std::size_t answering() const;

  const NetworkConfig& network() const { return m_network; }
  DecisionStore& decisions() { return m_decisions; }
  FaultStore& faults() { return m_faults; }
  bool has_runtime() const { return m_runtime != nullptr; }

private:
  Marketplace(ledger::Ledger& ledger, NetworkConfig network, MarketplaceOptions options);
  // Keeps whether the provider sat out its latest round, for answering().
  void remember(const Provider& provider, const Result<RoundReport>& report);
  ledger::Ledger& m_ledger;
  NetworkConfig m_network;
  MarketplaceOptions m_options;
  FileDecisionStore m_decisions;
  FaultStore m_faults;
  PosixProcessRunner m_scripts;
  std::unique_ptr<runtime::docker::LeaseRuntime> m_runtime;
  std::vector<std::unique_ptr<Provider>> m_providers;
  std::set<const Provider*> m_offline_last_round;
};

} // namespace akt::sim
