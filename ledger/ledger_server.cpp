#include "ledger/ledger_server.hpp"

#include <charconv>
#include <optional>
#include <semaphore>

#include <nlohmann/json.hpp>

#include "ledger/http_wire.hpp"
#include "market/codec.hpp"

namespace akt::ledger {

namespace {

using Json = nlohmann::json;

constexpr std::size_t k_max_json_depth = 64;

// Refuses nesting deeper than any request of the API needs, before the parser and the
// decoders (some of which recurse) see it.
bool nesting_within(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

Result<Json> parse_body(const HttpRequest& request) {
  if (request.body.empty()) return make_error(ErrorKind::invalid, "the request needs a JSON body");
  if (!nesting_within(request.body, k_max_json_depth))
    return make_error(ErrorKind::invalid, "the JSON body nests deeper than " + std::to_string(k_max_json_depth) + " levels");
  Json json = Json::parse(request.body, nullptr, false);
  if (json.is_discarded()) return make_error(ErrorKind::invalid, "the body is not valid JSON");
  return json;
}

template <typename T, typename Encode>
HttpResponse reply(const Result<T>& result, Encode encode) {
  if (!result) return error_response(result.error());
  return HttpResponse::json(200, encode(*result));
}

template <typename T>
Json list(const char* key, const std::vector<T>& items) {
  Json array = Json::array();
  for (const T& item : items) array.push_back(market::to_json(item));
  return Json{{key, array}};
}

Result<std::uint64_t> u64_param(const HttpRequest& request, const std::string& name) {
  const std::string& text = request.param(name);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    Error e = make_error(ErrorKind::invalid, "expected an unsigned number, got \"" + text + "\"");
    e.path = name;
    return e;
  }
  return value;
}

Result<market::DeploymentId> deployment_param(const HttpRequest& request) {
  Result<std::uint64_t> dseq = u64_param(request, "dseq");
  if (!dseq) return dseq.error();
  return market::DeploymentId{request.param("owner"), *dseq};
}

// Reads an object with exactly the keys `keys` (all required).
Status exact_keys(const Json& json, std::initializer_list<const char*> keys) {
  if (!json.is_object()) return make_error(ErrorKind::invalid, "expected a JSON object");
  for (const char* key : keys) {
    if (!json.contains(key)) {
      Error e = make_error(ErrorKind::invalid, "missing field");
      e.path = key;
      return e;
    }
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    bool known = false;
    for (const char* key : keys) known = known || it.key() == key;
    if (!known) {
      Error e = make_error(ErrorKind::invalid, "unknown field");
      e.path = it.key();
      return e;
    }
  }
  return ok();
}

Result<std::uint64_t> u64_field(const Json& json, const char* key) {
  const Json& value = json.at(key);
  std::uint64_t out = 0;
  bool good = false;
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    good = !text.empty() && ec == std::errc() && end == text.data() + text.size();
  }
  if (!good) {
    Error e = make_error(ErrorKind::invalid, "expected an unsigned 64-bit number as a decimal string");
    e.path = key;
    return e;
  }
  return out;
}

template <typename T>
Error with_path(Error e, const std::string& prefix) {
  e.path = e.path.empty() ? prefix : prefix + "." + e.path;
  return e;
}

} // namespace

// ---- group commit ------------------------------------------------------------------------

struct GroupCommitter::Pending {
  std::vector<SignedTx> txs;
  std::vector<std::optional<Result<CheckedTx>>> checked;
  std::optional<Result<BatchResult>> result;
  // Released once `result` is set: each submitter is woken for its own answer only.
  std::binary_semaphore answered{0};
};

GroupCommitter::GroupCommitter(Ledger& ledger, std::size_t max_batch)
    : m_ledger(ledger), m_max_batch(max_batch == 0 ? 1 : max_batch) {
  m_thread = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

Result<BatchResult> GroupCommitter::submit(std::vector<SignedTx> txs) {
  if (txs.empty()) return BatchResult{};
  // Checked here, on the request's own thread, while the committer is busy with the
  // previous group: signatures cost more than applying, and request threads are many.
  std::vector<std::optional<Result<CheckedTx>>> checked;
  checked.reserve(txs.size());
  for (const SignedTx& tx : txs) checked.push_back(m_ledger.check(tx));
  Pending pending{std::move(txs), std::move(checked), std::nullopt};
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return make_error(ErrorKind::unreachable, "the ledger server is shutting down; submit again later");
    m_queue.push_back(&pending);
  }
  m_wake.notify_one();
  pending.answered.acquire();
  return std::move(*pending.result);
}

