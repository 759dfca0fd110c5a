#include <doctest/doctest.h>

#include "market_fixture.hpp"

using namespace akt;
using namespace akt::market;
using namespace akt::market::test;

TEST_CASE("market invariants: each violation is caught") {
  Market m;
  m.create();
  m.bid(k_p1, "10");
  m.bid(k_p2, "11");
  m.lease(k_p1);
  m.check();
  SUBCASE("money created from nothing") {
    m.state.balances[k_other]["uakt"] += 1;
    CHECK(check_invariants(m.state).error().message.find("not conserved in uakt") != std::string::npos);
  }
  SUBCASE("account balance differs from its deposits") {
    m.state.accounts.at(account_id(m.dep)).deposits[0].amount -= 1;
    CHECK_FALSE(check_invariants(m.state).has_value());
  }
  SUBCASE("two orders open in one group") {
    OrderId extra = m.order(1, 2);
    m.state.orders[extra] = Order{extra, OrderState::open, 1, 0};
    CHECK(check_invariants(m.state).error().message.find("more than one order") != std::string::npos);
  }
  SUBCASE("lease price drifts from its bid") {
    m.state.leases.at(m.bid_id(k_p1)).price.amount = dec("9");
    CHECK(check_invariants(m.state).error().message.find("price differs") != std::string::npos);
  }
  SUBCASE("lost bid still holding its deposit") {
    Account& account = m.state.accounts.at(account_id(m.bid_id(k_p2)));
    account.balance = 500'000;
    account.deposits.push_back(Deposit{k_p2, 500'000});
    m.state.balances[k_p2]["uakt"] -= 500'000;
    CHECK(check_invariants(m.state).error().message.find("akash1provider2") != std::string::npos);
  }
}
