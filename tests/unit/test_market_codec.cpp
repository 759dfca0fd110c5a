#include <doctest/doctest.h>

#include "market/codec.hpp"
#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

TEST_CASE("market codec: every message round-trips") {
  sdl::GroupSpec spec = group_spec();
  spec.requirements.attributes = sdl::Attributes{{"region", "us-west"}};
  spec.requirements.signed_by.any_of = std::vector<std::string>{k_auditor};
  spec.resources[0].resources.gpu = sdl::Gpu{1, {{"vendor/nvidia/model/a100", "true"}}};
  spec.resources[0].resources.endpoints = {sdl::Endpoint{sdl::EndpointKind::random_port, 0}};
  BidId bid{k_tenant, 18446744073709551615ull, 1, 2, k_p1};
  std::vector<Msg> msgs{
      MsgFund{k_tenant, {"uakt", 5}},
      MsgSend{k_other, {"uact", 7}},
      MsgRegisterProvider{"https://p", {{"region", "x"}}, {"a@b", "https://w"}},
      MsgUpdateProvider{"https://p", {}, {}},
      MsgSignProviderAttributes{k_p1, {{"tier", "1"}}},
      MsgCreateDeployment{{k_tenant, 5}, {spec}, k_hash, {"uakt", 500000}},
      MsgUpdateDeployment{{k_tenant, 5}, {spec}, k_hash2},
      MsgCloseDeployment{{k_tenant, 5}},
      MsgDeposit{{k_tenant, 5}, {"uakt", 1}},
      MsgPauseGroup{{k_tenant, 5, 1}},
      MsgStartGroup{{k_tenant, 5, 1}},
      MsgCloseGroup{{k_tenant, 5, 1}},
      MsgCreateBid{bid.order(), k_p1, {"uakt", dec("0.000000000000000001")}, {"uakt", 500000}},
      MsgCloseBid{bid},
      MsgCloseBid{bid, CloseReason::unstable},
      MsgCreateLease{bid},
      MsgCloseLease{bid, CloseReason::manifest_timeout},
      MsgWithdraw{bid},
      MsgSettle{{k_tenant, 5}},
  };
  for (const Msg& msg : msgs) {
    CAPTURE(msg_type(msg));
    std::string text = to_json(msg).dump();
    Result<Msg> back = parse_msg(text);
    REQUIRE_MESSAGE(back.has_value(), (back ? "" : to_string(back.error())));
    CHECK(*back == msg);
  }
}

TEST_CASE("market codec: close-bid carries a reason only when it has one") {
  BidId bid{k_tenant, 5, 1, 1, k_p1};
  CHECK_FALSE(to_json(Msg(MsgCloseBid{bid})).at("value").contains("reason"));
  Json with = to_json(Msg(MsgCloseBid{bid, CloseReason::unstable}));
  CHECK(with.at("value").at("reason") == "unstable");
  with["value"]["reason"] = "sleepy";
  Result<Msg> r = msg_from_json(with);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().path == "value.reason");
}

TEST_CASE("market codec: strict decoding") {
  Json good = to_json(Msg(MsgDeposit{{k_tenant, 5}, {"uakt", 1}}));
  Json extra = good;
  extra["value"]["memo"] = "hi";
  Result<Msg> r = msg_from_json(extra);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().path == "value.memo");
  CHECK(r.error().message == "unknown field");

  Json wrong = good;
  wrong["value"]["amount"]["amount"] = 1;  // amounts are strings
  r = msg_from_json(wrong);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().path == "value.amount.amount");

  Json missing = good;
  missing["value"].erase("deployment");
  CHECK(msg_from_json(missing).error().path == "value.deployment");

  CHECK_FALSE(parse_msg(R"({"type":"mint-money","value":{}})").has_value());
  CHECK_FALSE(parse_msg("{not json").has_value());
  CHECK_FALSE(parse_msg(R"({"type":"deposit","value":{"deployment":{"owner":"a","dseq":"-1"},"amount":{"denom":"uakt","amount":"1"}}})")
                  .has_value());
}

TEST_CASE("market codec: state and events round-trip") {
  Market m;
  m.create();
  m.bid(k_p1, "1.5");
  m.lease(k_p1);
  m.height = 9;
  std::vector<Event> events = must(m.run(MsgCloseLease{m.bid_id(k_p1), CloseReason::none}, k_tenant));
  for (const Event& e : events) {
    Result<Event> back = event_from_json(to_json(e));
    REQUIRE(back.has_value());
    CHECK(*back == e);
    CHECK_FALSE(describe(e).empty());
  }
  Result<State> back = decode_state(encode_state(m.state));
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : to_string(back.error())));
  CHECK(*back == m.state);
  CHECK(state_hash(*back) == state_hash(m.state));
}

TEST_CASE("market codec: coins for people") {
  CHECK(*parse_coin("500000uakt") == Coin{"uakt", 500000});
  CHECK(parse_dec_coin("1.5uact")->amount == dec("1.5"));
  CHECK(format_dec_coin(*parse_dec_coin("1.50uakt")) == "1.5uakt");
  CHECK_FALSE(parse_coin("1.5uakt").has_value());
  CHECK_FALSE(parse_coin("uakt").has_value());
  CHECK_FALSE(parse_coin("99999999999999999999uakt").has_value());
  CHECK_FALSE(parse_dec_coin("1.5").has_value());
  CHECK(close_reason_from("10003") == CloseReason::manifest_timeout);
  CHECK(close_reason_from("owner") == CloseReason::owner);
  CHECK_FALSE(close_reason_from("42").has_value());
}