Result<TxReceipt> GroupCommitter::submit_one(SignedTx tx) {
  std::vector<SignedTx> txs;
  txs.push_back(std::move(tx));
  Result<BatchResult> results = submit(std::move(txs));
  if (!results) return results.error();
  return std::move(results->front());
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

void GroupCommitter::run() {
  for (;;) {
    std::vector<Pending*> group;
    std::vector<SignedTx> txs;
    std::vector<std::optional<Result<CheckedTx>>> checked;
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait(lock, [&] { return !m_queue.empty() || m_stopping; });
      if (m_queue.empty()) return;  // stopping and nothing left to answer
      // Submitters wait until answered, so their transactions can be moved out here.
      while (!m_queue.empty() && (group.empty() || txs.size() + m_queue.front()->txs.size() <= m_max_batch)) {
        Pending* next = m_queue.front();
        m_queue.pop_front();
        for (SignedTx& tx : next->txs) txs.push_back(std::move(tx));
        for (auto& check : next->checked) checked.push_back(std::move(check));
        group.push_back(next);
      }
    }
    Result<BatchResult> results = m_ledger.submit_checked(txs, checked);
    {
      std::lock_guard lock(m_mutex);
      ++m_stats.commits;
      m_stats.transactions += txs.size();
      m_stats.largest_commit = std::max<std::uint64_t>(m_stats.largest_commit, txs.size());
    }
    std::size_t offset = 0;
    for (Pending* pending : group) {
      std::size_t count = pending->txs.size();
      if (!results || results->size() < offset + count) {
        pending->result = results ? Result<BatchResult>(make_error(ErrorKind::failure, "the ledger answered fewer results than transactions"))
                                  : Result<BatchResult>(results.error());
      } else {
        BatchResult mine;
        mine.reserve(count);
        for (std::size_t i = 0; i < count; ++i) mine.push_back(std::move((*results)[offset + i]));
        pending->result = Result<BatchResult>(std::move(mine));
      }
      offset += count;
      pending->answered.release();  // after this the submitter may destroy it
    }
  }
}

// ---- routes ------------------------------------------------------------------------------

