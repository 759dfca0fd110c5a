#include "ledger/embedded.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "ledger/sqlite_store.hpp"
#include "market/apply.hpp"
#include "market/codec.hpp"
#include "market/escrow.hpp"

namespace akt::ledger {
namespace {

using market::DeploymentId;
using market::State;

Error refused(std::string message, std::string path = {}) {
  Error e = make_error(ErrorKind::refused, std::move(message));
  e.path = std::move(path);
  return e;
}

// What a message can change besides balances; everything else is untouched by it.
struct Scope {
  std::optional<DeploymentId> deployment;
  std::optional<Address> provider;
  std::optional<std::pair<Address, Address>> audit;  // (provider, auditor)
  std::set<Address> addresses;                       // balances that may change
};

Scope scope_of(const market::Msg& msg, const Address& signer) {
  Scope scope;
  scope.addresses.insert(signer);
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, market::MsgFund> || std::is_same_v<T, market::MsgSend>) {
          scope.addresses.insert(m.to);
        } else if constexpr (std::is_same_v<T, market::MsgRegisterProvider> ||
                             std::is_same_v<T, market::MsgUpdateProvider>) {
          scope.provider = signer;
        } else if constexpr (std::is_same_v<T, market::MsgSignProviderAttributes>) {
          scope.audit = std::make_pair(m.provider, signer);
        } else if constexpr (std::is_same_v<T, market::MsgCreateDeployment> ||
                             std::is_same_v<T, market::MsgUpdateDeployment> ||
                             std::is_same_v<T, market::MsgCloseDeployment>) {
          scope.deployment = m.id;
        } else if constexpr (std::is_same_v<T, market::MsgDeposit> || std::is_same_v<T, market::MsgSettle>) {
          scope.deployment = m.deployment;
        } else if constexpr (std::is_same_v<T, market::MsgCreateBid>) {
          scope.deployment = m.order.deployment();
        } else if constexpr (std::is_same_v<T, market::MsgCreateLease>) {
          scope.deployment = m.bid.deployment();
        } else {
          // Pause/start/close group, close bid, close lease, withdraw: all carry an id.
          scope.deployment = m.id.deployment();
        }
      },
      msg);
  if (scope.deployment) scope.addresses.insert(scope.deployment->owner);
  return scope;
}

template <typename K, typename V, typename Lo, typename In>
void copy_range(const std::map<K, V>& from, std::map<K, V>& to, const Lo& low, In in_range) {
  for (auto it = from.lower_bound(low); it != from.end() && in_range(it->first); ++it) to.emplace(*it);
}

// The part of `state` a message with this scope can touch.
State slice(const State& state, const Scope& scope) {
  State out;
  out.supply = state.supply;
  if (scope.deployment) {
    const DeploymentId& d = *scope.deployment;
    auto same = [&d](const auto& id) { return id.owner == d.owner && id.dseq == d.dseq; };
    if (auto it = state.deployments.find(d); it != state.deployments.end()) out.deployments.emplace(*it);
    copy_range(state.groups, out.groups, market::GroupId{d.owner, d.dseq, 0}, same);
    copy_range(state.orders, out.orders, market::OrderId{d.owner, d.dseq, 0, 0}, same);
    copy_range(state.bids, out.bids, market::BidId{d.owner, d.dseq, 0, 0, ""}, same);
    copy_range(state.leases, out.leases, market::BidId{d.owner, d.dseq, 0, 0, ""}, same);
    copy_range(state.payments, out.payments, market::BidId{d.owner, d.dseq, 0, 0, ""}, same);
    if (auto it = state.accounts.find(market::account_id(d)); it != state.accounts.end()) out.accounts.emplace(*it);
    for (const auto& [id, bid] : out.bids) {
      if (auto it = state.accounts.find(market::account_id(id)); it != state.accounts.end()) out.accounts.emplace(*it);
    }
  }
  if (scope.provider) {
    if (auto it = state.providers.find(*scope.provider); it != state.providers.end()) out.providers.emplace(*it);
  }
  if (scope.audit) {
    if (auto it = state.audits.find(*scope.audit); it != state.audits.end()) out.audits.emplace(*it);
  }
  return out;
}

// Addresses whose balances a transaction may have moved: the scope's, every depositor
// and bidder of the deployment, and every party its events name.
void collect_addresses(const State& part, std::set<Address>& into) {
  for (const auto& [id, account] : part.accounts) {
    into.insert(account.owner);
    for (const market::Deposit& deposit : account.deposits) into.insert(deposit.depositor);
  }
  for (const auto& [id, bid] : part.bids) into.insert(id.provider);
}

