// Ranking 100,000 bids with a weighted policy: the in-memory part of `akt bids list --rank`.
#include <benchmark/benchmark.h>

#include "market/rank.hpp"

using namespace akt;
using namespace akt::market;

namespace {

struct RankInput {
  std::vector<Bid> bids;
  std::map<Address, BidderInfo> bidders;
};

const RankInput& input() {
  static const RankInput k_input = [] {
    RankInput in;
    const char* regions[] = {"us-west", "us-east", "eu-central", "ap-south"};
    for (int p = 0; p < 1000; ++p) {
      Address provider = "akash1provider" + std::to_string(p);
      BidderInfo info;
      info.provider = provider;
      info.region = regions[p % 4];
      if (p % 3 == 0) info.auditors.insert("akash1auditor");
      if (p % 5 == 0) info.gpu_models.push_back("a100");
      info.leases_completed = static_cast<std::uint64_t>(p % 17);
      info.leases_closed_by_provider = static_cast<std::uint64_t>(p % 5);
      in.bidders[provider] = info;
    }
    std::uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 100'000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      Bid bid;
      bid.id = BidId{"akash1tenant", static_cast<std::uint64_t>(1 + i / 20), 1, 1,
                     "akash1provider" + std::to_string(i % 1000)};
      bid.price = DecCoin{"uakt", util::Decimal::from_raw(static_cast<util::int128>(x % 1'000'000'000'000'000'000ull) + 1)};
      in.bids.push_back(bid);
    }
    return in;
  }();
  return k_input;
}

void BM_market_rank_100k_default(benchmark::State& state) {
  const RankInput& in = input();
  Policy policy = default_policy();
  for (auto _ : state) {
    benchmark::DoNotOptimize(rank(in.bids, in.bidders, policy));
  }
}
BENCHMARK(BM_market_rank_100k_default)->Unit(benchmark::kMillisecond);

void BM_market_rank_100k_weighted(benchmark::State& state) {
  const RankInput& in = input();
  Policy policy;
  policy.weights = Weights{3, 2, 1, 1, 1};
  policy.preferred_regions = {"eu-central"};
  policy.preferred_gpu_models = {"a100"};
  policy.max_price = DecCoin{"uakt", util::Decimal::from_int(1)};
  policy.excluded_providers = {"akash1provider7"};
  for (auto _ : state) {
    std::vector<RankedBid> ranked = rank(in.bids, in.bidders, policy);
    benchmark::DoNotOptimize(explain(ranked.front(), policy));
  }
}
BENCHMARK(BM_market_rank_100k_weighted)->Unit(benchmark::kMillisecond);

} // namespace
