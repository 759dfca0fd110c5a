#include <doctest/doctest.h>

#include <random>

#include "market/codec.hpp"
#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

namespace {

// Thousands of valid and invalid messages from many accounts; every state reached must
// keep the invariants, every refusal must leave the state untouched, and the same seed
// must give the same state.
struct Fuzz {
  std::mt19937_64 rng;
  State state = genesis(Params{});
  Height height = 1;
  std::vector<Address> accounts;
  std::size_t applied = 0;
  std::size_t refused = 0;

  explicit Fuzz(std::uint64_t seed) : rng(seed) {
    for (int i = 0; i < 12; ++i) {
      accounts.push_back("akash1acct" + std::to_string(i));
      REQUIRE(mint(state, accounts.back(), {"uakt", 50'000'000}));
    }
  }

  std::uint64_t pick(std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
  const Address& anyone() { return accounts[pick(accounts.size())]; }

  template <typename Map>
  const typename Map::key_type* some(const Map& map) {
    if (map.empty()) return nullptr;
    auto it = map.begin();
    std::advance(it, static_cast<long>(pick(map.size())));
    return &it->first;
  }

  Msg message(Address& signer) {
    signer = anyone();
    const char* prices[] = {"0.5", "1", "3.75", "10", "25"};
    switch (pick(15)) {
    case 0: return MsgFund{anyone(), {pick(4) == 0 ? "ufoo" : "uakt", pick(2'000'000)}};
    case 1: return MsgRegisterProvider{"https://p" + std::to_string(pick(3)), {{"region", pick(2) ? "us" : "eu"}}, {}};
    case 2: {
      std::vector<sdl::GroupSpec> groups;
      for (std::uint64_t g = 0, n = 1 + pick(2); g < n; ++g) groups.push_back(group_spec("g" + std::to_string(g), prices[pick(5)], 1));
      Address owner = pick(8) == 0 ? anyone() : signer;
      return MsgCreateDeployment{{owner, 1 + pick(40)}, groups, k_hash, {"uakt", 400'000 + pick(3'000'000)}};
    }
    case 3: if (auto id = some(state.deployments)) return MsgCloseDeployment{*id}; break;
    case 4: if (auto id = some(state.deployments)) return MsgDeposit{*id, {"uakt", pick(1'000'000)}}; break;
    case 5:
    case 6:
      if (auto id = some(state.orders)) {
        Address provider = pick(10) == 0 ? anyone() : signer;
        return MsgCreateBid{*id, provider, {"uakt", dec(prices[pick(5)])}, {"uakt", 400'000 + pick(300'000)}};
      }
      break;
    case 7:
      if (auto id = some(state.bids)) {
        CloseReason reasons[] = {CloseReason::none, CloseReason::unstable, CloseReason::manifest_timeout, CloseReason::owner};
        if (pick(4)) signer = id->provider;
        return MsgCloseBid{*id, reasons[pick(4)]};
      }
      break;
    case 8:
    case 9: if (auto id = some(state.bids)) { if (pick(4)) signer = id->owner; return MsgCreateLease{*id}; } break;
    case 10:
      if (auto id = some(state.leases)) {
        CloseReason reasons[] = {CloseReason::none, CloseReason::owner, CloseReason::unstable, CloseReason::insufficient_funds};
        if (pick(3)) signer = pick(2) ? id->owner : id->provider;
        return MsgCloseLease{*id, reasons[pick(4)]};
      }
      break;
    case 11: if (auto id = some(state.leases)) { if (pick(3)) signer = id->provider; return MsgWithdraw{*id}; } break;
    case 12: if (auto id = some(state.deployments)) return MsgSettle{*id}; break;
    case 13:
      if (auto id = some(state.groups)) {
        if (pick(4)) signer = id->owner;
        switch (pick(3)) {
        case 0: return MsgPauseGroup{*id};
        case 1: return MsgStartGroup{*id};
        default: return MsgCloseGroup{*id};
        }
      }
      break;
    default: return MsgSend{anyone(), {"uakt", pick(5'000'000)}};
    }
    return MsgSend{anyone(), {"uakt", 1}};
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) {
      height += pick(4) == 0 ? pick(20'000) : pick(3);
      Address signer;
      Msg msg = message(signer);
      // Round-trip every message through JSON, as the ledger stores it.
      Result<Msg> decoded = msg_from_json(to_json(msg));
      REQUIRE(decoded.has_value());
      REQUIRE(*decoded == msg);
      bool check_unchanged = i % 16 == 0;
      State before;
      if (check_unchanged) before = state;
      Result<std::vector<Event>> result = apply(state, msg, signer, height);
      if (result) {
        ++applied;
      } else {
        ++refused;
        if (check_unchanged) REQUIRE(state == before);
      }
      Status invariants = check_invariants(state);
      if (!invariants) {
        FAIL(to_string(invariants.error()) << " after step " << i << " " << msg_type(msg));
      }
    }
  }
};

} // namespace

TEST_CASE("market random: invariants hold over thousands of mixed messages, deterministically") {
  Fuzz a(20261123);
  a.run(4000);
  Fuzz b(20261123);
  b.run(4000);
  CHECK(state_hash(a.state) == state_hash(b.state));
  CHECK(a.applied > 1000);
  CHECK(a.refused > 500);
  CHECK(a.state.leases.size() > 10);
  Fuzz c(7);
  c.run(4000);
  CHECK(state_hash(a.state) != state_hash(c.state));
  MESSAGE("applied " << a.applied << ", refused " << a.refused << ", leases " << a.state.leases.size());
}