std::string audit_key(const std::pair<Address, Address>& key) { return key.first + "/" + key.second; }

// Writes the objects of `after` that are new or changed and erases those it lost.
template <typename K, typename V, typename Erase>
Status write_map(SqliteStore& store, const std::map<K, V>& before, const std::map<K, V>& after, Erase erase) {
  for (const auto& [key, value] : after) {
    auto it = before.find(key);
    if (it == before.end() || !(it->second == value)) {
      if (Status s = store.put(value); !s) return s;
    }
  }
  for (const auto& [key, value] : before) {
    if (!after.count(key)) {
      if (Status s = erase(key); !s) return s;
    }
  }
  return ok();
}

Status write_changes(SqliteStore& store, const State& before, const State& after) {
  auto by_kind = [&store](const char* kind) {
    return [&store, kind](const auto& key) {
      using Key = std::decay_t<decltype(key)>;
      if constexpr (std::is_same_v<Key, std::string>) return store.erase(kind, key);
      else if constexpr (std::is_same_v<Key, std::pair<Address, Address>>) return store.erase(kind, audit_key(key));
      else return store.erase(kind, market::to_string(key));
    };
  };
  auto typed = [&store](const auto& key) { return store.erase(key); };
  if (Status s = write_map(store, before.deployments, after.deployments, by_kind("deployment")); !s) return s;
  if (Status s = write_map(store, before.groups, after.groups, by_kind("group")); !s) return s;
  if (Status s = write_map(store, before.orders, after.orders, typed); !s) return s;
  if (Status s = write_map(store, before.bids, after.bids, typed); !s) return s;
  if (Status s = write_map(store, before.leases, after.leases, by_kind("lease")); !s) return s;
  if (Status s = write_map(store, before.payments, after.payments, by_kind("payment")); !s) return s;
  if (Status s = write_map(store, before.accounts, after.accounts, by_kind("escrow_account")); !s) return s;
  if (Status s = write_map(store, before.providers, after.providers, by_kind("provider")); !s) return s;
  if (Status s = write_map(store, before.audits, after.audits, by_kind("audit")); !s) return s;
  if (before.supply != after.supply) {
    if (Status s = store.put_supply(after.supply); !s) return s;
  }
  return ok();
}

template <typename T>
bool matches(const std::optional<T>& want, const T& have) {
  return !want || *want == have;
}

// The objects of `all`, keyed owner/dseq/…, that `keep` accepts; when the filter names an
// owner (and a deployment) the scan starts at its first key and stops after its last.
template <typename Map, typename Filter, typename Keep>
std::vector<typename Map::mapped_type> scan_by_owner(const Map& all, const Filter& f, const typename Map::key_type& first,
                                                     Keep keep) {
  std::vector<typename Map::mapped_type> out;
  for (auto it = f.owner ? all.lower_bound(first) : all.begin(); it != all.end(); ++it) {
    const auto& [id, value] = *it;
    if (f.owner && id.owner != *f.owner) break;
    if (f.owner && f.dseq && id.dseq != *f.dseq) break;
    if (matches(f.dseq, id.dseq) && keep(id, value)) out.push_back(value);
  }
  return out;
}

std::int64_t blocks_since(std::int64_t now_ms, const ChainMeta& meta) {
  if (now_ms <= meta.genesis_time_ms) return 0;
  return (now_ms - meta.genesis_time_ms) / static_cast<std::int64_t>(meta.block_interval_ms);
}

} // namespace

struct EmbeddedLedger::Impl {
  SqliteStore store;
  const Clock* clock = nullptr;
  StoredLedger cache;
  std::int64_t data_version = -1;
  bool dirty = true;  // memory may be ahead of or behind the file: reload before use
  std::mutex mutex;   // one operation at a time (an HTTP server calls from many threads)
  SignerCache signers;
  std::string chain;  // fixed at genesis, read once at open: check() needs no lock

  Impl(SqliteStore s, const Clock* c) : store(std::move(s)), clock(c) {}

  Height current_height() const {
    return 1 + static_cast<Height>(blocks_since(clock->now_ms(), cache.meta)) + cache.meta.height_offset;
  }

