#include "market/invariants.hpp"

namespace akt::market {

namespace {

using util::uint128;

Error broken(std::string message) { return make_error(ErrorKind::failure, "invariant broken: " + std::move(message)); }

} // namespace

Status check_invariants(const State& state) {
  std::map<std::string, uint128> held;
  for (const auto& [address, coins] : state.balances) {
    for (const auto& [denom, amount] : coins) {
      held[denom] += amount;
    }
  }
  for (const auto& [id, account] : state.accounts) {
    uint128 deposits = 0;
    for (const Deposit& deposit : account.deposits) {
      deposits += deposit.amount;
    }
    if (deposits != account.balance) {
      return broken("account " + id + " balance differs from the sum of its deposits");
    }
    if (account.state == AccountState::closed && account.balance != 0) {
      return broken("closed account " + id + " still holds funds");
    }
    held[account.denom] += account.balance;
  }
  for (const auto& [id, payment] : state.payments) {
    held[payment.rate.denom] += payment.balance;
    if (payment.withdrawn + payment.balance != payment.charged) {
      return broken("payment " + to_string(id) + " charged differs from withdrawn + balance");
    }
  }
  for (const auto& [denom, amount] : held) {
    auto supply = state.supply.find(denom);
    uint128 minted = supply == state.supply.end() ? 0 : supply->second;
    if (amount != minted) {
      return broken("money is not conserved in " + denom);
    }
  }
  for (const auto& [denom, amount] : state.supply) {
    if (amount != 0 && held.count(denom) == 0) {
      return broken("money is not conserved in " + denom);
    }
  }
  std::map<GroupId, int> open_orders;
  for (const auto& [id, order] : state.orders) {
    if (order.state != OrderState::closed && ++open_orders[id.group()] > 1) {
      return broken("group " + to_string(id.group()) + " has more than one order not closed");
    }
    if (state.groups.count(id.group()) == 0) {
      return broken("order " + to_string(id) + " has no group");
    }
  }
  std::map<OrderId, int> active_leases;
  for (const auto& [id, lease] : state.leases) {
    if (lease.state == LeaseState::active && ++active_leases[id.order()] > 1) {
      return broken("order " + to_string(id.order()) + " has more than one active lease");
    }
    auto bid = state.bids.find(id);
    if (bid == state.bids.end()) {
      return broken("lease " + to_string(id) + " has no bid");
    }
    if (!(bid->second.price == lease.price)) {
      return broken("lease " + to_string(id) + " price differs from its bid's");
    }
    auto payment = state.payments.find(id);
    if (payment == state.payments.end() || !(payment->second.rate == lease.price)) {
      return broken("lease " + to_string(id) + " payment rate differs from its price");
    }
    if (lease.state == LeaseState::active) {
      if (bid->second.state != BidState::active || state.orders.at(id.order()).state != OrderState::active) {
        return broken("active lease " + to_string(id) + " without an active bid and order");
      }
    }
  }
  for (const auto& [id, bid] : state.bids) {
    auto account = state.accounts.find(account_id(id));
    bool holding = bid.state == BidState::open || bid.state == BidState::active;
    Amount held_deposit = account == state.accounts.end() ? 0 : account->second.balance;
    if (holding && held_deposit != bid.deposit.amount) {
      return broken("bid " + to_string(id) + " deposit is not held");
    }
    if (!holding && held_deposit != 0) {
      return broken("bid " + to_string(id) + " is " + to_string(bid.state) + " but its deposit is still held");
    }
    if (bid.state == BidState::active && state.leases.count(id) == 0) {
      return broken("active bid " + to_string(id) + " has no lease");
    }
  }
  for (const auto& [id, deployment] : state.deployments) {
    if (deployment.state == DeploymentState::closed) {
      auto account = state.accounts.find(account_id(id));
      if (account != state.accounts.end() && account->second.balance != 0) {
        return broken("closed deployment " + to_string(id) + " still holds escrow");
      }
    }
  }
  return ok();
}

} // namespace akt::market
