// `akt bids list --rank` over a large order book, through the ledger's query API: list the
// open bids, look up each distinct bidder (provider, audits, lease history), group the
// bids by order and rank every order. The book: 250 deployments × 20 groups, one open
// order each, 20 bids per order (the network's cap) from 20 providers = 100,000 bids.
// Target: ≤ 50 ms for the query and the ranking.
//
//   build/bench/akt_bench --benchmark_filter='bids_(query|open)'
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/embedded.hpp"
#include "ledger/keys.hpp"
#include "ledger/sqlite_store.hpp"
#include "market/codec.hpp"
#include "market/rank.hpp"

namespace {

using namespace akt;

constexpr std::int64_t k_now_ms = 1'700'000'000'000;
constexpr std::uint64_t k_deployments = 250;
constexpr std::uint32_t k_groups = 20;
constexpr std::size_t k_providers = 20;

// The ledger file, written once straight through the store (signing 100,000 bids is not
// what is measured), then opened as every `akt` process opens it.
struct Book {
  std::filesystem::path dir;
  std::string tenant;
  std::vector<std::string> providers;
  std::string auditor;
  std::size_t bids = 0;

  Book() {
    char tmpl[] = "/tmp/akt-bench-bids-XXXXXX";
    dir = ::mkdtemp(tmpl);
    tenant = ledger::PrivateKey::generate().address();
    auditor = ledger::PrivateKey::generate().address();
    for (std::size_t i = 0; i < k_providers; ++i) providers.push_back(ledger::PrivateKey::generate().address());
    ledger::GenesisOptions genesis;
    genesis.chain_id = "akt-bench-1";
    ledger::SqliteStore store = ledger::SqliteStore::open(dir / "ledger.db", true, genesis, k_now_ms).value();
    ledger::sqlite::Transaction tx = ledger::sqlite::Transaction::begin(store.db()).value();
    for (std::size_t i = 0; i < providers.size(); ++i) {
      market::Provider p{providers[i], "https://p" + std::to_string(i) + ".example:8443",
                         {{"region", i % 2 ? "us-west" : "eu-central"}}, {}};
      (void)store.put(p).value();
      if (i % 3 == 0) (void)store.put(market::AuditorSignature{auditor, providers[i], {{"region", p.attributes[0].value}}}).value();
    }
    for (std::uint64_t dseq = 1; dseq <= k_deployments; ++dseq) {
      (void)store.put(market::Deployment{{tenant, dseq}, market::DeploymentState::active, std::string(64, 'a'), 1, 0}).value();
      for (std::uint32_t gseq = 1; gseq <= k_groups; ++gseq) {
        market::Group group;
        group.id = {tenant, dseq, gseq};
        group.spec.name = "g" + std::to_string(gseq);
        group.last_oseq = 1;
        group.created_at = 1;
        (void)store.put(group).value();
        (void)store.put(market::Order{{tenant, dseq, gseq, 1}, market::OrderState::open, 1, 0}).value();
        for (std::size_t i = 0; i < providers.size(); ++i) {
          market::Bid bid;
          bid.id = {tenant, dseq, gseq, 1, providers[i]};
          bid.price = market::parse_dec_coin(std::to_string(100 + (dseq * 7 + gseq * 13 + i * 31) % 900) + "uakt").value();
          bid.deposit = {"uakt", 500'000};
          bid.created_at = 2;
          (void)store.put(bid).value();
          ++bids;
        }
      }
    }
    (void)tx.commit().value();
  }
  ~Book() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Book& book() {
  static Book instance;
  return instance;
}

std::unique_ptr<ledger::EmbeddedLedger> open_book(const ledger::Clock& clock) {
  ledger::OpenOptions options;
  options.clock = &clock;
  options.create_if_missing = false;
  return std::move(ledger::EmbeddedLedger::open(book().dir / "ledger.db", options).value());
}

// What `bids list --rank` does after opening the ledger; returns the number ranked.
std::size_t list_and_rank(ledger::Ledger& ledger, const ledger::BidFilter& filter, const market::Policy& policy) {
  std::vector<market::Bid> bids = ledger.bids(filter).value();
  std::map<market::Address, market::BidderInfo> bidders;
  for (const auto& b : bids) {
    if (bidders.count(b.id.provider)) continue;
    Result<market::Provider> record = ledger.provider(b.id.provider);
    std::vector<market::AuditorSignature> audits = ledger.audits({b.id.provider, {}}).value();
    market::ProviderStats stats = ledger.provider_stats(b.id.provider).value();
    bidders.emplace(b.id.provider, market::bidder_info(b.id.provider, record ? &*record : nullptr, audits, stats));
  }
  std::size_t ranked = 0;
  for (const market::OrderRanking& order : market::rank_orders(std::move(bids), bidders, policy)) {
    ranked += order.ranking.size();
    benchmark::DoNotOptimize(order.ranking.data());
  }
  return ranked;
}

market::Policy audited_policy() {
  market::Policy policy = market::default_policy();
  policy.weights.audited = 2;
  policy.weights.region = 1;
  policy.preferred_regions = {"us-west"};
  policy.trusted_auditors = {book().auditor};
  return policy;
}

// A ledger that has loaded the market (a server after its first write): queries read memory.
std::unique_ptr<ledger::EmbeddedLedger> open_loaded(const ledger::Clock& clock) {
  auto ledger = open_book(clock);
  (void)ledger->info().value();
  return ledger;
}

// Open bids of every order, or of one deployment's 20 groups (400 bids).
ledger::BidFilter open_bids(bool one_deployment) {
  ledger::BidFilter filter;
  if (one_deployment) {
    filter.owner = book().tenant;
    filter.dseq = k_deployments / 2;
  }
  filter.state = market::BidState::open;
  return filter;
}

// Lists and ranks `filter`'s bids each iteration: on a ledger loaded once (a server after
// its first write, whose queries read memory), or on one opened afresh each time (what
// one `akt bids list --rank` process pays in all: open the file, then indexed SQL that
// decodes only the matching rows).
void list_and_rank_bench(benchmark::State& state, bool fresh, const ledger::BidFilter& filter, std::size_t expected) {
  ledger::ManualClock clock{k_now_ms + 10'000};
  market::Policy policy = audited_policy();
  std::unique_ptr<ledger::EmbeddedLedger> loaded = fresh ? nullptr : open_loaded(clock);
  std::size_t ranked = 0;
  for (auto _ : state) {
    if (fresh) ranked = list_and_rank(*open_book(clock), filter, policy);
    else ranked = list_and_rank(*loaded, filter, policy);
  }
  if (ranked != expected) state.SkipWithError("not the expected number of bids ranked");
  state.counters["bids"] = static_cast<double>(ranked);
}

void BM_market_bids_query_rank_all(benchmark::State& state) {
  list_and_rank_bench(state, false, open_bids(false), book().bids);
}
BENCHMARK(BM_market_bids_query_rank_all)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_market_bids_query_rank_deployment(benchmark::State& state) {
  list_and_rank_bench(state, false, open_bids(true), k_groups * k_providers);
}
BENCHMARK(BM_market_bids_query_rank_deployment)->Unit(benchmark::kMillisecond);

void BM_market_bids_open_query_rank_all(benchmark::State& state) {
  list_and_rank_bench(state, true, open_bids(false), book().bids);
}
BENCHMARK(BM_market_bids_open_query_rank_all)->Unit(benchmark::kMillisecond);

void BM_market_bids_open_query_rank_deployment(benchmark::State& state) {
  list_and_rank_bench(state, true, open_bids(true), k_groups * k_providers);
}
BENCHMARK(BM_market_bids_open_query_rank_deployment)->Unit(benchmark::kMillisecond);

// The query alone of the loaded case (a copy of the open bids out of memory); the rest of
// BM_market_bids_query_rank_all is looking up the bidders and ranking.
void BM_market_bids_query_only_all(benchmark::State& state) {
  ledger::ManualClock clock{k_now_ms + 10'000};
  std::unique_ptr<ledger::EmbeddedLedger> loaded = open_loaded(clock);
  std::size_t listed = 0;
  for (auto _ : state) listed = loaded->bids(open_bids(false)).value().size();
  if (listed != book().bids) state.SkipWithError("not the expected number of bids listed");
}
BENCHMARK(BM_market_bids_query_only_all)->Unit(benchmark::kMillisecond);


} // namespace
