#include "ledger/sqlite_store.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <variant>

#include "market/codec.hpp"

namespace akt::ledger {
namespace {

using Json = nlohmann::json;

// Version 1: the first schema. Later versions append a step here; never edit a step.
constexpr const char* k_migration_1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(
  address TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL DEFAULT 0,
  pubkey TEXT NOT NULL DEFAULT '',
  balances TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS objects(
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  owner TEXT, dseq INTEGER, gseq INTEGER, oseq INTEGER, provider TEXT,
  state TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  PRIMARY KEY(kind, id));
CREATE INDEX IF NOT EXISTS objects_by_owner ON objects(kind, owner, dseq, gseq, oseq);
CREATE INDEX IF NOT EXISTS objects_by_provider ON objects(kind, provider);
CREATE TABLE IF NOT EXISTS events(
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  height INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  type TEXT NOT NULL,
  owner TEXT, dseq INTEGER, provider TEXT, address TEXT,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_deployment ON events(owner, dseq);
CREATE INDEX IF NOT EXISTS events_by_provider ON events(provider);
CREATE TABLE IF NOT EXISTS txs(
  hash TEXT PRIMARY KEY,
  height INTEGER NOT NULL,
  signer TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  body TEXT NOT NULL);
)sql";

// Version 2: orders and bids move to tables of their own, every field a column, so a
// large order book is read without decoding JSON. Money stays exact as decimal text.
// Accounts lose their rowid; events lose AUTOINCREMENT and get partial indexes.
// Their rows are moved over by SqliteStore::move_orders_and_bids_out_of_objects.
constexpr const char* k_migration_2 = R"sql(
CREATE TABLE orders(
  owner TEXT NOT NULL, dseq INTEGER NOT NULL, gseq INTEGER NOT NULL, oseq INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL, closed_at INTEGER NOT NULL,
  PRIMARY KEY(owner, dseq, gseq, oseq)) WITHOUT ROWID;
CREATE INDEX orders_by_state ON orders(state);
CREATE TABLE bids(
  owner TEXT NOT NULL, dseq INTEGER NOT NULL, gseq INTEGER NOT NULL, oseq INTEGER NOT NULL, provider TEXT NOT NULL,
  state TEXT NOT NULL,
  price_denom TEXT NOT NULL, price TEXT NOT NULL,
  deposit_denom TEXT NOT NULL, deposit TEXT NOT NULL,
  created_at INTEGER NOT NULL, closed_at INTEGER NOT NULL,
  PRIMARY KEY(owner, dseq, gseq, oseq, provider)) WITHOUT ROWID;
CREATE INDEX bids_by_provider ON bids(provider);
-- Accounts are small rows found only by their address: one B-tree, not a table and an
-- index. (Transactions keep their rowid: their bodies are large, and appending them in
-- rowid order writes far fewer pages than placing them by hash.)
CREATE TABLE accounts_v2(
  address TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL DEFAULT 0,
  pubkey TEXT NOT NULL DEFAULT '',
  balances TEXT NOT NULL DEFAULT '{}') WITHOUT ROWID;
INSERT INTO accounts_v2(address, sequence, pubkey, balances) SELECT address, sequence, pubkey, balances FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
-- Events are never deleted, so the rowid alone keeps cursors increasing; AUTOINCREMENT
-- only added a write per event. Most events (a send's) name no deployment and no
-- provider: index only those that do.
CREATE TABLE events_v2(
  cursor INTEGER PRIMARY KEY,
  height INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  type TEXT NOT NULL,
  owner TEXT, dseq INTEGER, provider TEXT, address TEXT,
  body TEXT NOT NULL);
INSERT INTO events_v2(cursor, height, tx_hash, type, owner, dseq, provider, address, body)
  SELECT cursor, height, tx_hash, type, owner, dseq, provider, address, body FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_by_deployment ON events(owner, dseq) WHERE owner IS NOT NULL;
CREATE INDEX events_by_provider ON events(provider) WHERE provider IS NOT NULL;
)sql";

// Column lists shared by the writers and every reader of the typed tables.
constexpr const char* k_order_columns = "owner, dseq, gseq, oseq, state, created_at, closed_at";
constexpr const char* k_bid_columns =
    "owner, dseq, gseq, oseq, provider, state, price_denom, price, deposit_denom, deposit, created_at, closed_at";

enum Slot : int {
  s_put_meta,
  s_put_account,
  s_put_object,
  s_erase_object,
  s_append_event,
  s_put_tx,
  s_put_order,
  s_put_bid,
  s_erase_order,
  s_erase_bid,
  s_slot_count,
};

Error store_error(ErrorKind kind, std::string message) { return make_error(kind, std::move(message)); }

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::optional<std::int64_t> parse_i64(std::string_view text) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::string amounts_json(const std::map<std::string, Amount>& amounts) {
  Json doc = Json::object();
  for (const auto& [denom, amount] : amounts) doc[denom] = std::to_string(amount);
  return doc.dump();
}

Result<std::map<std::string, Amount>> amounts_from(const std::string& text, const std::string& where) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return store_error(ErrorKind::failure, where + ": damaged amounts");
  std::map<std::string, Amount> out;
  for (const auto& item : doc.items()) {
    std::optional<std::uint64_t> amount =
        item.value().is_string() ? parse_u64(item.value().get<std::string>()) : std::nullopt;
    if (!amount) return store_error(ErrorKind::failure, where + ": damaged amount for " + item.key());
    out[item.key()] = *amount;
  }
  return out;
}

std::optional<std::int64_t> i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// Decodes a stored object into its map; the codec's error names what is damaged.
template <typename T, typename Decode, typename Key>
Status load_into(std::map<Key, T>& into, const Json& body, Decode decode, Key (*key_of)(const T&),
                 const std::string& where) {
  Result<T> value = decode(body);
  if (!value) return store_error(ErrorKind::failure, where + ": " + to_string(value.error()));
  Key key = key_of(*value);
  into.emplace(std::move(key), std::move(*value));
  return ok();
}

market::DeploymentId key_deployment(const market::Deployment& v) { return v.id; }
market::GroupId key_group(const market::Group& v) { return v.id; }
market::LeaseId key_lease(const market::Lease& v) { return v.id; }
market::Address key_provider(const market::Provider& v) { return v.owner; }
std::pair<market::Address, market::Address> key_audit(const market::AuditorSignature& v) {
  return {v.provider, v.auditor};
}
std::string key_account(const market::Account& v) { return v.id; }
market::LeaseId key_payment(const market::Payment& v) { return v.id; }

std::uint64_t u64_column(const sqlite::Statement& row, int index) {
  return static_cast<std::uint64_t>(row.column_int64(index));
}

// A row of k_order_columns into `order`; `where` names the ledger in errors.
Status order_from_row(const sqlite::Statement& row, const std::string& where, market::Order& order) {
  order.id = {row.column_text(0), u64_column(row, 1), static_cast<std::uint32_t>(row.column_int64(2)),
              static_cast<std::uint32_t>(row.column_int64(3))};
  std::optional<market::OrderState> state = market::order_state_from(row.column_view(4));
  if (!state) return store_error(ErrorKind::failure, where + ": order " + market::to_string(order.id) + ": damaged state");
  order.state = *state;
  order.created_at = u64_column(row, 5);
  order.closed_at = u64_column(row, 6);
  return ok();
}

// A row of k_bid_columns into `bid`.
Status bid_from_row(const sqlite::Statement& row, const std::string& where, market::Bid& bid) {
  bid.id = {row.column_text(0), u64_column(row, 1), static_cast<std::uint32_t>(row.column_int64(2)),
            static_cast<std::uint32_t>(row.column_int64(3)), row.column_text(4)};
  auto damaged = [&](const char* what) {
    return store_error(ErrorKind::failure, where + ": bid " + market::to_string(bid.id) + ": damaged " + what);
  };
  std::optional<market::BidState> state = market::bid_state_from(row.column_view(5));
  if (!state) return damaged("state");
  bid.state = *state;
  bid.price.denom = row.column_text(6);
  Result<util::Decimal> price = util::Decimal::parse(row.column_view(7));
  if (!price) return damaged("price");
  bid.price.amount = *price;
  bid.deposit.denom = row.column_text(8);
  std::optional<std::uint64_t> deposit = parse_u64(row.column_view(9));
  if (!deposit) return damaged("deposit");
  bid.deposit.amount = *deposit;
  bid.created_at = u64_column(row, 10);
  bid.closed_at = u64_column(row, 11);
  return ok();
}

std::int64_t i64_of(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// Binds an order's key (owner, dseq, gseq, oseq) to parameters 1–4: the leading columns
// of both typed tables.
sqlite::Statement& bind_order_key(sqlite::Statement& stmt, const std::string& owner, std::uint64_t dseq,
                                  std::uint32_t gseq, std::uint32_t oseq) {
  return stmt.bind(1, std::string_view(owner))
      .bind(2, i64_of(dseq))
      .bind(3, static_cast<std::int64_t>(gseq))
      .bind(4, static_cast<std::int64_t>(oseq));
}

// Runs `sql`, which selects (kind, id, body) from objects, and hands each row's decoded
// body to visit(kind, where, body); `where` names the row in errors.
template <typename Visit>
Status each_object(sqlite::Database& db, const char* sql, Visit visit) {
  const std::string ledger = "ledger " + db.path().string();
  Result<sqlite::Statement> stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.error();
    if (!*row) return ok();
    std::string kind = stmt->column_text(0);
    std::string where = ledger + ": " + kind + " " + stmt->column_text(1);
    Result<Json> body = market::parse_json(stmt->column_text(2));
    if (!body) return store_error(ErrorKind::failure, where + ": damaged JSON");
    if (Status s = visit(kind, where, *body); !s) return s;
  }
}

} // namespace

Result<SqliteStore> SqliteStore::open(const std::filesystem::path& path, bool create_if_missing,
                                      const std::optional<GenesisOptions>& genesis, std::int64_t now_ms) {
  bool memory = path == ":memory:";
  std::error_code ec;
  if (!memory && !create_if_missing && !std::filesystem::exists(path, ec))
    return store_error(ErrorKind::not_found, "no ledger at " + path.string() + "; create one with `akt ledger init`");
  if (!memory && path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  Result<sqlite::Database> db = sqlite::Database::open(
      path, create_if_missing ? sqlite::OpenMode::read_write_create : sqlite::OpenMode::read_write);
  if (!db) return db.error();
  SqliteStore store(std::move(*db));
  store.m_statements.resize(s_slot_count);
  if (!memory) {
    if (Status s = store.m_db.exec("PRAGMA journal_mode=WAL"); !s) return s.error();
  }
  if (Status s = store.m_db.exec("PRAGMA synchronous=FULL"); !s) return s.error();
  // 64 MiB of page cache: a batch touches many accounts and index pages.
  if (Status s = store.m_db.exec("PRAGMA cache_size=-65536"); !s) return s.error();
  if (Status s = store.m_db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
  if (Status s = store.migrate(); !s) return s.error();

  Result<sqlite::Transaction> tx = sqlite::Transaction::begin(store.m_db);
  if (!tx) return tx.error();
  Result<sqlite::Statement> has_chain = store.m_db.prepare("SELECT value FROM meta WHERE key = 'chain_id'");
  if (!has_chain) return has_chain.error();
  Result<bool> row = has_chain->step();
  if (!row) return row.error();
  bool exists = *row;
  has_chain->reset();
  if (!exists) {
    if (!genesis)
      return store_error(ErrorKind::not_found, "ledger " + path.string() + " has no chain; create one with `akt ledger init`");
    if (Status s = store.init_genesis(*genesis, now_ms); !s) return s.error();
  }
  if (Status s = tx->commit(); !s) return s.error();
  return store;
}

Result<int> SqliteStore::schema_version() {
  Result<sqlite::Statement> stmt = m_db.prepare("PRAGMA user_version");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->step();
  if (!row) return row.error();
  return static_cast<int>(stmt->column_int64(0));
}

Status SqliteStore::migrate() {
  // Each step is its SQL, then an optional step in code; never edit a step, append one.
  struct Step {
    const char* sql;
    Status (SqliteStore::*then)();
  };
  const Step steps[] = {
      {k_migration_1, nullptr},
      {k_migration_2, &SqliteStore::move_orders_and_bids_out_of_objects},
  };
  static_assert(sizeof steps / sizeof steps[0] == k_schema_version);
  Result<sqlite::Transaction> tx = sqlite::Transaction::begin(m_db);
  if (!tx) return tx.error();
  Result<int> version = schema_version();
  if (!version) return version.error();
  if (*version > k_schema_version)
    return store_error(ErrorKind::failure, "ledger " + m_db.path().string() + " has schema version " +
                                               std::to_string(*version) + ", newer than this akt understands (" +
                                               std::to_string(k_schema_version) + "); upgrade akt");
  for (int v = *version; v < k_schema_version; ++v) {
    const Step& step = steps[v];
    if (Status s = m_db.exec(step.sql); !s) return s;
    if (step.then) {
      if (Status s = (this->*step.then)(); !s) return s;
    }
    if (Status s = m_db.exec("PRAGMA user_version = " + std::to_string(v + 1)); !s) return s;
  }
  return tx->commit();
}

Status SqliteStore::move_orders_and_bids_out_of_objects() {
  Status moved = each_object(
      m_db, "SELECT kind, id, body FROM objects WHERE kind IN ('order', 'bid')",
      [this](const std::string& kind, const std::string& where, const Json& body) -> Status {
        if (kind == "order") {
          Result<market::Order> order = market::order_from_json(body);
          return order ? put(*order) : store_error(ErrorKind::failure, where + ": " + to_string(order.error()));
        }
        Result<market::Bid> bid = market::bid_from_json(body);
        return bid ? put(*bid) : store_error(ErrorKind::failure, where + ": " + to_string(bid.error()));
      });
  if (!moved) return moved;
  return m_db.exec("DELETE FROM objects WHERE kind IN ('order', 'bid')");
}

Status SqliteStore::init_genesis(const GenesisOptions& genesis, std::int64_t now_ms) {
  market::Params params = genesis.params.value_or(market::Params{});
  params.faucet_enabled = genesis.faucet;
  market::State state = market::genesis(params);
  for (const auto& [address, coin] : genesis.accounts) {
    if (Status s = market::mint(state, address, coin); !s) return s;
  }
  if (genesis.block_interval_ms == 0) return store_error(ErrorKind::invalid, "block interval must be positive");
  if (Status s = put_meta("chain_id", genesis.chain_id); !s) return s;
  if (Status s = put_meta("genesis_time_ms", std::to_string(now_ms)); !s) return s;
  if (Status s = put_meta("block_interval_ms", std::to_string(genesis.block_interval_ms)); !s) return s;
  if (Status s = put_meta("height_offset", "0"); !s) return s;
  if (Status s = put_meta("params", market::to_json(params).dump()); !s) return s;
  if (Status s = put_supply(state.supply); !s) return s;
  for (const auto& [address, balances] : state.balances) {
    if (Status s = put_account(address, AccountRow{}, balances); !s) return s;
  }
  return ok();
}

Result<sqlite::Statement*> SqliteStore::cached(int slot, const char* sql) {
  std::optional<sqlite::Statement>& stmt = m_statements[static_cast<std::size_t>(slot)];
  if (!stmt) {
    Result<sqlite::Statement> prepared = m_db.prepare(sql);
    if (!prepared) return prepared.error();
    stmt.emplace(std::move(*prepared));
  }
  return &*stmt;
}

Status SqliteStore::put_meta(const std::string& key, const std::string& value) {
  Result<sqlite::Statement*> stmt = cached(s_put_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!stmt) return stmt.error();
  return (*stmt)->bind(1, std::string_view(key)).bind(2, std::string_view(value)).run();
}

Status SqliteStore::put_account(const Address& address, const AccountRow& row,
                                const std::map<std::string, Amount>& balances) {
  Result<sqlite::Statement*> stmt =
      cached(s_put_account, "INSERT INTO accounts(address, sequence, pubkey, balances) VALUES(?1, ?2, ?3, ?4) "
                     "ON CONFLICT(address) DO UPDATE SET sequence = excluded.sequence, pubkey = excluded.pubkey, "
                     "balances = excluded.balances");
  if (!stmt) return stmt.error();
  return (*stmt)
      ->bind(1, std::string_view(address))
      .bind(2, static_cast<std::int64_t>(row.sequence))
      .bind(3, std::string_view(row.pubkey))
      .bind(4, std::string_view(amounts_json(balances)))
      .run();
}

Status SqliteStore::put_supply(const std::map<std::string, Amount>& supply) {
  return put_meta("supply", amounts_json(supply));
}

Status SqliteStore::put_object(const std::string& kind, const std::string& id, const std::optional<std::string>& owner,
                               std::optional<std::int64_t> dseq, std::optional<std::int64_t> gseq,
                               std::optional<std::int64_t> oseq, const std::optional<std::string>& provider,
                               const std::string& state, const std::string& body) {
  Result<sqlite::Statement*> stmt = cached(
      s_put_object,
      "INSERT INTO objects(kind, id, owner, dseq, gseq, oseq, provider, state, body) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(kind, id) DO UPDATE SET "
      "owner = excluded.owner, dseq = excluded.dseq, gseq = excluded.gseq, oseq = excluded.oseq, "
      "provider = excluded.provider, state = excluded.state, body = excluded.body");
  if (!stmt) return stmt.error();
  return (*stmt)
      ->bind(1, std::string_view(kind))
      .bind(2, std::string_view(id))
      .bind(3, owner)
      .bind(4, dseq)
      .bind(5, gseq)
      .bind(6, oseq)
      .bind(7, provider)
      .bind(8, std::string_view(state))
      .bind(9, std::string_view(body))
      .run();
}

Status SqliteStore::put(const market::Deployment& v) {
  return put_object("deployment", market::to_string(v.id), v.id.owner, i64(v.id.dseq), std::nullopt, std::nullopt,
                    std::nullopt, market::to_string(v.state), market::to_json(v).dump());
}
Status SqliteStore::put(const market::Group& v) {
  return put_object("group", market::to_string(v.id), v.id.owner, i64(v.id.dseq), i64(v.id.gseq), std::nullopt,
                    std::nullopt, market::to_string(v.state), market::to_json(v).dump());
}
Status SqliteStore::put(const market::Order& v) {
  static const std::string sql = std::string("INSERT OR REPLACE INTO orders(") + k_order_columns +
                                 ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  Result<sqlite::Statement*> stmt = cached(s_put_order, sql.c_str());
  if (!stmt) return stmt.error();
  return bind_order_key(**stmt, v.id.owner, v.id.dseq, v.id.gseq, v.id.oseq)
      .bind(5, std::string_view(market::to_string(v.state)))
      .bind(6, i64_of(v.created_at))
      .bind(7, i64_of(v.closed_at))
      .run();
}
Status SqliteStore::put(const market::Bid& v) {
  static const std::string sql = std::string("INSERT OR REPLACE INTO bids(") + k_bid_columns +
                                 ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
  Result<sqlite::Statement*> stmt = cached(s_put_bid, sql.c_str());
  if (!stmt) return stmt.error();
  return bind_order_key(**stmt, v.id.owner, v.id.dseq, v.id.gseq, v.id.oseq)
      .bind(5, std::string_view(v.id.provider))
      .bind(6, std::string_view(market::to_string(v.state)))
      .bind(7, std::string_view(v.price.denom))
      .bind(8, std::string_view(v.price.amount.to_string()))
      .bind(9, std::string_view(v.deposit.denom))
      .bind(10, std::string_view(std::to_string(v.deposit.amount)))
      .bind(11, i64_of(v.created_at))
      .bind(12, i64_of(v.closed_at))
      .run();
}
Status SqliteStore::put(const market::Lease& v) {
  return put_object("lease", market::to_string(v.id), v.id.owner, i64(v.id.dseq), i64(v.id.gseq), i64(v.id.oseq),
                    v.id.provider, market::to_string(v.state), market::to_json(v).dump());
}
Status SqliteStore::put(const market::Provider& v) {
  return put_object("provider", v.owner, std::nullopt, std::nullopt, std::nullopt, std::nullopt, v.owner, "",
                    market::to_json(v).dump());
}
Status SqliteStore::put(const market::AuditorSignature& v) {
  return put_object("audit", v.provider + "/" + v.auditor, v.auditor, std::nullopt, std::nullopt, std::nullopt,
                    v.provider, "", market::to_json(v).dump());
}
Status SqliteStore::put(const market::Account& v) {
  return put_object("escrow_account", v.id, v.owner, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                    market::to_string(v.state), market::to_json(v).dump());
}
Status SqliteStore::put(const market::Payment& v) {
  return put_object("payment", market::to_string(v.id), v.id.owner, i64(v.id.dseq), i64(v.id.gseq), i64(v.id.oseq),
                    v.id.provider, market::to_string(v.state), market::to_json(v).dump());
}

Status SqliteStore::erase(const std::string& kind, const std::string& id) {
  Result<sqlite::Statement*> stmt = cached(s_erase_object, "DELETE FROM objects WHERE kind = ?1 AND id = ?2");
  if (!stmt) return stmt.error();
  return (*stmt)->bind(1, std::string_view(kind)).bind(2, std::string_view(id)).run();
}

Status SqliteStore::erase(const market::OrderId& id) {
  Result<sqlite::Statement*> stmt =
      cached(s_erase_order, "DELETE FROM orders WHERE owner = ?1 AND dseq = ?2 AND gseq = ?3 AND oseq = ?4");
  if (!stmt) return stmt.error();
  return bind_order_key(**stmt, id.owner, id.dseq, id.gseq, id.oseq)
      .run();
}

Status SqliteStore::erase(const market::BidId& id) {
  Result<sqlite::Statement*> stmt = cached(
      s_erase_bid, "DELETE FROM bids WHERE owner = ?1 AND dseq = ?2 AND gseq = ?3 AND oseq = ?4 AND provider = ?5");
  if (!stmt) return stmt.error();
  return bind_order_key(**stmt, id.owner, id.dseq, id.gseq, id.oseq)
      .bind(5, std::string_view(id.provider))
      .run();
}

Result<std::uint64_t> SqliteStore::append_event(const std::string& tx_hash, const market::Event& event) {
  Result<sqlite::Statement*> stmt = cached(
      s_append_event,
      "INSERT INTO events(height, tx_hash, type, owner, dseq, provider, address, body) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt) return stmt.error();
  auto opt = [](const std::string& s) { return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s); };
  Status s = (*stmt)
                 ->bind(1, static_cast<std::int64_t>(event.height))
                 .bind(2, std::string_view(tx_hash))
                 .bind(3, std::string_view(market::to_string(event.type)))
                 .bind(4, opt(event.owner))
                 .bind(5, event.owner.empty() ? std::nullopt : i64(event.dseq))
                 .bind(6, opt(event.provider))
                 .bind(7, opt(event.address))
                 .bind(8, std::string_view(market::to_json(event).dump()))
                 .run();
  if (!s) return s.error();
  return static_cast<std::uint64_t>(m_db.last_insert_rowid());
}

Status SqliteStore::put_tx(const std::string& hash, Height height, const Address& signer, std::uint64_t sequence,
                           const std::string& body) {
  Result<sqlite::Statement*> stmt = cached(
      s_put_tx, "INSERT OR REPLACE INTO txs(hash, height, signer, sequence, body) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return stmt.error();
  return (*stmt)
      ->bind(1, std::string_view(hash))
      .bind(2, static_cast<std::int64_t>(height))
      .bind(3, std::string_view(signer))
      .bind(4, static_cast<std::int64_t>(sequence))
      .bind(5, std::string_view(body))
      .run();
}

Result<ChainMeta> SqliteStore::load_meta() {
  Result<sqlite::Statement> stmt = m_db.prepare("SELECT key, value FROM meta");
  if (!stmt) return stmt.error();
  std::map<std::string, std::string> values;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    values[stmt->column_text(0)] = stmt->column_text(1);
  }
  ChainMeta meta;
  meta.chain_id = values["chain_id"];
  std::optional<std::int64_t> genesis = parse_i64(values["genesis_time_ms"]);
  std::optional<std::uint64_t> interval = parse_u64(values["block_interval_ms"]);
  std::optional<std::uint64_t> offset = parse_u64(values["height_offset"]);
  if (meta.chain_id.empty() || !genesis || !interval || *interval == 0 || !offset)
    return store_error(ErrorKind::failure, "ledger " + m_db.path().string() + ": damaged chain metadata");
  meta.genesis_time_ms = *genesis;
  meta.block_interval_ms = *interval;
  meta.height_offset = *offset;
  return meta;
}

namespace {

// WHERE clause over a table's key columns; only the fields that are set become
// conditions, so the tables' key and provider indexes apply. Parameters are bound in the
// order they were added.
struct ObjectQuery {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> params;

  // Over the objects table, one kind.
  explicit ObjectQuery(const char* kind) : sql("SELECT id, body FROM objects WHERE kind = ?1") { params.emplace_back(std::string(kind)); }
  // Over a typed table.
  ObjectQuery(const char* columns, const char* table) : sql(std::string("SELECT ") + columns + " FROM " + table + " WHERE 1") {}
  void add(const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    params.emplace_back(*value);
    sql += std::string(" AND ") + column + " = ?" + std::to_string(params.size());
  }
  void add(const char* column, const std::optional<std::int64_t>& value) {
    if (!value) return;
    params.emplace_back(*value);
    sql += std::string(" AND ") + column + " = ?" + std::to_string(params.size());
  }

  // The order-key conditions of an order, bid or lease filter.
  template <typename Filter>
  void add_order_key(const Filter& f) {
    add("owner", f.owner);
    add("dseq", f.dseq ? std::optional<std::int64_t>(static_cast<std::int64_t>(*f.dseq)) : std::nullopt);
    add("gseq", f.gseq ? std::optional<std::int64_t>(*f.gseq) : std::nullopt);
    add("oseq", f.oseq ? std::optional<std::int64_t>(*f.oseq) : std::nullopt);
  }

  Result<sqlite::Statement> prepare(sqlite::Database& db) const {
    Result<sqlite::Statement> stmt = db.prepare(sql);
    if (!stmt) return stmt.error();
    for (std::size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i) + 1;
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) stmt->bind(index, *n);
      else stmt->bind(index, std::string_view(std::get<std::string>(params[i])));
    }
    return stmt;
  }
};


template <typename T, typename Decode>
Result<std::vector<T>> run_query(sqlite::Database& db, const ObjectQuery& q, Decode decode, const std::string& where) {
  Result<sqlite::Statement> stmt = q.prepare(db);
  if (!stmt) return stmt.error();
  std::vector<T> out;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    Result<Json> body = market::parse_json(stmt->column_text(1));
    if (!body) return store_error(ErrorKind::failure, where + " " + stmt->column_text(0) + ": damaged JSON");
    Result<T> value = decode(*body);
    if (!value) return store_error(ErrorKind::failure, where + " " + stmt->column_text(0) + ": " + to_string(value.error()));
    out.push_back(std::move(*value));
  }
  return out;
}

// Every row of a typed table's query, decoded by `from_row`, in the order SQL returns them.
template <typename T, typename FromRow>
Result<std::vector<T>> run_rows(sqlite::Database& db, const ObjectQuery& q, FromRow from_row) {
  Result<sqlite::Statement> stmt = q.prepare(db);
  if (!stmt) return stmt.error();
  const std::string where = "ledger " + db.path().string();
  std::vector<T> out;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    // Decoded in place: a bid is large enough that moving it shows in a big order book.
    if (Status s = from_row(*stmt, where, out.emplace_back()); !s) return s.error();
  }
  return out;
}

} // namespace

