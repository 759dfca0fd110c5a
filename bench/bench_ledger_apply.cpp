// Signed transactions applied by the embedded ledger in-process: verification
// (signature, sequence), market::apply and the SQLite write of what changed.
// Target: at least 20,000 tx/s when batched into one SQLite commit.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "ledger/embedded.hpp"

namespace {

using namespace akt;
using namespace akt::ledger;

constexpr const char* k_chain = "akt-bench-1";

struct Pool {
  std::filesystem::path dir;
  ManualClock clock{1'700'000'000'000};
  std::unique_ptr<EmbeddedLedger> ledger;
  std::vector<SignedTx> txs;  // pre-signed, in an order the ledger accepts
  std::size_t next = 0;

  Pool(std::size_t accounts, std::size_t per_account) {
    char tmpl[] = "/tmp/akt-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::vector<PrivateKey> keys;
    for (std::size_t i = 0; i < accounts; ++i) keys.push_back(PrivateKey::generate());
    GenesisOptions genesis;
    genesis.chain_id = k_chain;
    for (const PrivateKey& k : keys) genesis.accounts.push_back({k.address(), market::Coin{"uakt", 1'000'000'000}});
    ledger = std::move(EmbeddedLedger::init(dir / "ledger.db", clock, genesis).value());
    // Round-robin over accounts so each batch touches many of them; signing is spread
    // over the cores because it is not what is measured.
    txs.resize(accounts * per_account);
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (std::size_t i = t; i < txs.size(); i += threads) {
          std::size_t account = i % accounts;
          std::uint64_t sequence = i / accounts;
          const PrivateKey& to = keys[(account + 1) % accounts];
          txs[i] = sign_tx(keys[account], k_chain, sequence, market::MsgSend{to.address(), market::Coin{"uakt", 1}});
        }
      });
    }
    for (std::thread& w : workers) w.join();
  }
  ~Pool() {
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// CPU seconds of every thread of the process: verification runs on worker threads, which
// the benchmark's own CPU time (main thread only) leaves out.
double process_cpu_seconds() {
  rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Submits the pool in slices of `batch`, one per iteration, through `submit` (given the
// slice and the index of its first transaction); returns how many were accepted.
template <typename Submit>
std::size_t submit_slices(benchmark::State& state, Pool& pool, std::size_t batch, Submit submit) {
  std::size_t accepted = 0;
  for (auto _ : state) {
    if (pool.next + batch > pool.txs.size()) {
      state.SkipWithError("transaction pool exhausted");
      break;
    }
    const std::size_t first = pool.next;
    std::vector<SignedTx> slice(pool.txs.begin() + static_cast<std::ptrdiff_t>(first),
                                pool.txs.begin() + static_cast<std::ptrdiff_t>(first + batch));
    pool.next += batch;
    Result<BatchResult> results = submit(slice, first);
    if (!results) {
      state.SkipWithError(results.error().message.c_str());
      break;
    }
    for (const Result<TxReceipt>& r : *results) accepted += r ? 1 : 0;
  }
  if (accepted != pool.next) state.SkipWithError("a transaction was refused");
  state.SetItemsProcessed(static_cast<std::int64_t>(accepted));
  return accepted;
}

void BM_ledger_submit_batch(benchmark::State& state) {
  Pool pool(500, 40);  // 20,000 transactions
  double cpu_start = process_cpu_seconds();
  std::size_t accepted = submit_slices(state, pool, static_cast<std::size_t>(state.range(0)),
                                       [&](const std::vector<SignedTx>& slice, std::size_t) {
                                         return pool.ledger->submit_batch(slice);
                                       });
  if (accepted > 0)
    state.counters["cpu_us_per_tx_all_threads"] = (process_cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(accepted);
}
BENCHMARK(BM_ledger_submit_batch)->Arg(1000)->Iterations(19)->Unit(benchmark::kMillisecond)->UseRealTime();

// The two halves of a batch, each on one thread: checking (encoding, signature,
// hash) of transactions that need no state, and applying transactions checked before.
void BM_ledger_check(benchmark::State& state) {
  Pool pool(500, 4);
  for (auto _ : state) {
    const SignedTx& tx = pool.txs[pool.next++ % pool.txs.size()];
    benchmark::DoNotOptimize(pool.ledger->check(tx));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ledger_check)->Unit(benchmark::kMicrosecond);

void BM_ledger_apply_checked(benchmark::State& state) {
  Pool pool(500, 40);
  std::vector<std::optional<Result<CheckedTx>>> checked;
  for (const SignedTx& tx : pool.txs) checked.push_back(pool.ledger->check(tx));
  submit_slices(state, pool, static_cast<std::size_t>(state.range(0)),
                [&](const std::vector<SignedTx>& slice, std::size_t first) {
                  auto from = checked.begin() + static_cast<std::ptrdiff_t>(first);
                  std::vector<std::optional<Result<CheckedTx>>> verdicts(
                      from, from + static_cast<std::ptrdiff_t>(slice.size()));
                  return pool.ledger->submit_checked(slice, verdicts);
                });
}
BENCHMARK(BM_ledger_apply_checked)->Arg(1000)->Iterations(19)->Unit(benchmark::kMillisecond);

// One transaction per SQLite commit (synchronous=FULL): bounded by the disk's fsync.
void BM_ledger_submit_one(benchmark::State& state) {
  Pool pool(50, 4);
  std::size_t accepted = 0;
  for (auto _ : state) {
    if (pool.next >= pool.txs.size()) {
      state.SkipWithError("transaction pool exhausted");
      break;
    }
    Result<TxReceipt> r = pool.ledger->submit(pool.txs[pool.next++]);
    accepted += r ? 1 : 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(accepted));
}
BENCHMARK(BM_ledger_submit_one)->Iterations(200)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace
