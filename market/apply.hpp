#pragma once
// The market's transition function. Pure: no I/O, no clock; the height is an input and
// the signer has already been authenticated by the ledger. On any error the state is
// left exactly as it was (everything is validated before anything is written).
#include <string>
#include <vector>

#include "market/events.hpp"
#include "market/msgs.hpp"
#include "market/state.hpp"
#include "util/result.hpp"

namespace akt::market {

// Applies one message signed by `signer` at `height`. Errors: not_found for a missing
// object, refused for permissions, state and funds (the message says who may do it),
// invalid for a malformed message. Heights must not go backwards for an account:
// a height below an account's last settlement is refused.
Result<std::vector<Event>> apply(State& state, const Msg& msg, const Address& signer, Height height);

// Checks that `signer` may send `msg` and that it would succeed, without changing state.
Status check(const State& state, const Msg& msg, const Address& signer, Height height);

// Why a provider may not bid on an order's group, or ok (attributes, auditors, storage
// classes, GPU models). Exposed so providers and `akt bids` can explain missing bids.
Status provider_matches(const State& state, const Address& provider, const sdl::GroupSpec& spec);

// Σ unit price × count: the most a bid on this group may ask per block.
Result<DecCoin> group_max_price(const sdl::GroupSpec& spec);

} // namespace akt::market
