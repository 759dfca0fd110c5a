#pragma once
// Every transaction the market accepts. The signer travels beside the message (the
// ledger verifies the signature); a message never names who sends it.
#include <string>
#include <variant>
#include <vector>

#include "market/types.hpp"

namespace akt::market {

// Faucet: mint into an address, when Params::faucet_enabled.
struct MsgFund {
  Address to;
  Coin amount;
  friend bool operator==(const MsgFund&, const MsgFund&) = default;
};

// Bank transfer from the signer.
struct MsgSend {
  Address to;
  Coin amount;
  friend bool operator==(const MsgSend&, const MsgSend&) = default;
};

// The signer becomes (or updates itself as) a provider.
struct MsgRegisterProvider {
  std::string host_uri;
  sdl::Attributes attributes;
  ProviderInfo info;
  friend bool operator==(const MsgRegisterProvider&, const MsgRegisterProvider&) = default;
};
struct MsgUpdateProvider {
  std::string host_uri;
  sdl::Attributes attributes;
  ProviderInfo info;
  friend bool operator==(const MsgUpdateProvider&, const MsgUpdateProvider&) = default;
};

// The signer, as an auditor, vouches for attributes of a provider (replacing any earlier
// signature of the same auditor for it).
struct MsgSignProviderAttributes {
  Address provider;
  sdl::Attributes attributes;
  friend bool operator==(const MsgSignProviderAttributes&, const MsgSignProviderAttributes&) = default;
};

// id.owner must be the signer. Groups in SDL order (gseq = index + 1).
struct MsgCreateDeployment {
  DeploymentId id;
  std::vector<sdl::GroupSpec> groups;
  std::string hash;  // manifest version, hex sha256
  Coin deposit;
  friend bool operator==(const MsgCreateDeployment&, const MsgCreateDeployment&) = default;
};

// Only the hash may change; groups must equal the deployment's.
struct MsgUpdateDeployment {
  DeploymentId id;
  std::vector<sdl::GroupSpec> groups;
  std::string hash;
  friend bool operator==(const MsgUpdateDeployment&, const MsgUpdateDeployment&) = default;
};

struct MsgCloseDeployment {
  DeploymentId id;
  friend bool operator==(const MsgCloseDeployment&, const MsgCloseDeployment&) = default;
};

// Anyone may deposit into any active deployment's account.
struct MsgDeposit {
  DeploymentId deployment;
  Coin amount;
  friend bool operator==(const MsgDeposit&, const MsgDeposit&) = default;
};

struct MsgPauseGroup {
  GroupId id;
  friend bool operator==(const MsgPauseGroup&, const MsgPauseGroup&) = default;
};
struct MsgStartGroup {
  GroupId id;
  friend bool operator==(const MsgStartGroup&, const MsgStartGroup&) = default;
};
struct MsgCloseGroup {
  GroupId id;
  friend bool operator==(const MsgCloseGroup&, const MsgCloseGroup&) = default;
};

// provider must be the signer.
struct MsgCreateBid {
  OrderId order;
  Address provider;
  DecCoin price;
  Coin deposit;
  friend bool operator==(const MsgCreateBid&, const MsgCreateBid&) = default;
};
// An open bid closes and its deposit returns. An active bid is the provider walking away
// from a running lease: lease, order and payment close with `reason` (a provider reason,
// unspecified when none) and the group pauses, as on Akash.
struct MsgCloseBid {
  BidId id;
  CloseReason reason = CloseReason::none;
  friend bool operator==(const MsgCloseBid&, const MsgCloseBid&) = default;
};

// The order's owner must be the signer.
struct MsgCreateLease {
  BidId bid;
  friend bool operator==(const MsgCreateLease&, const MsgCreateLease&) = default;
};

// By the owner (reason must be owner or none) or by the provider (reason in 10000–19999,
// unspecified when none).
struct MsgCloseLease {
  LeaseId id;
  CloseReason reason = CloseReason::none;
  friend bool operator==(const MsgCloseLease&, const MsgCloseLease&) = default;
};

// Provider = signer: settle and move what the lease earned to the provider's balance.
struct MsgWithdraw {
  LeaseId id;
  friend bool operator==(const MsgWithdraw&, const MsgWithdraw&) = default;
};

// Anyone: settle a deployment's account up to now; this is how overdrafts are found.
struct MsgSettle {
  DeploymentId deployment;
  friend bool operator==(const MsgSettle&, const MsgSettle&) = default;
};

using Msg = std::variant<MsgFund, MsgSend, MsgRegisterProvider, MsgUpdateProvider,
                         MsgSignProviderAttributes, MsgCreateDeployment, MsgUpdateDeployment,
                         MsgCloseDeployment, MsgDeposit, MsgPauseGroup, MsgStartGroup,
                         MsgCloseGroup, MsgCreateBid, MsgCloseBid, MsgCreateLease, MsgCloseLease,
                         MsgWithdraw, MsgSettle>;

// The message's type name as it appears in JSON ("create-deployment").
const char* msg_type(const Msg& msg);

} // namespace akt::market
