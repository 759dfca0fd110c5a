#include <doctest/doctest.h>

#include "market/rank.hpp"
#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

namespace {

Bid make_bid(const Address& provider, const char* price, const char* denom = "uakt") {
  Bid bid;
  bid.id = BidId{k_tenant, 1, 1, 1, provider};
  bid.price = DecCoin{denom, dec(price)};
  return bid;
}

} // namespace

TEST_CASE("market rank: default policy is lowest price, ties by provider address") {
  std::vector<Bid> bids{make_bid("akash1c", "3"), make_bid("akash1b", "2"), make_bid("akash1a", "2")};
  std::vector<RankedBid> ranked = rank(bids, {}, default_policy());
  REQUIRE(ranked.size() == 3);
  CHECK(ranked[0].id.provider == "akash1a");
  CHECK(ranked[1].id.provider == "akash1b");
  CHECK(ranked[2].id.provider == "akash1c");
  CHECK(ranked[0].price_score == 1'000'000);
  CHECK(ranked[2].price_score == 666'666);
  CHECK(explain(ranked[2], default_policy()).find("price 3uakt/block") != std::string::npos);
}

TEST_CASE("market rank_orders: ranks each order on its own, in order, sorted or not") {
  auto on = [](std::uint32_t gseq, const Address& provider, const char* price) {
    Bid bid = make_bid(provider, price);
    bid.id.gseq = gseq;
    return bid;
  };
  std::vector<Bid> sorted{on(1, "akash1a", "5"), on(1, "akash1b", "4"), on(2, "akash1a", "1"), on(2, "akash1c", "9")};
  std::vector<Bid> shuffled{sorted[3], sorted[0], sorted[2], sorted[1]};
  for (int round = 0; round < 4; ++round) {
    const std::vector<Bid>& bids = round % 2 == 0 ? sorted : shuffled;
    bool handed_over = round >= 2;
    CAPTURE(round);
    std::vector<OrderRanking> orders = handed_over ? rank_orders(std::vector<Bid>(bids), {}, default_policy())
                                                   : rank_orders(std::span<const Bid>(bids), {}, default_policy());
    REQUIRE(orders.size() == 2);
    CHECK(orders[0].order == OrderId{k_tenant, 1, 1, 1});
    REQUIRE(orders[0].ranking.size() == 2);
    CHECK(orders[0].ranking[0].id.provider == "akash1b");
    CHECK(orders[1].order == OrderId{k_tenant, 1, 2, 1});
    REQUIRE(orders[1].ranking.size() == 2);
    CHECK(orders[1].ranking[0].id.provider == "akash1a");
    CHECK(orders[1].ranking[1].price_score == 111'111);  // 1 / 9, of its own order only
  }
  CHECK(rank_orders(std::span<const Bid>(), {}, default_policy()).empty());
  CHECK(rank_orders(std::vector<Bid>(), {}, default_policy()).empty());
}

TEST_CASE("market rank: hard limits exclude with reasons") {
  Policy policy;
  policy.max_price = DecCoin{"uakt", dec("5")};
  policy.excluded_providers = {"akash1bad"};
  policy.required_auditors = {k_auditor};
  std::map<Address, BidderInfo> infos;
  infos["akash1good"] = BidderInfo{"akash1good", "us-west", {k_auditor}, {}, 0, 0};
  infos["akash1pricey"] = BidderInfo{"akash1pricey", "us-west", {k_auditor}, {}, 0, 0};
  std::vector<Bid> bids{make_bid("akash1bad", "1"), make_bid("akash1good", "4"), make_bid("akash1pricey", "6"),
                        make_bid("akash1unaudited", "1")};
  std::vector<RankedBid> ranked = rank(bids, infos, policy);
  CHECK(ranked[0].id.provider == "akash1good");
  CHECK(ranked[0].eligible);
  for (std::size_t i = 1; i < ranked.size(); ++i) CHECK_FALSE(ranked[i].eligible);
  std::string all;
  for (const auto& r : ranked) all += explain(r, policy) + "\n";
  CHECK(all.find("excluded: provider is excluded") != std::string::npos);
  CHECK(all.find("above the policy's max_price 5uakt") != std::string::npos);
  CHECK(all.find("not audited by required auditor akash1auditor") != std::string::npos);
}

TEST_CASE("market rank: weights trade price against reliability and region") {
  Policy policy;
  policy.weights = Weights{1, 2, 1, 0, 0};
  policy.preferred_regions = {"eu-central"};
  std::map<Address, BidderInfo> infos;
  infos["akash1cheap"] = BidderInfo{"akash1cheap", "us-west", {}, {}, 1, 9};     // closes leases often
  infos["akash1steady"] = BidderInfo{"akash1steady", "eu-central", {}, {}, 10, 0};
  std::vector<Bid> bids{make_bid("akash1cheap", "1"), make_bid("akash1steady", "2")};
  std::vector<RankedBid> ranked = rank(bids, infos, policy);
  CHECK(ranked[0].id.provider == "akash1steady");
  CHECK(ranked[0].score == 500'000 + 2 * 1'000'000 + 1'000'000);
  CHECK(ranked[1].score == 1'000'000 + 2 * 100'000);
  CHECK(explain(ranked[0], policy).find("reliability 1.00×2") != std::string::npos);
}

TEST_CASE("market rank: bidder info comes from the state") {
  Market m;
  must(m.run(MsgUpdateProvider{"https://p1", {{"region", "us-west"}, {"capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi", "true"}}, {}},
             k_p1));
  must(m.run(MsgSignProviderAttributes{k_p1, {{"region", "us-west"}}}, k_auditor));
  BidderInfo info = bidder_info(m.state, k_p1);
  CHECK(info.region == "us-west");
  CHECK(info.auditors.count(k_auditor) == 1);
  REQUIRE(info.gpu_models.size() == 1);
  CHECK(info.gpu_models[0] == "h100");
}

TEST_CASE("market rank: policy files") {
  Result<Policy> policy = parse_policy(R"(
weights: {price: 3, reliability: 1, gpu_model: 2}
max_price: 1000uakt
preferred_gpu_models: [a100]
excluded_providers: [akash1x]
)", "policy.yaml");
  REQUIRE(policy.has_value());
  CHECK(policy->weights.price == 3);
  CHECK(policy->weights.gpu_model == 2);
  CHECK(policy->max_price->amount == dec("1000"));
  CHECK(policy->excluded_providers.count("akash1x") == 1);
  CHECK(parse_policy(R"({"weights": {"price": 1}})", "p.json").has_value());

  Result<Policy> unknown = parse_policy("weights:\n  speed: 3\n", "policy.yaml");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().path == "weights.speed");
  CHECK(unknown.error().where->line == 2);
  CHECK_FALSE(parse_policy("colour: red\n", "p").has_value());
  CHECK_FALSE(parse_policy("weights: {price: -1}\n", "p").has_value());
  CHECK_FALSE(parse_policy("max_price: cheap\n", "p").has_value());
  CHECK_FALSE(parse_policy("[unclosed\n", "p").has_value());

  Result<Policy> not_utf8 = parse_policy("preferred_regions: [\"us-\xffwest\"]\n", "policy.yaml");
  REQUIRE_FALSE(not_utf8.has_value());
  CHECK(to_string(not_utf8.error()).rfind("policy.yaml:1:25: invalid UTF-8", 0) == 0);
}
