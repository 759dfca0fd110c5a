#pragma once
// Escrow arithmetic, lazy as on the network: nothing moves per block; settling an
// account at a height charges every open payment rate × blocks since it started (exact,
// floored to micro-units in total) and consumes deposits first-in first-out.
#include <cstdint>
#include <optional>
#include <vector>

#include "market/state.hpp"
#include "util/result.hpp"

namespace akt::market {

// What settling a deployment's account at a height would do, computed without writing.
struct SettlementPlan {
  std::string account;
  Height height = 0;
  Amount owed = 0;      // Σ of what the payments are owed since their last settlement
  Amount paid = 0;      // what the account can pay of it (== owed unless overdrawn)
  bool overdrawn = false;
  std::vector<std::pair<LeaseId, Amount>> payments;  // what each payment receives
  Amount balance_after = 0;
};

// Errors: not_found (no such account), refused (height before the last settlement),
// invalid (arithmetic overflow).
Result<SettlementPlan> plan_settlement(const State& state, const DeploymentId& id, Height height);

// Total a payment has earned by `height` since it started: floor(rate × blocks).
Result<Amount> accrued(const DecCoin& rate, Height started_at, Height height);

// Σ rates of the open payments of a deployment's account, per block.
Result<DecCoin> burn_rate(const State& state, const DeploymentId& id);

// Blocks the account can still pay for from `height` at its current rates; nullopt when
// nothing is being charged (no active lease). 0 once overdrawn.
Result<std::optional<std::uint64_t>> runway(const State& state, const DeploymentId& id, Height height);

// The account's balance at `height` if settled then (never negative: 0 when it would be
// overdrawn), for read-only queries.
Result<Amount> projected_balance(const State& state, const DeploymentId& id, Height height);

// What a payment would hold (earned, not withdrawn) at `height`.
Result<Amount> projected_payment(const State& state, const LeaseId& id, Height height);

} // namespace akt::market
