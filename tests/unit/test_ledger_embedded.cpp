#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "ledger/embedded.hpp"
#include "ledger/http_wire.hpp"
#include "ledger/sqlite.hpp"
#include "ledger/sqlite_store.hpp"
#include "market/codec.hpp"
#include "market/state.hpp"
#include "ledger_fixture.hpp"

using namespace akt;
using namespace akt::ledger;

using akt::testing::TempDir;
using akt::ledger::testing::small_group;

namespace {

struct Fixture {
  TempDir dir{"akt-ledger"};
  ManualClock clock{1'700'000'000'000};
  std::unique_ptr<EmbeddedLedger> ledger;
  PrivateKey tenant = PrivateKey::generate();
  PrivateKey provider = PrivateKey::generate();
  PrivateKey stranger = PrivateKey::generate();

  explicit Fixture(bool faucet = true) {
    GenesisOptions genesis;
    genesis.chain_id = "akt-test-1";
    genesis.faucet = faucet;
    genesis.accounts.push_back({stranger.address(), market::Coin{"uakt", 1'000'000}});
    Result<std::unique_ptr<EmbeddedLedger>> opened = EmbeddedLedger::init(path(), clock, genesis);
    REQUIRE(opened);
    ledger = std::move(*opened);
  }
  std::filesystem::path path() const { return dir.path / "ledger.db"; }

  std::uint64_t next_sequence(const PrivateKey& key) { return ledger->account(key.address())->next_sequence; }

  Result<TxReceipt> send(const PrivateKey& key, market::Msg msg) {
    return ledger->submit(sign_tx(key, "akt-test-1", next_sequence(key), std::move(msg)));
  }

  void check_consistent() {
    Result<bool> same = ledger->consistent_with_file();
    REQUIRE(same);
    CHECK(*same);
  }

