#pragma once
// Shared setup for the market unit tests: a funded tenant, registered providers and a
// one-group deployment whose order is open.
#include <doctest/doctest.h>

#include <string>

#include "market/apply.hpp"
#include "market/invariants.hpp"

namespace akt::market::test {

inline const Address k_tenant = "akash1tenant";
inline const Address k_other = "akash1other";
inline const Address k_p1 = "akash1provider1";
inline const Address k_p2 = "akash1provider2";
inline const Address k_auditor = "akash1auditor";
inline const std::string k_hash(64, 'a');
inline const std::string k_hash2(64, 'b');

inline util::Decimal dec(const char* text) { return *util::Decimal::parse(text); }

inline sdl::GroupSpec group_spec(const std::string& name = "dcloud", const char* unit_price = "10", std::uint32_t count = 2) {
  sdl::GroupSpec spec;
  spec.name = name;
  sdl::ResourceUnit unit;
  unit.resources.id = 1;
  unit.resources.cpu.units = 1000;
  unit.resources.memory.size = 512ull << 20;
  unit.resources.storage.push_back(sdl::Storage{"default", 1ull << 30, {}});
  unit.count = count;
  unit.price = DecCoin{"uakt", dec(unit_price)};
  spec.resources.push_back(unit);
  return spec;
}

inline std::vector<Event> must(Result<std::vector<Event>> result) {
  if (!result) {
    FAIL_CHECK(to_string(result.error()));
    return {};
  }
  return std::move(*result);
}

inline bool has_event(const std::vector<Event>& events, EventType type) {
  for (const auto& e : events) {
    if (e.type == type) return true;
  }
  return false;
}

struct Market {
  State state = genesis(Params{});
  Height height = 1;
  DeploymentId dep{k_tenant, 7};

  Market() {
    REQUIRE(mint(state, k_tenant, {"uakt", 100'000'000}));
    REQUIRE(mint(state, k_other, {"uakt", 100'000'000}));
    REQUIRE(mint(state, k_p1, {"uakt", 10'000'000}));
    REQUIRE(mint(state, k_p2, {"uakt", 10'000'000}));
    must(apply(state, MsgRegisterProvider{"https://p1.example:8443", {{"region", "us-west"}}, {}}, k_p1, height));
    must(apply(state, MsgRegisterProvider{"https://p2.example:8443", {{"region", "eu-central"}}, {}}, k_p2, height));
  }

  Result<std::vector<Event>> run(const Msg& msg, const Address& signer) { return apply(state, msg, signer, height); }

  void create(Amount deposit = 1'000'000, std::vector<sdl::GroupSpec> groups = {group_spec()}) {
    must(run(MsgCreateDeployment{dep, std::move(groups), k_hash, {"uakt", deposit}}, k_tenant));
  }
  OrderId order(std::uint32_t gseq = 1, std::uint32_t oseq = 1) const { return {dep.owner, dep.dseq, gseq, oseq}; }
  BidId bid_id(const Address& provider, std::uint32_t gseq = 1, std::uint32_t oseq = 1) const {
    return {dep.owner, dep.dseq, gseq, oseq, provider};
  }
  void bid(const Address& provider, const char* price, std::uint32_t oseq = 1) {
    must(run(MsgCreateBid{order(1, oseq), provider, {"uakt", dec(price)}, {"uakt", 500'000}}, provider));
  }
  void lease(const Address& provider, std::uint32_t oseq = 1) { must(run(MsgCreateLease{bid_id(provider, 1, oseq)}, k_tenant)); }
  void check() {
    Status s = check_invariants(state);
    CHECK_MESSAGE(s.has_value(), (s ? std::string() : to_string(s.error())));
  }
};

// Applies a message expected to fail and checks the state did not move.
inline Error refused_unchanged(Market& m, const Msg& msg, const Address& signer) {
  State before = m.state;
  Result<std::vector<Event>> result = m.run(msg, signer);
  REQUIRE_FALSE(result.has_value());
  CHECK(m.state == before);
  return result.error();
}

} // namespace akt::market::test
