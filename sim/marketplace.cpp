#include "sim/marketplace.hpp"

#include <algorithm>
#include <system_error>

namespace akt::sim {
namespace {

// The simulator's own keys are created on first use, unencrypted: they stand for
// providers and auditors that exist only on this machine.
Result<ledger::PrivateKey> load_or_create(ledger::Keyring& keyring, const std::string& name,
                                          const std::optional<std::string>& passphrase) {
  Result<ledger::PrivateKey> key = keyring.load(name, passphrase);
  if (key || key.error().kind != ErrorKind::not_found) return key;
  ledger::PrivateKey fresh = ledger::PrivateKey::generate();
  Result<ledger::KeyInfo> added = keyring.add(name, fresh, std::nullopt);
  if (!added) return added.error();
  return fresh;
}

} // namespace

std::filesystem::path sim_dir(const std::filesystem::path& home) { return home / "sim"; }
std::filesystem::path decisions_dir(const std::filesystem::path& home) { return sim_dir(home) / "decisions"; }
std::filesystem::path faults_file(const std::filesystem::path& home) { return sim_dir(home) / "faults.json"; }

Marketplace::Marketplace(ledger::Ledger& ledger, NetworkConfig network, MarketplaceOptions options)
    : m_ledger(ledger),
      m_network(std::move(network)),
      m_options(std::move(options)),
      m_decisions(decisions_dir(m_options.home)),
      m_faults(faults_file(m_options.home)) {
  if (m_options.engine)
    m_runtime = std::make_unique<runtime::docker::LeaseRuntime>(*m_options.engine,
                                                                m_options.runtime_options);
}

Result<std::unique_ptr<Marketplace>> Marketplace::open(ledger::Ledger& ledger, MarketplaceOptions options) {
  std::filesystem::path config_path =
      options.config_path.empty() ? options.home / "sim.yaml" : options.config_path;
  std::error_code ec;
  if (!std::filesystem::exists(config_path, ec))
    return make_error(ErrorKind::not_found, config_path.string() +
                                                ": no simulated network; create one with `akt sim init`");
  Result<NetworkConfig> network = load_config(config_path);
  if (!network) return network.error();

  ledger::Keyring keyring(options.home / "keys");
  std::vector<std::pair<std::string, ledger::PrivateKey>> auditors;
  for (Auditor& auditor : network->auditors) {
    Result<ledger::PrivateKey> key = load_or_create(keyring, auditor.key, options.passphrase);
    if (!key)
      return Error{"auditor " + auditor.name + ": key \"" + auditor.key + "\": " + key.error().message +
                       " (`akt sim init` creates the simulator's keys)",
                   std::nullopt, "auditors." + auditor.name, key.error().kind};
    auditor.address = key->address();
    auditors.emplace_back(auditor.name, std::move(*key));
  }

  std::unique_ptr<Marketplace> market(new Marketplace(ledger, *network, std::move(options)));
  for (const ProviderConfig& config : market->m_network.providers) {
    Result<ledger::PrivateKey> key = load_or_create(keyring, config.key, market->m_options.passphrase);
    if (!key)
      return Error{"provider " + config.name + ": key \"" + config.key + "\": " + key.error().message +
                       " (`akt sim init` creates the simulator's keys)",
                   std::nullopt, "providers." + config.name, key.error().kind};
    ProviderSetup setup{config, std::move(*key), {}, sim_dir(market->m_options.home) / "providers" / config.name};
    for (const Signature& signature : config.signatures)
      for (const auto& [name, auditor_key] : auditors)
        if (name == signature.auditor) setup.auditor_keys.emplace_back(name, auditor_key);
    market->m_providers.push_back(std::make_unique<Provider>(
        std::move(setup), ledger, market->m_decisions, market->m_runtime.get(), &market->m_scripts));
  }
  return market;
}

namespace {

// Whether the fault switches (names or addresses taken down) include the provider.
bool marked_down(const Result<std::set<std::string>>& down, const Provider& provider) {
  return down && (down->count(provider.name()) || down->count(provider.address()));
}

} // namespace

bool Marketplace::is_offline(const Provider& provider) const { return marked_down(m_faults.offline(), provider); }

void Marketplace::remember(const Provider& provider, const Result<RoundReport>& report) {
  if (report && report->offline) m_offline_last_round.insert(&provider);
  else m_offline_last_round.erase(&provider);
}

Result<RoundReport> Marketplace::round(Provider& provider) {
  Result<RoundReport> report = provider.round(is_offline(provider));
  remember(provider, report);
  return report;
}

std::size_t Marketplace::answering() const {
  Result<std::set<std::string>> down = m_faults.offline();  // read once, not once per provider
  std::size_t out = 0;
  for (const std::unique_ptr<Provider>& p : m_providers)
    if (p->config().online && !marked_down(down, *p) && !m_offline_last_round.count(p.get())) ++out;
  return out;
}

std::vector<std::pair<std::string, Result<RoundReport>>> Marketplace::round() {
  // One copy of the ledger for every provider of the round, not one each: on a ledger of
  // many deployments the copy is most of a round.
  Result<market::State> market = m_ledger.snapshot();
  std::vector<std::pair<std::string, Result<RoundReport>>> out;
  for (const std::unique_ptr<Provider>& provider : m_providers) {
    Result<RoundReport> report = provider->round(is_offline(*provider), market ? &*market : nullptr);
    remember(*provider, report);
    out.emplace_back(provider->name(), std::move(report));
  }
  return out;
}

std::vector<std::pair<std::string, Result<RoundReport>>> Marketplace::tear_down_ended() {
  std::vector<std::pair<std::string, Result<RoundReport>>> out;
  for (const std::unique_ptr<Provider>& provider : m_providers) {
    if (is_offline(*provider)) continue;
    out.emplace_back(provider->name(), provider->tear_down_ended());
  }
  return out;
}

std::vector<Provider*> Marketplace::providers() {
  std::vector<Provider*> out;
  for (const std::unique_ptr<Provider>& p : m_providers) out.push_back(p.get());
  return out;
}

Provider* Marketplace::find(std::string_view name_or_address) {
  for (const std::unique_ptr<Provider>& p : m_providers)
    if (p->name() == name_or_address || p->address() == name_or_address) return p.get();
  return nullptr;
}

} // namespace akt::sim
