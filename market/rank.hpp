#pragma once
// Choosing among bids with the tenant's policy (DESIGN.md flow step 4). Deterministic:
// integer scores, ties broken by price then provider address. Every bid gets an
// explanation, including why a bid was excluded by a hard limit.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "market/state.hpp"
#include "util/result.hpp"

namespace akt::market {

// Weights are integers (0 turns a criterion off); each criterion scores 0–1,000,000.
struct Weights {
  std::uint32_t price = 1;        // cheapest bid of the set scores 1e6, others min/price
  std::uint32_t reliability = 0;  // leases completed ÷ leases ended (closed by provider hurts)
  std::uint32_t region = 0;       // provider's "region" attribute in preferred_regions
  std::uint32_t audited = 0;      // signed by at least one of the trusted auditors
  std::uint32_t gpu_model = 0;    // provider offers a model in preferred_gpu_models
  friend bool operator==(const Weights&, const Weights&) = default;
};

struct Policy {
  Weights weights;
  // Hard limits: a bid failing one is excluded, with the reason.
  std::optional<DecCoin> max_price;
  std::vector<Address> required_auditors;  // all must have signed the provider
  std::set<Address> excluded_providers;
  std::vector<std::string> allowed_regions;  // empty: any
  // Preferences scored by the weights.
  std::vector<std::string> preferred_regions;
  std::vector<Address> trusted_auditors;
  std::vector<std::string> preferred_gpu_models;  // "a100", "h100"
  friend bool operator==(const Policy&, const Policy&) = default;
};

// Lowest price wins.
Policy default_policy();

// A policy file in YAML or JSON:
//   weights: {price: 3, reliability: 1, region: 1, audited: 1, gpu_model: 0}
//   max_price: 1000uakt
//   required_auditors: [akash1…]   excluded_providers: [...]   allowed_regions: [...]
//   preferred_regions: [us-west]   trusted_auditors: [...]     preferred_gpu_models: [a100]
// Unknown keys are refused (invalid) with their path; origin names the file in errors.
Result<Policy> parse_policy(std::string_view text, const std::string& origin);

// What ranking knows about a bidder.
struct BidderInfo {
  Address provider;
  std::string region;                    // the "region" attribute, "" when none
  std::set<Address> auditors;            // who signed its attributes
  std::vector<std::string> gpu_models;   // from capabilities/gpu/vendor/*/model/*
  std::uint64_t leases_completed = 0;
  std::uint64_t leases_closed_by_provider = 0;
};

// Builds the info of one provider from the state (attributes, audits, lease history).
BidderInfo bidder_info(const State& state, const Address& provider);
// The same from what a ledger query returns: the provider's record (nullptr when it is
// not registered), its audits (others' are ignored) and its lease history.
BidderInfo bidder_info(const Address& provider, const Provider* record, const std::vector<AuditorSignature>& audits,
                       const ProviderStats& stats);

struct RankedBid {
  BidId id;
  DecCoin price;
  bool eligible = true;
  std::string excluded_because;  // set when !eligible
  std::uint64_t score = 0;       // Σ weight × criterion
  // Criteria scores 0–1,000,000, in the order of Weights' fields.
  std::uint32_t price_score = 0;
  std::uint32_t reliability_score = 0;
  std::uint32_t region_score = 0;
  std::uint32_t audited_score = 0;
  std::uint32_t gpu_score = 0;
};

// Ranks bids best first; excluded bids follow the eligible ones. Bids whose denom
// differs from the first eligible bid's are excluded (prices are not comparable).
// `bidders` is looked up by provider; a missing entry counts as an unknown provider
// with no history.
std::vector<RankedBid> rank(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                            const Policy& policy);

// One order's bids, ranked.
struct OrderRanking {
  OrderId order;
  std::vector<RankedBid> ranking;
};
// Ranks the bids of every order they name, orders in id order. Bids in id order (as
// ledgers return them) are ranked where they lie, one run per order; others are sorted
// first.
std::vector<OrderRanking> rank_orders(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                                      const Policy& policy);
// The same, taking the bids apart instead of copying their ids.
std::vector<OrderRanking> rank_orders(std::vector<Bid>&& bids, const std::map<Address, BidderInfo>& bidders,
                                      const Policy& policy);

// Why this bid placed where it did: "price 1.5uakt/block (best: 1.2) 800000×3; …".
std::string explain(const RankedBid& ranked, const Policy& policy);

} // namespace akt::market
