#include <doctest/doctest.h>

#include "market/escrow.hpp"
#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

TEST_CASE("market escrow: accrued is exact and floored in total") {
  DecCoin rate{"uakt", dec("0.333333333333333333")};
  CHECK(*accrued(rate, 10, 10) == 0);
  CHECK(*accrued(rate, 10, 13) == 0);  // 0.999…
  CHECK(*accrued(rate, 10, 14) == 1);
  CHECK(*accrued(DecCoin{"uakt", dec("2.5")}, 0, 3) == 7);
  CHECK_FALSE(accrued(DecCoin{"uakt", util::Decimal::from_raw(static_cast<util::int128>(1) << 120)}, 0, UINT64_MAX).has_value());
}

TEST_CASE("market escrow: runway and projections do not mutate") {
  Market m;
  m.create(1'000'000);
  CHECK_FALSE(runway(m.state, m.dep, 1)->has_value());  // no lease, nothing charged
  m.bid(k_p1, "10");
  m.lease(k_p1);
  State before = m.state;
  CHECK(runway(m.state, m.dep, 1)->value() == 100'000);
  CHECK(runway(m.state, m.dep, 50'001)->value() == 50'000);
  CHECK(*projected_balance(m.state, m.dep, 50'001) == 500'000);
  CHECK(*projected_payment(m.state, m.bid_id(k_p1), 50'001) == 500'000);
  CHECK(*projected_balance(m.state, m.dep, 200'000) == 0);
  CHECK(runway(m.state, m.dep, 200'000)->value() == 0);
  CHECK(burn_rate(m.state, m.dep)->amount == dec("10"));
  CHECK(m.state == before);
  CHECK(runway(m.state, {k_tenant, 404}, 1).error().kind == ErrorKind::not_found);
}

TEST_CASE("market escrow: deposits are consumed first-in first-out") {
  Market m;
  m.create(500'000, {group_spec("dcloud", "1000", 1)});
  must(m.run(MsgDeposit{m.dep, {"uakt", 600'000}}, k_other));
  m.bid(k_p1, "1000");
  m.lease(k_p1);
  m.height = 1 + 700;  // 700,000: all of the tenant's 500,000, then 200,000 of the other's
  must(m.run(MsgSettle{m.dep}, k_p2));
  const Account& account = m.state.accounts.at(account_id(m.dep));
  REQUIRE(account.deposits.size() == 1);
  CHECK(account.deposits[0].depositor == k_other);
  CHECK(account.deposits[0].amount == 400'000);
  CHECK(account.transferred == 700'000);
  CHECK(account.settled_at == 701);
  m.check();
}

TEST_CASE("market escrow: settlement at an earlier height is refused") {
  Market m;
  m.create();
  m.height = 10;
  must(m.run(MsgSettle{m.dep}, k_other));
  m.height = 5;
  CHECK(refused_unchanged(m, MsgSettle{m.dep}, k_other).kind == ErrorKind::refused);
}
