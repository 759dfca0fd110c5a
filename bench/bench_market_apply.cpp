// Applying market messages in memory: a full deployment → bid → lease → close cycle.
#include <benchmark/benchmark.h>

#include "market/apply.hpp"

using namespace akt;
using namespace akt::market;

namespace {

sdl::GroupSpec spec() {
  sdl::GroupSpec g;
  g.name = "dcloud";
  sdl::ResourceUnit unit;
  unit.resources.cpu.units = 1000;
  unit.count = 1;
  unit.price = DecCoin{"uakt", util::Decimal::from_int(100)};
  g.resources.push_back(unit);
  return g;
}

// One cycle is 6 messages: create deployment, 3 bids, lease, close deployment.
void BM_market_apply_cycle(benchmark::State& state) {
  State market = genesis(Params{});
  const Address tenant = "akash1tenant";
  const Address providers[] = {"akash1p1", "akash1p2", "akash1p3"};
  (void)mint(market, tenant, {"uakt", 1'000'000'000'000'000});
  for (const auto& p : providers) {
    (void)mint(market, p, {"uakt", 1'000'000'000'000});
    (void)apply(market, MsgRegisterProvider{"https://" + p, {}, {}}, p, 1);
  }
  const std::vector<sdl::GroupSpec> groups{spec()};
  const std::string hash(64, 'a');
  std::uint64_t dseq = 0;
  Height height = 1;
  for (auto _ : state) {
    ++dseq;
    DeploymentId id{tenant, dseq};
    OrderId order{tenant, dseq, 1, 1};
    bool ok = apply(market, MsgCreateDeployment{id, groups, hash, {"uakt", 5'000'000}}, tenant, height).has_value();
    for (int p = 0; p < 3; ++p) {
      ok &= apply(market, MsgCreateBid{order, providers[p], {"uakt", util::Decimal::from_int(10 + p)}, {"uakt", 500'000}},
                  providers[p], height)
                .has_value();
    }
    ok &= apply(market, MsgCreateLease{BidId{tenant, dseq, 1, 1, providers[1]}}, tenant, height).has_value();
    height += 10;
    ok &= apply(market, MsgCloseDeployment{id}, tenant, height).has_value();
    if (!ok) {
      state.SkipWithError("a message was refused");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 6);
}
BENCHMARK(BM_market_apply_cycle);

} // namespace
