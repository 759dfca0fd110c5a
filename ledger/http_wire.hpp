#pragma once
// The JSON of the served ledger's API (`akt ledger serve` and HttpLedger): the ledger's
// own types on top of market/codec.hpp. 64-bit numbers are decimal strings, as in every
// akt JSON. Decoders are strict (unknown, missing or mistyped fields are ErrorKind::invalid
// with the key path), because both ends treat the other as outside input.
//
// Endpoints (all JSON; errors are {"error","kind"[,"path"]} with the status of
// http_status_for(kind)):
//   GET  /v1/info                       ChainInfo
//   GET  /v1/height                     {"height"}
//   GET  /v1/accounts/{address}         AccountInfo
//   GET  /v1/deployments?owner&dseq&state            {"deployments":[...]}
//   GET  /v1/deployments/{owner}/{dseq}              Deployment
//   GET  /v1/groups?owner&dseq&gseq&state            {"groups":[...]}
//   GET  /v1/orders?owner&dseq&gseq&oseq&state       {"orders":[...]}
//   GET  /v1/bids?owner&dseq&gseq&oseq&provider&state    {"bids":[...]}
//   GET  /v1/leases?owner&dseq&gseq&oseq&provider&state  {"leases":[...]}
//   GET  /v1/escrow/{owner}/{dseq}      EscrowView
//   GET  /v1/providers                  {"providers":[...]}
//   GET  /v1/providers/{address}        Provider
//   GET  /v1/providers/{address}/stats  ProviderStats
//   GET  /v1/audits?provider&auditor    {"audits":[...]}
//   GET  /v1/events?after&limit&owner&dseq&provider  EventPage
//   GET  /v1/snapshot                   market::encode_state
//   POST /v1/txs                        SignedTx → TxReceipt
//   POST /v1/txs/batch                  {"txs":[SignedTx]} → {"results":[TxReceipt | {"error","kind"}]}
//   POST /v1/advance                    {"blocks"} → {"height"}
//   POST /v1/fund                       {"address","amount":Coin} → TxReceipt
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "ledger/ledger.hpp"
#include "util/result.hpp"

namespace akt::ledger {

nlohmann::json to_json(const ChainInfo& info);
nlohmann::json to_json(const AccountInfo& account);
nlohmann::json to_json(const TxReceipt& receipt);
nlohmann::json to_json(const EscrowView& escrow);
nlohmann::json to_json(const EventPage& page);
nlohmann::json to_json(const market::ProviderStats& stats);
// A batch outcome: a receipt, or {"error","kind"[,"path"]}.
nlohmann::json to_json(const Result<TxReceipt>& result);
nlohmann::json error_to_json(const Error& error);

Result<ChainInfo> chain_info_from_json(const nlohmann::json& json);
Result<AccountInfo> account_info_from_json(const nlohmann::json& json);
Result<TxReceipt> tx_receipt_from_json(const nlohmann::json& json);
Result<EscrowView> escrow_view_from_json(const nlohmann::json& json);
Result<EventPage> event_page_from_json(const nlohmann::json& json);
Result<market::ProviderStats> provider_stats_from_json(const nlohmann::json& json);
// Either form of to_json(const Result<TxReceipt>&).
Result<Result<TxReceipt>> batch_item_from_json(const nlohmann::json& json);
Error error_from_json(const nlohmann::json& json);

// Filters as query parameters ("?owner=…&state=open", empty when nothing is set) and
// back; unknown parameters and bad values are refused.
std::string to_query(const DeploymentFilter& filter);
std::string to_query(const GroupFilter& filter);
std::string to_query(const OrderFilter& filter);
std::string to_query(const BidFilter& filter);
std::string to_query(const LeaseFilter& filter);
std::string to_query(const AuditFilter& filter);
std::string to_query(const EventQuery& query);
using QueryParams = std::multimap<std::string, std::string>;
Result<DeploymentFilter> deployment_filter_from(const QueryParams& query);
Result<GroupFilter> group_filter_from(const QueryParams& query);
Result<OrderFilter> order_filter_from(const QueryParams& query);
Result<BidFilter> bid_filter_from(const QueryParams& query);
Result<LeaseFilter> lease_filter_from(const QueryParams& query);
Result<AuditFilter> audit_filter_from(const QueryParams& query);
Result<EventQuery> event_query_from(const QueryParams& query);

} // namespace akt::ledger
