#pragma once
// The embedded ledger's SQLite schema and row codec. Objects are stored one row each,
// with their key fields in indexed columns and the body as the market codec's JSON;
// orders and bids, the objects a large market has most of, have tables of their own with
// every field a column, so that an order book is read without decoding JSON;
// accounts hold balances, sequence and public key; events are an append-only log whose
// rowid is the public cursor. The schema version lives in PRAGMA user_version and is
// migrated forward on open.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.hpp"
#include "ledger/sqlite.hpp"
#include "market/state.hpp"

namespace akt::ledger {

inline constexpr int k_schema_version = 2;

// The chain's fixed facts, stored in `meta`.
struct ChainMeta {
  std::string chain_id;
  std::int64_t genesis_time_ms = 0;
  std::uint64_t block_interval_ms = 1000;
  std::uint64_t height_offset = 0;
};

struct AccountRow {
  std::uint64_t sequence = 0;
  std::string pubkey;
  friend bool operator==(const AccountRow&, const AccountRow&) = default;
};

// Everything a ledger keeps in memory, as loaded from the file.
struct StoredLedger {
  ChainMeta meta;
  market::State state;
  std::map<Address, AccountRow> accounts;
};

class SqliteStore {
public:
  // Opens (creating the file when allowed), sets WAL and synchronous=FULL and migrates.
  // A database with no chain yet is initialized from `genesis` at `now_ms` when
  // `genesis` is given, else reported as ErrorKind::not_found.
  static Result<SqliteStore> open(const std::filesystem::path& path, bool create_if_missing,
                                  const std::optional<GenesisOptions>& genesis, std::int64_t now_ms);

  sqlite::Database& db() { return m_db; }
  Result<int> schema_version();

  Result<StoredLedger> load();
  Result<ChainMeta> load_meta();

  // Row writers; call inside a sqlite::Transaction.
  Status put_meta(const std::string& key, const std::string& value);
  Status put_account(const Address& address, const AccountRow& row,
                     const std::map<std::string, Amount>& balances);
  Status put_supply(const std::map<std::string, Amount>& supply);
  Status put(const market::Deployment& value);
  Status put(const market::Group& value);
  Status put(const market::Order& value);
  Status put(const market::Bid& value);
  Status put(const market::Lease& value);
  Status put(const market::Provider& value);
  Status put(const market::AuditorSignature& value);
  Status put(const market::Account& value);
  Status put(const market::Payment& value);
  Status erase(const std::string& kind, const std::string& id);
  Status erase(const market::OrderId& id);
  Status erase(const market::BidId& id);
  // Appends and returns the cursor.
  Result<std::uint64_t> append_event(const std::string& tx_hash, const market::Event& event);
  Status put_tx(const std::string& hash, Height height, const Address& signer, std::uint64_t sequence,
                const std::string& body);

  // Indexed queries that decode only the matching rows, for a process that has not
  // loaded the market (a one-shot `akt bids list` on a large ledger). Results are in key
  // order, like the in-memory maps.
  Result<std::vector<market::Order>> query_orders(const OrderFilter& filter);
  Result<std::vector<market::Bid>> query_bids(const BidFilter& filter);
  Result<std::vector<market::Lease>> query_leases(const LeaseFilter& filter);
  Result<std::optional<market::Provider>> query_provider(const Address& address);
  Result<std::vector<market::AuditorSignature>> query_audits(const AuditFilter& filter);

  Result<EventPage> events(const EventQuery& query);
  Result<std::uint64_t> last_cursor();

  SqliteStore(SqliteStore&&) noexcept = default;
  SqliteStore& operator=(SqliteStore&&) noexcept = default;

private:
  explicit SqliteStore(sqlite::Database db) : m_db(std::move(db)) {}
  Status migrate();
  Status move_orders_and_bids_out_of_objects();
  Status init_genesis(const GenesisOptions& genesis, std::int64_t now_ms);
  Result<sqlite::Statement*> cached(int slot, const char* sql);
  Status put_object(const std::string& kind, const std::string& id, const std::optional<std::string>& owner,
                    std::optional<std::int64_t> dseq, std::optional<std::int64_t> gseq,
                    std::optional<std::int64_t> oseq, const std::optional<std::string>& provider,
                    const std::string& state, const std::string& body);

  sqlite::Database m_db;
  std::vector<std::optional<sqlite::Statement>> m_statements;
};

} // namespace akt::ledger
