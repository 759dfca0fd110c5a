#include "ledger/http_wire.hpp"

#include <charconv>
#include <set>

#include "ledger/http_client.hpp"
#include "ledger/http_server.hpp"
#include "market/codec.hpp"

namespace akt::ledger {

namespace {

using Json = nlohmann::json;

Json u64(std::uint64_t value) { return std::to_string(value); }

Error bad(const std::string& path, const std::string& problem) {
  Error e = make_error(ErrorKind::invalid, problem);
  e.path = path;
  return e;
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

Result<std::uint64_t> parse_u64(std::string_view text, const std::string& path) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return bad(path, "expected an unsigned 64-bit decimal number, got \"" + std::string(text) + "\"");
  return value;
}

// Reads the fields of one JSON object, remembering the first problem; finish() refuses
// fields nobody asked for.
class ObjectReader {
public:
  ObjectReader(const Json& json, std::string path) : m_json(json), m_path(std::move(path)) {
    if (!json.is_object()) m_error = bad(m_path, "expected an object");
  }

  const Json* field(const std::string& key, bool required = true) {
    if (m_error || !m_json.is_object()) return nullptr;
    m_seen.insert(key);
    auto it = m_json.find(key);
    if (it == m_json.end()) {
      if (required) m_error = bad(join(m_path, key), "missing field");
      return nullptr;
    }
    return &*it;
  }

  std::string string(const std::string& key) {
    const Json* j = field(key);
    if (!j) return {};
    if (!j->is_string()) {
      m_error = bad(join(m_path, key), "expected a string");
      return {};
    }
    return j->get<std::string>();
  }

  std::uint64_t number(const std::string& key) {
    const Json* j = field(key);
    if (!j) return 0;
    if (!j->is_string()) {
      m_error = bad(join(m_path, key), "expected a decimal string");
      return 0;
    }
    Result<std::uint64_t> value = parse_u64(j->get_ref<const std::string&>(), join(m_path, key));
    if (!value) {
      m_error = value.error();
      return 0;
    }
    return *value;
  }

  std::optional<std::uint64_t> optional_number(const std::string& key) {
    const Json* j = field(key, false);
    if (!j || j->is_null()) return std::nullopt;
    if (!j->is_string()) {
      m_error = bad(join(m_path, key), "expected a decimal string or null");
      return std::nullopt;
    }
    Result<std::uint64_t> value = parse_u64(j->get_ref<const std::string&>(), join(m_path, key));
    if (!value) {
      m_error = value.error();
      return std::nullopt;
    }
    return *value;
  }

  bool boolean(const std::string& key) {
    const Json* j = field(key);
    if (!j) return false;
    if (!j->is_boolean()) {
      m_error = bad(join(m_path, key), "expected true or false");
      return false;
    }
    return j->get<bool>();
  }

  const Json* array(const std::string& key) {
    const Json* j = field(key);
    if (j && !j->is_array()) {
      m_error = bad(join(m_path, key), "expected an array");
      return nullptr;
    }
    return j;
  }

  // Decodes a field with a market codec function, prefixing its error path.
  template <typename T, typename Decode>
  T decode(const std::string& key, Decode decode_fn) {
    const Json* j = field(key);
    if (!j) return T{};
    return adopt<T>(decode_fn(*j), join(m_path, key));
  }

  template <typename T>
  T adopt(Result<T> result, const std::string& path) {
    if (result) return std::move(*result);
    if (!m_error) {
      Error e = result.error();
      e.path = e.path.empty() ? path : join(path, e.path);
      m_error = e;
    }
    return T{};
  }

  void fail(Error error) {
    if (!m_error) m_error = std::move(error);
  }

  Status finish() {
    if (!m_error && m_json.is_object()) {
      for (auto it = m_json.begin(); it != m_json.end(); ++it) {
        if (!m_seen.count(it.key())) return bad(join(m_path, it.key()), "unknown field");
      }
    }
    if (m_error) return *m_error;
    return ok();
  }