Result<std::vector<market::Order>> SqliteStore::query_orders(const OrderFilter& f) {
  ObjectQuery q(k_order_columns, "orders");
  q.add_order_key(f);
  if (f.state) q.add("state", std::optional<std::string>(market::to_string(*f.state)));
  q.sql += " ORDER BY owner, dseq, gseq, oseq";
  return run_rows<market::Order>(m_db, q, order_from_row);
}

Result<std::vector<market::Bid>> SqliteStore::query_bids(const BidFilter& f) {
  ObjectQuery q(k_bid_columns, "bids");
  q.add_order_key(f);
  q.add("provider", f.provider);
  if (f.state) q.add("state", std::optional<std::string>(market::to_string(*f.state)));
  q.sql += " ORDER BY owner, dseq, gseq, oseq, provider";
  return run_rows<market::Bid>(m_db, q, bid_from_row);
}

Result<std::vector<market::Lease>> SqliteStore::query_leases(const LeaseFilter& f) {
  ObjectQuery q("lease");
  q.add_order_key(f);
  q.add("provider", f.provider);
  if (f.state) q.add("state", std::optional<std::string>(market::to_string(*f.state)));
  Result<std::vector<market::Lease>> out = run_query<market::Lease>(m_db, q, market::lease_from_json, "ledger " + m_db.path().string() + ": lease");
  if (out) std::sort(out->begin(), out->end(), [](const market::Lease& a, const market::Lease& b) { return a.id < b.id; });
  return out;
}