  // Call inside a transaction: reloads when another connection committed since.
  Status sync() {
    Result<std::int64_t> version = store.db().data_version();
    if (!version) return version.error();
    if (!dirty && *version == data_version) return ok();
    Result<StoredLedger> loaded = store.load();
    if (!loaded) return loaded.error();
    cache = std::move(*loaded);
    data_version = *version;
    dirty = false;
    return ok();
  }

  // Inside a read transaction: whether memory matches the file, so a query may use it.
  // A process that never needed the whole market (a one-shot CLI query) answers from
  // indexed SQL instead of loading everything first.
  Result<bool> fresh() {
    if (dirty) return false;
    Result<std::int64_t> version = store.db().data_version();
    if (!version) return version.error();
    return *version == data_version;
  }

  // Runs `from_memory` when memory is current, else `from_file` against the store, both
  // inside one read transaction so the answer is one consistent view.
  template <typename T, typename Memory, typename File>
  Result<T> read(Memory from_memory, File from_file) {
    Result<sqlite::Transaction> tx = sqlite::Transaction::begin(store.db(), sqlite::Transaction::Kind::deferred);
    if (!tx) return tx.error();
    Result<bool> current = fresh();
    if (!current) return current.error();
    Result<T> out = *current ? Result<T>(from_memory()) : from_file();
    if (!out) return out;
    if (Status s = tx->commit(); !s) return s.error();
    return out;
  }

  Status sync_for_read() {
    Result<sqlite::Transaction> tx = sqlite::Transaction::begin(store.db(), sqlite::Transaction::Kind::deferred);
    if (!tx) return tx.error();
    if (Status s = sync(); !s) return s;
    return tx->commit();
  }

  // Applies one message for `signer` and writes what changed. The state is untouched
  // when the market refuses; on a storage failure the cache is marked dirty.
  Result<std::vector<market::Event>> apply_and_write(const market::Msg& msg, const Address& signer, Height height,
                                                     const std::string& hash,
                                                     const std::optional<std::pair<std::uint64_t, std::string>>& seq) {
    Scope scope = scope_of(msg, signer);
    State before = slice(cache.state, scope);
    Result<std::vector<market::Event>> events = market::apply(cache.state, msg, signer, height);
    if (!events) return events.error();
    State after = slice(cache.state, scope);
    std::set<Address> addresses = scope.addresses;
    collect_addresses(before, addresses);
    collect_addresses(after, addresses);
    for (const market::Event& e : *events) {
      for (const Address* a : {&e.owner, &e.provider, &e.address}) {
        if (!a->empty()) addresses.insert(*a);
      }
    }
    if (seq) {
      AccountRow& row = cache.accounts[signer];
      row.sequence = seq->first + 1;
      row.pubkey = seq->second;
    }
    Status written = write_changes(store, before, after);
    for (const Address& address : addresses) {
      if (!written) break;
      auto balance = cache.state.balances.find(address);
      auto row = cache.accounts.find(address);
      bool has_balance = balance != cache.state.balances.end();
      if (!has_balance && row == cache.accounts.end()) continue;
      static const std::map<std::string, Amount> k_empty;
      written = store.put_account(address, row == cache.accounts.end() ? AccountRow{} : row->second,
                                  has_balance ? balance->second : k_empty);
      if (row == cache.accounts.end() && written) cache.accounts[address] = AccountRow{};
    }
    for (const market::Event& e : *events) {
      if (!written) break;
      Result<std::uint64_t> cursor = store.append_event(hash, e);
      if (!cursor) written = cursor.error();
    }
    if (!written) {
      dirty = true;
      return written.error();
    }
    return events;
  }

  // Sequence check and apply for a transaction whose signature is already verified.
  Result<TxReceipt> apply_verified(const SignedTx& tx, const CheckedTx& checked, Height height) {
    std::uint64_t next = 0;
    if (auto it = cache.accounts.find(tx.signer); it != cache.accounts.end()) next = it->second.sequence;
    if (tx.sequence != next) {
      std::string why = tx.sequence < next ? "it was already used (a replay or a duplicate)"
                                           : "earlier transactions of this account are missing";
      return refused("sequence " + std::to_string(tx.sequence) + " is not " + tx.signer + "'s next sequence " +
                         std::to_string(next) + ": " + why + "; sign again with sequence " + std::to_string(next),
                     "sequence");
    }
    const std::string& body = checked.body;
    const std::string& hash = checked.hash;
    Result<std::vector<market::Event>> events =
        apply_and_write(tx.msg, tx.signer, height, hash, std::make_pair(tx.sequence, tx.pubkey));
    if (!events) return events.error();
    if (Status s = store.put_tx(hash, height, tx.signer, tx.sequence, body); !s) {
      dirty = true;
      return s.error();
    }
    return TxReceipt{height, hash, tx.sequence, std::move(*events)};
  }
};

