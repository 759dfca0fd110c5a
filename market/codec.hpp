#pragma once
// JSON for everything the ledger stores and transports. Encoding is canonical (sorted
// keys, amounts as decimal strings so no JSON reader rounds them); decoding is strict:
// an unknown field, a missing required field or a wrong type is refused (ErrorKind::invalid)
// with the key path of the problem.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "market/events.hpp"
#include "market/msgs.hpp"
#include "market/state.hpp"
#include "util/result.hpp"

namespace akt::market {

using Json = nlohmann::json;

// ---- encode --------------------------------------------------------------------------
Json to_json(const Coin& coin);
Json to_json(const DecCoin& coin);
Json to_json(const DeploymentId& id);
Json to_json(const GroupId& id);
Json to_json(const OrderId& id);
Json to_json(const BidId& id);
Json to_json(const sdl::GroupSpec& spec);
Json to_json(const Deployment& deployment);
Json to_json(const Group& group);
Json to_json(const Order& order);
Json to_json(const Bid& bid);
Json to_json(const Lease& lease);
Json to_json(const Provider& provider);
Json to_json(const AuditorSignature& signature);
Json to_json(const Account& account);
Json to_json(const Payment& payment);
Json to_json(const Params& params);
// {"type":"create-deployment","value":{...}}
Json to_json(const Msg& msg);
Json to_json(const Event& event);
Json encode_state(const State& state);

// ---- decode (strict) -----------------------------------------------------------------
Result<Coin> coin_from_json(const Json& json);
Result<DecCoin> dec_coin_from_json(const Json& json);
Result<DeploymentId> deployment_id_from_json(const Json& json);
Result<GroupId> group_id_from_json(const Json& json);
Result<OrderId> order_id_from_json(const Json& json);
Result<BidId> bid_id_from_json(const Json& json);
Result<sdl::GroupSpec> group_spec_from_json(const Json& json);
Result<Deployment> deployment_from_json(const Json& json);
Result<Group> group_from_json(const Json& json);
Result<Order> order_from_json(const Json& json);
Result<Bid> bid_from_json(const Json& json);
Result<Lease> lease_from_json(const Json& json);
Result<Provider> provider_from_json(const Json& json);
Result<AuditorSignature> audit_from_json(const Json& json);
Result<Account> account_from_json(const Json& json);
Result<Payment> payment_from_json(const Json& json);
Result<Params> params_from_json(const Json& json);
Result<Msg> msg_from_json(const Json& json);
Result<Event> event_from_json(const Json& json);
Result<State> decode_state(const Json& json);

// Parses text first (invalid JSON → invalid, with the byte offset).
Result<Msg> parse_msg(std::string_view text);
Result<Json> parse_json(std::string_view text);

// "500000uakt" ⇄ Coin; "1.5uakt" ⇄ DecCoin, for flags and people.
Result<Coin> parse_coin(std::string_view text);
Result<DecCoin> parse_dec_coin(std::string_view text);
std::string format_coin(const Coin& coin);
std::string format_dec_coin(const DecCoin& coin);

} // namespace akt::market