Result<std::optional<market::Provider>> SqliteStore::query_provider(const Address& address) {
  ObjectQuery q("provider");
  q.add("id", std::optional<std::string>(address));
  Result<std::vector<market::Provider>> found = run_query<market::Provider>(m_db, q, market::provider_from_json, "ledger " + m_db.path().string() + ": provider");
  if (!found) return found.error();
  if (found->empty()) return std::optional<market::Provider>();
  return std::optional<market::Provider>(std::move(found->front()));
}

Result<std::vector<market::AuditorSignature>> SqliteStore::query_audits(const AuditFilter& f) {
  ObjectQuery q("audit");
  q.add("provider", f.provider);
  q.add("owner", f.auditor);
  Result<std::vector<market::AuditorSignature>> out =
      run_query<market::AuditorSignature>(m_db, q, market::audit_from_json, "ledger " + m_db.path().string() + ": audit");
  if (out) {
    std::sort(out->begin(), out->end(), [](const market::AuditorSignature& a, const market::AuditorSignature& b) {
      return std::tie(a.provider, a.auditor) < std::tie(b.provider, b.auditor);
    });
  }
  return out;
}

Result<StoredLedger> SqliteStore::load() {
  StoredLedger out;
  Result<ChainMeta> meta = load_meta();
  if (!meta) return meta.error();
  out.meta = std::move(*meta);
  const std::string where = "ledger " + m_db.path().string();

  {
    Result<sqlite::Statement> stmt = m_db.prepare("SELECT key, value FROM meta WHERE key IN ('params', 'supply')");
    if (!stmt) return stmt.error();
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      std::string key = stmt->column_text(0);
      std::string value = stmt->column_text(1);
      if (key == "params") {
        Result<Json> doc = market::parse_json(value);
        if (!doc) return store_error(ErrorKind::failure, where + ": damaged params");
        Result<market::Params> params = market::params_from_json(*doc);
        if (!params) return store_error(ErrorKind::failure, where + ": damaged params: " + to_string(params.error()));
        out.state.params = std::move(*params);
      } else {
        Result<std::map<std::string, Amount>> supply = amounts_from(value, where + ": supply");
        if (!supply) return supply.error();
        out.state.supply = std::move(*supply);
      }
    }
  }
  {
    Result<sqlite::Statement> stmt = m_db.prepare("SELECT address, sequence, pubkey, balances FROM accounts");
    if (!stmt) return stmt.error();
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      Address address = stmt->column_text(0);
      AccountRow account{static_cast<std::uint64_t>(stmt->column_int64(1)), stmt->column_text(2)};
      Result<std::map<std::string, Amount>> balances = amounts_from(stmt->column_text(3), where + ": account " + address);
      if (!balances) return balances.error();
      if (!balances->empty()) out.state.balances[address] = std::move(*balances);
      out.accounts[address] = std::move(account);
    }
  }
  {
    Result<std::vector<market::Order>> orders = run_rows<market::Order>(m_db, ObjectQuery(k_order_columns, "orders"), order_from_row);
    if (!orders) return orders.error();
    for (market::Order& o : *orders) out.state.orders.emplace_hint(out.state.orders.end(), o.id, std::move(o));
    Result<std::vector<market::Bid>> bids = run_rows<market::Bid>(m_db, ObjectQuery(k_bid_columns, "bids"), bid_from_row);
    if (!bids) return bids.error();
    for (market::Bid& b : *bids) out.state.bids.emplace_hint(out.state.bids.end(), b.id, std::move(b));
  }
  market::State& s = out.state;
  Status loaded = each_object(m_db, "SELECT kind, id, body FROM objects",
                              [&s](const std::string& kind, const std::string& row, const Json& body) -> Status {
    if (kind == "deployment") return load_into(s.deployments, body, market::deployment_from_json, key_deployment, row);
    if (kind == "group") return load_into(s.groups, body, market::group_from_json, key_group, row);
    if (kind == "lease") return load_into(s.leases, body, market::lease_from_json, key_lease, row);
    if (kind == "provider") return load_into(s.providers, body, market::provider_from_json, key_provider, row);
    if (kind == "audit") return load_into(s.audits, body, market::audit_from_json, key_audit, row);
    if (kind == "escrow_account") return load_into(s.accounts, body, market::account_from_json, key_account, row);
    if (kind == "payment") return load_into(s.payments, body, market::payment_from_json, key_payment, row);
    return store_error(ErrorKind::failure, row + ": unknown kind");
  });
  if (!loaded) return loaded.error();
  return out;
}

