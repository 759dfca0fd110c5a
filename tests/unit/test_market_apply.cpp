#include <doctest/doctest.h>

#include "market/escrow.hpp"
#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

TEST_CASE("market: create deployment opens one order per group and funds escrow") {
  Market m;
  m.create(1'000'000, {group_spec("a"), group_spec("b")});
  const Deployment& d = m.state.deployments.at(m.dep);
  CHECK(d.state == DeploymentState::active);
  CHECK(d.hash == k_hash);
  CHECK(m.state.groups.size() == 2);
  CHECK(m.state.orders.at(m.order(1)).state == OrderState::open);
  CHECK(m.state.orders.at(m.order(2)).state == OrderState::open);
  CHECK(m.state.accounts.at(account_id(m.dep)).balance == 1'000'000);
  CHECK(balance_of(m.state, k_tenant, "uakt") == 99'000'000);
  m.check();
}

TEST_CASE("market: create deployment refusals") {
  Market m;
  SUBCASE("deposit below minimum") {
    Error e = refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, k_hash, {"uakt", 499'999}}, k_tenant);
    CHECK(e.kind == ErrorKind::refused);
    CHECK(e.message.find("below the minimum of 500000uakt") != std::string::npos);
  }
  SUBCASE("wrong signer") {
    Error e = refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, k_hash, {"uakt", 500'000}}, k_other);
    CHECK(e.kind == ErrorKind::refused);
    CHECK(e.message.find("only the owner akash1tenant") != std::string::npos);
  }
  SUBCASE("dseq reused") {
    m.create();
    Error e = refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, k_hash, {"uakt", 500'000}}, k_tenant);
    CHECK(e.message.find("already exists") != std::string::npos);
  }
  SUBCASE("deposit denom differs from price denom") {
    Error e = refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, k_hash, {"uact", 500'000}}, k_tenant);
    CHECK(e.kind == ErrorKind::invalid);
  }
  SUBCASE("not enough funds") {
    Error e = refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, k_hash, {"uakt", 900'000'000}}, k_tenant);
    CHECK(e.message.find("insufficient funds") != std::string::npos);
  }
  SUBCASE("bad hash and empty groups") {
    CHECK(refused_unchanged(m, MsgCreateDeployment{m.dep, {group_spec()}, "xyz", {"uakt", 500'000}}, k_tenant).kind ==
          ErrorKind::invalid);
    CHECK(refused_unchanged(m, MsgCreateDeployment{m.dep, {}, k_hash, {"uakt", 500'000}}, k_tenant).kind == ErrorKind::invalid);
  }
}

TEST_CASE("market: update deployment changes only the hash") {
  Market m;
  m.create();
  SUBCASE("hash changes") {
    must(m.run(MsgUpdateDeployment{m.dep, {group_spec()}, k_hash2}, k_tenant));
    CHECK(m.state.deployments.at(m.dep).hash == k_hash2);
  }
  SUBCASE("groups change is refused") {
    Error e = refused_unchanged(m, MsgUpdateDeployment{m.dep, {group_spec("dcloud", "11")}, k_hash2}, k_tenant);
    CHECK(e.message.find("you cannot update groups") != std::string::npos);
  }
  SUBCASE("same hash is refused") {
    CHECK(refused_unchanged(m, MsgUpdateDeployment{m.dep, {group_spec()}, k_hash}, k_tenant).kind == ErrorKind::refused);
  }
  SUBCASE("other signer is refused") {
    CHECK(refused_unchanged(m, MsgUpdateDeployment{m.dep, {group_spec()}, k_hash2}, k_other).kind == ErrorKind::refused);
  }
  SUBCASE("unknown deployment is not found") {
    CHECK(refused_unchanged(m, MsgUpdateDeployment{{k_tenant, 99}, {group_spec()}, k_hash2}, k_tenant).kind ==
          ErrorKind::not_found);
  }
}

TEST_CASE("market: bids") {
  Market m;
  m.create();
  m.bid(k_p1, "15");
  CHECK(m.state.bids.at(m.bid_id(k_p1)).state == BidState::open);
  CHECK(m.state.accounts.at(account_id(m.bid_id(k_p1))).balance == 500'000);
  CHECK(balance_of(m.state, k_p1, "uakt") == 9'500'000);
  m.check();

  SUBCASE("provider bidding for another") {
    Error e = refused_unchanged(m, MsgCreateBid{m.order(), k_p2, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1);
    CHECK(e.kind == ErrorKind::refused);
    CHECK(e.message.find("only the provider akash1provider2") != std::string::npos);
  }
  SUBCASE("bid above order price") {
    Error e = refused_unchanged(m, MsgCreateBid{m.order(), k_p2, {"uakt", dec("20.000001")}, {"uakt", 500'000}}, k_p2);
    CHECK(e.message.find("above the order's maximum 20uakt") != std::string::npos);
  }
  SUBCASE("bid at exactly the maximum is accepted") {
    must(m.run(MsgCreateBid{m.order(), k_p2, {"uakt", dec("20")}, {"uakt", 500'000}}, k_p2));
  }
  SUBCASE("bid deposit below the minimum") {
    CHECK(refused_unchanged(m, MsgCreateBid{m.order(), k_p2, {"uakt", dec("1")}, {"uakt", 1}}, k_p2).kind ==
          ErrorKind::refused);
  }
  SUBCASE("second bid by the same provider") {
    CHECK(refused_unchanged(m, MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1).kind ==
          ErrorKind::refused);
  }
  SUBCASE("unregistered bidder") {
    REQUIRE(mint(m.state, "akash1nobody", {"uakt", 1'000'000}));
    Error e = refused_unchanged(m, MsgCreateBid{m.order(), "akash1nobody", {"uakt", dec("1")}, {"uakt", 500'000}}, "akash1nobody");
    CHECK(e.message.find("not a registered provider") != std::string::npos);
  }
  SUBCASE("wrong denom") {
    CHECK(refused_unchanged(m, MsgCreateBid{m.order(), k_p2, {"uact", dec("1")}, {"uakt", 500'000}}, k_p2).kind ==
          ErrorKind::refused);
  }
  SUBCASE("missing order is not found") {
    CHECK(refused_unchanged(m, MsgCreateBid{m.order(1, 9), k_p2, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p2).kind ==
          ErrorKind::not_found);
  }
  SUBCASE("close open bid returns the deposit") {
    must(m.run(MsgCloseBid{m.bid_id(k_p1)}, k_p1));
    CHECK(m.state.bids.at(m.bid_id(k_p1)).state == BidState::closed);
    CHECK(balance_of(m.state, k_p1, "uakt") == 10'000'000);
    m.check();
  }
  SUBCASE("close another provider's bid") {
    CHECK(refused_unchanged(m, MsgCloseBid{m.bid_id(k_p1)}, k_p2).kind == ErrorKind::refused);
  }
}

TEST_CASE("market: the 21st bid is refused") {
  Market m;
  m.create();
  for (int i = 0; i < 21; ++i) {
    Address p = "akash1bulk" + std::to_string(100 + i);
    REQUIRE(mint(m.state, p, {"uakt", 1'000'000}));
    must(m.run(MsgRegisterProvider{"https://x", {}, {}}, p));
    Result<std::vector<Event>> r = m.run(MsgCreateBid{m.order(), p, {"uakt", dec("1")}, {"uakt", 500'000}}, p);
    if (i < 20) {
      CHECK(r.has_value());
    } else {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().message.find("already has 20 bids") != std::string::npos);
    }
  }
  m.check();
}

TEST_CASE("market: provider attributes and auditors gate bids") {
  Market m;
  sdl::GroupSpec spec = group_spec();
  spec.requirements.attributes = sdl::Attributes{{"region", "us-west"}};
  spec.requirements.signed_by.all_of = std::vector<std::string>{k_auditor};
  m.create(1'000'000, {spec});
  Error e = refused_unchanged(m, MsgCreateBid{m.order(), k_p2, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p2);
  CHECK(e.message.find("lacks attribute region=us-west") != std::string::npos);
  e = refused_unchanged(m, MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1);
  CHECK(e.message.find("not audited by akash1auditor") != std::string::npos);
  must(m.run(MsgSignProviderAttributes{k_p1, {{"region", "us-west"}}}, k_auditor));
  must(m.run(MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1));
}

TEST_CASE("market: GPU models and storage classes must be offered") {
  Market m;
  sdl::GroupSpec spec = group_spec();
  spec.resources[0].resources.gpu.units = 1;
  spec.resources[0].resources.gpu.attributes = {{"vendor/nvidia/model/a100", "true"}};
  spec.resources[0].resources.storage.push_back(sdl::Storage{"data", 1 << 30, {{"class", "beta3"}, {"persistent", "true"}}});
  m.create(1'000'000, {spec});
  Error e = refused_unchanged(m, MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1);
  CHECK(e.message.find("storage class beta3") != std::string::npos);
  must(m.run(MsgUpdateProvider{"https://p1", {{"capabilities/storage/1/class", "beta3"}}, {}}, k_p1));
  e = refused_unchanged(m, MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1);
  CHECK(e.message.find("GPU vendor/nvidia/model/a100") != std::string::npos);
  must(m.run(MsgUpdateProvider{"https://p1",
                               {{"capabilities/storage/1/class", "beta3"},
                                {"capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "true"}},
                               {}},
             k_p1));
  must(m.run(MsgCreateBid{m.order(), k_p1, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p1));
}

TEST_CASE("market: create lease makes other bids lost and starts a payment") {
  Market m;
  m.create();
  m.bid(k_p1, "15");
  m.bid(k_p2, "12");
  SUBCASE("other tenant may not take the lease") {
    CHECK(refused_unchanged(m, MsgCreateLease{m.bid_id(k_p2)}, k_other).kind == ErrorKind::refused);
  }
  m.lease(k_p2);
  CHECK(m.state.leases.at(m.bid_id(k_p2)).state == LeaseState::active);
  CHECK(m.state.leases.at(m.bid_id(k_p2)).price.amount == dec("12"));
  CHECK(m.state.bids.at(m.bid_id(k_p2)).state == BidState::active);
  CHECK(m.state.bids.at(m.bid_id(k_p1)).state == BidState::lost);
  CHECK(m.state.orders.at(m.order()).state == OrderState::active);
  CHECK(balance_of(m.state, k_p1, "uakt") == 10'000'000);  // deposit back
  CHECK(m.state.payments.at(m.bid_id(k_p2)).rate.amount == dec("12"));
  m.check();
  SUBCASE("a lost bid cannot be leased") {
    CHECK(refused_unchanged(m, MsgCreateLease{m.bid_id(k_p1)}, k_tenant).kind == ErrorKind::refused);
  }
}

TEST_CASE("market: owner closes a lease and a new order opens") {
  Market m;
  m.create();
  m.bid(k_p1, "10");
  m.lease(k_p1);
  m.height = 11;
  SUBCASE("tenant closing another's lease") {
    Error e = refused_unchanged(m, MsgCloseLease{m.bid_id(k_p1), CloseReason::none}, k_other);
    CHECK(e.message.find("only the owner akash1tenant or the provider akash1provider1") != std::string::npos);
  }
  SUBCASE("owner may not use a provider reason") {
    CHECK(refused_unchanged(m, MsgCloseLease{m.bid_id(k_p1), CloseReason::unstable}, k_tenant).kind == ErrorKind::refused);
  }
  std::vector<Event> events = must(m.run(MsgCloseLease{m.bid_id(k_p1), CloseReason::none}, k_tenant));
  CHECK(has_event(events, EventType::lease_closed));
  CHECK(has_event(events, EventType::order_opened));
  const Lease& lease = m.state.leases.at(m.bid_id(k_p1));
  CHECK(lease.state == LeaseState::closed);
  CHECK(lease.reason == CloseReason::owner);
  CHECK(m.state.orders.at(m.order(1, 1)).state == OrderState::closed);
  CHECK(m.state.orders.at(m.order(1, 2)).state == OrderState::open);
  CHECK(m.state.groups.at(GroupId{k_tenant, 7, 1}).state == GroupState::open);
  // 10 blocks at 10 per block went to the provider; the bid deposit came back.
  CHECK(balance_of(m.state, k_p1, "uakt") == 10'000'000 + 100);
  CHECK(m.state.accounts.at(account_id(m.dep)).balance == 1'000'000 - 100);
  m.check();
  SUBCASE("closing twice is refused") {
    Error e = refused_unchanged(m, MsgCloseLease{m.bid_id(k_p1), CloseReason::none}, k_tenant);
    CHECK(e.message.find("already closed") != std::string::npos);
  }
}

TEST_CASE("market: provider closes a lease and the group pauses") {
  Market m;
  m.create();
  m.bid(k_p1, "10");
  m.lease(k_p1);
  SUBCASE("provider may not use the owner reason") {
    CHECK(refused_unchanged(m, MsgCloseLease{m.bid_id(k_p1), CloseReason::owner}, k_p1).kind == ErrorKind::refused);
  }
  must(m.run(MsgCloseLease{m.bid_id(k_p1), CloseReason::unstable}, k_p1));
  CHECK(m.state.leases.at(m.bid_id(k_p1)).reason == CloseReason::unstable);
  CHECK(m.state.groups.at(GroupId{k_tenant, 7, 1}).state == GroupState::paused);
  CHECK(current_order(m.state, GroupId{k_tenant, 7, 1}) == nullptr);
  must(m.run(MsgStartGroup{GroupId{k_tenant, 7, 1}}, k_tenant));
  CHECK(m.state.orders.at(m.order(1, 2)).state == OrderState::open);
  m.check();
}

TEST_CASE("market: provider closing an active bid pauses the group") {
  Market m;
  m.create();
  m.bid(k_p1, "10");
  m.lease(k_p1);
  SUBCASE("without a reason the lease closes unspecified") {
    must(m.run(MsgCloseBid{m.bid_id(k_p1)}, k_p1));
    CHECK(m.state.leases.at(m.bid_id(k_p1)).reason == CloseReason::unspecified);
  }
  SUBCASE("a provider reason is recorded on the lease") {
    CHECK(refused_unchanged(m, MsgCloseBid{m.bid_id(k_p1), CloseReason::owner}, k_p1).kind == ErrorKind::refused);
    CHECK(refused_unchanged(m, MsgCloseBid{m.bid_id(k_p1), CloseReason::insufficient_funds}, k_p1).kind ==
          ErrorKind::refused);
    CHECK(refused_unchanged(m, MsgCloseBid{m.bid_id(k_p1), CloseReason::unstable}, k_tenant).kind ==
          ErrorKind::refused);
    std::vector<Event> events = must(m.run(MsgCloseBid{m.bid_id(k_p1), CloseReason::unstable}, k_p1));
    CHECK(m.state.leases.at(m.bid_id(k_p1)).reason == CloseReason::unstable);
    bool saw = false;
    for (const Event& e : events)
      if (e.type == EventType::lease_closed && e.reason == CloseReason::unstable) saw = true;
    CHECK(saw);
  }
  SUBCASE("manifest_timeout") {
    must(m.run(MsgCloseBid{m.bid_id(k_p1), CloseReason::manifest_timeout}, k_p1));
    CHECK(m.state.leases.at(m.bid_id(k_p1)).reason == CloseReason::manifest_timeout);
  }
  CHECK(m.state.leases.at(m.bid_id(k_p1)).state == LeaseState::closed);
  CHECK(m.state.bids.at(m.bid_id(k_p1)).state == BidState::closed);
  CHECK(m.state.orders.at(m.order(1, 1)).state == OrderState::closed);
  CHECK(m.state.payments.at(m.bid_id(k_p1)).state == PaymentState::closed);
  CHECK(m.state.groups.at(GroupId{k_tenant, 7, 1}).state == GroupState::paused);
  CHECK(m.state.orders.size() == 1);
  m.check();
}

TEST_CASE("market: pause, start and close group") {
  Market m;
  m.create();
  GroupId g{k_tenant, 7, 1};
  CHECK(refused_unchanged(m, MsgPauseGroup{g}, k_other).kind == ErrorKind::refused);
  CHECK(refused_unchanged(m, MsgStartGroup{g}, k_tenant).kind == ErrorKind::refused);
  m.bid(k_p1, "10");
  must(m.run(MsgPauseGroup{g}, k_tenant));
  CHECK(m.state.groups.at(g).state == GroupState::paused);
  CHECK(m.state.bids.at(m.bid_id(k_p1)).state == BidState::closed);
  must(m.run(MsgStartGroup{g}, k_tenant));
  CHECK(m.state.groups.at(g).last_oseq == 2);
  must(m.run(MsgCloseGroup{g}, k_tenant));
  CHECK(m.state.groups.at(g).state == GroupState::closed);
  CHECK(refused_unchanged(m, MsgStartGroup{g}, k_tenant).kind == ErrorKind::refused);
  m.check();
}

TEST_CASE("market: close deployment pays providers and refunds depositors") {
  Market m;
  m.create(1'000'000, {group_spec("dcloud", "1000", 1)});
  must(m.run(MsgDeposit{m.dep, {"uakt", 300'000}}, k_other));
  m.bid(k_p1, "1000");
  m.lease(k_p1);
  m.height = 1 + 1200;  // 1,200,000 charged: all of the tenant's deposit, 200,000 of the other's
  CHECK(refused_unchanged(m, MsgCloseDeployment{m.dep}, k_other).kind == ErrorKind::refused);
  must(m.run(MsgCloseDeployment{m.dep}, k_tenant));
  CHECK(m.state.deployments.at(m.dep).state == DeploymentState::closed);
  CHECK(m.state.leases.at(m.bid_id(k_p1)).reason == CloseReason::owner);
  CHECK(balance_of(m.state, k_p1, "uakt") == 10'000'000 + 1'200'000);
  CHECK(balance_of(m.state, k_tenant, "uakt") == 99'000'000);
  CHECK(balance_of(m.state, k_other, "uakt") == 100'000'000 - 200'000);
  m.check();
}

TEST_CASE("market: overdraft closes the whole deployment with insufficient_funds") {
  Market m;
  m.create(1'000'000, {group_spec("a"), group_spec("b")});
  m.bid(k_p1, "10");
  m.lease(k_p1);
  m.height = 1 + 200'000;  // owes 2,000,000 > 1,000,000
  SUBCASE("a deposit does not revive it") {
    Error e = refused_unchanged(m, MsgDeposit{m.dep, {"uakt", 5'000'000}}, k_tenant);
    CHECK(e.message.find("overdrawn") != std::string::npos);
  }
  SUBCASE("lease on an overdrawn account") {
    must(m.run(MsgCreateBid{m.order(2, 1), k_p2, {"uakt", dec("1")}, {"uakt", 500'000}}, k_p2));
    Error e = refused_unchanged(m, MsgCreateLease{m.bid_id(k_p2, 2, 1)}, k_tenant);
    CHECK(e.message.find("overdrawn") != std::string::npos);
  }
  std::vector<Event> events = must(m.run(MsgWithdraw{m.bid_id(k_p1)}, k_p1));
  CHECK(has_event(events, EventType::account_overdrawn));
  CHECK(has_event(events, EventType::deployment_closed));
  CHECK(m.state.deployments.at(m.dep).state == DeploymentState::closed);
  const Lease& lease = m.state.leases.at(m.bid_id(k_p1));
  CHECK(lease.state == LeaseState::insufficient_funds);
  CHECK(lease.reason == CloseReason::insufficient_funds);
  CHECK(static_cast<int>(lease.reason) == 20000);
  CHECK(m.state.groups.at(GroupId{k_tenant, 7, 1}).state == GroupState::insufficient_funds);
  CHECK(m.state.groups.at(GroupId{k_tenant, 7, 2}).state == GroupState::insufficient_funds);
  CHECK(m.state.accounts.at(account_id(m.dep)).state == AccountState::overdrawn);
  CHECK(balance_of(m.state, k_p1, "uakt") == 10'000'000 + 1'000'000);
  m.check();
  CHECK(refused_unchanged(m, MsgDeposit{m.dep, {"uakt", 5'000'000}}, k_tenant).kind == ErrorKind::refused);
  CHECK(refused_unchanged(m, MsgStartGroup{GroupId{k_tenant, 7, 1}}, k_tenant).kind == ErrorKind::refused);
}

TEST_CASE("market: withdraw, settle and send permissions") {
  Market m;
  m.create();
  m.bid(k_p1, "2.5");
  m.lease(k_p1);
  m.height = 5;  // 4 blocks × 2.5 = 10
  CHECK(refused_unchanged(m, MsgWithdraw{m.bid_id(k_p1)}, k_tenant).kind == ErrorKind::refused);
  must(m.run(MsgWithdraw{m.bid_id(k_p1)}, k_p1));
  CHECK(balance_of(m.state, k_p1, "uakt") == 9'500'000 + 10);
  m.height = 6;  // 5 blocks × 2.5 = 12.5 → 12 in total, 2 more
  must(m.run(MsgSettle{m.dep}, k_other));
  CHECK(m.state.payments.at(m.bid_id(k_p1)).balance == 2);
  CHECK(refused_unchanged(m, MsgSettle{{k_tenant, 1234}}, k_other).kind == ErrorKind::not_found);
  CHECK(refused_unchanged(m, MsgSend{k_other, {"uakt", 1'000'000'000}}, k_tenant).kind == ErrorKind::refused);
  must(m.run(MsgSend{k_other, {"uakt", 1}}, k_tenant));
  m.check();
}

TEST_CASE("market: faucet") {
  Market m;
  must(m.run(MsgFund{"akash1new", {"uakt", 5}}, "akash1new"));
  CHECK(balance_of(m.state, "akash1new", "uakt") == 5);
  CHECK(refused_unchanged(m, MsgFund{"akash1new", {"ufoo", 5}}, "akash1new").kind == ErrorKind::invalid);
  m.state.params.faucet_enabled = false;
  CHECK(refused_unchanged(m, MsgFund{"akash1new", {"uakt", 5}}, "akash1new").kind == ErrorKind::refused);
  m.check();
}

TEST_CASE("market: a provider's host URI is absolute, http or https, with a host and no path") {
  for (const char* good : {"https://provider.example.com:8443", "http://127.0.0.1:8443", "HTTPS://p.example",
                           "https://[::1]:8443", "https://user@p.example:8443", "https://p.example:8443?x=1"})
    CHECK_MESSAGE(!host_uri_problem(good), good);
  for (const char* bad : {"notauri", "provider.example.com:8443", "ftp://p.example", "https:p.example", "https://",
                          "https://:8443", "https://p.example:8443/", "https://p.example/api", "https://p.example:port",
                          "https://p .example", "https://[::1", "1http://p.example"})
    CHECK_MESSAGE(host_uri_problem(bad), bad);

  Market m;
  Address p = "akash1hosturi";
  REQUIRE(mint(m.state, p, {"uakt", 1'000'000}));
  Error e = refused_unchanged(m, MsgRegisterProvider{"provider.example.com:8443", {}, {}}, p);
  CHECK(e.kind == ErrorKind::invalid);
  CHECK(e.message.find("https://provider.example.com:8443") != std::string::npos);
  must(m.run(MsgRegisterProvider{"https://p.example:8443", {}, {}}, p));
  CHECK(refused_unchanged(m, MsgUpdateProvider{"https://p.example:8443/v1", {}, {}}, p).kind == ErrorKind::invalid);
}