  // Funds both parties, registers the provider, creates deployment 1 with a bid on it.
  void market_with_bid() {
    REQUIRE(ledger->fund(tenant.address(), market::Coin{"uakt", 50'000'000}));
    REQUIRE(ledger->fund(provider.address(), market::Coin{"uakt", 50'000'000}));
    Result<TxReceipt> reg = send(provider, market::MsgRegisterProvider{"https://p1.example:8443", {{"region", "us-west"}}, {}});
    REQUIRE_MESSAGE(reg, to_string(reg.error()));
    market::MsgCreateDeployment create;
    create.id = market::DeploymentId{tenant.address(), 1};
    create.groups.push_back(small_group());
    create.hash = std::string(64, 'a');
    create.deposit = market::Coin{"uakt", 5'000'000};
    Result<TxReceipt> created = send(tenant, create);
    REQUIRE_MESSAGE(created, to_string(created.error()));
    market::MsgCreateBid bid;
    bid.order = market::OrderId{tenant.address(), 1, 1, 1};
    bid.provider = provider.address();
    bid.price = sdl::DecCoin{"uakt", util::Decimal::from_int(100)};
    bid.deposit = market::Coin{"uakt", 500'000};
    Result<TxReceipt> bid_receipt = send(provider, bid);
    REQUIRE_MESSAGE(bid_receipt, to_string(bid_receipt.error()));
  }

  market::BidId bid_id() const { return market::BidId{tenant.address(), 1, 1, 1, provider.address()}; }
};

} // namespace

TEST_CASE("ledger::EmbeddedLedger runs a deployment to a lease and projects escrow") {
  Fixture f;
  f.market_with_bid();
  f.check_consistent();
  Result<TxReceipt> audit = f.send(f.stranger, market::MsgSignProviderAttributes{f.provider.address(), {{"region", "us-west"}}});
  REQUIRE_MESSAGE(audit, to_string(audit.error()));
  Result<std::vector<market::AuditorSignature>> audits = f.ledger->audits(AuditFilter{f.provider.address(), {}});
  REQUIRE(audits);
  REQUIRE(audits->size() == 1);
  CHECK(audits->front().auditor == f.stranger.address());
  CHECK(f.ledger->audits(AuditFilter{{}, f.tenant.address()})->empty());
  f.check_consistent();
  Result<TxReceipt> lease = f.send(f.tenant, market::MsgCreateLease{f.bid_id()});
  REQUIRE_MESSAGE(lease, to_string(lease.error()));
  CHECK(!lease->events.empty());
  f.check_consistent();

  Result<std::vector<market::Lease>> leases = f.ledger->leases(LeaseFilter{f.tenant.address(), 1, {}, {}, {}, {}});
  REQUIRE(leases);
  REQUIRE(leases->size() == 1);
  CHECK(leases->front().state == market::LeaseState::active);
  CHECK(f.ledger->bids(BidFilter{{}, {}, {}, {}, f.provider.address(), market::BidState::active})->size() == 1);
  CHECK(f.ledger->orders(OrderFilter{f.tenant.address(), 1, 1, {}, market::OrderState::active})->size() == 1);
  CHECK(f.ledger->deployments(DeploymentFilter{f.provider.address(), {}, {}})->empty());

  Result<EscrowView> before = f.ledger->escrow(market::DeploymentId{f.tenant.address(), 1});
  REQUIRE(before);
  Result<Height> h = f.ledger->advance(10);
  REQUIRE(h);
  Result<EscrowView> after = f.ledger->escrow(market::DeploymentId{f.tenant.address(), 1});
  REQUIRE(after);
  CHECK(after->height == before->height + 10);
  CHECK(before->account.balance - after->account.balance == 1000);  // 100uakt × 10 blocks
  REQUIRE(after->payments.size() == 1);
  CHECK(after->runway_blocks.has_value());
  f.check_consistent();

  // Reopening the file gives the same market.
  Result<market::State> snap = f.ledger->snapshot();
  REQUIRE(snap);
  OpenOptions options;
  options.clock = &f.clock;
  options.create_if_missing = false;
  Result<std::unique_ptr<EmbeddedLedger>> reopened = EmbeddedLedger::open(f.path(), options);
  REQUIRE(reopened);
  CHECK(*(*reopened)->snapshot() == *snap);
  CHECK((*reopened)->height().value() == *h);
}

TEST_CASE("ledger::EmbeddedLedger::submit refuses unauthenticated transactions") {
  Fixture f;
  f.market_with_bid();
  Result<std::vector<EventRecord>> none = std::vector<EventRecord>{};
  std::uint64_t events_before = f.ledger->events(EventQuery{})->next_cursor;
  market::State state_before = *f.ledger->snapshot();
  std::uint64_t seq = f.next_sequence(f.tenant);
  market::Msg close = market::MsgCloseDeployment{market::DeploymentId{f.tenant.address(), 1}};

  SUBCASE("signed by another key for the tenant") {
    SignedTx tx = sign_tx(f.stranger, "akt-test-1", seq, close);
    tx.signer = f.tenant.address();
    Result<TxReceipt> r = f.ledger->submit(tx);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK(r.error().message.find("only the holder of " + f.tenant.address()) != std::string::npos);
  }
  SUBCASE("the tenant's public key with a forged signature") {
    SignedTx tx = sign_tx(f.stranger, "akt-test-1", seq, close);
    tx.signer = f.tenant.address();
    tx.pubkey = f.tenant.public_key().hex();
    Result<TxReceipt> r = f.ledger->submit(tx);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK(r.error().path == "signature");
  }
  SUBCASE("a message changed after signing") {
    SignedTx tx = sign_tx(f.tenant, "akt-test-1", seq, market::MsgCloseDeployment{market::DeploymentId{f.tenant.address(), 2}});
    tx.msg = close;
    Result<TxReceipt> r = f.ledger->submit(tx);
    REQUIRE_FALSE(r);
    CHECK(r.error().path == "signature");
  }
  SUBCASE("another chain") {
    Result<TxReceipt> r = f.ledger->submit(sign_tx(f.tenant, "akash-mainnet", seq, close));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK(r.error().message == "transaction is for chain \"akash-mainnet\" but this ledger is \"akt-test-1\"");
  }
  SUBCASE("out of order") {
    Result<TxReceipt> r = f.ledger->submit(sign_tx(f.tenant, "akt-test-1", seq + 1, close));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK(r.error().message.find("earlier transactions of this account are missing") != std::string::npos);
  }
  SUBCASE("a signer acting for another account") {
    // The provider signs, validly, a close of the tenant's deployment.
    Result<TxReceipt> r = f.send(f.provider, close);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK(r.error().message.find("only the owner") != std::string::npos);
    // A refused transaction consumes no sequence.
    CHECK(f.next_sequence(f.provider) == 2);
  }
  CHECK(f.ledger->events(EventQuery{})->next_cursor == events_before);
  CHECK(*f.ledger->snapshot() == state_before);
  CHECK(f.next_sequence(f.tenant) == seq);
  f.check_consistent();
}

TEST_CASE("ledger::EmbeddedLedger::submit refuses a replay") {
  Fixture f;
  REQUIRE(f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 1000}));
  SignedTx tx = sign_tx(f.tenant, "akt-test-1", 0, market::MsgSend{f.stranger.address(), market::Coin{"uakt", 10}});
  Result<TxReceipt> first = f.ledger->submit(tx);
  REQUIRE(first);
  CHECK(first->sequence == 0);
  CHECK(first->tx_hash == tx_hash(tx));
  Result<TxReceipt> again = f.ledger->submit(tx);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::refused);
  CHECK(again.error().message.find("already used") != std::string::npos);
  CHECK(f.ledger->account(f.tenant.address())->balances["uakt"] == 990);
  CHECK(f.ledger->account(f.stranger.address())->balances["uakt"] == 1'000'010);
  CHECK(f.ledger->account(f.tenant.address())->pubkey == f.tenant.public_key().hex());
}

