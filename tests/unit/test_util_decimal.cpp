#include <doctest/doctest.h>

#include "util/decimal.hpp"
#include "util/hash.hpp"

using akt::util::Decimal;

TEST_CASE("util::Decimal::parse") {
  SUBCASE("integers and fractions keep 18 decimals") {
    CHECK(Decimal::parse("250")->to_string() == "250.000000000000000000");
    CHECK(Decimal::parse("0.5")->to_string() == "0.500000000000000000");
    CHECK(Decimal::parse("-1")->to_string() == "-1.000000000000000000");
    CHECK(Decimal::parse("1.000000000000000001")->to_string() == "1.000000000000000001");
  }
  SUBCASE("errors carry the network's wording") {
    CHECK(Decimal::parse("").error().message == "decimal string cannot be empty");
    CHECK(Decimal::parse("1.").error().message == "invalid decimal length");
    CHECK(Decimal::parse(".5").error().message == "invalid decimal length");
    CHECK(Decimal::parse("1.2.3").error().message == "invalid decimal string");
    CHECK(Decimal::parse("1e3").error().message ==
          "failed to set decimal string with base 10: 1e3000000000000000000");
    CHECK(Decimal::parse("0.0000000000000000001").error().message ==
          "value '0.0000000000000000001' exceeds max precision by -1 decimal places: max precision 18");
  }
  SUBCASE("short form drops trailing zeros") {
    CHECK(Decimal::parse("12.500")->to_short_string() == "12.5");
    CHECK(Decimal::parse("7")->to_short_string() == "7");
  }
}

TEST_CASE("util::Decimal arithmetic refuses overflow") {
  Decimal big = Decimal::from_raw(static_cast<akt::util::int128>(1) << 125);
  CHECK_FALSE(big.checked_mul_int(8).has_value());
  CHECK_FALSE(big.checked_add(big)->checked_add(big)->checked_add(big).has_value());
  CHECK(Decimal::from_int(3).checked_div_int(2)->to_string() == "1.500000000000000000");
  CHECK_FALSE(Decimal::from_int(3).checked_div_int(0).has_value());
}

TEST_CASE("util::sha256_hex") {
  CHECK(akt::util::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
