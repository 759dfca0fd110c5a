// HttpLedger: the Ledger interface over the API of `akt ledger serve` (http_wire.hpp).
#include <charconv>

#include <nlohmann/json.hpp>

#include "ledger/http_client.hpp"
#include "ledger/http_wire.hpp"
#include "ledger/ledger.hpp"
#include "market/codec.hpp"

namespace akt::ledger {

namespace {

using Json = nlohmann::json;

class HttpLedger final : public Ledger {
public:
  explicit HttpLedger(std::string url) : m_url(std::move(url)), m_client(m_url) {}

  Result<TxReceipt> submit(const SignedTx& tx) override {
    return call<TxReceipt>("POST", "/v1/txs", to_json(tx).dump(), tx_receipt_from_json);
  }

  Result<BatchResult> submit_batch(const std::vector<SignedTx>& txs) override {
    Json items = Json::array();
    for (const SignedTx& tx : txs) items.push_back(to_json(tx));
    return call<BatchResult>("POST", "/v1/txs/batch", Json{{"txs", items}}.dump(),
                             [&](const Json& json) -> Result<BatchResult> {
                               if (!json.is_object() || !json.contains("results") || !json["results"].is_array() ||
                                   json["results"].size() != txs.size())
                                 return make_error(ErrorKind::invalid, "expected {\"results\":[...]} with one entry per transaction");
                               BatchResult out;
                               for (const Json& item : json["results"]) {
                                 Result<Result<TxReceipt>> decoded = batch_item_from_json(item);
                                 if (!decoded) return decoded.error();
                                 out.push_back(std::move(*decoded));
                               }
                               return out;
                             });
  }

  Result<ChainInfo> info() override { return get<ChainInfo>("/v1/info", chain_info_from_json); }

  Result<Height> height() override {
    return get<Height>("/v1/height", [](const Json& json) -> Result<Height> { return height_from(json); });
  }

  Result<AccountInfo> account(const Address& address) override {
    return get<AccountInfo>("/v1/accounts/" + url_escape(address), account_info_from_json);
  }

  Result<std::vector<market::Deployment>> deployments(const DeploymentFilter& filter) override {
    return get_list<market::Deployment>("/v1/deployments" + to_query(filter), "deployments", market::deployment_from_json);
  }
  Result<market::Deployment> deployment(const market::DeploymentId& id) override {
    return get<market::Deployment>("/v1/deployments/" + url_escape(id.owner) + "/" + std::to_string(id.dseq),
                                   market::deployment_from_json);
  }
  Result<std::vector<market::Group>> groups(const GroupFilter& filter) override {
    return get_list<market::Group>("/v1/groups" + to_query(filter), "groups", market::group_from_json);
  }
  Result<std::vector<market::Order>> orders(const OrderFilter& filter) override {
    return get_list<market::Order>("/v1/orders" + to_query(filter), "orders", market::order_from_json);
  }
  Result<std::vector<market::Bid>> bids(const BidFilter& filter) override {
    return get_list<market::Bid>("/v1/bids" + to_query(filter), "bids", market::bid_from_json);
  }
  Result<std::vector<market::Lease>> leases(const LeaseFilter& filter) override {
    return get_list<market::Lease>("/v1/leases" + to_query(filter), "leases", market::lease_from_json);
  }
  Result<EscrowView> escrow(const market::DeploymentId& id) override {
    return get<EscrowView>("/v1/escrow/" + url_escape(id.owner) + "/" + std::to_string(id.dseq), escrow_view_from_json);
  }
  Result<std::vector<market::Provider>> providers() override {
    return get_list<market::Provider>("/v1/providers", "providers", market::provider_from_json);
  }
  Result<market::Provider> provider(const Address& address) override {
    return get<market::Provider>("/v1/providers/" + url_escape(address), market::provider_from_json);
  }
  Result<std::vector<market::AuditorSignature>> audits(const AuditFilter& filter) override {
    return get_list<market::AuditorSignature>("/v1/audits" + to_query(filter), "audits", market::audit_from_json);
  }
  Result<market::ProviderStats> provider_stats(const Address& provider) override {
    return get<market::ProviderStats>("/v1/providers/" + url_escape(provider) + "/stats", provider_stats_from_json);
  }
  Result<EventPage> events(const EventQuery& query) override {
    return get<EventPage>("/v1/events" + to_query(query), event_page_from_json);
  }
  Result<market::State> snapshot() override { return get<market::State>("/v1/snapshot", market::decode_state); }

  Result<Height> advance(std::uint64_t blocks) override {
    return call<Height>("POST", "/v1/advance", Json{{"blocks", std::to_string(blocks)}}.dump(), height_from);
  }
  Result<TxReceipt> fund(const Address& address, const market::Coin& amount) override {
    return call<TxReceipt>("POST", "/v1/fund", Json{{"address", address}, {"amount", market::to_json(amount)}}.dump(),
                           tx_receipt_from_json);
  }

private:
  static Result<Height> height_from(const Json& json) {
    if (!json.is_object() || json.size() != 1 || !json.contains("height") || !json["height"].is_string())
      return make_error(ErrorKind::invalid, "expected {\"height\": \"N\"}");
    const std::string& text = json["height"].get_ref<const std::string&>();
    Height value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      return make_error(ErrorKind::invalid, "height: expected a decimal string");
    return value;
  }

  template <typename T, typename Decode>
  Result<T> get(const std::string& path, Decode decode) {
    return call<T>("GET", path, {}, decode);
  }

  template <typename T, typename Decode>
  Result<std::vector<T>> get_list(const std::string& path, const char* key, Decode decode) {
    return call<std::vector<T>>("GET", path, {}, [&](const Json& json) -> Result<std::vector<T>> {
      if (!json.is_object() || json.size() != 1 || !json.contains(key) || !json[key].is_array())
        return make_error(ErrorKind::invalid, std::string("expected {\"") + key + "\": [...]}");
      std::vector<T> out;
      out.reserve(json[key].size());
      for (const Json& item : json[key]) {
        Result<T> decoded = decode(item);
        if (!decoded) return decoded.error();
        out.push_back(std::move(*decoded));
      }
      return out;
    });
  }

  // One request; an HTTP error becomes the server's error, an undecodable answer a
  // failure naming the URL.
  template <typename T, typename Decode>
  Result<T> call(const char* method, const std::string& path, const std::string& body, Decode decode) {
    Result<HttpClientResponse> response = m_client.request(method, path, body);
    std::string url = m_url + path;
    if (!response) return response.error();
    if (response->status < 200 || response->status >= 300) return http_error(*response, url);
    Json json = Json::parse(response->body, nullptr, false);
    if (json.is_discarded()) return make_error(ErrorKind::failure, url + " answered something that is not JSON; is it an akt ledger server?");
    Result<T> decoded = decode(json);
    if (!decoded) {
      Error e = decoded.error();
      e.message = url + " answered an unexpected document: " + (e.path.empty() ? "" : e.path + ": ") + e.message;
      e.path.clear();
      e.kind = ErrorKind::failure;
      return e;
    }
    return decoded;
  }

  std::string m_url;
  HttpClient m_client;
};

} // namespace

Result<std::unique_ptr<Ledger>> open_http_ledger(const std::string& url, const OpenOptions&) {
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::size_t scheme = base.find("://");
  if (scheme == std::string::npos || scheme + 3 >= base.size())
    return make_error(ErrorKind::invalid, "ledger URL \"" + url + "\" has no host; expected http://HOST:PORT");
  return std::unique_ptr<Ledger>(std::make_unique<HttpLedger>(base));
}

} // namespace akt::ledger