TEST_CASE("ledger::EmbeddedLedger sees another connection's writes") {
  Fixture f;
  OpenOptions options;
  options.clock = &f.clock;
  options.create_if_missing = false;
  Result<std::unique_ptr<EmbeddedLedger>> other = EmbeddedLedger::open(f.path(), options);
  REQUIRE(other);
  CHECK((*other)->account(f.tenant.address())->balances.empty());
  REQUIRE(f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 777}));
  CHECK((*other)->account(f.tenant.address())->balances["uakt"] == 777);
  // And it writes on top of them, with the right sequence.
  REQUIRE((*other)->submit(sign_tx(f.tenant, "akt-test-1", 0, market::MsgSend{f.stranger.address(), market::Coin{"uakt", 7}})));
  CHECK(f.ledger->account(f.tenant.address())->next_sequence == 1);
  CHECK(f.ledger->account(f.tenant.address())->balances["uakt"] == 770);
  REQUIRE((*other)->advance(5));
  CHECK(f.ledger->info()->height_offset == 5);
  f.check_consistent();
}

TEST_CASE("ledger::EmbeddedLedger::submit_batch applies each transaction on its own") {
  Fixture f;
  REQUIRE(f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 1000}));
  std::vector<SignedTx> txs;
  for (std::uint64_t i = 0; i < 50; ++i)
    txs.push_back(sign_tx(f.tenant, "akt-test-1", i, market::MsgSend{f.stranger.address(), market::Coin{"uakt", 1}}));
  txs[20].signature[3] = txs[20].signature[3] == '0' ? '1' : '0';  // breaks #20, so #21.. are out of order
  Result<BatchResult> results = f.ledger->submit_batch(txs);
  REQUIRE(results);
  REQUIRE(results->size() == 50);
  CHECK((*results)[19]);
  CHECK_FALSE((*results)[20]);
  CHECK_FALSE((*results)[21]);
  CHECK(f.ledger->account(f.tenant.address())->next_sequence == 20);
  CHECK(f.ledger->account(f.tenant.address())->balances["uakt"] == 980);
  f.check_consistent();
}

TEST_CASE("ledger::EmbeddedLedger::submit_checked applies in order, whoever checked each transaction") {
  Fixture f;
  REQUIRE(f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 10'000}));
  std::vector<SignedTx> txs;
  for (std::uint64_t i = 0; i < 300; ++i)  // enough for worker threads to check alongside
    txs.push_back(sign_tx(f.tenant, "akt-test-1", i, market::MsgSend{f.stranger.address(), market::Coin{"uakt", 1}}));
  txs[250].signature[5] = txs[250].signature[5] == '0' ? '1' : '0';
  std::vector<std::optional<Result<CheckedTx>>> checked(txs.size());
  for (std::size_t i = 0; i < txs.size(); i += 3) checked[i] = f.ledger->check(txs[i]);  // a third checked ahead
  Result<BatchResult> results = f.ledger->submit_checked(txs, checked);
  REQUIRE(results);
  REQUIRE(results->size() == 300);
  for (std::size_t i = 0; i < 250; ++i) CHECK((*results)[i]);
  CHECK_FALSE((*results)[250]);
  CHECK((*results)[250].error().path == "signature");
  CHECK_FALSE((*results)[251]);
  CHECK(f.ledger->account(f.tenant.address())->next_sequence == 250);
  CHECK(f.ledger->account(f.stranger.address())->balances["uakt"] == 1'000'000 + 250);
  f.check_consistent();

  CHECK_FALSE(f.ledger->submit_checked(txs, {}));  // one answer per transaction or none at all
}

TEST_CASE("ledger::EmbeddedLedger::fund") {
  SUBCASE("mints into an address") {
    Fixture f;
    Result<TxReceipt> r = f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 5});
    REQUIRE(r);
    CHECK(r->events.size() == 1);
    Result<EventPage> page = f.ledger->events(EventQuery{});
    REQUIRE(page);
    REQUIRE(page->events.size() == 1);
    CHECK(page->events[0].cursor == 1);
    CHECK(page->events[0].tx_hash == r->tx_hash);
    CHECK(f.ledger->events(EventQuery{page->next_cursor, 10, {}, {}})->events.empty());
    CHECK_FALSE(f.ledger->fund("akash1nope", market::Coin{"uakt", 5}));
  }
  SUBCASE("is refused without a faucet") {
    Fixture f(false);
    Result<TxReceipt> r = f.ledger->fund(f.tenant.address(), market::Coin{"uakt", 5});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::refused);
    CHECK_FALSE(f.ledger->info()->faucet);
    CHECK(f.ledger->account(f.stranger.address())->balances["uakt"] == 1'000'000);
  }
}

