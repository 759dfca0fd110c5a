#pragma once
// Properties every reachable market state has (MARKET.md, Escrow: Invariants). The
// randomized tests check them after every transaction; a ledger may check them too.
#include "market/state.hpp"
#include "util/result.hpp"

namespace akt::market {

// Money conserved per denom (bank + escrow accounts + payment balances == supply),
// account balance == Σ its deposits, at most one not-closed order per group, at most one
// active lease per order, every lease's price == its bid's, every open or active bid's
// deposit held. The error (kind failure) names the first violation found.
Status check_invariants(const State& state);

} // namespace akt::market