EmbeddedLedger::EmbeddedLedger(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
EmbeddedLedger::~EmbeddedLedger() = default;

Result<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::open(const std::filesystem::path& path,
                                                             const OpenOptions& options) {
  if (!options.clock) return make_error(ErrorKind::failure, "EmbeddedLedger::open needs a clock");
  std::optional<GenesisOptions> genesis;
  if (options.create_if_missing) genesis = options.genesis;
  Result<SqliteStore> store = SqliteStore::open(path, options.create_if_missing, genesis, options.clock->now_ms());
  if (!store) return store.error();
  auto impl = std::make_unique<Impl>(std::move(*store), options.clock);
  // The market is loaded on first need, not here: indexed queries do without it.
  Result<ChainMeta> meta = impl->store.load_meta();
  if (!meta) return meta.error();
  impl->chain = meta->chain_id;
  return std::unique_ptr<EmbeddedLedger>(new EmbeddedLedger(std::move(impl)));
}

Result<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::init(const std::filesystem::path& path, const Clock& clock,
                                                             const GenesisOptions& genesis) {
  std::error_code ec;
  if (path != ":memory:" && std::filesystem::exists(path, ec))
    return make_error(ErrorKind::invalid, "a ledger already exists at " + path.string() +
                                              "; remove it first or choose another file with --ledger");
  OpenOptions options;
  options.clock = &clock;
  options.create_if_missing = true;
  options.genesis = genesis;
  return open(path, options);
}

Result<TxReceipt> EmbeddedLedger::submit(const SignedTx& tx) {
  Result<CheckedTx> checked = check_tx(tx, m_impl->chain, &m_impl->signers);
  if (!checked) return checked.error();
  std::lock_guard lock(m_impl->mutex);
  Result<sqlite::Transaction> db_tx = sqlite::Transaction::begin(m_impl->store.db());
  if (!db_tx) return db_tx.error();
  if (Status s = m_impl->sync(); !s) return s.error();
  Result<TxReceipt> receipt = m_impl->apply_verified(tx, *checked, m_impl->current_height());
  if (!receipt) return receipt;  // rolled back; the market left the state untouched
  if (Status s = db_tx->commit(); !s) {
    m_impl->dirty = true;
    return s.error();
  }
  return receipt;
}

std::optional<Result<CheckedTx>> EmbeddedLedger::check(const SignedTx& tx) {
  return check_tx(tx, m_impl->chain, &m_impl->signers);
}

Result<BatchResult> EmbeddedLedger::submit_batch(const std::vector<SignedTx>& txs) {
  return submit_checked(txs, std::vector<std::optional<Result<CheckedTx>>>(txs.size()));
}

Result<BatchResult> EmbeddedLedger::submit_checked(const std::vector<SignedTx>& txs,
                                                   const std::vector<std::optional<Result<CheckedTx>>>& checked) {
  if (checked.size() != txs.size())
    return make_error(ErrorKind::failure, "submit_checked needs one check result per transaction");
  std::lock_guard lock(m_impl->mutex);
  // Signatures and encodings are independent of state, so worker threads check what is
  // not checked yet ahead of the applying thread, which applies strictly in order and,
  // while the next transaction is not ready, takes a bounded share of the checking.
  const std::size_t n = txs.size();
  std::vector<std::optional<Result<CheckedTx>>> verified(n);
  std::unique_ptr<std::atomic<bool>[]> ready(new std::atomic<bool>[n]);
  std::size_t unchecked = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ready[i].store(checked[i].has_value(), std::memory_order_relaxed);
    unchecked += checked[i] ? 0 : 1;
  }
  unsigned helpers = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 16) - 1;
  helpers = static_cast<unsigned>(std::min<std::size_t>(helpers, unchecked / 64));
  // Unclaimed transactions are [front, back). Workers take from the front, in the order
  // they are applied; the applying thread, when it would wait, takes from the back, so
  // its help never stands in the way of the transaction it waits for.
  std::mutex claims;
  std::size_t front = 0;
  std::size_t back = n;
  auto claim = [&](bool from_back) -> std::optional<std::size_t> {
    std::lock_guard claim_lock(claims);
    while (front < back && checked[front]) ++front;
    while (front < back && checked[back - 1]) --back;
    if (front >= back) return std::nullopt;
    return from_back ? --back : front++;
  };
  auto check = [&](std::size_t i) {
    verified[i].emplace(check_tx(txs[i], m_impl->chain, &m_impl->signers));
    ready[i].store(true, std::memory_order_release);
    ready[i].notify_all();
  };
  // Declared after everything they use, so an early return joins them first.
  std::vector<std::jthread> workers;
  for (unsigned t = 0; t < helpers; ++t) {
    workers.emplace_back([&] {
      while (std::optional<std::size_t> i = claim(false)) check(*i);
    });
  }
  // The applying thread's fair share of the checks: with checks of c and applies of a
  // (as it measures them, so cores that slow each other down are accounted for) and h
  // workers, everyone ends together when it checks n(c - h·a) / (c(h + 1)). More, and
  // the workers idle while it catches up; less, and it idles while they check.
  using Stopwatch = std::chrono::steady_clock;
  double check_seconds = 0.0;
  double apply_seconds = 0.0;
  std::size_t own_checks = 0;
  std::size_t applied = 0;
  auto may_help = [&] {
    if (helpers == 0) return true;
    if (own_checks == 0 || applied == 0) return own_checks < n / (2 * (helpers + 1));
    double c = check_seconds / static_cast<double>(own_checks);
    double a = apply_seconds / static_cast<double>(applied);
    double share = (c - helpers * a) / (c * (helpers + 1));
    return static_cast<double>(own_checks) < share * static_cast<double>(n);
  };

  Result<sqlite::Transaction> db_tx = sqlite::Transaction::begin(m_impl->store.db());
  if (!db_tx) return db_tx.error();
  if (Status s = m_impl->sync(); !s) return s.error();
  Height height = m_impl->current_height();
  BatchResult out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    while (!ready[i].load(std::memory_order_acquire)) {
      // Transaction i itself is unclaimed only when no worker runs ahead: take it.
      std::optional<std::size_t> help = may_help() ? claim(/*from_back=*/helpers > 0) : std::nullopt;
      if (help) {
        Stopwatch::time_point started = Stopwatch::now();
        check(*help);
        check_seconds += std::chrono::duration<double>(Stopwatch::now() - started).count();
        ++own_checks;
      } else {
        ready[i].wait(false, std::memory_order_acquire);
      }
    }
    const Result<CheckedTx>& verdict = checked[i] ? *checked[i] : *verified[i];
    if (!verdict) {
      out.push_back(verdict.error());
      continue;
    }
    Stopwatch::time_point started = Stopwatch::now();
    Result<TxReceipt> receipt = m_impl->apply_verified(txs[i], *verdict, height);
    apply_seconds += std::chrono::duration<double>(Stopwatch::now() - started).count();
    ++applied;
    if (!receipt && m_impl->dirty) return receipt.error();  // storage failure: nothing commits
    out.push_back(std::move(receipt));
  }
  if (Status s = db_tx->commit(); !s) {
    m_impl->dirty = true;
    return s.error();
  }
  return out;
}

