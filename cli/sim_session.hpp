#pragma once
// What the commands that deal with providers share: the ledger, the Docker engine, the
// in-process marketplace (embedded shape), the tenant's key, and a way to reach the
// provider of a lease in either shape.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "ledger/clock.hpp"
#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"
#include "runtime/docker/engine.hpp"
#include "sim/decisions.hpp"
#include "sim/marketplace.hpp"
#include "sim/provider_client.hpp"
#include "util/result.hpp"

namespace akt::cli {

struct SimSession {
  std::filesystem::path home;
  ledger::SystemClock clock;
  std::unique_ptr<ledger::Ledger> ledger;
  bool served = false;  // the ledger is an http(s) URL
  std::unique_ptr<runtime::docker::Engine> engine;  // null when no Docker engine answers
  std::string docker_error;                         // why, when null
  std::unique_ptr<sim::Marketplace> market;         // the embedded shape's providers
};

// yes: in the embedded shape only, where the providers act in-process. also_served: in
// the served shape too, for the commands that act on the providers themselves
// (`sim fault`, `sim reconcile`) beside a running `akt sim serve`.
enum class WithMarket { no, yes, also_served };

// Opens the ledger of --ledger / AKT_LEDGER / $AKT_HOME, and with WithMarket the Docker
// engine and the simulated providers of $AKT_HOME/sim.yaml.
Result<std::unique_ptr<SimSession>> open_sim_session(const Context& ctx, WithMarket with_market);

// Opens the Docker engine of DOCKER_HOST (or the local socket) and pings it.
Result<std::unique_ptr<runtime::docker::Engine>> open_docker_engine();

// The acting key: --from / AKT_FROM (passphrase from AKT_KEYRING_PASSPHRASE if encrypted).
Result<ledger::PrivateKey> tenant_key(const Context& ctx);

// What the in-process providers do after a command changed the market: a whole round,
// or only removing the containers of leases that ended.
enum class ProviderPass { full_round, tear_down_only };
// Embedded shape: one pass of every simulated provider (no-op when served).
void run_provider_round(SimSession& session, ProviderPass pass = ProviderPass::full_round);

// The provider of a lease: in-process when embedded, its host URI when served.
Result<std::unique_ptr<sim::ProviderEndpoint>> provider_endpoint(SimSession& session, const market::Address& provider,
                                                                 const ledger::PrivateKey& tenant);

// Every provider's bid decisions on a deployment (local file, and each registered
// provider's API when served).
std::vector<sim::OrderDecision> collect_decisions(SimSession& session, const std::string& owner,
                                                  std::uint64_t dseq, const ledger::PrivateKey* tenant);

// "provider-a" for a provider address known to sim.yaml, else the address.
std::string provider_label(SimSession& session, const std::string& address);
// "name (akash1…)" for people, or the bare address when the provider has no name here.
std::string provider_text(const std::string& name, const std::string& address);

// Prints the error and returns its exit code.
int report_error(const Error& error);

// Runs a provider round after commands that change what providers must do (closing a
// deployment or lease, moving the chain forward), so the embedded shape tears down and
// settles as a running provider would. Call once, after every family is registered.
void add_provider_hooks(CLI::App& app, Context& ctx);

} // namespace akt::cli
