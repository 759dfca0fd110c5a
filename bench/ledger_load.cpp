// Load driver for `akt ledger serve`: N client threads, each with its own key and its own
// keep-alive connection, submit signed sends back to back; every answer is an
// acknowledged (committed, durable) transaction. Reports throughput and latency
// percentiles, then checks that every acknowledged send is in the ledger.
//
//   akt_ledger_load URL [CLIENTS=16] [TXS_PER_CLIENT=1000] [PER_REQUEST=1]
//
// PER_REQUEST > 1 sends each client's transactions PER_REQUEST at a time through
// POST /v1/txs/batch (a client with several transactions of its own in flight);
// latencies are then per request.
#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.hpp"
#include "market/msgs.hpp"

using namespace akt;
using namespace akt::ledger;
using Steady = std::chrono::steady_clock;

// CPU seconds of this process, every thread: the clients share the machine with the server.
double process_cpu_seconds() {
  rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: akt_ledger_load URL [CLIENTS=16] [TXS_PER_CLIENT=1000] [PER_REQUEST=1]\n");
    return 2;
  }
  std::string url = argv[1];
  int clients = argc > 2 ? std::atoi(argv[2]) : 16;
  int per_client = argc > 3 ? std::atoi(argv[3]) : 1000;
  int per_request = argc > 4 ? std::atoi(argv[4]) : 1;
  if (clients < 1 || clients > 1024 || per_client < 1 || per_client > 1'000'000 || per_request < 1 ||
      per_request > 1000) {
    fmt::print(stderr, "akt_ledger_load: CLIENTS must be 1-1024, TXS_PER_CLIENT 1-1000000, PER_REQUEST 1-1000\n");
    return 2;
  }
  OpenOptions open;
  Result<std::unique_ptr<Ledger>> admin = open_ledger(url, ".", open);
  if (!admin) {
    fmt::print(stderr, "akt_ledger_load: {}\n", admin.error().message);
    return 7;
  }
  Result<ChainInfo> info = (*admin)->info();
  if (!info) {
    fmt::print(stderr, "akt_ledger_load: {}\n", info.error().message);
    return 7;
  }
  PrivateKey sink = PrivateKey::generate();
  std::vector<PrivateKey> keys;
  std::vector<std::vector<SignedTx>> txs(static_cast<std::size_t>(clients));
  std::vector<std::uint64_t> first_sequence(static_cast<std::size_t>(clients), 0);
  for (int c = 0; c < clients; ++c) {
    keys.push_back(PrivateKey::generate());
    Result<TxReceipt> funded = (*admin)->fund(keys.back().address(), market::Coin{"uakt", 1'000'000'000});
    if (!funded) {
      fmt::print(stderr, "akt_ledger_load: fund: {}\n", funded.error().message);
      return 5;
    }
  }
  // Signing is the clients' work and not the server's; do it before the clock starts.
  {
    std::vector<std::thread> signers;
    for (int c = 0; c < clients; ++c) {
      signers.emplace_back([&, c] {
        for (int i = 0; i < per_client; ++i) {
          txs[static_cast<std::size_t>(c)].push_back(
              sign_tx(keys[static_cast<std::size_t>(c)], info->chain_id, static_cast<std::uint64_t>(i),
                      market::MsgSend{sink.address(), market::Coin{"uakt", 1}}));
        }
      });
    }
    for (std::thread& t : signers) t.join();
  }

  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::vector<int> acked(static_cast<std::size_t>(clients), 0);
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto index = static_cast<std::size_t>(c);
      std::unique_ptr<Ledger> own = std::move(*open_ledger(url, ".", open));
      (void)own->height();  // connect before the clock starts
      while (!go.load()) std::this_thread::yield();
      latencies[index].reserve(static_cast<std::size_t>(per_client));
      const std::vector<SignedTx>& mine = txs[index];
      for (std::size_t at = 0; at < mine.size(); at += static_cast<std::size_t>(per_request)) {
        std::size_t end = std::min(mine.size(), at + static_cast<std::size_t>(per_request));
        Steady::time_point start = Steady::now();
        bool good = true;
        if (per_request == 1) {
          Result<TxReceipt> receipt = own->submit(mine[at]);
          if (!receipt) {
            if (failures.fetch_add(1) < 5) fmt::print(stderr, "submit: {}\n", receipt.error().message);
            good = false;
          }
        } else {
          std::vector<SignedTx> chunk(mine.begin() + static_cast<std::ptrdiff_t>(at),
                                      mine.begin() + static_cast<std::ptrdiff_t>(end));
          Result<BatchResult> results = own->submit_batch(chunk);
          if (!results) {
            if (failures.fetch_add(1) < 5) fmt::print(stderr, "submit: {}\n", results.error().message);
            good = false;
          } else {
            for (const Result<TxReceipt>& r : *results) {
              if (!r) {
                if (failures.fetch_add(1) < 5) fmt::print(stderr, "submit: {}\n", r.error().message);
                good = false;
              }
            }
          }
        }
        if (!good) break;
        latencies[index].push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
        acked[index] += static_cast<int>(end - at);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Steady::time_point start = Steady::now();
  double cpu_start = process_cpu_seconds();
  go = true;
  for (std::thread& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Steady::now() - start).count();
  double client_cpu = process_cpu_seconds() - cpu_start;

  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::size_t acknowledged = 0;
  for (int a : acked) acknowledged += static_cast<std::size_t>(a);
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    std::size_t i = std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())));
    return all[i];
  };
  fmt::print("clients {}  txs per request {}  acknowledged {}  in {:.2f} s  =>  {:.0f} tx/s\n", clients, per_request,
             acknowledged, seconds, static_cast<double>(acknowledged) / seconds);
  fmt::print("request latency ms: p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}\n", pct(0.50), pct(0.90), pct(0.99),
             all.empty() ? 0.0 : all.back());
  if (acknowledged > 0)
    fmt::print("client CPU (all client threads, same machine): {:.0f} us per tx\n",
               client_cpu * 1e6 / static_cast<double>(acknowledged));

  // Every acknowledged send is there: each key's sequence and the sink's balance.
  int missing = 0;
  market::Amount total = 0;
  for (int c = 0; c < clients; ++c) {
    auto index = static_cast<std::size_t>(c);
    Result<AccountInfo> account = (*admin)->account(keys[index].address());
    if (!account || account->next_sequence != static_cast<std::uint64_t>(acked[index])) ++missing;
    total += static_cast<market::Amount>(acked[index]);
  }
  Result<AccountInfo> sink_account = (*admin)->account(sink.address());
  bool sink_ok = sink_account && sink_account->balances["uakt"] == total;
  fmt::print("durability check: {}\n", missing == 0 && sink_ok ? "every acknowledged tx present" : "MISSING TRANSACTIONS");
  return failures.load() == 0 && missing == 0 && sink_ok ? 0 : 1;
}
