#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "ledger/embedded.hpp"
#include "ledger/http_client.hpp"
#include "ledger/http_wire.hpp"
#include "ledger/ledger_server.hpp"
#include "market/codec.hpp"
#include "market/invariants.hpp"
#include "market/state.hpp"
#include "ledger_fixture.hpp"

using namespace akt;
using namespace akt::ledger;
using nlohmann::json;

using akt::testing::TempDir;
using akt::ledger::testing::small_group;

namespace {

const char* const k_chain = "akt-served-1";

// An embedded ledger file, served on a loopback port, and a client of it.
struct Served {
  TempDir dir{"akt-served"};
  ManualClock clock{1'700'000'000'000};
  std::unique_ptr<EmbeddedLedger> embedded;
  std::unique_ptr<LedgerServer> server;
  std::unique_ptr<Ledger> client;
  PrivateKey tenant = PrivateKey::generate();
  PrivateKey provider = PrivateKey::generate();

  Served() {
    GenesisOptions genesis;
    genesis.chain_id = k_chain;
    Result<std::unique_ptr<EmbeddedLedger>> opened = EmbeddedLedger::init(dir.path / "ledger.db", clock, genesis);
    REQUIRE(opened);
    embedded = std::move(*opened);
    LedgerServerOptions options;
    options.http.port = 0;
    options.http.max_body_bytes = 64 * 1024;
    options.http.keep_alive_timeout = std::chrono::milliseconds(1000);
    server = std::make_unique<LedgerServer>(*embedded, options);
    REQUIRE(server->start());
    OpenOptions open;
    open.clock = &clock;
    Result<std::unique_ptr<Ledger>> http = open_ledger(server->url(), dir.path, open);
    REQUIRE(http);
    client = std::move(*http);
  }

  Result<TxReceipt> send(Ledger& ledger, const PrivateKey& key, market::Msg msg) {
    std::uint64_t seq = ledger.account(key.address())->next_sequence;
    return ledger.submit(sign_tx(key, k_chain, seq, std::move(msg)));
  }

