#include "market/state.hpp"

#include "market/codec.hpp"
#include "util/hash.hpp"

namespace akt::market {

State genesis(Params params) {
  State state;
  state.params = std::move(params);
  return state;
}

Status mint(State& state, const Address& to, const Coin& coin) {
  if (to.empty() || coin.denom.empty()) {
    return make_error(ErrorKind::invalid, "mint needs an address and a denom");
  }
  Amount& supply = state.supply[coin.denom];
  if (supply > UINT64_MAX - coin.amount) {
    return make_error(ErrorKind::invalid, "the supply of " + coin.denom + " would overflow 64 bits");
  }
  supply += coin.amount;
  state.balances[to][coin.denom] += coin.amount;
  return ok();
}

Amount balance_of(const State& state, const Address& address, const std::string& denom) {
  auto account = state.balances.find(address);
  if (account == state.balances.end()) {
    return 0;
  }
  auto coin = account->second.find(denom);
  return coin == account->second.end() ? 0 : coin->second;
}

std::string state_hash(const State& state) { return util::sha256_hex(encode_state(state).dump()); }

ProviderStats provider_stats(const State& state, const Address& provider) {
  ProviderStats stats;
  for (const auto& [id, lease] : state.leases) {
    if (id.provider != provider) {
      continue;
    }
    ++stats.leases;
    if (lease.state == LeaseState::active) {
      ++stats.active;
    } else if (is_provider_reason(lease.reason)) {
      ++stats.closed_by_provider;
    } else {
      ++stats.completed;
    }
  }
  return stats;
}

namespace {

template <typename Map, typename Key>
Result<const typename Map::mapped_type*> find_in(const Map& map, const Key& key, const char* what) {
  auto it = map.find(key);
  if (it == map.end()) {
    return make_error(ErrorKind::not_found, std::string("no ") + what + " " + to_string(key));
  }
  return &it->second;
}

} // namespace

Result<const Deployment*> find_deployment(const State& state, const DeploymentId& id) {
  return find_in(state.deployments, id, "deployment");
}
Result<const Group*> find_group(const State& state, const GroupId& id) { return find_in(state.groups, id, "group"); }
Result<const Order*> find_order(const State& state, const OrderId& id) { return find_in(state.orders, id, "order"); }
Result<const Bid*> find_bid(const State& state, const BidId& id) { return find_in(state.bids, id, "bid"); }
Result<const Lease*> find_lease(const State& state, const LeaseId& id) { return find_in(state.leases, id, "lease"); }
Result<const Provider*> find_provider(const State& state, const Address& address) {
  auto it = state.providers.find(address);
  if (it == state.providers.end()) {
    return make_error(ErrorKind::not_found,
                      "no provider " + address + " is registered (a provider registers itself first)");
  }
  return &it->second;
}

const Order* current_order(const State& state, const GroupId& id) {
  auto group = state.groups.find(id);
  if (group == state.groups.end() || group->second.last_oseq == 0) {
    return nullptr;
  }
  // Orders of a group close in sequence, so only the newest can be open.
  auto order = state.orders.find(OrderId{id.owner, id.dseq, id.gseq, group->second.last_oseq});
  if (order == state.orders.end() || order->second.state == OrderState::closed) {
    return nullptr;
  }
  return &order->second;
}

} // namespace akt::market
