#pragma once
// The market's objects with Akash semantics (MARKET.md): identifiers, states, close
// reasons, and the plain records a ledger stores. Balances are integer micro-units
// (uakt, uact); prices are 18-decimal amounts per block. Never floating point.
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "util/decimal.hpp"

namespace akt::market {

using Address = std::string;  // bech32 "akash1…"; the market treats it as an opaque key
using Height = std::uint64_t;
using Amount = std::uint64_t;  // micro-units; every sum of them fits because supply does
using sdl::DecCoin;

// An integer amount of one denom ("500000uakt").
struct Coin {
  std::string denom;
  Amount amount = 0;
  friend bool operator==(const Coin&, const Coin&) = default;
};

// ---- identifiers -------------------------------------------------------------------

struct DeploymentId {
  Address owner;
  std::uint64_t dseq = 0;
  friend auto operator<=>(const DeploymentId&, const DeploymentId&) = default;
};

struct GroupId {
  Address owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  DeploymentId deployment() const { return {owner, dseq}; }
  friend auto operator<=>(const GroupId&, const GroupId&) = default;
};

struct OrderId {
  Address owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  DeploymentId deployment() const { return {owner, dseq}; }
  GroupId group() const { return {owner, dseq, gseq}; }
  friend auto operator<=>(const OrderId&, const OrderId&) = default;
};

// One bid per provider per order (bseq is always 0 on the network, so it is left out).
struct BidId {
  Address owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  Address provider;
  DeploymentId deployment() const { return {owner, dseq}; }
  GroupId group() const { return {owner, dseq, gseq}; }
  OrderId order() const { return {owner, dseq, gseq, oseq}; }
  friend auto operator<=>(const BidId&, const BidId&) = default;
};

// A lease has the id of the bid it came from.
using LeaseId = BidId;

// "owner/dseq", "owner/dseq/gseq", "owner/dseq/gseq/oseq", "owner/dseq/gseq/oseq/provider".
std::string to_string(const DeploymentId& id);
std::string to_string(const GroupId& id);
std::string to_string(const OrderId& id);
std::string to_string(const BidId& id);

// ---- states and reasons --------------------------------------------------------------

enum class DeploymentState { active, closed };
enum class GroupState { open, paused, insufficient_funds, closed };
enum class OrderState { open, active, closed };
enum class BidState { open, active, lost, closed };
enum class LeaseState { active, insufficient_funds, closed };
enum class AccountState { open, overdrawn, closed };
using PaymentState = AccountState;

// Lease close reasons with the network's numbers. Providers use 10000–19999.
enum class CloseReason : std::uint32_t {
  none = 0,
  owner = 1,
  unstable = 10000,
  decommission = 10001,
  unspecified = 10002,
  manifest_timeout = 10003,
  insufficient_funds = 20000,
};
inline constexpr bool is_provider_reason(CloseReason reason) {
  auto n = static_cast<std::uint32_t>(reason);
  return n >= 10000 && n <= 19999;
}

// Lower-case names as the network prints them ("insufficient_funds").
const char* to_string(DeploymentState state);
const char* to_string(GroupState state);
const char* to_string(OrderState state);
const char* to_string(BidState state);
const char* to_string(LeaseState state);
const char* to_string(AccountState state);
const char* to_string(CloseReason reason);
// Inverses; nullopt for an unknown name.
std::optional<DeploymentState> deployment_state_from(std::string_view name);
std::optional<GroupState> group_state_from(std::string_view name);
std::optional<OrderState> order_state_from(std::string_view name);
std::optional<BidState> bid_state_from(std::string_view name);
std::optional<LeaseState> lease_state_from(std::string_view name);
std::optional<AccountState> account_state_from(std::string_view name);
// Accepts a name ("owner", "unstable") or the number ("10000").
std::optional<CloseReason> close_reason_from(std::string_view name);

// ---- objects -------------------------------------------------------------------------

struct Deployment {
  DeploymentId id;
  DeploymentState state = DeploymentState::active;
  std::string hash;  // manifest version, hex sha256
  Height created_at = 0;
  Height closed_at = 0;  // 0 while active
  friend bool operator==(const Deployment&, const Deployment&) = default;
};

struct Group {
  GroupId id;
  GroupState state = GroupState::open;
  sdl::GroupSpec spec;
  std::uint32_t last_oseq = 0;  // orders opened so far; the next one is last_oseq + 1
  Height created_at = 0;
  Height closed_at = 0;
  friend bool operator==(const Group&, const Group&) = default;
};

struct Order {
  OrderId id;
  OrderState state = OrderState::open;
  Height created_at = 0;
  Height closed_at = 0;
  friend bool operator==(const Order&, const Order&) = default;
};

struct Bid {
  BidId id;
  BidState state = BidState::open;
  DecCoin price;  // per block for the whole group
  Coin deposit;   // held in the bid's escrow account until the bid closes or loses
  Height created_at = 0;
  Height closed_at = 0;
  friend bool operator==(const Bid&, const Bid&) = default;
};

struct Lease {
  LeaseId id;
  LeaseState state = LeaseState::active;
  DecCoin price;  // the bid's price, fixed for the life of the lease
  CloseReason reason = CloseReason::none;
  Height created_at = 0;
  Height closed_at = 0;
  friend bool operator==(const Lease&, const Lease&) = default;
};

struct ProviderInfo {
  std::string email;
  std::string website;
  friend bool operator==(const ProviderInfo&, const ProviderInfo&) = default;
};

struct Provider {
  Address owner;
  std::string host_uri;
  sdl::Attributes attributes;  // includes capabilities ("capabilities/gpu/vendor/nvidia/model/a100")
  ProviderInfo info;
  friend bool operator==(const Provider&, const Provider&) = default;
};

// An auditor vouching for some of a provider's attributes.
struct AuditorSignature {
  Address auditor;
  Address provider;
  sdl::Attributes attributes;
  friend bool operator==(const AuditorSignature&, const AuditorSignature&) = default;
};

// What is left of one deposit; an account consumes them first-in first-out.
struct Deposit {
  Address depositor;
  Amount amount = 0;
  friend bool operator==(const Deposit&, const Deposit&) = default;
};

enum class AccountScope { deployment, bid };

// One escrow account per deployment, and one per bid for its deposit.
struct Account {
  std::string id;  // account_id(...) below
  AccountScope scope = AccountScope::deployment;
  Address owner;       // the deployment owner, or the bidding provider
  std::string denom;
  Amount balance = 0;  // == Σ deposits[].amount
  std::vector<Deposit> deposits;
  Amount transferred = 0;  // paid out to payments so far
  Height settled_at = 0;
  AccountState state = AccountState::open;
  friend bool operator==(const Account&, const Account&) = default;
};

// What keeps `uri` from being a provider's host URI, as the network's provider module
// sees it: absolute, http or https, a host (with an optional numeric port) and no path.
// Nothing when it is one.
std::optional<std::string> host_uri_problem(std::string_view uri);

std::string account_id(const DeploymentId& id);  // "deployment/owner/dseq"
std::string account_id(const BidId& id);         // "bid/owner/dseq/gseq/oseq/provider"

// One payment per lease, from the deployment's account to the provider. Charges are
// exact: after settling at height h the payment has been charged
// floor(rate × (h − started_at)) in total, so rounding never accumulates.
struct Payment {
  LeaseId id;
  std::string account;  // the deployment's account id
  DecCoin rate;
  Amount charged = 0;    // total moved from the account into this payment
  Amount balance = 0;    // earned and not yet withdrawn
  Amount withdrawn = 0;  // paid to the provider's bank balance
  Height started_at = 0;
  Height settled_at = 0;
  PaymentState state = PaymentState::open;
  friend bool operator==(const Payment&, const Payment&) = default;
};

// The network's defaults; a local ledger may change them at genesis.
struct Params {
  Amount min_deposit = 500000;  // deployment deposit, micro-units of the price denom
  Amount bid_deposit = 500000;
  std::uint32_t max_bids_per_order = 20;
  std::uint32_t max_groups = 20;
  bool faucet_enabled = true;
  Amount faucet_max = 1'000'000'000'000;  // most one Fund may mint
  std::vector<std::string> denoms{"uakt", "uact"};
  friend bool operator==(const Params&, const Params&) = default;
};

} // namespace akt::market
