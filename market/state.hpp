#pragma once
// The whole market as one value. Ordered maps give a deterministic iteration order, so
// the same transactions from the same genesis always produce the same state_hash.
#include <map>
#include <string>
#include <utility>

#include "market/types.hpp"

namespace akt::market {

struct State {
  Params params;
  // address → denom → spendable balance.
  std::map<Address, std::map<std::string, Amount>> balances;
  // denom → every micro-unit ever minted (genesis and faucet); conservation is checked
  // against it.
  std::map<std::string, Amount> supply;

  std::map<DeploymentId, Deployment> deployments;
  std::map<GroupId, Group> groups;
  std::map<OrderId, Order> orders;
  std::map<BidId, Bid> bids;
  std::map<LeaseId, Lease> leases;
  std::map<Address, Provider> providers;
  // (provider, auditor) → signature.
  std::map<std::pair<Address, Address>, AuditorSignature> audits;
  std::map<std::string, Account> accounts;
  std::map<LeaseId, Payment> payments;

  friend bool operator==(const State&, const State&) = default;
};

// A fresh market with the given parameters.
State genesis(Params params);

// Mints into an address at genesis; refused (invalid) when the supply would overflow.
Status mint(State& state, const Address& to, const Coin& coin);

// Spendable balance of one denom (0 when none).
Amount balance_of(const State& state, const Address& address, const std::string& denom);

// Hex sha256 of the canonical encoding (market/codec.hpp encode_state, compact).
std::string state_hash(const State& state);

// How a provider's leases ended, for ranking by reliability.
struct ProviderStats {
  std::uint64_t leases = 0;              // every lease it ever won
  std::uint64_t active = 0;
  std::uint64_t closed_by_provider = 0;  // reasons 10000–19999
  std::uint64_t completed = 0;           // closed by the owner or for lack of funds
};
ProviderStats provider_stats(const State& state, const Address& provider);

// Lookups that say what is missing (ErrorKind::not_found).
Result<const Deployment*> find_deployment(const State& state, const DeploymentId& id);
Result<const Group*> find_group(const State& state, const GroupId& id);
Result<const Order*> find_order(const State& state, const OrderId& id);
Result<const Bid*> find_bid(const State& state, const BidId& id);
Result<const Lease*> find_lease(const State& state, const LeaseId& id);
Result<const Provider*> find_provider(const State& state, const Address& address);

// The order of a group that is not closed, if any (at most one exists).
const Order* current_order(const State& state, const GroupId& id);

} // namespace akt::market
