#include "market/escrow.hpp"

namespace akt::market {

using util::int128;
using util::uint128;

Result<Amount> accrued(const DecCoin& rate, Height started_at, Height height) {
  if (height <= started_at) {
    return Amount{0};
  }
  if (rate.amount.is_negative()) {
    return make_error(ErrorKind::invalid, "a payment rate is negative");
  }
  std::optional<util::Decimal> total = rate.amount.checked_mul_int(static_cast<int128>(height - started_at));
  if (!total) {
    return make_error(ErrorKind::invalid, "escrow charge overflows at height " + std::to_string(height));
  }
  int128 units = total->truncate();
  if (units > static_cast<int128>(UINT64_MAX)) {
    return make_error(ErrorKind::invalid, "escrow charge exceeds 64 bits at height " + std::to_string(height));
  }
  return static_cast<Amount>(units);
}

namespace {

// Open payments of a deployment's account, in lease-id order.
template <typename Fn>
void for_open_payments(const State& state, const DeploymentId& id, Fn&& fn) {
  for (auto it = state.payments.lower_bound(LeaseId{id.owner, id.dseq, 0, 0, {}});
       it != state.payments.end() && it->first.owner == id.owner && it->first.dseq == id.dseq; ++it) {
    if (it->second.state == PaymentState::open) {
      fn(it->second);
    }
  }
}

} // namespace

Result<SettlementPlan> plan_settlement(const State& state, const DeploymentId& id, Height height) {
  auto account_it = state.accounts.find(account_id(id));
  if (account_it == state.accounts.end()) {
    return make_error(ErrorKind::not_found, "no escrow account for deployment " + to_string(id));
  }
  const Account& account = account_it->second;
  SettlementPlan plan;
  plan.account = account.id;
  plan.height = height;
  plan.balance_after = account.balance;
  if (account.state != AccountState::open) {
    return plan;
  }
  if (height < account.settled_at) {
    return make_error(ErrorKind::refused, "height " + std::to_string(height) + " is before the account's last settlement at " +
                                              std::to_string(account.settled_at));
  }
  uint128 owed_total = 0;
  std::vector<std::pair<LeaseId, Amount>> owed;
  std::optional<Error> failure;
  for_open_payments(state, id, [&](const Payment& payment) {
    if (failure) {
      return;
    }
    Result<Amount> total = accrued(payment.rate, payment.started_at, height);
    if (!total) {
      failure = total.error();
      return;
    }
    Amount due = *total >= payment.charged ? *total - payment.charged : 0;
    owed.emplace_back(payment.id, due);
    owed_total += due;
  });
  if (failure) {
    return *failure;
  }
  if (owed_total <= account.balance) {
    plan.owed = plan.paid = static_cast<Amount>(owed_total);
    plan.payments = std::move(owed);
    plan.balance_after = account.balance - plan.paid;
    return plan;
  }
  // Overdrawn: what is left is paid out in lease order, and the deployment will close.
  plan.overdrawn = true;
  plan.owed = owed_total > UINT64_MAX ? UINT64_MAX : static_cast<Amount>(owed_total);
  Amount left = account.balance;
  for (auto& [lease, due] : owed) {
    Amount pay = due < left ? due : left;
    left -= pay;
    plan.payments.emplace_back(lease, pay);
  }
  plan.paid = account.balance;
  plan.balance_after = 0;
  return plan;
}

Result<DecCoin> burn_rate(const State& state, const DeploymentId& id) {
  auto account = state.accounts.find(account_id(id));
  if (account == state.accounts.end()) {
    return make_error(ErrorKind::not_found, "no escrow account for deployment " + to_string(id));
  }
  DecCoin total{account->second.denom, {}};
  bool overflow = false;
  for_open_payments(state, id, [&](const Payment& payment) {
    std::optional<util::Decimal> sum = total.amount.checked_add(payment.rate.amount);
    if (!sum) {
      overflow = true;
      return;
    }
    total.amount = *sum;
  });
  if (overflow) {
    return make_error(ErrorKind::invalid, "the sum of lease rates overflows");
  }
  return total;
}

Result<std::optional<std::uint64_t>> runway(const State& state, const DeploymentId& id, Height height) {
  Result<SettlementPlan> plan = plan_settlement(state, id, height);
  if (!plan) {
    return plan.error();
  }
  const Account& account = state.accounts.at(plan->account);
  if (plan->overdrawn || account.state != AccountState::open) {
    return std::optional<std::uint64_t>(0);
  }
  Result<DecCoin> rate = burn_rate(state, id);
  if (!rate) {
    return rate.error();
  }
  if (rate->amount.raw() <= 0) {
    return std::optional<std::uint64_t>();
  }
  // balance ÷ rate in blocks: (balance × 10^18) ÷ raw rate, both exact integers.
  uint128 scaled = static_cast<uint128>(plan->balance_after) * static_cast<uint128>(util::Decimal::k_one);
  uint128 blocks = scaled / static_cast<uint128>(rate->amount.raw());
  return std::optional<std::uint64_t>(blocks > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(blocks));
}

Result<Amount> projected_balance(const State& state, const DeploymentId& id, Height height) {
  Result<SettlementPlan> plan = plan_settlement(state, id, height);
  if (!plan) {
    return plan.error();
  }
  return plan->balance_after;
}

Result<Amount> projected_payment(const State& state, const LeaseId& id, Height height) {
  auto payment = state.payments.find(id);
  if (payment == state.payments.end()) {
    return make_error(ErrorKind::not_found, "no payment for lease " + to_string(id));
  }
  Result<SettlementPlan> plan = plan_settlement(state, id.deployment(), height);
  if (!plan) {
    return plan.error();
  }
  Amount extra = 0;
  for (const auto& [lease, amount] : plan->payments) {
    if (lease == id) {
      extra = amount;
    }
  }
  return payment->second.balance + extra;
}

} // namespace akt::market
