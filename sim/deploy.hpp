#pragma once
// The tenant's whole deploy (DESIGN.md, "The flow of akt deploy"): create or update the
// deployment, collect bids for the bid window (stopping early once every provider that
// can answer has), rank them with the tenant's policy, lease the best bid of every group,
// send the manifest, wait until every service is ready. A provider that cannot run its
// group is replaced by the next-ranked bid of another provider. A failure closes what this run
// created unless told to keep it, and its error says what to run next.
//
// The same code serves both shapes: everything that differs (running in-process provider
// rounds, reaching a provider, reading decline reasons, sleeping) comes in as hooks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/clock.hpp"
#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"
#include "market/rank.hpp"
#include "market/types.hpp"
#include "sdl/sdl.hpp"
#include "sim/decisions.hpp"
#include "sim/provider_client.hpp"

namespace akt::sim {

enum class Selection { cheapest, policy, provider };

struct DeployOptions {
  std::optional<std::uint64_t> dseq;  // nullopt: milliseconds since the epoch, as Console does
  market::Coin deposit{"uakt", 5'000'000};
  std::chrono::milliseconds bid_window{5000};
  Selection selection = Selection::cheapest;
  market::Policy policy = market::default_policy();
  std::string provider;  // Selection::provider: name or address (names resolved by hooks)
  std::chrono::milliseconds timeout{120'000};  // bids + lease + manifest + ready
  bool close_on_failure = true;
  // Providers tried per group: a lease whose provider cannot run the group is closed and
  // the next-ranked bid of another provider taken, until this many have failed.
  unsigned attempts = 3;
};

struct DeployHooks {
  // Lets providers act (embedded: one round of the in-process marketplace).
  std::function<void()> provider_round;
  // How many providers can answer an order (embedded: online simulated providers; served:
  // registered providers). The bid window ends early once this many answered every order.
  std::function<std::size_t()> responders;
  std::function<Result<std::unique_ptr<ProviderEndpoint>>(const market::Address& provider)> endpoint;
  // Whether leases can run at all (embedded: the one Docker engine answers); checked before
  // each lease is taken. Unset: always.
  std::function<Status()> runtime_ready;
  // Every provider's decision on the deployment's orders.
  std::function<std::vector<OrderDecision>(const std::string& owner, std::uint64_t dseq)> decisions;
  // Resolves a provider name to its address ("" when unknown); addresses pass through.
  std::function<std::string(const std::string& name_or_address)> resolve_provider;
  std::function<void(std::string_view line)> progress;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// A lease this run closed because its provider could not run the group.
struct FailedLease {
  market::LeaseId lease;
  std::string error;
};

struct LeaseOutcome {
  market::Lease lease;
  market::Provider provider;
  std::string group;          // group name
  std::string why;            // market::explain of the chosen bid
  TenantLeaseStatus status;
  std::vector<FailedLease> replaced;  // earlier leases of the group, in order
};

enum class DeployAction { created, updated, unchanged };

struct DeployOutcome {
  DeployAction action = DeployAction::created;
  market::DeploymentId id;
  std::string version;
  std::vector<LeaseOutcome> leases;
};

// The compiled SDL as the market and the provider need it.
struct DeployInput {
  std::vector<sdl::GroupSpec> groups;
  std::string manifest_json;
  std::string version;
  std::string sdl_path;  // for the retry command in errors
};

Result<DeployOutcome> deploy(ledger::Ledger& ledger, const ledger::PrivateKey& tenant,
                             const ledger::Clock& clock, const DeployInput& input,
                             const DeployOptions& options, const DeployHooks& hooks);

// Signs `msg` as `key` with its next sequence and submits it (one retry on a raced sequence).
Result<ledger::TxReceipt> submit_as(ledger::Ledger& ledger, const ledger::PrivateKey& key, market::Msg msg);

// Per-provider reasons for one deployment, one line each: "provider-a (akash1…): gseq 1
// oseq 1: declined: no_capacity: …".
std::vector<std::string> describe_decisions(const std::vector<OrderDecision>& decisions);

// Blocks a month at the network's ~6 s blocks, for monthly prices people compare.
inline constexpr std::uint64_t k_network_blocks_per_month = 429909;

} // namespace akt::sim
