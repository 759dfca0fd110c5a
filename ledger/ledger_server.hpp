#pragma once
// `akt ledger serve`: a Ledger behind the JSON API of ledger/http_wire.hpp. Concurrent
// submissions are group-committed: one committer thread takes everything queued and
// hands it to Ledger::submit_batch, which applies each transaction on its own (accepted
// or refused individually) and commits them in one storage transaction. A submitter is
// answered only after that commit returned, so every acknowledged transaction is durable.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ledger/http_server.hpp"
#include "ledger/ledger.hpp"

namespace akt::ledger {

class GroupCommitter {
public:
  // `max_batch` bounds one commit; more waiting transactions go into the next.
  explicit GroupCommitter(Ledger& ledger, std::size_t max_batch = 2048);
  ~GroupCommitter();  // answers what is queued, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues the transactions, waits for their commit and returns one result each (in
  // order). The outer error (unreachable storage, a failed commit) means none of them
  // was committed. Called from many threads at once.
  Result<BatchResult> submit(std::vector<SignedTx> txs);
  Result<TxReceipt> submit_one(SignedTx tx);

  struct Stats {
    std::uint64_t commits = 0;
    std::uint64_t transactions = 0;
    std::uint64_t largest_commit = 0;
  };
  Stats stats() const;

private:
  struct Pending;
  void run();

  Ledger& m_ledger;
  std::size_t m_max_batch;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<Pending*> m_queue;
  bool m_stopping = false;
  Stats m_stats;
  std::thread m_thread;
};

struct LedgerServerOptions {
  HttpServerOptions http;
  std::size_t max_batch = 2048;      // transactions per commit
  std::size_t max_batch_request = 1000;  // transactions per POST /v1/txs/batch
  bool allow_advance = true;         // POST /v1/advance; a shared server may refuse it
};

// The API's routes over `ledger`, submitting through `committer`.
HttpRouter ledger_router(Ledger& ledger, GroupCommitter& committer, const LedgerServerOptions& options);

// The ledger, its committer and the HTTP server in one piece.
class LedgerServer {
public:
  LedgerServer(Ledger& ledger, LedgerServerOptions options);
  ~LedgerServer();
  Status start();
  void stop();
  std::string url() const;
  int port() const;
  GroupCommitter::Stats stats() const;

private:
  LedgerServerOptions m_options;
  std::unique_ptr<GroupCommitter> m_committer;
  std::unique_ptr<HttpServer> m_server;
};

} // namespace akt::ledger