Result<ChainInfo> EmbeddedLedger::info() {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  const StoredLedger& c = m_impl->cache;
  ChainInfo info;
  info.chain_id = c.meta.chain_id;
  info.genesis_time_ms = c.meta.genesis_time_ms;
  info.block_interval_ms = c.meta.block_interval_ms;
  info.height_offset = c.meta.height_offset;
  info.height = m_impl->current_height();
  info.faucet = c.state.params.faucet_enabled;
  info.can_advance = true;
  info.params = c.state.params;
  return info;
}

Result<Height> EmbeddedLedger::height() {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  return m_impl->current_height();
}

Result<AccountInfo> EmbeddedLedger::account(const Address& address) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  AccountInfo info;
  info.address = address;
  if (auto it = m_impl->cache.state.balances.find(address); it != m_impl->cache.state.balances.end())
    info.balances = it->second;
  if (auto it = m_impl->cache.accounts.find(address); it != m_impl->cache.accounts.end()) {
    info.next_sequence = it->second.sequence;
    info.pubkey = it->second.pubkey;
  }
  return info;
}

Result<std::vector<market::Deployment>> EmbeddedLedger::deployments(const DeploymentFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  std::vector<market::Deployment> out;
  for (const auto& [id, d] : m_impl->cache.state.deployments) {
    if (matches(f.owner, id.owner) && matches(f.dseq, id.dseq) && matches(f.state, d.state)) out.push_back(d);
  }
  return out;
}