  const std::string& path() const { return m_path; }

private:
  const Json& m_json;
  std::string m_path;
  std::set<std::string> m_seen;
  std::optional<Error> m_error;
};

template <typename T, typename Decode>
std::vector<T> decode_array(ObjectReader& reader, const Json* array, const std::string& key, Decode decode_fn) {
  std::vector<T> out;
  if (!array) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    out.push_back(reader.adopt<T>(decode_fn((*array)[i]), join(reader.path(), key) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

// ---- query strings --------------------------------------------------------------------

class QueryBuilder {
public:
  void add(const char* key, const std::string& value) {
    m_text += m_text.empty() ? '?' : '&';
    m_text += key;
    m_text += '=';
    m_text += url_escape(value);
  }
  template <typename T>
  void add(const char* key, const std::optional<T>& value) {
    if (!value) return;
    if constexpr (std::is_same_v<T, std::string>) {
      add(key, *value);
    } else if constexpr (std::is_enum_v<T>) {
      add(key, std::string(market::to_string(*value)));
    } else {
      add(key, std::to_string(*value));
    }
  }
  std::string take() { return std::move(m_text); }

private:
  std::string m_text;
};

class QueryReader {
public:
  explicit QueryReader(const QueryParams& query) : m_query(query) {}

  std::optional<std::string> text(const std::string& key) {
    m_known.insert(key);
    auto [first, last] = m_query.equal_range(key);
    if (first == last) return std::nullopt;
    if (std::next(first) != last) fail(bad(key, "given more than once"));
    return first->second;
  }

  template <typename T>
  std::optional<T> number(const std::string& key, T max) {
    std::optional<std::string> value = text(key);
    if (!value) return std::nullopt;
    Result<std::uint64_t> parsed = parse_u64(*value, key);
    if (!parsed) {
      fail(parsed.error());
      return std::nullopt;
    }
    if (*parsed > static_cast<std::uint64_t>(max)) {
      fail(bad(key, "number out of range"));
      return std::nullopt;
    }
    return static_cast<T>(*parsed);
  }

  template <typename T, typename From>
  std::optional<T> state(From from) {
    std::optional<std::string> value = text("state");
    if (!value) return std::nullopt;
    std::optional<T> parsed = from(*value);
    if (!parsed) fail(bad("state", "unknown state \"" + *value + "\""));
    return parsed;
  }

  void fail(Error error) {
    if (!m_error) m_error = std::move(error);
  }

  Status finish() {
    if (m_error) return *m_error;
    for (const auto& [key, value] : m_query) {
      if (!m_known.count(key)) return bad(key, "unknown query parameter");
    }
    return ok();
  }

private:
  const QueryParams& m_query;
  std::set<std::string> m_known;
  std::optional<Error> m_error;
};

template <typename T>
Result<T> finished(QueryReader& reader, T value) {
  if (Status s = reader.finish(); !s) return s.error();
  return value;
}

template <typename T>
Result<T> finished(ObjectReader& reader, T value) {
  if (Status s = reader.finish(); !s) return s.error();
  return value;
}

} // namespace

// ---- encode ---------------------------------------------------------------------------

Json to_json(const ChainInfo& info) {
  return Json{{"chain_id", info.chain_id},
              {"genesis_time_ms", u64(static_cast<std::uint64_t>(info.genesis_time_ms))},
              {"block_interval_ms", u64(info.block_interval_ms)},
              {"height_offset", u64(info.height_offset)},
              {"height", u64(info.height)},
              {"faucet", info.faucet},
              {"can_advance", info.can_advance},
              {"params", market::to_json(info.params)}};
}

Json to_json(const AccountInfo& account) {
  Json balances = Json::object();
  for (const auto& [denom, amount] : account.balances) balances[denom] = u64(amount);
  return Json{{"address", account.address},
              {"balances", balances},
              {"next_sequence", u64(account.next_sequence)},
              {"pubkey", account.pubkey}};
}

Json to_json(const TxReceipt& receipt) {
  Json events = Json::array();
  for (const market::Event& e : receipt.events) events.push_back(market::to_json(e));
  return Json{{"height", u64(receipt.height)},
              {"tx_hash", receipt.tx_hash},
              {"sequence", u64(receipt.sequence)},
              {"events", events}};
}

Json to_json(const EscrowView& escrow) {
  Json payments = Json::array();
  for (const market::Payment& p : escrow.payments) payments.push_back(market::to_json(p));
  return Json{{"account", market::to_json(escrow.account)},
              {"payments", payments},
              {"height", u64(escrow.height)},
              {"burn_rate", market::to_json(escrow.burn_rate)},
              {"runway_blocks", escrow.runway_blocks ? u64(*escrow.runway_blocks) : Json(nullptr)},
              {"overdrawn", escrow.overdrawn}};
}

Json to_json(const EventPage& page) {
  Json events = Json::array();
  for (const EventRecord& r : page.events) {
    events.push_back(Json{{"cursor", u64(r.cursor)}, {"tx_hash", r.tx_hash}, {"event", market::to_json(r.event)}});
  }
  return Json{{"events", events}, {"next_cursor", u64(page.next_cursor)}};
}

Json to_json(const market::ProviderStats& stats) {
  return Json{{"leases", u64(stats.leases)},
              {"active", u64(stats.active)},
              {"closed_by_provider", u64(stats.closed_by_provider)},
              {"completed", u64(stats.completed)}};
}

Json error_to_json(const Error& error) {
  Json body = {{"error", error.message}, {"kind", std::string(to_string(error.kind))}};
  if (!error.path.empty()) body["path"] = error.path;
  return body;
}

Json to_json(const Result<TxReceipt>& result) {
  if (result) return to_json(*result);
  return error_to_json(result.error());
}

// ---- decode ---------------------------------------------------------------------------

Result<ChainInfo> chain_info_from_json(const Json& json) {
  ObjectReader r(json, "");
  ChainInfo info;
  info.chain_id = r.string("chain_id");
  info.genesis_time_ms = static_cast<std::int64_t>(r.number("genesis_time_ms"));
  info.block_interval_ms = r.number("block_interval_ms");
  info.height_offset = r.number("height_offset");
  info.height = r.number("height");
  info.faucet = r.boolean("faucet");
  info.can_advance = r.boolean("can_advance");
  info.params = r.decode<market::Params>("params", market::params_from_json);
  return finished(r, std::move(info));
}

Result<AccountInfo> account_info_from_json(const Json& json) {
  ObjectReader r(json, "");
  AccountInfo account;
  account.address = r.string("address");
  if (const Json* balances = r.field("balances")) {
    if (!balances->is_object()) {
      r.fail(bad("balances", "expected an object of denom to amount"));
    } else {
      for (auto it = balances->begin(); it != balances->end(); ++it) {
        if (!it.value().is_string()) {
          r.fail(bad("balances." + it.key(), "expected a decimal string"));
          continue;
        }
        account.balances[it.key()] =
            r.adopt<std::uint64_t>(parse_u64(it.value().get_ref<const std::string&>(), "balances." + it.key()), "");
      }
    }
  }
  account.next_sequence = r.number("next_sequence");
  account.pubkey = r.string("pubkey");
  return finished(r, std::move(account));
}

Result<TxReceipt> tx_receipt_from_json(const Json& json) {
  ObjectReader r(json, "");
  TxReceipt receipt;
  receipt.height = r.number("height");
  receipt.tx_hash = r.string("tx_hash");
  receipt.sequence = r.number("sequence");
  receipt.events = decode_array<market::Event>(r, r.array("events"), "events", market::event_from_json);
  return finished(r, std::move(receipt));
}

Result<EscrowView> escrow_view_from_json(const Json& json) {
  ObjectReader r(json, "");
  EscrowView view;
  view.account = r.decode<market::Account>("account", market::account_from_json);
  view.payments = decode_array<market::Payment>(r, r.array("payments"), "payments", market::payment_from_json);
  view.height = r.number("height");
  view.burn_rate = r.decode<market::DecCoin>("burn_rate", market::dec_coin_from_json);
  view.runway_blocks = r.optional_number("runway_blocks");
  view.overdrawn = r.boolean("overdrawn");
  return finished(r, std::move(view));
}

Result<EventPage> event_page_from_json(const Json& json) {
  ObjectReader r(json, "");
  EventPage page;
  if (const Json* events = r.array("events")) {
    for (std::size_t i = 0; i < events->size(); ++i) {
      std::string path = "events[" + std::to_string(i) + "]";
      ObjectReader item((*events)[i], path);
      EventRecord record;
      record.cursor = item.number("cursor");
      record.tx_hash = item.string("tx_hash");
      record.event = item.decode<market::Event>("event", market::event_from_json);
      if (Status s = item.finish(); !s) return s.error();
      page.events.push_back(std::move(record));
    }
  }
  page.next_cursor = r.number("next_cursor");
  return finished(r, std::move(page));
}

Result<market::ProviderStats> provider_stats_from_json(const Json& json) {
  ObjectReader r(json, "");
  market::ProviderStats stats;
  stats.leases = r.number("leases");
  stats.active = r.number("active");
  stats.closed_by_provider = r.number("closed_by_provider");
  stats.completed = r.number("completed");
  return finished(r, stats);
}

Error error_from_json(const Json& json) {
  Error error = make_error(ErrorKind::failure, "malformed error");
  if (!json.is_object()) return error;
  if (auto it = json.find("error"); it != json.end() && it->is_string()) error.message = it->get<std::string>();
  if (auto it = json.find("kind"); it != json.end() && it->is_string()) {
    if (auto kind = error_kind_from_string(it->get<std::string>())) error.kind = *kind;
  }
  if (auto it = json.find("path"); it != json.end() && it->is_string()) error.path = it->get<std::string>();
  return error;
}

Result<Result<TxReceipt>> batch_item_from_json(const Json& json) {
  if (json.is_object() && json.contains("error")) return Result<TxReceipt>(error_from_json(json));
  Result<TxReceipt> receipt = tx_receipt_from_json(json);
  if (!receipt) return receipt.error();
  return Result<TxReceipt>(std::move(*receipt));
}

// ---- query strings --------------------------------------------------------------------

std::string to_query(const DeploymentFilter& f) {
  QueryBuilder q;
  q.add("owner", f.owner);
  q.add("dseq", f.dseq);
  q.add("state", f.state);
  return q.take();
}

std::string to_query(const GroupFilter& f) {
  QueryBuilder q;
  q.add("owner", f.owner);
  q.add("dseq", f.dseq);
  q.add("gseq", f.gseq);
  q.add("state", f.state);
  return q.take();
}

std::string to_query(const OrderFilter& f) {
  QueryBuilder q;
  q.add("owner", f.owner);
  q.add("dseq", f.dseq);
  q.add("gseq", f.gseq);
  q.add("oseq", f.oseq);
  q.add("state", f.state);
  return q.take();
}

std::string to_query(const BidFilter& f) {
  QueryBuilder q;
  q.add("owner", f.owner);
  q.add("dseq", f.dseq);
  q.add("gseq", f.gseq);
  q.add("oseq", f.oseq);
  q.add("provider", f.provider);
  q.add("state", f.state);
  return q.take();
}

std::string to_query(const LeaseFilter& f) {
  QueryBuilder q;
  q.add("owner", f.owner);
  q.add("dseq", f.dseq);
  q.add("gseq", f.gseq);
  q.add("oseq", f.oseq);
  q.add("provider", f.provider);
  q.add("state", f.state);
  return q.take();
}

std::string to_query(const AuditFilter& f) {
  QueryBuilder q;
  q.add("provider", f.provider);
  q.add("auditor", f.auditor);
  return q.take();
}

std::string to_query(const EventQuery& query) {
  QueryBuilder q;
  q.add("after", std::optional<std::uint64_t>(query.after));
  q.add("limit", std::optional<std::uint64_t>(query.limit));
  if (query.deployment) {
    q.add("owner", query.deployment->owner);
    q.add("dseq", std::to_string(query.deployment->dseq));
  }
  q.add("provider", query.provider);
  return q.take();
}

Result<DeploymentFilter> deployment_filter_from(const QueryParams& query) {
  QueryReader r(query);
  DeploymentFilter f;
  f.owner = r.text("owner");
  f.dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  f.state = r.state<market::DeploymentState>(market::deployment_state_from);
  return finished(r, std::move(f));
}

Result<GroupFilter> group_filter_from(const QueryParams& query) {
  QueryReader r(query);
  GroupFilter f;
  f.owner = r.text("owner");
  f.dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  f.gseq = r.number<std::uint32_t>("gseq", UINT32_MAX);
  f.state = r.state<market::GroupState>(market::group_state_from);
  return finished(r, std::move(f));
}

Result<OrderFilter> order_filter_from(const QueryParams& query) {
  QueryReader r(query);
  OrderFilter f;
  f.owner = r.text("owner");
  f.dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  f.gseq = r.number<std::uint32_t>("gseq", UINT32_MAX);
  f.oseq = r.number<std::uint32_t>("oseq", UINT32_MAX);
  f.state = r.state<market::OrderState>(market::order_state_from);
  return finished(r, std::move(f));
}

Result<BidFilter> bid_filter_from(const QueryParams& query) {
  QueryReader r(query);
  BidFilter f;
  f.owner = r.text("owner");
  f.dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  f.gseq = r.number<std::uint32_t>("gseq", UINT32_MAX);
  f.oseq = r.number<std::uint32_t>("oseq", UINT32_MAX);
  f.provider = r.text("provider");
  f.state = r.state<market::BidState>(market::bid_state_from);
  return finished(r, std::move(f));
}

Result<LeaseFilter> lease_filter_from(const QueryParams& query) {
  QueryReader r(query);
  LeaseFilter f;
  f.owner = r.text("owner");
  f.dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  f.gseq = r.number<std::uint32_t>("gseq", UINT32_MAX);
  f.oseq = r.number<std::uint32_t>("oseq", UINT32_MAX);
  f.provider = r.text("provider");
  f.state = r.state<market::LeaseState>(market::lease_state_from);
  return finished(r, std::move(f));
}

Result<AuditFilter> audit_filter_from(const QueryParams& query) {
  QueryReader r(query);
  AuditFilter f;
  f.provider = r.text("provider");
  f.auditor = r.text("auditor");
  return finished(r, std::move(f));
}

Result<EventQuery> event_query_from(const QueryParams& query) {
  QueryReader r(query);
  EventQuery q;
  q.after = r.number<std::uint64_t>("after", UINT64_MAX).value_or(0);
  q.limit = r.number<std::size_t>("limit", 100000).value_or(1000);
  std::optional<std::string> owner = r.text("owner");
  std::optional<std::uint64_t> dseq = r.number<std::uint64_t>("dseq", UINT64_MAX);
  if (owner.has_value() != dseq.has_value()) r.fail(bad(owner ? "dseq" : "owner", "owner and dseq go together"));
  if (owner && dseq) q.deployment = market::DeploymentId{*owner, *dseq};
  q.provider = r.text("provider");
  return finished(r, std::move(q));
}

} // namespace akt::ledger