HttpRouter ledger_router(Ledger& ledger, GroupCommitter& committer, const LedgerServerOptions& options) {
  HttpRouter router;
  Ledger* l = &ledger;

  router.get("/v1/info", [l](const HttpRequest&) {
    return reply(l->info(), [](const ChainInfo& info) {
      return to_json(info);
    });
  });
  router.get("/v1/height", [l](const HttpRequest&) {
    return reply(l->height(), [](Height h) { return Json{{"height", std::to_string(h)}}; });
  });
  router.get("/v1/accounts/{address}", [l](const HttpRequest& r) {
    return reply(l->account(r.param("address")), [](const AccountInfo& a) { return to_json(a); });
  });
  router.get("/v1/deployments", [l](const HttpRequest& r) {
    Result<DeploymentFilter> f = deployment_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->deployments(*f), [](const auto& v) { return list("deployments", v); });
  });
  router.get("/v1/deployments/{owner}/{dseq}", [l](const HttpRequest& r) {
    Result<market::DeploymentId> id = deployment_param(r);
    if (!id) return error_response(id.error());
    return reply(l->deployment(*id), [](const market::Deployment& d) { return market::to_json(d); });
  });
  router.get("/v1/groups", [l](const HttpRequest& r) {
    Result<GroupFilter> f = group_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->groups(*f), [](const auto& v) { return list("groups", v); });
  });
  router.get("/v1/orders", [l](const HttpRequest& r) {
    Result<OrderFilter> f = order_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->orders(*f), [](const auto& v) { return list("orders", v); });
  });
  router.get("/v1/bids", [l](const HttpRequest& r) {
    Result<BidFilter> f = bid_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->bids(*f), [](const auto& v) { return list("bids", v); });
  });
  router.get("/v1/leases", [l](const HttpRequest& r) {
    Result<LeaseFilter> f = lease_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->leases(*f), [](const auto& v) { return list("leases", v); });
  });
  router.get("/v1/escrow/{owner}/{dseq}", [l](const HttpRequest& r) {
    Result<market::DeploymentId> id = deployment_param(r);
    if (!id) return error_response(id.error());
    return reply(l->escrow(*id), [](const EscrowView& e) { return to_json(e); });
  });
  router.get("/v1/providers", [l](const HttpRequest& r) {
    if (!r.query.empty()) return HttpResponse::error(400, "unknown query parameter " + r.query.begin()->first, "invalid");
    return reply(l->providers(), [](const auto& v) { return list("providers", v); });
  });
  router.get("/v1/providers/{address}", [l](const HttpRequest& r) {
    return reply(l->provider(r.param("address")), [](const market::Provider& p) { return market::to_json(p); });
  });
  router.get("/v1/providers/{address}/stats", [l](const HttpRequest& r) {
    return reply(l->provider_stats(r.param("address")), [](const market::ProviderStats& s) { return to_json(s); });
  });
  router.get("/v1/audits", [l](const HttpRequest& r) {
    Result<AuditFilter> f = audit_filter_from(r.query);
    if (!f) return error_response(f.error());
    return reply(l->audits(*f), [](const auto& v) { return list("audits", v); });
  });
  router.get("/v1/events", [l](const HttpRequest& r) {
    Result<EventQuery> q = event_query_from(r.query);
    if (!q) return error_response(q.error());
    return reply(l->events(*q), [](const EventPage& p) { return to_json(p); });
  });
  router.get("/v1/snapshot", [l](const HttpRequest&) {
    return reply(l->snapshot(), [](const market::State& s) { return market::encode_state(s); });
  });

  router.post("/v1/txs", [&committer](const HttpRequest& r) {
    Result<Json> body = parse_body(r);
    if (!body) return error_response(body.error());
    Result<SignedTx> tx = signed_tx_from_json(*body);
    if (!tx) return error_response(tx.error());
    return reply(committer.submit_one(std::move(*tx)), [](const TxReceipt& t) { return to_json(t); });
  });
  std::size_t max_request = options.max_batch_request;
  router.post("/v1/txs/batch", [&committer, max_request](const HttpRequest& r) {
    Result<Json> body = parse_body(r);
    if (!body) return error_response(body.error());
    if (Status s = exact_keys(*body, {"txs"}); !s) return error_response(s.error());
    const Json& items = (*body)["txs"];
    if (!items.is_array()) return HttpResponse::error(400, "txs: expected an array", "invalid");
    if (items.size() > max_request)
      return HttpResponse::error(413, "a batch holds at most " + std::to_string(max_request) + " transactions", "invalid");
    std::vector<SignedTx> txs;
    txs.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      Result<SignedTx> tx = signed_tx_from_json(items[i]);
      if (!tx) return error_response(with_path<SignedTx>(tx.error(), "txs[" + std::to_string(i) + "]"));
      txs.push_back(std::move(*tx));
    }
    return reply(committer.submit(std::move(txs)), [](const BatchResult& results) {
      Json out = Json::array();
      for (const Result<TxReceipt>& result : results) out.push_back(to_json(result));
      return Json{{"results", out}};
    });
  });
  bool allow_advance = options.allow_advance;
  router.post("/v1/advance", [l, allow_advance](const HttpRequest& r) {
    if (!allow_advance)
      return error_response(make_error(ErrorKind::refused, "this ledger server does not allow moving the chain forward "
                                                           "(started without advance); ask its operator"));
    Result<Json> body = parse_body(r);
    if (!body) return error_response(body.error());
    if (Status s = exact_keys(*body, {"blocks"}); !s) return error_response(s.error());
    Result<std::uint64_t> blocks = u64_field(*body, "blocks");
    if (!blocks) return error_response(blocks.error());
    return reply(l->advance(*blocks), [](Height h) { return Json{{"height", std::to_string(h)}}; });
  });
  router.post("/v1/fund", [l](const HttpRequest& r) {
    Result<Json> body = parse_body(r);
    if (!body) return error_response(body.error());
    if (Status s = exact_keys(*body, {"address", "amount"}); !s) return error_response(s.error());
    if (!(*body)["address"].is_string()) {
      Error e = make_error(ErrorKind::invalid, "expected a string");
      e.path = "address";
      return error_response(e);
    }
    Result<market::Coin> amount = market::coin_from_json((*body)["amount"]);
    if (!amount) return error_response(with_path<market::Coin>(amount.error(), "amount"));
    return reply(l->fund((*body)["address"].get<std::string>(), *amount), [](const TxReceipt& t) { return to_json(t); });
  });
  return router;
}

// ---- server ------------------------------------------------------------------------------

LedgerServer::LedgerServer(Ledger& ledger, LedgerServerOptions options)
    : m_options(std::move(options)), m_committer(std::make_unique<GroupCommitter>(ledger, m_options.max_batch)) {
  m_server = std::make_unique<HttpServer>(ledger_router(ledger, *m_committer, m_options), m_options.http);
}

LedgerServer::~LedgerServer() { stop(); }

Status LedgerServer::start() { return m_server->start(); }

void LedgerServer::stop() {
  // In-flight requests finish first; they may be waiting for the committer.
  if (m_server) m_server->stop();
}

std::string LedgerServer::url() const { return m_server->url(); }
int LedgerServer::port() const { return m_server->port(); }
GroupCommitter::Stats LedgerServer::stats() const { return m_committer->stats(); }

} // namespace akt::ledger