  // Everything a tenant does up to a running lease, through `ledger`.
  void market_with_lease(Ledger& ledger) {
    REQUIRE(ledger.fund(tenant.address(), market::Coin{"uakt", 50'000'000}));
    REQUIRE(ledger.fund(provider.address(), market::Coin{"uakt", 50'000'000}));
    Result<TxReceipt> reg =
        send(ledger, provider, market::MsgRegisterProvider{"https://p1.example:8443", {{"region", "us-west"}}, {}});
    REQUIRE_MESSAGE(reg, to_string(reg.error()));
    market::MsgCreateDeployment create;
    create.id = market::DeploymentId{tenant.address(), 1};
    create.groups.push_back(small_group());
    create.hash = std::string(64, 'a');
    create.deposit = market::Coin{"uakt", 5'000'000};
    Result<TxReceipt> created = send(ledger, tenant, create);
    REQUIRE_MESSAGE(created, to_string(created.error()));
    market::MsgCreateBid bid;
    bid.order = market::OrderId{tenant.address(), 1, 1, 1};
    bid.provider = provider.address();
    bid.price = sdl::DecCoin{"uakt", util::Decimal::from_int(100)};
    bid.deposit = market::Coin{"uakt", 500'000};
    Result<TxReceipt> bid_receipt = send(ledger, provider, bid);
    REQUIRE_MESSAGE(bid_receipt, to_string(bid_receipt.error()));
    Result<TxReceipt> lease =
        send(ledger, tenant, market::MsgCreateLease{market::BidId{tenant.address(), 1, 1, 1, provider.address()}});
    REQUIRE_MESSAGE(lease, to_string(lease.error()));
  }
};

template <typename T>
json as_json(const Result<std::vector<T>>& items) {
  REQUIRE(items);
  json out = json::array();
  for (const T& item : *items) out.push_back(market::to_json(item));
  return out;
}

} // namespace

TEST_CASE("ledger served: every query answers the same over HTTP as from the file") {
  Served s;
  s.market_with_lease(*s.client);
  s.clock.advance_ms(30'000);
  Ledger& a = *s.embedded;
  Ledger& b = *s.client;
  market::DeploymentId dep{s.tenant.address(), 1};

  CHECK(to_json(*a.info()) == to_json(*b.info()));
  CHECK(*a.height() == *b.height());
  CHECK(to_json(*a.account(s.tenant.address())) == to_json(*b.account(s.tenant.address())));
  CHECK(to_json(*a.account("akash1nobody")) == to_json(*b.account("akash1nobody")));
  CHECK(as_json(a.deployments({})) == as_json(b.deployments({})));
  DeploymentFilter closed;
  closed.state = market::DeploymentState::closed;
  CHECK(as_json(b.deployments(closed)).empty());
  CHECK(market::to_json(*a.deployment(dep)) == market::to_json(*b.deployment(dep)));
  GroupFilter gf;
  gf.owner = s.tenant.address();
  gf.gseq = 1;
  CHECK(as_json(a.groups(gf)) == as_json(b.groups(gf)));
  CHECK(as_json(a.orders({})) == as_json(b.orders({})));
  BidFilter bf;
  bf.provider = s.provider.address();
  bf.state = market::BidState::active;
  CHECK(as_json(b.bids(bf)).size() == 1);
  CHECK(as_json(a.bids(bf)) == as_json(b.bids(bf)));
  CHECK(as_json(a.leases({})) == as_json(b.leases({})));
  CHECK(to_json(*a.escrow(dep)) == to_json(*b.escrow(dep)));
  CHECK(b.escrow(dep)->runway_blocks.has_value());
  CHECK(as_json(a.providers()) == as_json(b.providers()));
  CHECK(market::to_json(*a.provider(s.provider.address())) == market::to_json(*b.provider(s.provider.address())));
  CHECK(to_json(*a.provider_stats(s.provider.address())) == to_json(*b.provider_stats(s.provider.address())));
  CHECK(as_json(a.audits({})) == as_json(b.audits({})));
  EventQuery eq;
  eq.deployment = dep;
  eq.limit = 3;
  CHECK(to_json(*a.events(eq)) == to_json(*b.events(eq)));
  CHECK(b.events(eq)->events.size() == 3);
  Result<market::State> snap = b.snapshot();
  REQUIRE(snap);
  CHECK(*snap == *a.snapshot());
  CHECK(market::check_invariants(*snap));

  SUBCASE("errors keep their kind") {
    Result<market::Deployment> missing = b.deployment(market::DeploymentId{s.tenant.address(), 99});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message == a.deployment(market::DeploymentId{s.tenant.address(), 99}).error().message);
    Result<TxReceipt> replay = b.submit(sign_tx(s.tenant, k_chain, 0, market::MsgCloseDeployment{dep}));
    REQUIRE_FALSE(replay);
    CHECK(replay.error().kind == ErrorKind::refused);
  }
  SUBCASE("advance moves both views") {
    Result<Height> h = b.advance(10);
    REQUIRE(h);
    CHECK(*h == *a.height());
  }
}

TEST_CASE("ledger served: batches over HTTP succeed or fail per transaction") {
  Served s;
  REQUIRE(s.client->fund(s.tenant.address(), market::Coin{"uakt", 1'000'000}));
  market::Msg pay = market::MsgSend{s.provider.address(), market::Coin{"uakt", 10}};
  std::vector<SignedTx> txs = {sign_tx(s.tenant, k_chain, 0, pay), sign_tx(s.tenant, k_chain, 5, pay),
                               sign_tx(s.tenant, k_chain, 1, pay)};
  txs[1].signature[10] = txs[1].signature[10] == 'a' ? 'b' : 'a';
  Result<BatchResult> results = s.client->submit_batch(txs);
  REQUIRE(results);
  REQUIRE(results->size() == 3);
  CHECK((*results)[0].has_value());
  CHECK_FALSE((*results)[1].has_value());
  CHECK((*results)[1].error().kind == ErrorKind::refused);
  CHECK((*results)[2].has_value());
  CHECK(s.embedded->account(s.provider.address())->balances["uakt"] == 20);
}

TEST_CASE("ledger served: concurrent submits are group-committed, each acknowledged one durable") {
  Served s;
  constexpr int k_threads = 16;
  constexpr int k_each = 15;
  std::vector<PrivateKey> keys;
  for (int i = 0; i < k_threads; ++i) {
    keys.push_back(PrivateKey::generate());
    REQUIRE(s.embedded->fund(keys.back().address(), market::Coin{"uakt", 1'000'000}));
  }
  std::atomic<int> acked{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      OpenOptions open;
      open.clock = &s.clock;
      std::unique_ptr<Ledger> own = std::move(*open_ledger(s.server->url(), s.dir.path, open));
      for (int i = 0; i < k_each; ++i) {
        auto seq = static_cast<std::uint64_t>(i);
        Result<TxReceipt> r =
            own->submit(sign_tx(keys[t], k_chain, seq, market::MsgSend{s.tenant.address(), market::Coin{"uakt", 1}}));
        if (r) ++acked;
        // One wrong sequence per thread lands in some group and must fail alone.
        if (i == 3 && !own->submit(sign_tx(keys[t], k_chain, 99, market::MsgSend{s.tenant.address(), market::Coin{"uakt", 1}})))
          ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(acked == k_threads * k_each);
  CHECK(refused == k_threads);
  GroupCommitter::Stats stats = s.server->stats();
  CHECK(stats.transactions == static_cast<std::uint64_t>(k_threads * (k_each + 1)));
  CHECK(stats.commits <= stats.transactions);
  MESSAGE("commits: " << stats.commits << " for " << stats.transactions << " transactions, largest " << stats.largest_commit);
  // What was acknowledged is in the file, as a fresh reader sees it.
  s.server->stop();
  s.embedded.reset();
  OpenOptions reopen;
  reopen.clock = &s.clock;
  reopen.create_if_missing = false;
  Result<std::unique_ptr<EmbeddedLedger>> again = EmbeddedLedger::open(s.dir.path / "ledger.db", reopen);
  REQUIRE(again);
  CHECK((*again)->account(s.tenant.address())->balances["uakt"] == static_cast<market::Amount>(k_threads * k_each));
  for (const PrivateKey& key : keys) CHECK((*again)->account(key.address())->next_sequence == k_each);
  CHECK(market::check_invariants(*(*again)->snapshot()));
}

TEST_CASE("ledger served: the group committer answers each submitter its own results") {
  TempDir dir{"akt-served"};
  ManualClock clock{1'700'000'000'000};
  GenesisOptions genesis;
  genesis.chain_id = k_chain;
  std::unique_ptr<EmbeddedLedger> ledger = std::move(*EmbeddedLedger::init(dir.path / "l.db", clock, genesis));
  PrivateKey key = PrivateKey::generate();
  REQUIRE(ledger->fund(key.address(), market::Coin{"uakt", 1000}));
  GroupCommitter committer(*ledger, 4);
  market::Msg pay = market::MsgSend{"akash1sink", market::Coin{"uakt", 1}};
  std::vector<SignedTx> txs;
  for (std::uint64_t i = 0; i < 10; ++i) txs.push_back(sign_tx(key, k_chain, i == 6 ? 60 : i, pay));
  Result<BatchResult> results = committer.submit(txs);
  REQUIRE(results);
  REQUIRE(results->size() == 10);
  for (std::size_t i = 0; i < 10; ++i) CHECK((*results)[i].has_value() == (i < 6));
  CHECK(committer.submit({})->empty());
  CHECK(committer.stats().largest_commit == 10);  // one request is never split
}

TEST_CASE("ledger served: bad requests get 4xx and a JSON error") {
  Served s;
  HttpClient http(s.server->url());
  auto post = [&](const std::string& path, const std::string& body) {
    Result<HttpClientResponse> r = http.post_json(path, body);
    REQUIRE(r);
    return *r;
  };
  SignedTx tx = sign_tx(s.tenant, k_chain, 0, market::MsgSend{s.provider.address(), market::Coin{"uakt", 1}});
  json good = to_json(tx);

  CHECK(post("/v1/txs", "{oops").status == 400);
  CHECK(post("/v1/txs", "").status == 400);
  CHECK(post("/v1/txs", "[1,2]").status == 400);
  json extra = good;
  extra["memo"] = "x";
  HttpClientResponse unknown = post("/v1/txs", extra.dump());
  CHECK(unknown.status == 400);
  CHECK(json::parse(unknown.body)["kind"] == "invalid");
  json wrong = good;
  wrong["sequence"] = json::array();
  CHECK(post("/v1/txs", wrong.dump()).status == 400);
  CHECK(post("/v1/txs", std::string(100, '[') + std::string(100, ']')).status == 400);
  CHECK(post("/v1/txs", std::string(70 * 1024, ' ')).status == 413);
  CHECK(post("/v1/txs/batch", R"({"txs":{}})").status == 400);
  CHECK(post("/v1/advance", R"({"blocks":5})").status == 400);
  CHECK(post("/v1/advance", R"({"blocks":"5","more":1})").status == 400);
  CHECK(post("/v1/fund", R"({"address":"akash1x","amount":"lots"})").status == 400);
  CHECK(http.get("/v1/bids?bogus=1")->status == 400);
  CHECK(http.get("/v1/orders?gseq=99999999999")->status == 400);
  CHECK(http.get("/v1/deployments/x/notanumber")->status == 400);
  CHECK(http.get("/v1/nothing")->status == 404);
  // The refusal of a well-formed transaction is 409 with the ledger's reason.
  HttpClientResponse poor = post("/v1/txs", good.dump());
  CHECK(poor.status == 409);
  CHECK(json::parse(poor.body)["kind"] == "refused");
  // None of it wrote anything.
  CHECK(s.embedded->account(s.tenant.address())->next_sequence == 0);
}

TEST_CASE("ledger served: an unreachable server is ErrorKind::unreachable with the URL") {
  int port = 0;
  {
    HttpServer probe(HttpRouter{}, HttpServerOptions{});
    REQUIRE(probe.start());
    port = probe.port();
  }
  OpenOptions open;
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  Result<std::unique_ptr<Ledger>> ledger = open_ledger(url, "/nonexistent", open);
  REQUIRE(ledger);
  Result<ChainInfo> info = (*ledger)->info();
  REQUIRE_FALSE(info);
  CHECK(info.error().kind == ErrorKind::unreachable);
  CHECK(info.error().message.find(url) != std::string::npos);
  CHECK_FALSE(open_ledger("http://", "/nonexistent", open));
}