Result<market::Deployment> EmbeddedLedger::deployment(const DeploymentId& id) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  Result<const market::Deployment*> found = market::find_deployment(m_impl->cache.state, id);
  if (!found) return found.error();
  return **found;
}

Result<std::vector<market::Group>> EmbeddedLedger::groups(const GroupFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  std::vector<market::Group> out;
  for (const auto& [id, g] : m_impl->cache.state.groups) {
    if (matches(f.owner, id.owner) && matches(f.dseq, id.dseq) && matches(f.gseq, id.gseq) && matches(f.state, g.state))
      out.push_back(g);
  }
  return out;
}

Result<std::vector<market::Order>> EmbeddedLedger::orders(const OrderFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->read<std::vector<market::Order>>(
      [&] {
        return scan_by_owner(m_impl->cache.state.orders, f, market::OrderId{f.owner.value_or(""), f.dseq.value_or(0), 0, 0},
                             [&](const market::OrderId& id, const market::Order& o) {
                               return matches(f.gseq, id.gseq) && matches(f.oseq, id.oseq) && matches(f.state, o.state);
                             });
      },
      [&] { return m_impl->store.query_orders(f); });
}

Result<std::vector<market::Bid>> EmbeddedLedger::bids(const BidFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->read<std::vector<market::Bid>>(
      [&] {
        return scan_by_owner(m_impl->cache.state.bids, f, market::BidId{f.owner.value_or(""), f.dseq.value_or(0), 0, 0, ""},
                             [&](const market::BidId& id, const market::Bid& b) {
                               return matches(f.gseq, id.gseq) && matches(f.oseq, id.oseq) &&
                                      matches(f.provider, id.provider) && matches(f.state, b.state);
                             });
      },
      [&] { return m_impl->store.query_bids(f); });
}

Result<std::vector<market::Lease>> EmbeddedLedger::leases(const LeaseFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  std::vector<market::Lease> out;
  for (const auto& [id, l] : m_impl->cache.state.leases) {
    if (matches(f.owner, id.owner) && matches(f.dseq, id.dseq) && matches(f.gseq, id.gseq) &&
        matches(f.oseq, id.oseq) && matches(f.provider, id.provider) && matches(f.state, l.state))
      out.push_back(l);
  }
  return out;
}

Result<EscrowView> EmbeddedLedger::escrow(const DeploymentId& id) {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  const State& state = m_impl->cache.state;
  auto account = state.accounts.find(market::account_id(id));
  if (account == state.accounts.end())
    return make_error(ErrorKind::not_found, "no escrow account for deployment " + market::to_string(id));
  EscrowView view;
  view.height = m_impl->current_height();
  view.account = account->second;
  if (Result<market::SettlementPlan> plan = market::plan_settlement(state, id, view.height); plan) {
    view.overdrawn = plan->overdrawn;
    view.account.balance = plan->balance_after;
  }
  for (const auto& [lease, payment] : state.payments) {
    if (payment.account != view.account.id) continue;
    market::Payment projected = payment;
    if (Result<Amount> earned = market::projected_payment(state, lease, view.height); earned)
      projected.balance = *earned;
    view.payments.push_back(std::move(projected));
  }
  if (Result<market::DecCoin> rate = market::burn_rate(state, id); rate) view.burn_rate = *rate;
  if (Result<std::optional<std::uint64_t>> runway = market::runway(state, id, view.height); runway)
    view.runway_blocks = *runway;
  return view;
}

Result<std::vector<market::Provider>> EmbeddedLedger::providers() {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  std::vector<market::Provider> out;
  for (const auto& [address, p] : m_impl->cache.state.providers) out.push_back(p);
  return out;
}

Result<market::Provider> EmbeddedLedger::provider(const Address& address) {
  std::lock_guard lock(m_impl->mutex);
  Result<std::optional<market::Provider>> found = m_impl->read<std::optional<market::Provider>>(
      [&] {
        const auto& all = m_impl->cache.state.providers;
        auto it = all.find(address);
        return it == all.end() ? std::optional<market::Provider>() : std::optional<market::Provider>(it->second);
      },
      [&] { return m_impl->store.query_provider(address); });
  if (!found) return found.error();
  if (!*found) return market::find_provider(market::State{}, address).error();  // the usual not_found
  return std::move(**found);
}