Result<EventPage> SqliteStore::events(const EventQuery& query) {
  std::string sql = "SELECT cursor, tx_hash, body FROM events WHERE cursor > ?1";
  if (query.deployment) sql += " AND owner = ?2 AND dseq = ?3";
  if (query.provider) sql += " AND (provider = ?4 OR address = ?4)";
  sql += " ORDER BY cursor LIMIT ?5";
  Result<sqlite::Statement> stmt = m_db.prepare(sql);
  if (!stmt) return stmt.error();
  std::size_t limit = std::min<std::size_t>(query.limit == 0 ? 1000 : query.limit, 10000);
  stmt->bind(1, static_cast<std::int64_t>(query.after));
  if (query.deployment) {
    stmt->bind(2, std::string_view(query.deployment->owner));
    stmt->bind(3, static_cast<std::int64_t>(query.deployment->dseq));
  }
  if (query.provider) stmt->bind(4, std::string_view(*query.provider));
  stmt->bind(5, static_cast<std::int64_t>(limit));
  EventPage page;
  page.next_cursor = query.after;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    EventRecord record;
    record.cursor = static_cast<std::uint64_t>(stmt->column_int64(0));
    record.tx_hash = stmt->column_text(1);
    Result<Json> body = market::parse_json(stmt->column_text(2));
    if (!body) return store_error(ErrorKind::failure, "damaged event " + std::to_string(record.cursor));
    Result<market::Event> event = market::event_from_json(*body);
    if (!event) return store_error(ErrorKind::failure, "damaged event " + std::to_string(record.cursor) + ": " + to_string(event.error()));
    record.event = std::move(*event);
    page.next_cursor = record.cursor;
    page.events.push_back(std::move(record));
  }
  return page;
}

Result<std::uint64_t> SqliteStore::last_cursor() {
  Result<sqlite::Statement> stmt = m_db.prepare("SELECT COALESCE(MAX(cursor), 0) FROM events");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->step();
  if (!row) return row.error();
  return static_cast<std::uint64_t>(stmt->column_int64(0));
}

} // namespace akt::ledger