TEST_CASE("ledger::EmbeddedLedger heights follow the clock") {
  Fixture f;
  Height h0 = *f.ledger->height();
  CHECK(h0 == 1);
  f.clock.advance_ms(5'500);
  CHECK(*f.ledger->height() == h0 + 5);
  REQUIRE(f.ledger->advance(100));
  CHECK(*f.ledger->height() == h0 + 105);
  Result<ChainInfo> info = f.ledger->info();
  REQUIRE(info);
  CHECK(info->chain_id == "akt-test-1");
  CHECK(info->block_interval_ms == 1000);
  CHECK(info->genesis_time_ms == 1'700'000'000'000);
}

TEST_CASE("ledger::SqliteStore migrates and refuses newer schemas") {
  TempDir dir{"akt-ledger"};
  std::filesystem::path path = dir.path / "l.db";
  {
    Result<SqliteStore> store = SqliteStore::open(path, true, GenesisOptions{}, 0);
    REQUIRE(store);
    CHECK(*store->schema_version() == k_schema_version);
    Result<sqlite::Statement> mode = store->db().prepare("PRAGMA journal_mode");
    REQUIRE(mode);
    REQUIRE(*mode->step());
    CHECK(mode->column_text(0) == "wal");
    REQUIRE(store->db().exec("PRAGMA user_version = 99"));
  }
  Result<SqliteStore> newer = SqliteStore::open(path, false, std::nullopt, 0);
  REQUIRE_FALSE(newer);
  CHECK(newer.error().message.find("schema version 99, newer than this akt understands") != std::string::npos);

  Result<SqliteStore> missing = SqliteStore::open(dir.path / "none.db", false, std::nullopt, 0);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
}

// Turns a current ledger file back into schema 1, where orders and bids were rows of the
// objects table with the codec's JSON as body.
void downgrade_to_schema_1(const std::filesystem::path& path) {
  ManualClock clock{1'700'000'000'000};
  OpenOptions options;
  options.clock = &clock;
  Result<std::unique_ptr<EmbeddedLedger>> current = EmbeddedLedger::open(path, options);
  REQUIRE(current);
  Result<market::State> state = (*current)->snapshot();
  REQUIRE(state);
  current->reset();
  Result<sqlite::Database> db = sqlite::Database::open(path, sqlite::OpenMode::read_write);
  REQUIRE(db);
  Result<sqlite::Transaction> tx = sqlite::Transaction::begin(*db);
  REQUIRE(tx);
  Result<sqlite::Statement> insert = db->prepare(
      "INSERT INTO objects(kind, id, owner, dseq, gseq, oseq, provider, state, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  REQUIRE(insert);
  for (const auto& [id, order] : state->orders) {
    REQUIRE(insert->bind(1, std::string_view("order")).bind(2, std::string_view(market::to_string(id)))
                .bind(3, std::string_view(id.owner)).bind(4, static_cast<std::int64_t>(id.dseq))
                .bind(5, static_cast<std::int64_t>(id.gseq)).bind(6, static_cast<std::int64_t>(id.oseq)).bind_null(7)
                .bind(8, std::string_view(market::to_string(order.state)))
                .bind(9, std::string_view(market::to_json(order).dump())).run());
  }
  for (const auto& [id, bid] : state->bids) {
    REQUIRE(insert->bind(1, std::string_view("bid")).bind(2, std::string_view(market::to_string(id)))
                .bind(3, std::string_view(id.owner)).bind(4, static_cast<std::int64_t>(id.dseq))
                .bind(5, static_cast<std::int64_t>(id.gseq)).bind(6, static_cast<std::int64_t>(id.oseq))
                .bind(7, std::string_view(id.provider)).bind(8, std::string_view(market::to_string(bid.state)))
                .bind(9, std::string_view(market::to_json(bid).dump())).run());
  }
  REQUIRE(db->exec(R"sql(
    DROP TABLE orders; DROP TABLE bids;
    CREATE TABLE accounts_v1(address TEXT PRIMARY KEY, sequence INTEGER NOT NULL DEFAULT 0,
                             pubkey TEXT NOT NULL DEFAULT '', balances TEXT NOT NULL DEFAULT '{}');
    INSERT INTO accounts_v1 SELECT address, sequence, pubkey, balances FROM accounts;
    DROP TABLE accounts; ALTER TABLE accounts_v1 RENAME TO accounts;
    CREATE TABLE events_v1(cursor INTEGER PRIMARY KEY AUTOINCREMENT, height INTEGER NOT NULL, tx_hash TEXT NOT NULL,
                           type TEXT NOT NULL, owner TEXT, dseq INTEGER, provider TEXT, address TEXT, body TEXT NOT NULL);
    INSERT INTO events_v1 SELECT cursor, height, tx_hash, type, owner, dseq, provider, address, body FROM events;
    DROP TABLE events; ALTER TABLE events_v1 RENAME TO events;
    CREATE INDEX events_by_deployment ON events(owner, dseq);
    CREATE INDEX events_by_provider ON events(provider);
    PRAGMA user_version = 1)sql"));
  REQUIRE(tx->commit());
}

TEST_CASE("ledger::SqliteStore moves schema 1's orders and bids into their own tables") {
  Fixture f;
  f.market_with_bid();
  Result<market::State> before = f.ledger->snapshot();
  REQUIRE(before);
  REQUIRE(before->bids.size() == 1);
  std::uint64_t tenant_sequence = f.next_sequence(f.tenant);
  REQUIRE(tenant_sequence > 0);
  EventPage events_before = f.ledger->events({}).value();
  REQUIRE(events_before.events.size() > 3);
  f.ledger.reset();
  downgrade_to_schema_1(f.path());

  OpenOptions options;
  options.clock = &f.clock;
  Result<std::unique_ptr<EmbeddedLedger>> migrated = EmbeddedLedger::open(f.path(), options);
  REQUIRE_MESSAGE(migrated, to_string(migrated.error()));
  CHECK(*(*migrated)->snapshot() == *before);
  CHECK((*migrated)->account(f.tenant.address())->next_sequence == tenant_sequence);
  CHECK(to_json(*(*migrated)->events({})) == to_json(events_before));
  Result<SqliteStore> store = SqliteStore::open(f.path(), false, std::nullopt, 0);
  REQUIRE(store);
  CHECK(*store->schema_version() == k_schema_version);
  Result<sqlite::Statement> left = store->db().prepare("SELECT COUNT(*) FROM objects WHERE kind IN ('order', 'bid')");
  REQUIRE(left);
  REQUIRE(*left->step());
  CHECK(left->column_int64(0) == 0);
  Result<sqlite::Statement> txs = store->db().prepare("SELECT COUNT(*) FROM txs");
  REQUIRE(txs);
  REQUIRE(*txs->step());
  CHECK(txs->column_int64(0) == 3);  // register, create deployment, bid (faucet funding signs nothing)

  // The migrated file takes new transactions.
  f.ledger = std::move(*migrated);
  CHECK(f.send(f.tenant, market::MsgCreateLease{f.bid_id()}));
  f.check_consistent();
  EventPage after = f.ledger->events({events_before.next_cursor, 0, {}, {}}).value();
  REQUIRE_FALSE(after.events.empty());
  CHECK(after.events.front().cursor == events_before.next_cursor + 1);
}

TEST_CASE("ledger::EmbeddedLedger answers orders and bids the same from the file and from memory") {
  Fixture f;
  f.market_with_bid();
  REQUIRE(f.send(f.tenant, market::MsgCreateLease{f.bid_id()}));
  OpenOptions options;
  options.clock = &f.clock;
  Result<std::unique_ptr<EmbeddedLedger>> fresh = EmbeddedLedger::open(f.path(), options);  // has loaded nothing
  REQUIRE(fresh);
  const std::vector<OrderFilter> order_filters = {
      {}, {f.tenant.address(), {}, {}, {}, {}}, {f.tenant.address(), 1, 1, 1, market::OrderState::active},
      {{}, {}, {}, {}, market::OrderState::open}, {f.provider.address(), {}, {}, {}, {}}};
  const std::vector<BidFilter> bid_filters = {
      {}, {f.tenant.address(), 1, {}, {}, {}, {}}, {{}, {}, {}, {}, f.provider.address(), market::BidState::active},
      {{}, {}, {}, {}, {}, market::BidState::open}, {f.tenant.address(), 2, {}, {}, {}, {}}};
  auto same_answers = [&](const auto& filters, auto query) {
    for (const auto& filter : filters) {
      auto from_file = query(**fresh, filter);
      auto from_memory = query(*f.ledger, filter);
      REQUIRE(from_file);
      REQUIRE(from_memory);
      CHECK(*from_file == *from_memory);
    }
  };
  same_answers(order_filters, [](EmbeddedLedger& l, const OrderFilter& filter) { return l.orders(filter); });
  same_answers(bid_filters, [](EmbeddedLedger& l, const BidFilter& filter) { return l.bids(filter); });
  CHECK((*fresh)->bids({})->size() == 1);
  CHECK((*fresh)->orders({})->size() == 1);
}

TEST_CASE("ledger::sqlite::Transaction rolls back unless committed") {
  TempDir dir{"akt-ledger"};
  Result<sqlite::Database> db = sqlite::Database::open(dir.path / "t.db", sqlite::OpenMode::read_write_create);
  REQUIRE(db);
  REQUIRE(db->exec("CREATE TABLE t(x INTEGER)"));
  {
    Result<sqlite::Transaction> tx = sqlite::Transaction::begin(*db);
    REQUIRE(tx);
    REQUIRE(db->exec("INSERT INTO t VALUES (1)"));
  }
  {
    Result<sqlite::Transaction> tx = sqlite::Transaction::begin(*db);
    REQUIRE(tx);
    REQUIRE(db->exec("INSERT INTO t VALUES (2)"));
    REQUIRE(tx->commit());
  }
  Result<sqlite::Statement> count = db->prepare("SELECT COUNT(*), SUM(x) FROM t");
  REQUIRE(count);
  REQUIRE(*count->step());
  CHECK(count->column_int64(0) == 1);
  CHECK(count->column_int64(1) == 2);
}

TEST_CASE("ledger::signed_tx_from_json round-trips and is strict") {
  PrivateKey key = PrivateKey::generate();
  SignedTx tx = sign_tx(key, "akt-test-1", 42, market::MsgSend{"akash1xyz", market::Coin{"uakt", 5}});
  nlohmann::json doc = to_json(tx);
  Result<SignedTx> back = signed_tx_from_json(doc);
  REQUIRE(back);
  CHECK(tx_hash(*back) == tx_hash(tx));
  CHECK(verify_tx_signature(*back, "akt-test-1"));
  doc["extra"] = 1;
  Result<SignedTx> extra = signed_tx_from_json(doc);
  REQUIRE_FALSE(extra);
  CHECK(extra.error().path == "extra");
  doc.erase("extra");
  doc["sequence"] = "-1";
  CHECK_FALSE(signed_tx_from_json(doc));
}

TEST_CASE("ledger::open_ledger opens the default file under home and explicit files") {
  TempDir dir{"akt-ledger"};
  ManualClock clock(1'000);
  OpenOptions options;
  options.clock = &clock;
  Result<std::unique_ptr<Ledger>> created = open_ledger("", dir.path, options);
  REQUIRE(created);
  CHECK(std::filesystem::exists(dir.path / "ledger.db"));
  CHECK((*created)->info()->faucet);
  options.create_if_missing = false;
  Result<std::unique_ptr<Ledger>> missing = open_ledger((dir.path / "other.db").string(), dir.path, options);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  Result<std::unique_ptr<Ledger>> again = open_ledger((dir.path / "ledger.db").string(), dir.path, options);
  REQUIRE(again);
  CHECK((*again)->info()->chain_id == "akt-local-1");
}