Result<std::vector<market::AuditorSignature>> EmbeddedLedger::audits(const AuditFilter& f) {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->read<std::vector<market::AuditorSignature>>(
      [&] {
        std::vector<market::AuditorSignature> out;
        for (const auto& [key, audit] : m_impl->cache.state.audits) {
          if (matches(f.provider, audit.provider) && matches(f.auditor, audit.auditor)) out.push_back(audit);
        }
        return out;
      },
      [&] { return m_impl->store.query_audits(f); });
}

Result<market::ProviderStats> EmbeddedLedger::provider_stats(const Address& provider) {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->read<market::ProviderStats>(
      [&] { return market::provider_stats(m_impl->cache.state, provider); },
      [&]() -> Result<market::ProviderStats> {
        LeaseFilter filter;
        filter.provider = provider;
        Result<std::vector<market::Lease>> leases = m_impl->store.query_leases(filter);
        if (!leases) return leases.error();
        market::State part;  // only this provider's leases: what provider_stats reads
        for (auto& lease : *leases) part.leases.emplace(lease.id, std::move(lease));
        return market::provider_stats(part, provider);
      });
}

Result<EventPage> EmbeddedLedger::events(const EventQuery& query) {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->store.events(query);
}

Result<market::State> EmbeddedLedger::snapshot() {
  std::lock_guard lock(m_impl->mutex);
  if (Status s = m_impl->sync_for_read(); !s) return s.error();
  return m_impl->cache.state;
}

Result<Height> EmbeddedLedger::advance(std::uint64_t blocks) {
  std::lock_guard lock(m_impl->mutex);
  if (blocks > 1'000'000'000ull)
    return make_error(ErrorKind::invalid, "advance by at most 1000000000 blocks at a time");
  Result<sqlite::Transaction> db_tx = sqlite::Transaction::begin(m_impl->store.db());
  if (!db_tx) return db_tx.error();
  if (Status s = m_impl->sync(); !s) return s.error();
  std::uint64_t offset = m_impl->cache.meta.height_offset + blocks;
  if (Status s = m_impl->store.put_meta("height_offset", std::to_string(offset)); !s) return s.error();
  if (Status s = db_tx->commit(); !s) {
    m_impl->dirty = true;
    return s.error();
  }
  m_impl->cache.meta.height_offset = offset;
  return m_impl->current_height();
}

Result<TxReceipt> EmbeddedLedger::fund(const Address& address, const market::Coin& amount) {
  std::lock_guard lock(m_impl->mutex);
  if (Status valid = validate_address(address); !valid) return valid.error();
  Result<sqlite::Transaction> db_tx = sqlite::Transaction::begin(m_impl->store.db());
  if (!db_tx) return db_tx.error();
  if (Status s = m_impl->sync(); !s) return s.error();
  if (!m_impl->cache.state.params.faucet_enabled)
    return refused("this ledger has no faucet; fund accounts at genesis (`akt ledger init --genesis ADDRESS=AMOUNT`) "
                   "or send from a funded key");
  Height height = m_impl->current_height();
  Result<std::uint64_t> last = m_impl->store.last_cursor();
  if (!last) return last.error();
  // Unique per mint: the event log position is, and it is part of the hash.
  std::string hash = util::sha256_hex("fund/" + address + "/" + market::format_coin(amount) + "/" +
                                      std::to_string(*last) + "/" + m_impl->cache.meta.chain_id);
  market::Msg msg = market::MsgFund{address, amount};
  Result<std::vector<market::Event>> events = m_impl->apply_and_write(msg, address, height, hash, std::nullopt);
  if (!events) return events.error();
  if (Status s = db_tx->commit(); !s) {
    m_impl->dirty = true;
    return s.error();
  }
  return TxReceipt{height, hash, 0, std::move(*events)};
}

Result<bool> EmbeddedLedger::consistent_with_file() {
  std::lock_guard lock(m_impl->mutex);
  Result<StoredLedger> loaded = m_impl->store.load();
  if (!loaded) return loaded.error();
  return loaded->state == m_impl->cache.state && loaded->accounts == m_impl->cache.accounts;
}

} // namespace akt::ledger
